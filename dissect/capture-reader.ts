/**
 * Streaming pcap / pcapng reader.
 *
 * - pcap: both byte orders, µs (a1b2c3d4), ns (a1b23c4d) and the old "modified" (a1b2cd34) magic.
 * - pcapng: SHB (either byte order, any number of sections), IDB (if_name, if_tsresol,
 *   if_tsoffset), EPB, SPB and the obsolete PB; every other block is skipped by its length.
 * - Input: a path or '-' (stdin); gzip is detected by its magic bytes and decompressed as a stream.
 *
 * Records are handed out through ONE reused CaptureRecord whose `data` is a view into the current
 * read chunk (made on first access; `buf`/`off` locate the bytes without it); only a record that straddles
 * two chunks is copied (into a reused carry buffer), so memory does not grow with the size of the capture.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CaptureInputError } from './record.js';
import { be16, be32, le16, le32 } from './bytes.js';
import type { CaptureInterface, CaptureRecord } from './record.js';

export interface ReadOptions {
  /** Largest packet record accepted (pcap caplen; pcapng blocks may be 64 KiB larger). Default 262144. */
  maxRecordBytes?: number;
  onWarning?: (msg: string) => void;
  onInterface?: (index: number, iface: CaptureInterface) => void;
  /** Called once the file's format is known (before its first record). */
  onFormat?: (format: 'pcap' | 'pcapng') => void;
  /** Called after each read from a file with the bytes of the file read so far (for progress bars). */
  onProgress?: (fileBytesRead: number) => void;
  /**
   * Read a plain (uncompressed) file with blocking reads. For batch runs (a fleet worker) where nothing else
   * waits on this thread: each asynchronous read is a round trip through libuv's thread pool, which on a small
   * capture costs more than the parsing.
   */
  blockingReads?: boolean;
}

export interface ReadSummary {
  /** Number of records delivered to onRecord. */
  packets: number;
  format: 'pcap' | 'pcapng';
  /** The file was gzip-compressed (decompressed while read). */
  compression?: 'gzip';
  /** Interfaces of the last section (pcap: exactly one). */
  interfaces: CaptureInterface[];
  /** The capture ended inside a record (or the gzip stream ended early). */
  truncated: boolean;
  /** Bytes of (decompressed) capture data received from the input. */
  bytesRead: number;
}

export type RecordCallback = (rec: CaptureRecord) => boolean | void;

const CHUNK = 1 << 21;
const DEFAULT_MAX_RECORD = 262144;
/** Room for pcapng block headers and options on top of maxRecordBytes. */
const BLOCK_SLACK = 65536;
/** Unknown pcapng blocks larger than the block limit are skipped without buffering, up to this size. */
const MAX_SKIP = 256 * 1024 * 1024;
/** Per-record (non-fatal) warnings reported before the rest are suppressed. */
const MAX_RECORD_WARNINGS = 20;

const FMT_NONE = 0;
const FMT_PCAP = 1;
const FMT_PCAPNG = 2;

/** unitNeed() results besides a length. */
const STOP = -1;
const SKIP = -2;

const SHB_TYPE = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
const BOM_SWAPPED = 0x4d3c2b1a;

const EMPTY = Buffer.alloc(0);

/**
 * Chunk buffers of finished reads, for the next file. Each read takes two (double buffering); allocating
 * 2 x 2 MiB afresh per file made V8 collect garbage for the external memory on every small capture of a fleet.
 * Record views are valid only during their callback, so nothing refers to a chunk once its read has returned.
 */
const spareChunks: Buffer[] = [];
const MAX_SPARE_CHUNKS = 4;

function takeChunk(): Buffer {
  return spareChunks.pop() ?? Buffer.allocUnsafe(CHUNK);
}

function giveChunks(bufs: Buffer[]): void {
  for (const b of bufs) if (spareChunks.length < MAX_SPARE_CHUNKS && b.length === CHUNK) spareChunks.push(b);
}

/** Per-interface state: the public description plus timestamp conversion constants. */
interface IfState {
  pub: CaptureInterface;
  /** Units per second when it is 10^e with e <= 9 (fast exact path); 0 otherwise (BigInt path). */
  div: number;
  /** Nanoseconds per unit for the fast path (10^(9-e)). */
  mult: number;
  /** Units per second for the BigInt path. */
  bigDiv: bigint;
  /** if_tsoffset, seconds. */
  offset: number;
}

