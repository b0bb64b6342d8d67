/**
 * Streaming pcapng writer: one section header, one Interface Description Block per interface (link type,
 * snaplen, if_name, if_tsresol) and one Enhanced Packet Block per packet, little-endian.
 *
 * The file is written through a temporary sibling (`.NAME.PID.tmp`) that `commit()` renames into place, so the
 * target never holds a half-written capture; `abort()` removes the temporary file. Blocks are buffered and
 * written in large pieces; `flush()` pushes what is buffered to the temporary file.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface PcapngInterface {
  /** LINKTYPE_* value. */
  linktype: number;
  /** Largest packet captured (0: no limit). */
  snaplen: number;
  /** if_name. */
  name?: string;
  /** if_description. */
  description?: string;
  /** if_filter: the capture filter as a BPF expression. */
  filter?: string;
  /** Timestamp resolution as a power of ten (if_tsresol): 6 for µs, 9 for ns. Default 6. */
  tsDigits?: number;
}

/** Counters of an Interface Statistics Block (each optional). */
export interface PcapngInterfaceStats {
  /** Packets received from the interface (isb_ifrecv). */
  received?: number;
  /** Packets the interface or its driver dropped (isb_ifdrop). */
  interfaceDropped?: number;
  /** Packets the operating system dropped: no room in the capture buffer (isb_osdrop). */
  osDropped?: number;
  /** Packets delivered to the capturing program (isb_usrdeliv). */
  delivered?: number;
}

export interface PcapngPacket {
  /** Index returned by addInterface. */
  iface: number;
  /** Whole seconds since the epoch. */
  tsSec: number;
  /** Fraction of the second in units of the interface's resolution (µs for tsDigits 6). */
  tsFrac: number;
  /** Length on the wire. */
  len: number;
  /** Captured bytes. */
  data: Buffer;
}

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const ISB = 0x00000005;
const EPB = 0x00000006;
const BOM = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const IF_FILTER = 11;
const ISB_IFRECV = 4;
const ISB_IFDROP = 5;
const ISB_OSDROP = 7;
const ISB_USRDELIV = 8;

const pad4 = (n: number): number => (n + 3) & ~3;

/** Encodes options (code, value) into a buffer ending with opt_endofopt; empty when there are none. */
function encodeOptions(opts: Array<[number, Buffer]>): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  let size = 4;
  for (const [, v] of opts) size += 4 + pad4(v.length);
  const b = Buffer.alloc(size);
  let o = 0;
  for (const [code, v] of opts) {
    b.writeUInt16LE(code, o);
    b.writeUInt16LE(v.length, o + 2);
    v.copy(b, o + 4);
    o += 4 + pad4(v.length);
  }
  b.writeUInt16LE(OPT_ENDOFOPT, o);
  b.writeUInt16LE(0, o + 2);
  return b;
}

/** A whole block: type, total length, body (already padded), total length. */
function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

export class PcapngWriter {
  /** Where blocks go until commit(). */
  readonly tmpPath: string;
  /** Written in place (the target is a device or pipe). */
  private readonly direct: boolean;
  private fd: number;
  private readonly chunks: Buffer[] = [];
  private pendingBytes = 0;
  /** Timestamp units per second, per interface. */
  private readonly units: number[] = [];
  private readonly bufferBytes: number;
  private closed = false;
  /** Packets written. */
  packets = 0;
  /** Bytes handed to the file so far (including buffered ones). */
  bytes = 0;

  /**
   * Creates the temporary file and writes the section header. Throws the fs error (ENOENT, EACCES, ...) when the
   * file cannot be created.
   */
  constructor(readonly path: string, opts: { application?: string; comment?: string; bufferBytes?: number } = {}) {
    // A target that is not a regular file (/dev/null, a FIFO) is written directly: a rename would replace it.
    let special = false;
    try { special = !statSync(path).isFile(); } catch { /* does not exist yet */ }
    this.direct = special;
    this.tmpPath = special ? path : join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.fd = openSync(this.tmpPath, 'w', 0o644);
    this.bufferBytes = opts.bufferBytes ?? 1 << 20;
    const options: Array<[number, Buffer]> = [];
    if (opts.comment) options.push([OPT_COMMENT, Buffer.from(opts.comment, 'utf8')]);
    if (opts.application) options.push([SHB_USERAPPL, Buffer.from(opts.application, 'utf8')]);
    const o = encodeOptions(options);
    const head = Buffer.alloc(16);
    head.writeUInt32LE(BOM, 0);
    head.writeUInt16LE(1, 4); // major
    head.writeUInt16LE(0, 6); // minor
    head.writeInt32LE(-1, 8); // section length unknown (-1 as 64 bits)
    head.writeInt32LE(-1, 12);
    this.push(block(SHB, Buffer.concat([head, o])));
  }

