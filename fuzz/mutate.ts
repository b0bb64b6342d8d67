/**
 * The mutation fuzzer's case generator. Case `index` of run `seed` is a pure function of (corpus, seed, index):
 *
 *  1. a window of records from one real capture (its first packets, where the handshakes are, plus a run from
 *     anywhere, often around MPTCP packets), or rarely a whole small capture file as it is on disk;
 *  2. record-level changes: reordered, duplicated, dropped records, records spliced from another capture,
 *     random TCP/MPTCP options, shifted sequence numbers and timestamps, another link type, snaplen cuts,
 *     IPv4 options, IPv6 extension headers, VLAN tags, random payload;
 *  3. written as pcap (either byte order, µs/ns, modified) or pcapng (byte orders, timestamp resolutions and
 *     offsets, one or two interfaces, EPB/SPB/PB, unknown blocks, two sections);
 *  4. byte-level and field-level lies: bit flips, truncation anywhere, pcap caplen above snaplen or near 4 GiB,
 *     pcapng block lengths, IP total length, IHL, IPv6 payload length, TCP data offset, MPTCP option lengths
 *     0/1/2/255, random option bytes, inserted, deleted and duplicated byte ranges;
 *  5. rarely gzip-compressed (sometimes with the compressed stream cut short).
 */
import { gzipSync } from 'node:zlib';
import { Rng } from './rng.js';
import { layoutOf, type Corpus, type SeedCapture } from './corpus.js';
import { writeCapture, type Field, type FieldKind, type Style, type WriteRecord } from './writer.js';

export interface FuzzCase {
  index: number;
  bytes: Buffer;
  /** What was done, in order (for the crash note). */
  steps: string[];
}

// ---------------------------------------------------------------------------------------------
// Link layers

const LINKTYPES = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276] as const;

/** A link header of `linktype` for an IP packet of `ipVersion` (random choices where formats allow several). */
function linkHeader(rng: Rng, linktype: number, ipVersion: number): Buffer {
  const v6 = ipVersion === 6;
  const ethertype = v6 ? 0x86dd : 0x0800;
  switch (linktype) {
    case 1: {
      const tags = rng.chance(0.2) ? rng.range(1, 3) : 0;
      const h = Buffer.alloc(14 + tags * 4);
      rng.bytes(12).copy(h, 0);
      for (let t = 0; t < tags; t++) {
        h.writeUInt16BE(rng.pick([0x8100, 0x88a8, 0x9100]), 12 + t * 4);
        h.writeUInt16BE(rng.int(4096), 14 + t * 4);
      }
      h.writeUInt16BE(ethertype, 12 + tags * 4);
      return h;
    }
    case 0: {
      const h = Buffer.alloc(4);
      const af = v6 ? rng.pick([10, 24, 28, 30]) : 2;
      if (rng.chance(0.5)) h.writeUInt32LE(af); else h.writeUInt32BE(af);
      return h;
    }
    case 108: {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(v6 ? rng.pick([10, 24, 28, 30]) : 2);
      return h;
    }
    case 9:
    case 50: {
      const proto = v6 ? 0x57 : 0x21;
      const hdlc = rng.chance(0.5) ? [0xff, 0x03] : [];
      return Buffer.from(rng.chance(0.3) ? [...hdlc, proto] : [...hdlc, 0x00, proto]);
    }
    case 113: {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(rng.int(5), 0);
      h.writeUInt16BE(1, 2);
      h.writeUInt16BE(6, 4);
      rng.bytes(6).copy(h, 6);
      h.writeUInt16BE(ethertype, 14);
      return h;
    }
    case 276: {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(ethertype, 0);
      h.writeUInt32BE(rng.range(1, 8), 4);
      h.writeUInt16BE(1, 8);
      h[10] = rng.int(5);
      h[11] = 6;
      rng.bytes(6).copy(h, 12);
      return h;
    }
    default:
      return Buffer.alloc(0);
  }
}