function makeIf(linktype: number, snaplen: number, name: string | undefined, tsresol: number, offset: number): IfState {
  let div = 0;
  let mult = 0;
  let bigDiv = 0n;
  let digits: number;
  if (tsresol & 0x80) {
    const p = tsresol & 0x7f;
    bigDiv = 1n << BigInt(p);
    digits = Math.min(9, Math.ceil(p * Math.LOG10E * Math.LN2 - 1e-9));
  } else {
    if (tsresol <= 9) {
      div = 10 ** tsresol;
      mult = 10 ** (9 - tsresol);
    } else {
      bigDiv = 10n ** BigInt(tsresol);
    }
    digits = Math.min(9, tsresol);
  }
  const pub: CaptureInterface = { linktype, snaplen, tsDigits: digits };
  if (name !== undefined) pub.name = name;
  return { pub, div, mult, bigDiv, offset };
}

/** The reader's reused record: `buf`/`off` are the only per-record state; `data` is a view made on first use. */
interface ReaderRecord extends CaptureRecord {
  buf: Buffer;
  off: number;
  pos: number;
  /** The `data` view once made for the current record, else null. */
  view: Buffer | null;
}

/**
 * `data` is an own enumerable accessor (object spread copies the view it returns, as before), while `buf`,
 * `off` and `view` are non-enumerable: copies do not carry the chunk, so they decode from their `data`.
 * Assigning `data` replaces the bytes and drops the chunk.
 */
function newReaderRecord(): ReaderRecord {
  const rec = { n: 0, iface: 0, linktype: 0, tsSec: 0, tsNsec: 0, tsDigits: 6, caplen: 0, len: 0 } as ReaderRecord;
  Object.defineProperty(rec, 'buf', { value: EMPTY, writable: true, enumerable: false, configurable: false });
  Object.defineProperty(rec, 'off', { value: 0, writable: true, enumerable: false, configurable: false });
  Object.defineProperty(rec, 'pos', { value: 0, writable: true, enumerable: false, configurable: false });
  Object.defineProperty(rec, 'view', { value: null, writable: true, enumerable: false, configurable: false });
  Object.defineProperty(rec, 'data', {
    enumerable: true,
    configurable: false,
    get(this: ReaderRecord): Buffer {
      let v = this.view;
      if (v === null) {
        v = this.buf.subarray(this.off, this.off + this.caplen);
        this.view = v;
      }
      return v;
    },
    set(this: ReaderRecord, v: Buffer) {
      this.view = v;
      (this as { buf?: Buffer }).buf = undefined;
    },
  });
  return rec;
}

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

class Parser {
  private readonly rec: ReaderRecord = newReaderRecord();
  private readonly maxRecord: number;
  private readonly blockLimit: number;

  fmt = FMT_NONE;
  /** A file header / first section header has been processed. */
  started = false;
  private le = true;

  // pcap
  private pcapHdr = 16;
  private pcapNano = false;
  private pcapLink = 0;

  // pcapng
  private ifs: IfState[] = [];
  interfaces: CaptureInterface[] = [];

  // chunk carry
  private carry: Buffer = Buffer.allocUnsafe(65536);
  private carryLen = 0;
  private skip = 0;
  private skipLen = 0;

  /** Offset (in the decompressed stream) of the unit currently being assembled/processed. */
  private base = 0;
  total = 0;
  packets = 0;
  truncated = false;
  stopped = false;
  private recWarnings = 0;

  constructor(
    private readonly name: string,
    private readonly onRecord: RecordCallback,
    private readonly opts: ReadOptions,
  ) {
    const m = opts.maxRecordBytes;
    this.maxRecord = m !== undefined && Number.isFinite(m) && m > 0 ? Math.floor(m) : DEFAULT_MAX_RECORD;
    this.blockLimit = this.maxRecord + BLOCK_SLACK;
  }

  summary(): ReadSummary {
    return {
      packets: this.packets,
      format: this.fmt === FMT_PCAPNG ? 'pcapng' : 'pcap',
      interfaces: this.interfaces,
      truncated: this.truncated,
      bytesRead: this.total,
    };
  }

  private warn(msg: string): void {
    const w = this.opts.onWarning;
    if (w) w(msg);
  }