  /** Adds an interface; returns its index for writePacket. Interfaces must be added before their packets. */
  addInterface(iface: PcapngInterface): number {
    const digits = iface.tsDigits ?? 6;
    if (!Number.isInteger(digits) || digits < 0 || digits > 15) throw new RangeError(`unsupported timestamp resolution 10^-${digits}`);
    const options: Array<[number, Buffer]> = [];
    if (iface.name !== undefined) options.push([IF_NAME, Buffer.from(iface.name, 'utf8')]);
    if (iface.description !== undefined) options.push([IF_DESCRIPTION, Buffer.from(iface.description, 'utf8')]);
    if (iface.filter) options.push([IF_FILTER, Buffer.concat([Buffer.from([0]), Buffer.from(iface.filter, 'utf8')])]);
    options.push([IF_TSRESOL, Buffer.from([digits])]);
    const head = Buffer.alloc(8);
    head.writeUInt16LE(iface.linktype, 0);
    head.writeUInt16LE(0, 2);
    head.writeUInt32LE(iface.snaplen >>> 0, 4);
    this.push(block(IDB, Buffer.concat([head, encodeOptions(options)])));
    this.units.push(10 ** digits);
    return this.units.length - 1;
  }

  writePacket(p: PcapngPacket): void {
    const unitsPerSec = this.units[p.iface];
    if (unitsPerSec === undefined) throw new RangeError(`packet for interface ${p.iface}, which was not added`);
    const caplen = p.data.length;
    const total = 32 + pad4(caplen);
    const b = Buffer.alloc(total);
    // Timestamp in units since the epoch, as two 32-bit halves. In µs it stays exact in a double (< 2^53);
    // finer resolutions go through BigInt.
    let hi: number;
    let lo: number;
    if (unitsPerSec <= 1e6) {
      const ts = p.tsSec * unitsPerSec + p.tsFrac;
      hi = Math.floor(ts / 0x100000000);
      lo = ts - hi * 0x100000000;
    } else {
      const ts = BigInt(p.tsSec) * BigInt(unitsPerSec) + BigInt(p.tsFrac);
      hi = Number(ts >> 32n);
      lo = Number(ts & 0xffffffffn);
    }
    b.writeUInt32LE(EPB, 0);
    b.writeUInt32LE(total, 4);
    b.writeUInt32LE(p.iface, 8);
    b.writeUInt32LE(hi >>> 0, 12);
    b.writeUInt32LE(lo >>> 0, 16);
    b.writeUInt32LE(caplen, 20);
    b.writeUInt32LE(Math.max(p.len, caplen) >>> 0, 24);
    p.data.copy(b, 28);
    b.writeUInt32LE(total, total - 4);
    this.push(b);
    this.packets++;
  }

  /** Writes an Interface Statistics Block (libpcap's counters at the end of a capture, as dumpcap does). */
  writeInterfaceStats(iface: number, tsSec: number, tsFrac: number, stats: PcapngInterfaceStats): void {
    const unitsPerSec = this.units[iface];
    if (unitsPerSec === undefined) throw new RangeError(`statistics for interface ${iface}, which was not added`);
    const u64 = (v: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(v))));
      return b;
    };
    const options: Array<[number, Buffer]> = [];
    if (stats.received !== undefined) options.push([ISB_IFRECV, u64(stats.received)]);
    if (stats.interfaceDropped !== undefined) options.push([ISB_IFDROP, u64(stats.interfaceDropped)]);
    if (stats.osDropped !== undefined) options.push([ISB_OSDROP, u64(stats.osDropped)]);
    if (stats.delivered !== undefined) options.push([ISB_USRDELIV, u64(stats.delivered)]);
    const ts = BigInt(tsSec) * BigInt(unitsPerSec) + BigInt(tsFrac);
    const head = Buffer.alloc(12);
    head.writeUInt32LE(iface, 0);
    head.writeUInt32LE(Number(ts >> 32n), 4);
    head.writeUInt32LE(Number(ts & 0xffffffffn), 8);
    this.push(block(ISB, Buffer.concat([head, encodeOptions(options)])));
  }

  private push(b: Buffer): void {
    if (this.closed) throw new Error('pcapng writer already closed');
    this.chunks.push(b);
    this.pendingBytes += b.length;
    this.bytes += b.length;
    if (this.pendingBytes >= this.bufferBytes) this.flush();
  }

  /** Writes buffered blocks to the temporary file (throws the fs error on failure). */
  flush(): void {
    if (this.pendingBytes === 0 || this.closed) return;
    const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.pendingBytes);
    this.chunks.length = 0;
    this.pendingBytes = 0;
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
  }

  /** Flushes, syncs and renames the temporary file to the target. */
  commit(): void {
    this.flush();
    this.closed = true;
    try {
      if (!this.direct) fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
    if (!this.direct) renameSync(this.tmpPath, this.path);
  }

  /** Drops everything: the temporary file is removed and the target is left as it was. */
  abort(): void {
    if (this.fd >= 0) {
      try { closeSync(this.fd); } catch { /* already closed */ }
      this.fd = -1;
    }
    this.closed = true;
    this.chunks.length = 0;
    this.pendingBytes = 0;
    if (!this.direct) rmSync(this.tmpPath, { force: true });
  }
}