// ---------------------------------------------------------------------------------------------
// TCP options

/** A random MPTCP option: mostly at a length legal for its subtype, sometimes at any length. */
export function randomMptcpOption(rng: Rng): Buffer {
  const subtype = rng.weighted<number>([[4, 0], [3, 1], [6, 2], [3, 3], [2, 4], [2, 5], [1, 6], [1, 7], [1, 8], [1, 15], [1, rng.range(9, 14)]]);
  let len: number;
  let flags = rng.byte();
  let nibble = rng.chance(0.7) ? rng.int(2) : rng.int(16);
  if (rng.chance(0.1)) len = rng.range(0, 40);
  else {
    switch (subtype) {
      case 0: len = rng.pick([4, 12, 20, 22, 24]); nibble = rng.chance(0.8) ? rng.int(2) : rng.int(16); break;
      case 1: len = rng.pick([12, 16, 24]); break;
      case 2: {
        flags &= 0x1f;
        let n = 4;
        if (flags & 1) n += flags & 2 ? 8 : 4;
        if (flags & 4) n += (flags & 8 ? 8 : 4) + 6 + (rng.chance(0.3) ? 2 : 0);
        len = n;
        break;
      }
      case 3:
        if (rng.chance(0.3)) { nibble = rng.pick([4, 6]); len = nibble === 4 ? rng.pick([8, 10]) : rng.pick([20, 22]); }
        else len = rng.pick([8, 10, 16, 18, 20, 22, 28, 30]);
        break;
      case 4: len = rng.range(4, 12); break;
      case 5: len = rng.pick([3, 4]); break;
      case 8: len = 4; break;
      case 6:
      case 7: len = 12; break;
      default: len = rng.range(3, 20);
    }
  }
  const b = rng.bytes(Math.max(len, 2));
  b[0] = 30;
  b[1] = len;
  if (b.length > 2) b[2] = (subtype << 4) | nibble;
  if (b.length > 3) b[3] = flags;
  return b;
}

function randomTcpOption(rng: Rng): Buffer {
  switch (rng.int(9)) {
    case 0: return Buffer.from([1]);
    case 1: return Buffer.from([2, 4, rng.byte(), rng.byte()]);
    case 2: return Buffer.from([3, 3, rng.int(16)]);
    case 3: return Buffer.from([4, 2]);
    case 4: { const n = rng.range(1, 3); const b = rng.bytes(2 + 8 * n); b[0] = 5; b[1] = 2 + 8 * n; return b; }
    case 5: { const b = rng.bytes(10); b[0] = 8; b[1] = 10; return b; }
    case 6: return Buffer.from([0]);
    case 7: { const len = rng.range(0, 12); const b = rng.bytes(Math.max(2, len)); b[1] = len; return b; }
    default: return randomMptcpOption(rng);
  }
}

/** A TCP options area of up to 40 bytes (padded with NOPs to a multiple of 4). */
function randomOptions(rng: Rng): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  const count = rng.small(5, 0.5);
  for (let i = 0; i < count; i++) {
    const o = rng.chance(0.6) ? randomMptcpOption(rng) : randomTcpOption(rng);
    if (n + o.length > 40) break;
    parts.push(o);
    n += o.length;
  }
  while (n % 4) { parts.push(Buffer.from([1])); n++; }
  return Buffer.concat(parts, n);
}

// ---------------------------------------------------------------------------------------------
// Record-level changes

type Rec = WriteRecord;

function copyRec(r: Rec): Rec {
  return { tsSec: r.tsSec, tsNsec: r.tsNsec, len: r.len, linktype: r.linktype, data: r.data, layout: r.layout };
}

/** Replaces `data` and recomputes the layout (the frame was rebuilt structurally). */
function rebuilt(r: Rec, data: Buffer): Rec {
  return { ...r, data, len: r.len - r.data.length + data.length, layout: layoutOf(r.linktype, data) };
}