  /** Non-fatal, possibly repeated per record: capped. */
  private warnRecord(msg: string): void {
    const k = ++this.recWarnings;
    if (k < MAX_RECORD_WARNINGS) this.warn(msg);
    else if (k === MAX_RECORD_WARNINGS) this.warn(msg + ' (further such warnings suppressed)');
  }

  /** A problem that ends reading: before the first header it means "not a usable capture". */
  private fatal(msg: string): number {
    if (!this.started) throw new CaptureInputError(`${this.name}: ${msg}`);
    this.warn(msg);
    return STOP;
  }

  private u32(b: Buffer, o: number): number {
    return this.le ? le32(b, o) : be32(b, o);
  }

  private u16(b: Buffer, o: number): number {
    return this.le ? le16(b, o) : be16(b, o);
  }

  private ensureCarry(n: number): void {
    if (this.carry.length >= n) return;
    const next = Buffer.allocUnsafe(Math.max(n, this.carry.length * 2));
    this.carry.copy(next, 0, 0, this.carryLen);
    this.carry = next;
  }

  /** Feeds one chunk; returns false once reading must stop (early stop or fatal problem). */
  feed(chunk: Buffer): boolean {
    const end = chunk.length;
    this.total += end;
    let pos = 0;
    if (this.skip > 0) {
      pos = Math.min(this.skip, end);
      this.skip -= pos;
      if (this.skip > 0) return true;
      this.base += this.skipLen;
    }
    if (this.carryLen > 0) {
      for (;;) {
        const need = this.unitNeed(this.carry, 0, this.carryLen);
        if (need === STOP) return this.halt();
        if (need === SKIP) {
          const rest = this.skipLen - this.carryLen;
          this.carryLen = 0;
          const t = Math.min(rest, end - pos);
          pos += t;
          if (t < rest) {
            this.skip = rest - t;
            return true;
          }
          this.base += this.skipLen;
          break;
        }
        if (this.carryLen >= need) {
          this.carryLen = 0;
          if (!this.process(this.carry, 0, need)) return this.halt();
          this.base += need;
          break;
        }
        if (pos === end) return true;
        const t = Math.min(need - this.carryLen, end - pos);
        this.ensureCarry(this.carryLen + t);
        chunk.copy(this.carry, this.carryLen, pos, pos + t);
        this.carryLen += t;
        pos += t;
      }
    }
    for (;;) {
      const avail = end - pos;
      const need = this.unitNeed(chunk, pos, avail);
      if (need === STOP) return this.halt();
      if (need === SKIP) {
        if (avail < this.skipLen) {
          this.skip = this.skipLen - avail;
          return true;
        }
        pos += this.skipLen;
        this.base += this.skipLen;
        continue;
      }
      if (avail < need) {
        if (avail > 0) {
          this.ensureCarry(need);
          chunk.copy(this.carry, 0, pos, end);
        }
        this.carryLen = avail;
        return true;
      }
      if (!this.process(chunk, pos, need)) return this.halt();
      pos += need;
      this.base += need;
    }
  }

  private halt(): boolean {
    this.stopped = true;
    return false;
  }

  /** End of input. `gzipCut`: the compressed stream ended early. */
  finish(gzipCut: boolean): void {
    if (this.stopped) return;
    if (!this.started) {
      if (gzipCut) throw new CaptureInputError(`${this.name}: corrupt gzip data (unexpected end of file)`);
      if (this.total === 0) throw new CaptureInputError(`${this.name} is empty`);
      if (this.fmt === FMT_NONE) {
        throw new CaptureInputError(`${this.name} is not a pcap or pcapng capture (only ${this.total} bytes)`);
      }
      if (this.fmt === FMT_PCAP) {
        throw new CaptureInputError(`${this.name}: pcap file header is truncated (${this.total} of 24 bytes)`);
      }
      throw new CaptureInputError(`${this.name}: pcapng section header block is truncated`);
    }
    if (this.carryLen > 0 || this.skip > 0) {
      this.truncated = true;
      this.warn(`capture ends inside a packet record at byte ${this.base}`);
    } else if (gzipCut) {
      this.truncated = true;
      this.warn(`compressed data ends early (truncated gzip stream) after ${this.total} bytes`);
    }
  }

