/**
 * Small builders for synthetic captures (pcap, raw IP link type by default) and helpers to cut and
 * grow real pcap files. Everything here is big-endian on the wire and little-endian in pcap headers.
 */

export interface PcapPacket {
  data: Buffer;
  sec?: number;
  /** Microseconds, or nanoseconds when the file is written with `nano`. */
  frac?: number;
  /** Original length (default: data length). */
  len?: number;
}

export interface PcapFileOptions {
  /** LINKTYPE_* (default 101, raw IP). */
  linktype?: number;
  nano?: boolean;
  snaplen?: number;
}

/** A little-endian pcap file holding `packets`. */
export function pcapFile(packets: PcapPacket[], opts: PcapFileOptions = {}): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(opts.snaplen ?? 262144, 16);
  head.writeUInt32LE(opts.linktype ?? 101, 20);
  const parts: Buffer[] = [head];
  packets.forEach((p, i) => {
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(p.sec ?? 1700000000 + i, 0);
    rh.writeUInt32LE(p.frac ?? 0, 4);
    rh.writeUInt32LE(p.data.length, 8);
    rh.writeUInt32LE(p.len ?? p.data.length, 12);
    parts.push(rh, p.data);
  });
  return Buffer.concat(parts);
}

/** Byte offsets at which each record (16-byte header + data) of a µs/ns pcap file starts. */
export function pcapRecordOffsets(file: Buffer): number[] {
  const magic = file.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && magic !== 0xd4c3b2a1 && magic !== 0x4d3cb2a1) throw new Error('not a plain pcap file');
  const offsets: number[] = [];
  for (let off = 24; off + 16 <= file.length; ) {
    offsets.push(off);
    off += 16 + (le ? file.readUInt32LE(off + 8) : file.readUInt32BE(off + 8));
  }
  return offsets;
}

/** The pcap file with all its records repeated `times` times (timestamps repeat too). */
export function repeatPcap(file: Buffer, times: number): Buffer {
  const body = file.subarray(24);
  return Buffer.concat([file.subarray(0, 24), ...Array.from({ length: times }, () => body)]);
}

function ip4(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

function ip6(a: string): Buffer {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** An IPv4 header + payload. `fragOffset` is in 8-byte units. */
export function ipv4(src: string, dst: string, protocol: number, payload: Buffer, opts: { fragOffset?: number } = {}): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE((opts.fragOffset ?? 0) & 0x1fff, 6);
  h[8] = 64;
  h[9] = protocol;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  return Buffer.concat([h, payload]);
}

/** An IPv6 header + payload (no extension headers). */
export function ipv6(src: string, dst: string, nextHeader: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(payload.length, 4);
  h[6] = nextHeader;
  h[7] = 64;
  ip6(src).copy(h, 8);
  ip6(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

export interface TcpSpec {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** Flags byte (default 0x10, ACK). */
  flags?: number;
  win?: number;
  /** Raw option bytes; padded with NOPs to a multiple of 4. */
  options?: Buffer;
  payload?: Buffer;
  /** Override the data offset field (in 32-bit words). */
  dataOffsetWords?: number;
}

/** A TCP header + payload (checksum left 0). */
export function tcp(s: TcpSpec): Buffer {
  let opts = s.options ?? Buffer.alloc(0);
  if (opts.length % 4 !== 0) opts = Buffer.concat([opts, Buffer.alloc(4 - (opts.length % 4), 1)]);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(s.sport ?? 40000, 0);
  h.writeUInt16BE(s.dport ?? 5201, 2);
  h.writeUInt32BE((s.seq ?? 1000) >>> 0, 4);
  h.writeUInt32BE((s.ack ?? 2000) >>> 0, 8);
  h[12] = (s.dataOffsetWords ?? (20 + opts.length) / 4) << 4;
  h[13] = s.flags ?? 0x10;
  h.writeUInt16BE(s.win ?? 512, 14);
  return Buffer.concat([h, opts, s.payload ?? Buffer.alloc(0)]);
}

/** One TCP option: kind, length (= 2 + body length unless given) and body. */
export function tcpOption(kind: number, body: number[] | Buffer, length?: number): Buffer {
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from([kind, length ?? b.length + 2]), b]);
}

/** An MPTCP option (kind 30); `body` starts with the subtype/flags byte. */
export function mptcpOption(body: number[] | Buffer, length?: number): Buffer {
  return tcpOption(30, body, length);
}

/** Bytes of a hex string. */
export function hexBytes(hex: string): number[] {
  return [...Buffer.from(hex, 'hex')];
}