/** Rewrites the IP length field(s) of a frame after its IP payload changed by `delta` bytes. */
function fixIpLength(data: Buffer, l3: number, ipVersion: number, delta: number): void {
  if (ipVersion === 4 && l3 + 4 <= data.length) data.writeUInt16BE((data.readUInt16BE(l3 + 2) + delta) & 0xffff, l3 + 2);
  else if (ipVersion === 6 && l3 + 6 <= data.length) data.writeUInt16BE((data.readUInt16BE(l3 + 4) + delta) & 0xffff, l3 + 4);
}

function replaceOptions(rng: Rng, r: Rec): Rec | null {
  const L = r.layout;
  if (L.tcp < 0 || L.tcp + L.tcpHl > r.data.length) return null;
  const opts = randomOptions(rng);
  const before = r.data.subarray(0, L.tcp + 20);
  const after = r.data.subarray(L.tcp + L.tcpHl);
  const data = Buffer.concat([before, opts, after]);
  data[L.tcp + 12] = (((20 + opts.length) / 4) << 4) | (data[L.tcp + 12] & 0x0f);
  fixIpLength(data, L.l3, L.ipVersion, opts.length - (L.tcpHl - 20));
  return rebuilt(r, data);
}

function insertIpv4Options(rng: Rng, r: Rec): Rec | null {
  const L = r.layout;
  if (L.ipVersion !== 4 || L.tcp < 0) return null;
  const ihl = r.data[L.l3] & 0x0f;
  const words = rng.range(1, 15 - ihl);
  if (ihl >= 15 || words < 1) return null;
  const opts = rng.chance(0.5) ? Buffer.alloc(words * 4, 1) : rng.bytes(words * 4);
  const ipEnd = L.l3 + ihl * 4;
  const data = Buffer.concat([r.data.subarray(0, ipEnd), opts, r.data.subarray(ipEnd)]);
  data[L.l3] = (data[L.l3] & 0xf0) | (ihl + words);
  fixIpLength(data, L.l3, 4, words * 4);
  return rebuilt(r, data);
}

function insertIpv6Extension(rng: Rng, r: Rec): Rec | null {
  const L = r.layout;
  if (L.ipVersion !== 6 || L.l3 + 40 > r.data.length) return null;
  const type = rng.pick([0, 43, 60, 44, 51]);
  const next = r.data[L.l3 + 6];
  let ext: Buffer;
  if (type === 44) {
    ext = Buffer.alloc(8);
    ext.writeUInt16BE(rng.chance(0.8) ? rng.int(2) : rng.int(65536), 2); // offset 0 (+M bit) mostly
    ext.writeUInt32BE(rng.u32(), 4);
  } else if (type === 51) {
    const words = rng.range(1, 6); // AH: (len + 2) * 4 bytes
    ext = rng.bytes((words + 2) * 4);
    ext[1] = words;
  } else {
    const units = rng.range(0, 3); // (len + 1) * 8 bytes
    ext = Buffer.alloc((units + 1) * 8, 0);
    ext[1] = units;
    if (rng.chance(0.3)) rng.bytes(ext.length - 2).copy(ext, 2);
  }
  ext[0] = next;
  const data = Buffer.concat([r.data.subarray(0, L.l3 + 40), ext, r.data.subarray(L.l3 + 40)]);
  data[L.l3 + 6] = type;
  fixIpLength(data, L.l3, 6, ext.length);
  return rebuilt(r, data);
}

function relink(rng: Rng, recs: Rec[], linktype: number): Rec[] {
  return recs.map((r) => {
    if (r.layout.ipVersion === 0) return { ...r, linktype };
    const hdr = linkHeader(rng, linktype, r.layout.ipVersion);
    const data = Buffer.concat([hdr, r.data.subarray(r.layout.l3)]);
    return { ...r, linktype, data, len: Math.max(0, r.len - r.layout.l3) + hdr.length, layout: layoutOf(linktype, data) };
  });
}