  /**
   * Length of the unit (file header, record or block) starting at b[o], given `avail` bytes there:
   * the full length when the header is available, otherwise the header length needed to learn it.
   */
  private unitNeed(b: Buffer, o: number, avail: number): number {
    if (this.fmt === FMT_PCAP) {
      if (!this.started) return 24;
      const h = this.pcapHdr;
      if (avail < h) return h;
      const caplen = this.u32(b, o + 8);
      if (caplen > this.maxRecord) {
        this.warn(
          `packet record at byte ${this.base} claims caplen ${caplen}, more than the limit of ${this.maxRecord}; ` +
            'stopping here (a pcap file cannot be resynchronized)',
        );
        return STOP;
      }
      return h + caplen;
    }
    if (this.fmt === FMT_PCAPNG) return this.blockNeed(b, o, avail);
    return this.detect(b, o, avail);
  }

  private detect(b: Buffer, o: number, avail: number): number {
    if (avail < 4) return 4;
    const m = b.readUInt32LE(o);
    let le = true;
    let nano = false;
    let hdr = 16;
    switch (m) {
      case 0xa1b2c3d4: break;
      case 0xd4c3b2a1: le = false; break;
      case 0xa1b23c4d: nano = true; break;
      case 0x4d3cb2a1: le = false; nano = true; break;
      case 0xa1b2cd34: hdr = 24; break;
      case 0x34cdb2a1: le = false; hdr = 24; break;
      case SHB_TYPE:
        this.fmt = FMT_PCAPNG;
        this.opts.onFormat?.('pcapng');
        return this.blockNeed(b, o, avail);
      default:
        throw new CaptureInputError(`${this.name} is not a pcap or pcapng capture (magic ${hex32(b.readUInt32BE(o))})`);
    }
    this.fmt = FMT_PCAP;
    this.opts.onFormat?.('pcap');
    this.le = le;
    this.pcapNano = nano;
    this.pcapHdr = hdr;
    return 24;
  }

  private blockNeed(b: Buffer, o: number, avail: number): number {
    if (avail < 8) return 8;
    let len: number;
    let type = le32(b, o);
    if (type === SHB_TYPE) {
      if (avail < 12) return 12;
      const bom = b.readUInt32LE(o + 8);
      if (bom === BOM) len = b.readUInt32LE(o + 4);
      else if (bom === BOM_SWAPPED) len = b.readUInt32BE(o + 4);
      else return this.fatal(`pcapng section header at byte ${this.base} has a bad byte-order magic ${hex32(b.readUInt32BE(o + 8))}`);
      if (len < 28 || (len & 3) !== 0 || len > this.blockLimit) {
        return this.fatal(`pcapng section header at byte ${this.base} has an invalid length ${len}`);
      }
      return len;
    }
    if (!this.le) type = be32(b, o);
    len = this.u32(b, o + 4);
    if (len < 12 || (len & 3) !== 0) {
      this.warn(`pcapng block at byte ${this.base} (type ${hex32(type)}) has an invalid length ${len}; stopping here`);
      return STOP;
    }
    if (len > this.blockLimit) {
      const essential = type === 6 || type === 3 || type === 2 || type === 1;
      if (essential || len > MAX_SKIP) {
        this.warn(
          `pcapng block at byte ${this.base} (type ${hex32(type)}) claims length ${len}, ` +
            `more than the limit of ${essential ? this.blockLimit : MAX_SKIP}; stopping here`,
        );
        return STOP;
      }
      this.skipLen = len;
      return SKIP;
    }
    return len;
  }

  /** Handles one complete unit b[o .. o+len). Returns false to stop. */
  private process(b: Buffer, o: number, len: number): boolean {
    if (this.fmt === FMT_PCAP) {
      if (this.started) return this.pcapRecord(b, o, len);
      this.pcapHeader(b, o);
      return true;
    }
    const type = le32(b, o) === SHB_TYPE ? SHB_TYPE : this.u32(b, o);
    if (type !== SHB_TYPE && this.u32(b, o + len - 4) !== len) {
      this.warnRecord(
        `pcapng block at byte ${this.base} (type ${hex32(type)}): trailing length ${this.u32(b, o + len - 4)} differs from ${len}`,
      );
    }
    if (type === 6) return this.epb(b, o, len, this.u32(b, o + 8));
    if (type === 3) return this.spb(b, o, len);
    if (type === 1) {
      this.idb(b, o, len);
      return true;
    }
    if (type === 2) return this.epb(b, o, len, this.u16(b, o + 8));
    if (type === SHB_TYPE) return this.shb(b, o, len);
    return true;
  }

  private pcapHeader(b: Buffer, o: number): void {
    const snaplen = this.u32(b, o + 16);
    this.pcapLink = this.u32(b, o + 20) & 0xffff;
    const iface = makeIf(this.pcapLink, snaplen, undefined, this.pcapNano ? 9 : 6, 0);
    this.ifs = [iface];
    this.interfaces = [iface.pub];
    this.started = true;
    const cb = this.opts.onInterface;
    if (cb) cb(0, iface.pub);
  }

  private pcapRecord(b: Buffer, o: number, len: number): boolean {
    const h = this.pcapHdr;
    const rec = this.rec;
    let sec: number;
    let frac: number;
    let olen: number;
    if (this.le) {
      sec = le32(b, o);
      frac = le32(b, o + 4);
      olen = le32(b, o + 12);
    } else {
      sec = be32(b, o);
      frac = be32(b, o + 4);
      olen = be32(b, o + 12);
    }
    if (this.pcapNano) {
      if (frac >= 1e9) {
        const c = Math.floor(frac / 1e9);
        sec += c;
        frac -= c * 1e9;
      }
      rec.tsNsec = frac;
      rec.tsDigits = 9;
    } else {
      if (frac >= 1e6) {
        const c = Math.floor(frac / 1e6);
        sec += c;
        frac -= c * 1e6;
      }
      rec.tsNsec = frac * 1000;
      rec.tsDigits = 6;
    }
    rec.n = ++this.packets;
    rec.iface = 0;
    rec.linktype = this.pcapLink;
    rec.tsSec = sec;
    rec.caplen = len - h;
    rec.len = olen;
    rec.buf = b;
    rec.off = o + h;
    rec.view = null;
    rec.pos = this.base + (rec.off - o);
    return this.onRecord(rec) !== false;
  }

  private shb(b: Buffer, o: number, len: number): boolean {
    const le = b.readUInt32LE(o + 8) === BOM;
    const major = le ? b.readUInt16LE(o + 12) : b.readUInt16BE(o + 12);
    const minor = le ? b.readUInt16LE(o + 14) : b.readUInt16BE(o + 14);
    if (major !== 1) {
      if (this.fatal(`pcapng section at byte ${this.base} has unsupported version ${major}.${minor}; stopping here`) === STOP) {
        return false;
      }
    }
    this.le = le;
    if (this.u32(b, o + len - 4) !== len) {
      this.warnRecord(`pcapng section header at byte ${this.base}: trailing length ${this.u32(b, o + len - 4)} differs from ${len}`);
    }
    this.ifs = [];
    this.interfaces = [];
    this.started = true;
    return true;
  }

  private idb(b: Buffer, o: number, len: number): void {
    if (len < 20) {
      this.warnRecord(`pcapng interface description block at byte ${this.base} is too short (${len} bytes); ignored`);
      return;
    }
    const linktype = this.u16(b, o + 8);
    const snaplen = this.u32(b, o + 12);
    let name: string | undefined;
    let tsresol = 6;
    let offset = 0;
    const end = o + len - 4;
    let p = o + 16;
    while (p + 4 <= end) {
      const code = this.u16(b, p);
      const olen = this.u16(b, p + 2);
      if (code === 0) break;
      const v = p + 4;
      if (v + olen > end) {
        this.warnRecord(`pcapng interface description block at byte ${this.base}: option ${code} overruns the block`);
        break;
      }
      if (code === 2) {
        let e = v + olen;
        while (e > v && b[e - 1] === 0) e--;
        name = b.toString('utf8', v, e);
      } else if (code === 9 && olen >= 1) {
        tsresol = b[v];
      } else if (code === 14 && olen >= 8) {
        offset = Number(this.le ? b.readBigInt64LE(v) : b.readBigInt64BE(v));
      }
      p = v + ((olen + 3) & ~3);
    }
    const iface = makeIf(linktype, snaplen, name, tsresol, offset);
    const index = this.ifs.length;
    this.ifs.push(iface);
    this.interfaces.push(iface.pub);
    const cb = this.opts.onInterface;
    if (cb) cb(index, iface.pub);
  }