function tcpField(r: Rec, rel: number, size: 1 | 4, fn: (v: number) => number): Rec | null {
  if (r.layout.tcp < 0 || r.layout.tcp + rel + size > r.data.length) return null;
  const data = Buffer.from(r.data);
  const off = r.layout.tcp + rel;
  if (size === 4) data.writeUInt32BE(fn(data.readUInt32BE(off)) >>> 0, off); else data[off] = fn(data[off]) & 0xff;
  return { ...r, data };
}

function pickIndex(rng: Rng, recs: Rec[]): number {
  return rng.int(recs.length);
}

/** One record-level change; returns a description (or '' when it did not apply). */
function recordOp(rng: Rng, recs: Rec[], corpus: Corpus): string {
  if (recs.length === 0) return '';
  const op = rng.weighted<string>([
    [6, 'swap'], [3, 'reverse'], [5, 'duplicate'], [4, 'drop'], [4, 'splice'], [10, 'options'], [4, 'seq'],
    [3, 'ack'], [3, 'flags'], [4, 'retime'], [3, 'snapcut'], [2, 'ip4opts'], [3, 'ip6ext'], [2, 'payload'],
  ]);
  const i = pickIndex(rng, recs);
  switch (op) {
    case 'swap': {
      const j = pickIndex(rng, recs);
      [recs[i], recs[j]] = [recs[j], recs[i]];
      return `swap records ${i} and ${j}`;
    }
    case 'reverse': {
      const j = Math.min(recs.length, i + rng.range(2, 8));
      recs.splice(i, j - i, ...recs.slice(i, j).reverse());
      return `reverse records ${i}..${j - 1}`;
    }
    case 'duplicate': {
      const j = rng.int(recs.length + 1);
      const times = rng.small(4);
      for (let k = 0; k < times; k++) recs.splice(j, 0, copyRec(recs[i]));
      return `duplicate record ${i} x${times} at ${j}`;
    }
    case 'drop': {
      if (recs.length < 2) return '';
      const n = Math.min(recs.length - 1, rng.small(4));
      recs.splice(i, n);
      return `drop ${n} records at ${i}`;
    }
    case 'splice': {
      const other = rng.pick(corpus.captures);
      const src = other.records[rng.int(other.records.length)];
      recs.splice(rng.int(recs.length + 1), 0, copyRec(src));
      return `splice a record of ${other.name}`;
    }
    case 'options': {
      const r = replaceOptions(rng, recs[i]);
      if (!r) return '';
      recs[i] = r;
      return `random options in record ${i}`;
    }
    case 'seq':
    case 'ack': {
      const delta = rng.chance(0.5) ? rng.range(-2000, 2000) : rng.u32();
      const r = tcpField(recs[i], op === 'seq' ? 4 : 8, 4, (v) => (rng.chance(0.2) ? rng.u32() : v + delta));
      if (!r) return '';
      recs[i] = r;
      return `${op} of record ${i} changed`;
    }
    case 'flags': {
      const r = tcpField(recs[i], 13, 1, (v) => (rng.chance(0.5) ? v ^ (1 << rng.int(8)) : rng.byte()));
      if (!r) return '';
      recs[i] = r;
      return `flags of record ${i} changed`;
    }
    case 'retime': {
      const r = recs[i];
      const how = rng.int(4);
      const tsSec = how === 0 ? rng.u32() : how === 1 ? r.tsSec - rng.range(1, 10) : how === 2 ? 0 : r.tsSec;
      recs[i] = { ...r, tsSec, tsNsec: how === 3 ? rng.int(1e9) : r.tsNsec };
      return `retime record ${i}`;
    }
    case 'snapcut': {
      const r = recs[i];
      if (r.data.length === 0) return '';
      const cut = rng.int(r.data.length);
      recs[i] = { ...r, data: r.data.subarray(0, cut) };
      return `cut record ${i} to ${cut} bytes`;
    }
    case 'ip4opts': {
      const r = insertIpv4Options(rng, recs[i]);
      if (!r) return '';
      recs[i] = r;
      return `IPv4 options in record ${i}`;
    }
    case 'ip6ext': {
      const r = insertIpv6Extension(rng, recs[i]);
      if (!r) return '';
      recs[i] = r;
      return `IPv6 extension header in record ${i}`;
    }
    case 'payload': {
      const r = recs[i];
      const L = r.layout;
      if (L.tcp < 0) return '';
      const start = L.tcp + L.tcpHl;
      if (start >= r.data.length) return '';
      const data = Buffer.from(r.data);
      for (let k = rng.small(8); k > 0; k--) data[rng.range(start, data.length - 1)] = rng.byte();
      recs[i] = { ...r, data };
      return `payload bytes of record ${i} changed`;
    }
    default:
      return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Byte-level and field-level changes on the written file

const FIELD_GROUPS: ReadonlyArray<readonly [number, readonly FieldKind[]]> = [
  [10, ['pcap.caplen', 'png.blocklen', 'png.blocktrail', 'png.epb.caplen']],
  [3, ['pcap.snaplen', 'pcap.linktype', 'pcap.magic', 'pcap.version', 'pcap.len', 'pcap.frac']],
  [4, ['png.type', 'png.shb.bom', 'png.shb.version', 'png.shb.seclen', 'png.idb.linktype', 'png.idb.snaplen',
    'png.opt.code', 'png.opt.len', 'png.tsresol', 'png.tsoffset', 'png.epb.ifid', 'png.epb.len', 'png.ts', 'png.spb.len']],
  [10, ['ip4.tl', 'ip4.ihl', 'ip6.plen', 'ip6.nh', 'ip4.frag', 'ip4.proto', 'link.type']],
  [6, ['tcp.doff', 'tcp.flags']],
  [14, ['opt.len', 'mptcp.subtype', 'mptcp.flags', 'mptcp.body', 'tcp.options', 'opt.kind']],
];

function readField(b: Buffer, f: Field): number {
  switch (f.size) {
    case 1: return b[f.off];
    case 2: return f.le ? b.readUInt16LE(f.off) : b.readUInt16BE(f.off);
    case 4: return f.le ? b.readUInt32LE(f.off) : b.readUInt32BE(f.off);
    default: return 0;
  }
}

function writeField(b: Buffer, f: Field, v: number): void {
  switch (f.size) {
    case 1: b[f.off] = v & 0xff; break;
    case 2: if (f.le) b.writeUInt16LE(v & 0xffff, f.off); else b.writeUInt16BE(v & 0xffff, f.off); break;
    case 4: if (f.le) b.writeUInt32LE(v >>> 0, f.off); else b.writeUInt32BE(v >>> 0, f.off); break;
    default: break;
  }
}

/** A lying value for a length-like field of `size` bytes currently holding `cur`. */
function lie(rng: Rng, size: number, cur: number, snaplen: number): number {
  if (size === 1) return rng.pick([0, 1, 2, 3, 4, 255, 254, 40, 41, 39, cur + 1, cur - 1, cur + 2, cur - 2, rng.byte(), rng.byte()]);
  if (size === 2) {
    return rng.pick([0, 1, 19, 20, 21, 39, 40, 41, 0xffff, 0x8000, 0x7fff, cur + 1, cur - 1, cur + 4, cur - 4, cur * 2, cur >> 1, rng.int(65536)]);
  }
  return rng.pick([
    0, 1, 2, 3, 4, 8, 11, 12, 16, 27, 28, 31, 32, 0xffffffff, 0xfffffffe, 0xfffffff0, 0x7fffffff, 0x80000000,
    0x40000000, 65535, 65536, 262143, 262144, 262145, 262144 + 65536, 262144 + 65537, 0x10000000, 0x10000004,
    snaplen + 1, snaplen + 100, cur + 1, cur - 1, cur + 4, cur - 4, cur + 8, cur * 2, cur >>> 1, rng.u32(),
  ]) >>> 0;
}

function fieldOp(rng: Rng, b: Buffer, fields: Field[], snaplen: number): string {
  const kinds = rng.weighted(FIELD_GROUPS);
  const cands = fields.filter((f) => kinds.includes(f.kind) && f.off + f.size <= b.length);
  if (cands.length === 0) return '';
  const f = rng.pick(cands);
  const cur = readField(b, f);
  switch (f.kind) {
    case 'ip4.ihl': {
      const v = rng.int(16);
      b[f.off] = (b[f.off] & 0xf0) | v;
      return `IPv4 IHL ${v} at ${f.off}`;
    }
    case 'tcp.doff': {
      const v = rng.int(16);
      b[f.off] = (b[f.off] & 0x0f) | (v << 4);
      return `TCP data offset ${v} at ${f.off}`;
    }
    case 'mptcp.subtype': {
      b[f.off] = rng.chance(0.5) ? (rng.int(16) << 4) | (b[f.off] & 0x0f) : rng.byte();
      return `MPTCP subtype byte ${b[f.off]} at ${f.off}`;
    }
    case 'mptcp.body':
    case 'tcp.options': {
      for (let i = 0; i < f.size; i++) if (rng.chance(0.5)) b[f.off + i] = rng.byte();
      return `random bytes in ${f.kind} at ${f.off} (${f.size} bytes)`;
    }
    case 'opt.len': {
      const v = rng.pick([0, 1, 2, 255, 3, cur + 1, cur - 1, cur + 2, cur + 4, rng.byte()]);
      b[f.off] = v & 0xff;
      return `option length ${v & 0xff} at ${f.off}`;
    }
    case 'png.shb.seclen': {
      const v = rng.pick([0n, 1n, -1n, 0x7fffffffffffffffn, BigInt(rng.u32())]);
      if (f.le) b.writeBigInt64LE(v, f.off); else b.writeBigInt64BE(v, f.off);
      return `section length ${v} at ${f.off}`;
    }
    case 'png.tsoffset': {
      const v = rng.pick([0n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, BigInt(rng.u32()) * 4096n, -BigInt(rng.u32())]);
      if (f.le) b.writeBigInt64LE(v, f.off); else b.writeBigInt64BE(v, f.off);
      return `if_tsoffset ${v} at ${f.off}`;
    }
    case 'png.tsresol': {
      const v = rng.pick([0, 1, 3, 6, 9, 10, 12, 19, 20, 63, 127, 0x80, 0x81, 0x8a, 0x94, 0x9e, 0xbf, 0xff, rng.byte()]);
      b[f.off] = v;
      return `if_tsresol ${v} at ${f.off}`;
    }
    case 'pcap.magic': {
      const v = rng.pick([0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34, 0x0a0d0d0a, rng.u32()]);
      writeField(b, f, v);
      return `pcap magic 0x${v.toString(16)}`;
    }
    case 'pcap.linktype':
    case 'png.idb.linktype': {
      const v = rng.chance(0.8) ? rng.pick(LINKTYPES) : rng.u32();
      writeField(b, f, v);
      return `${f.kind} ${v >>> 0} at ${f.off}`;
    }
    default: {
      const v = f.size === 8 ? 0 : lie(rng, f.size, cur, snaplen);
      writeField(b, f, v);
      return `${f.kind} ${cur} -> ${v >>> 0} at ${f.off}`;
    }
  }
}

/** A byte-level change; may return a new buffer (insertions, deletions). */
function byteOp(rng: Rng, b: Buffer, units: Array<[number, number]>): [Buffer, string, number] {
  if (b.length === 0) return [b, '', 0];
  const op = rng.weighted<string>([[8, 'flip'], [4, 'set'], [3, 'run'], [2, 'insert'], [2, 'delete'], [2, 'copy'], [1, 'append'], [2, 'unitdup']]);
  const at = rng.int(b.length);
  switch (op) {
    case 'flip': {
      const n = rng.small(8);
      for (let k = 0; k < n; k++) {
        const p = k === 0 ? at : rng.int(b.length);
        b[p] ^= 1 << rng.int(8);
      }
      return [b, `${n} bit flips from ${at}`, b.length];
    }
    case 'set':
      b[at] = rng.pick([0, 0xff, 0x7f, 0x80, 1, 2, 0x1e, 0x40, rng.byte()]);
      return [b, `byte ${at} = ${b[at]}`, b.length];
    case 'run': {
      const n = Math.min(b.length - at, rng.range(2, 32));
      rng.bytes(n).copy(b, at);
      return [b, `${n} random bytes at ${at}`, b.length];
    }
    case 'insert': {
      const ins = rng.chance(0.5) ? rng.bytes(rng.range(1, 16)) : Buffer.alloc(rng.pick([1, 2, 3, 4, 8]));
      return [Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]), `insert ${ins.length} bytes at ${at}`, at];
    }
    case 'delete': {
      const n = Math.min(b.length - at, rng.range(1, 16));
      return [Buffer.concat([b.subarray(0, at), b.subarray(at + n)]), `delete ${n} bytes at ${at}`, at];
    }
    case 'copy': {
      const n = Math.min(b.length - at, rng.range(4, 256));
      const to = rng.int(b.length);
      return [Buffer.concat([b.subarray(0, to), b.subarray(at, at + n), b.subarray(to)]), `copy ${n} bytes from ${at} to ${to}`, to];
    }
    case 'append':
      return [Buffer.concat([b, rng.bytes(rng.range(1, 64))]), 'append garbage', b.length];
    case 'unitdup': {
      if (units.length === 0) return [b, '', b.length];
      const [s, e] = rng.pick(units);
      const to = rng.pick(units)[0];
      if (e > b.length || to > b.length) return [b, '', b.length];
      return [Buffer.concat([b.subarray(0, to), b.subarray(s, e), b.subarray(to)]), `duplicate bytes of record ${s}..${e} at ${to}`, to];
    }
    default:
      return [b, '', b.length];
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

function randomStyle(rng: Rng, snaplen: number): Style {
  const snap = rng.chance(0.9) ? snaplen : rng.pick([0, 64, 96, 65535, 262144, rng.u32()]);
  if (rng.chance(0.55)) {
    const variant = rng.weighted<string>([[10, 'le'], [2, 'be'], [2, 'nano'], [1, 'mod']]);
    return { format: 'pcap', le: variant !== 'be' && !(variant === 'nano' && rng.chance(0.3)), nano: variant === 'nano', modified: variant === 'mod', snaplen: snap };
  }
  return {
    format: 'pcapng',
    le: rng.chance(0.8),
    tsresol: rng.weighted<number>([[8, 6], [3, 9], [1, 3], [1, 0x80 | rng.range(0, 40)], [1, rng.range(0, 20)]]),
    tsoffset: rng.chance(0.1) ? BigInt(rng.range(-2000000000, 2000000000)) : undefined,
    twoIfaces: rng.chance(0.25),
    blocks: rng.weighted<PngBlocks>([[10, 'epb'], [1, 'spb'], [1, 'pb'], [2, 'mixed']]),
    extraBlocks: rng.chance(0.2),
    sections: rng.chance(0.1) ? 2 : 1,
    flipSecond: rng.chance(0.5),
    snaplen: snap,
    ifName: rng.chance(0.3),
  };
}
type PngBlocks = 'epb' | 'spb' | 'pb' | 'mixed';

function windowOf(rng: Rng, cap: SeedCapture): Rec[] {
  const recs = cap.records;
  const head = Math.min(recs.length, rng.weighted<number>([[1, 0], [2, rng.range(1, 4)], [4, rng.range(4, 10)], [1, rng.range(10, 30)]]));
  const out: Rec[] = recs.slice(0, head).map(copyRec);
  const w = rng.weighted<number>([[4, rng.range(1, 8)], [4, rng.range(8, 32)], [1, rng.range(32, 120)]]);
  let start: number;
  if (cap.mptcpRecords.length > 0 && rng.chance(0.6)) start = Math.max(0, rng.pick(cap.mptcpRecords) - rng.int(4));
  else start = rng.int(recs.length);
  if (start >= head || rng.chance(0.3)) for (const r of recs.slice(start, start + w)) out.push(copyRec(r));
  return out;
}

/** Largest raw capture fed whole (bigger ones only through windows, to keep cases fast). */
const RAW_MAX = 64 * 1024;

export function makeCase(corpus: Corpus, seed: number, index: number): FuzzCase {
  const rng = new Rng(seed, index);
  const steps: string[] = [];
  let bytes: Buffer;
  let fields: Field[] = [];
  let units: Array<[number, number]> = [];
  let snaplen = 262144;
  const cap = rng.pick(corpus.captures);
  if (rng.chance(0.01) && cap.raw.length <= RAW_MAX) {
    bytes = Buffer.from(cap.raw);
    steps.push(`whole file ${cap.name}`);
  } else {
    let recs = windowOf(rng, cap);
    steps.push(`${recs.length} records of ${cap.name}`);
    snaplen = cap.snaplen;
    if (rng.chance(0.12)) {
      const lt = rng.pick(LINKTYPES);
      recs = relink(rng, recs, lt);
      steps.push(`re-encapsulated as link type ${lt}`);
    }
    const nOps = rng.weighted<number>([[3, 0], [4, 1], [3, 2], [2, rng.range(3, 8)]]);
    for (let k = 0; k < nOps; k++) {
      const d = recordOp(rng, recs, corpus);
      if (d) steps.push(d);
    }
    const style = randomStyle(rng, snaplen);
    steps.push(style.format === 'pcap'
      ? `pcap ${style.le ? 'LE' : 'BE'}${style.nano ? ' ns' : ''}${style.modified ? ' modified' : ''} snaplen ${style.snaplen}`
      : `pcapng ${style.le ? 'LE' : 'BE'} tsresol ${style.tsresol}${style.tsoffset !== undefined ? ` tsoffset ${style.tsoffset}` : ''} ${style.blocks}${style.twoIfaces ? ' two interfaces' : ''}${style.extraBlocks ? ' extra blocks' : ''}${style.sections === 2 ? ` two sections${style.flipSecond ? ' (byte order flipped)' : ''}` : ''}`);
    const w = writeCapture(recs, style);
    bytes = w.bytes;
    fields = w.fields;
    units = w.units;
  }
  const nMut = rng.weighted<number>([[2, 0], [5, 1], [3, 2], [2, rng.range(3, 6)], [1, rng.range(6, 16)]]);
  for (let k = 0; k < nMut; k++) {
    if (fields.length > 0 && rng.chance(0.55)) {
      const d = fieldOp(rng, bytes, fields, snaplen);
      if (d) steps.push(d);
    } else {
      const [nb, d, shiftFrom] = byteOp(rng, bytes, units);
      // Insertions and deletions shift everything after them: forget the fields and records there.
      if (nb !== bytes) {
        fields = fields.filter((f) => f.off + f.size <= shiftFrom);
        units = units.filter((u) => u[1] <= shiftFrom);
      }
      bytes = nb;
      if (d) steps.push(d);
    }
  }
  if (bytes.length > 0 && rng.chance(0.12)) {
    const at = rng.int(bytes.length);
    bytes = bytes.subarray(0, at);
    steps.push(`truncated at byte ${at}`);
  }
  if (rng.chance(0.02)) {
    let gz = gzipSync(bytes, { level: 1 });
    if (rng.chance(0.25)) gz = gz.subarray(0, rng.int(gz.length));
    else if (rng.chance(0.1)) { gz = Buffer.from(gz); gz[rng.range(10, Math.max(10, gz.length - 1))] ^= 0xff; }
    steps.push(`gzip (${gz.length} bytes)`);
    bytes = gz;
  }
  return { index, bytes, steps };
}