  /** Enhanced Packet Block, and the obsolete Packet Block (same layout, 16-bit interface id). */
  private epb(b: Buffer, o: number, len: number, ifid: number): boolean {
    if (len < 32) {
      this.warnRecord(`packet block at byte ${this.base} is too short (${len} bytes); skipped`);
      return true;
    }
    if (ifid >= this.ifs.length) {
      this.warnRecord(`packet block at byte ${this.base} refers to interface ${ifid}, which is not defined; skipped`);
      return true;
    }
    const f = this.ifs[ifid];
    const rec = this.rec;
    let hi: number;
    let lo: number;
    let caplen: number;
    if (this.le) {
      hi = le32(b, o + 12);
      lo = le32(b, o + 16);
      caplen = le32(b, o + 20);
      rec.len = le32(b, o + 24);
    } else {
      hi = be32(b, o + 12);
      lo = be32(b, o + 16);
      caplen = be32(b, o + 20);
      rec.len = be32(b, o + 24);
    }
    const room = len - 32;
    if (caplen > room) {
      this.warnRecord(
        `packet record at byte ${this.base} claims caplen ${caplen}, more than its block holds (${room}); truncated to ${room}`,
      );
      caplen = room;
    }
    const div = f.div;
    if (div !== 0) {
      let sec: number;
      let rem: number;
      if (hi < 0x200000) {
        // value < 2^53: exact in a double, and so is floor(value / div).
        const ts = hi * 4294967296 + lo;
        sec = Math.floor(ts / div);
        rem = ts - sec * div;
      } else {
        // Long division of hi:lo by div (< 2^30) in 32 + 16 + 16 bit steps; every step stays < 2^53.
        const qh = Math.floor(hi / div);
        const x = (hi - qh * div) * 65536 + (lo >>> 16);
        const q1 = Math.floor(x / div);
        const y = (x - q1 * div) * 65536 + (lo & 0xffff);
        const q0 = Math.floor(y / div);
        sec = qh * 4294967296 + q1 * 65536 + q0;
        rem = y - q0 * div;
      }
      rec.tsSec = sec + f.offset;
      rec.tsNsec = rem * f.mult;
    } else {
      this.bigTs(f, hi, lo);
    }
    rec.n = ++this.packets;
    rec.iface = ifid;
    rec.linktype = f.pub.linktype;
    rec.tsDigits = f.pub.tsDigits;
    rec.caplen = caplen;
    rec.buf = b;
    rec.off = o + 28;
    rec.view = null;
    rec.pos = this.base + (rec.off - o);
    return this.onRecord(rec) !== false;
  }

  /** Timestamp with a power-of-2 or finer-than-ns resolution: exact via BigInt. */
  private bigTs(f: IfState, hi: number, lo: number): void {
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    const sec = ts / f.bigDiv;
    const rem = ts - sec * f.bigDiv;
    this.rec.tsSec = Number(sec) + f.offset;
    this.rec.tsNsec = Number((rem * 1000000000n) / f.bigDiv);
  }

  private spb(b: Buffer, o: number, len: number): boolean {
    if (len < 16) {
      this.warnRecord(`simple packet block at byte ${this.base} is too short (${len} bytes); skipped`);
      return true;
    }
    if (this.ifs.length === 0) {
      this.warnRecord(`simple packet block at byte ${this.base} appears before any interface description; skipped`);
      return true;
    }
    const f = this.ifs[0];
    const rec = this.rec;
    const olen = this.u32(b, o + 8);
    let caplen = len - 16;
    if (olen < caplen) caplen = olen;
    const snap = f.pub.snaplen;
    if (snap !== 0 && snap < caplen) caplen = snap;
    rec.n = ++this.packets;
    rec.iface = 0;
    rec.linktype = f.pub.linktype;
    rec.tsSec = 0;
    rec.tsNsec = 0;
    rec.tsDigits = f.pub.tsDigits;
    rec.caplen = caplen;
    rec.len = olen;
    rec.buf = b;
    rec.off = o + 12;
    rec.view = null;
    rec.pos = this.base + (rec.off - o);
    return this.onRecord(rec) !== false;
  }
}

// ---------------------------------------------------------------------------------------------
// Input drivers

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : '';
}

function reason(e: unknown): string {
  switch (errCode(e)) {
    case 'ENOENT': return 'no such file';
    case 'EISDIR': return 'is a directory';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    default: {
      const m = e instanceof Error ? e.message : String(e);
      return m.split('\n')[0];
    }
  }
}

function readError(name: string, e: unknown): CaptureInputError {
  if (e instanceof CaptureInputError) return e;
  return new CaptureInputError(`cannot read ${name}: ${reason(e)}`);
}

function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(String(v), 'latin1');
}

async function readInto(fh: FileHandle, buf: Buffer, off: number, name: string): Promise<number> {
  try {
    const r = await fh.read(buf, off, buf.length - off, null);
    return r.bytesRead;
  } catch (e) {
    throw readError(name, e);
  }
}

async function* fileChunks(fh: FileHandle, first: Buffer, name: string, onProgress?: (n: number) => void): AsyncGenerator<Buffer> {
  yield first;
  let total = first.length;
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK);
    const n = await readInto(fh, buf, 0, name);
    if (n === 0) return;
    total += n;
    onProgress?.(total);
    yield n === CHUNK ? buf : buf.subarray(0, n);
  }
}

async function* streamChunks(
  prefix: Buffer[],
  it: AsyncIterator<unknown>,
  done: boolean,
  name: string,
): AsyncGenerator<Buffer> {
  try {
    for (const b of prefix) yield b;
    if (done) return;
    for (;;) {
      let r: IteratorResult<unknown>;
      try {
        r = await it.next();
      } catch (e) {
        throw readError(name, e);
      }
      if (r.done) return;
      yield toBuffer(r.value);
    }
  } finally {
    if (!done && it.return) await it.return();
  }
}

async function runGzip(src: AsyncIterable<Buffer>, parser: Parser, name: string): Promise<ReadSummary> {
  const gz = createGunzip({ chunkSize: CHUNK });
  pipeline(Readable.from(src, { objectMode: false }), gz, () => {});
  const it = gz[Symbol.asyncIterator]();
  let cut = false;
  for (;;) {
    let r: IteratorResult<Buffer>;
    try {
      r = await it.next();
    } catch (e) {
      if (e instanceof CaptureInputError) throw e;
      const code = errCode(e);
      if (code === 'Z_BUF_ERROR') {
        cut = true;
        break;
      }
      if (code.startsWith('Z_')) {
        throw new CaptureInputError(`${name}: corrupt gzip data (${reason(e)})`);
      }
      throw readError(name, e);
    }
    if (r.done) break;
    if (!parser.feed(r.value)) {
      gz.destroy();
      return { ...parser.summary(), compression: 'gzip' };
    }
  }
  parser.finish(cut);
  return { ...parser.summary(), compression: 'gzip' };
}

function isGzip(a: number, b: number): boolean {
  return a === 0x1f && b === 0x8b;
}

async function runFile(fh: FileHandle, name: string, parser: Parser, onProgress?: (n: number) => void): Promise<ReadSummary> {
  const buf = takeChunk();
  let got = 0;
  for (;;) {
    const n = await readInto(fh, buf, got, name);
    got += n;
    if (n === 0 || got >= 2) break;
  }
  if (got >= 2 && isGzip(buf[0], buf[1])) {
    return runGzip(fileChunks(fh, buf.subarray(0, got), name, onProgress), parser, name);
  }
  // Plain capture: two reused chunk buffers, so the next read runs while this chunk is parsed; the parser
  // copies whatever straddles a chunk boundary into its carry before feed() returns.
  const bufs = [buf, takeChunk()];
  try {
    let cur = 0;
    let total = got;
    while (got > 0) {
      onProgress?.(total);
      const next = readInto(fh, bufs[cur ^ 1], 0, name);
      if (!parser.feed(bufs[cur].subarray(0, got))) {
        await next.catch(() => 0);
        return parser.summary();
      }
      got = await next;
      total += got;
      cur ^= 1;
    }
    parser.finish(false);
    return parser.summary();
  } finally {
    giveChunks(bufs);
  }
}

/** runFile with blocking reads into one chunk buffer; a gzip file is handed to the streaming path. */
function runFileBlocking(fd: number, name: string, parser: Parser, onProgress?: (n: number) => void): ReadSummary | 'gzip' {
  const buf = takeChunk();
  try {
    const readAt = (off: number): number => {
      try {
        return readSync(fd, buf, off, buf.length - off, null);
      } catch (e) {
        throw readError(name, e);
      }
    };
    let got = 0;
    for (;;) {
      const n = readAt(got);
      got += n;
      if (n === 0 || got >= 2) break;
    }
    if (got >= 2 && isGzip(buf[0], buf[1])) return 'gzip';
    let total = got;
    while (got > 0) {
      onProgress?.(total);
      if (!parser.feed(buf.subarray(0, got))) return parser.summary();
      got = readAt(0);
      total += got;
    }
    parser.finish(false);
    return parser.summary();
  } finally {
    giveChunks([buf]);
  }
}

/** The next chunk of a stream; read errors become one-line input errors. */
async function nextChunk(it: AsyncIterator<unknown>, name: string): Promise<IteratorResult<unknown>> {
  try {
    return await it.next();
  } catch (e) {
    throw readError(name, e);
  }
}

async function runStream(stream: NodeJS.ReadableStream, name: string, parser: Parser): Promise<ReadSummary> {
  const it = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const prefix: Buffer[] = [];
  let plen = 0;
  let done = false;
  let handedOff = false;
  try {
    while (plen < 2) {
      const r = await nextChunk(it, name);
      if (r.done) {
        done = true;
        break;
      }
      const b = toBuffer(r.value);
      if (b.length > 0) {
        prefix.push(b);
        plen += b.length;
      }
    }
    if (plen >= 2 && isGzip(prefix[0][0], prefix[0].length > 1 ? prefix[0][1] : prefix[1][0])) {
      handedOff = true;
      return await runGzip(streamChunks(prefix, it, done, name), parser, name);
    }
    for (const b of prefix) {
      if (!parser.feed(b)) return parser.summary();
    }
    while (!done) {
      const r = await nextChunk(it, name);
      if (r.done) {
        done = true;
        break;
      }
      if (!parser.feed(toBuffer(r.value))) return parser.summary();
    }
    parser.finish(false);
    return parser.summary();
  } finally {
    if (!done && !handedOff && it.return) await it.return();
  }
}

/**
 * Calls onRecord for every packet in order; onRecord may return false to stop early.
 * Throws CaptureInputError for missing/unreadable files and data that is not a capture.
 * The record object and its `data` are reused/overwritten after onRecord returns.
 */
export async function readCapture(
  source: string,
  onRecord: (rec: CaptureRecord) => boolean | void,
  opts: ReadOptions = {},
): Promise<ReadSummary> {
  if (source === '-') return runStream(process.stdin, 'stdin', new Parser('stdin', onRecord, opts));
  if (opts.blockingReads) return readCaptureBlocking(source, onRecord, opts);
  return readFileAsync(source, new Parser(source, onRecord, opts), opts.onProgress);
}

/** Opens the file and runs it through the parser with asynchronous reads. */
async function readFileAsync(source: string, parser: Parser, onProgress?: (n: number) => void): Promise<ReadSummary> {
  let fh: FileHandle;
  try {
    fh = await open(source, 'r');
  } catch (e) {
    throw openError(source, e);
  }
  try {
    return await runFile(fh, source, parser, onProgress);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function openError(source: string, e: unknown): CaptureInputError {
  const code = errCode(e);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new CaptureInputError(`cannot open ${source}: no such file`);
  return readError(source, e);
}

async function readCaptureBlocking(source: string, onRecord: RecordCallback, opts: ReadOptions): Promise<ReadSummary> {
  let fd: number;
  try {
    fd = openSync(source, 'r');
  } catch (e) {
    throw openError(source, e);
  }
  const parser = new Parser(source, onRecord, opts);
  let done: ReadSummary | 'gzip';
  try {
    done = runFileBlocking(fd, source, parser, opts.onProgress);
  } finally {
    closeSync(fd);
  }
  if (done !== 'gzip') return done;
  // gzip: decompression streams anyway, so it is read the asynchronous way from the start.
  return readFileAsync(source, parser, opts.onProgress);
}

/** Same, from an already-open Readable (for tests and live use). The stream is consumed (and destroyed on early stop). */
export async function readCaptureStream(
  stream: NodeJS.ReadableStream,
  onRecord: (rec: CaptureRecord) => boolean | void,
  opts: ReadOptions = {},
): Promise<ReadSummary> {
  return runStream(stream, 'input', new Parser('input', onRecord, opts));
}
