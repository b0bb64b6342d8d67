/**
 * Writes fuzz seeds as pcap or pcapng in many styles (byte orders, µs/ns/power-of-two timestamps, modified pcap,
 * several interfaces and sections, simple and obsolete packet blocks, unknown blocks) and records where every
 * length field lives, so the mutator can make exactly those lie.
 */
import type { PacketLayout, SeedRecord } from './corpus.js';

export type FieldKind =
  | 'pcap.magic' | 'pcap.version' | 'pcap.snaplen' | 'pcap.linktype' | 'pcap.caplen' | 'pcap.len' | 'pcap.frac'
  | 'png.type' | 'png.blocklen' | 'png.blocktrail' | 'png.shb.bom' | 'png.shb.version' | 'png.shb.seclen'
  | 'png.idb.linktype' | 'png.idb.snaplen' | 'png.opt.code' | 'png.opt.len' | 'png.tsresol' | 'png.tsoffset'
  | 'png.epb.ifid' | 'png.epb.caplen' | 'png.epb.len' | 'png.ts' | 'png.spb.len'
  | 'link.type' | 'ip4.tl' | 'ip4.ihl' | 'ip4.frag' | 'ip4.proto' | 'ip6.plen' | 'ip6.nh'
  | 'tcp.doff' | 'tcp.flags' | 'tcp.seq' | 'tcp.ack' | 'tcp.options'
  | 'opt.kind' | 'opt.len' | 'mptcp.subtype' | 'mptcp.flags' | 'mptcp.body';

/** A field of the written file: `size` bytes at `off` (a region for tcp.options and mptcp.body). */
export interface Field {
  off: number;
  size: number;
  kind: FieldKind;
  le: boolean;
}

/** A record to write: the corpus's record shape (timestamps, lengths, link type, bytes and their layout). */
export type WriteRecord = SeedRecord;

export interface Written {
  bytes: Buffer;
  fields: Field[];
  /** [start, end) of every record or block, for truncation and reordering targets. */
  units: Array<[number, number]>;
}

export interface PcapStyle {
  format: 'pcap';
  le: boolean;
  nano: boolean;
  /** The old "modified" pcap (magic a1b2cd34) with 24-byte record headers. */
  modified: boolean;
  snaplen: number;
}

export interface PcapngStyle {
  format: 'pcapng';
  le: boolean;
  /** if_tsresol byte (6 is the default and then written as no option). */
  tsresol: number;
  /** if_tsoffset in seconds, when written. */
  tsoffset?: bigint;
  /** Two interfaces per link type, records alternating between them. */
  twoIfaces: boolean;
  /** Packet block type: enhanced (6), simple (3), obsolete packet block (2), or a mix. */
  blocks: 'epb' | 'spb' | 'pb' | 'mixed';
  /** Insert name resolution, statistics, custom and unknown blocks between packets. */
  extraBlocks: boolean;
  /** Start a second section half-way (with the other byte order when `flipSecond`). */
  sections: 1 | 2;
  flipSecond: boolean;
  snaplen: number;
  /** Write an if_name option. */
  ifName: boolean;
}

export type Style = PcapStyle | PcapngStyle;

class Out {
  private parts: Buffer[] = [];
  pos = 0;
  readonly fields: Field[] = [];
  /** 32-bit values to write once the buffer is assembled (block lengths known only at the block's end). */
  readonly patches: Array<{ off: number; value: number; le: boolean }> = [];
  le = true;

  u8(v: number, kind?: FieldKind): void {
    if (kind) this.fields.push({ off: this.pos, size: 1, kind, le: this.le });
    const b = Buffer.allocUnsafe(1);
    b[0] = v & 0xff;
    this.push(b);
  }

  u16(v: number, kind?: FieldKind): void {
    if (kind) this.fields.push({ off: this.pos, size: 2, kind, le: this.le });
    const b = Buffer.allocUnsafe(2);
    if (this.le) b.writeUInt16LE(v & 0xffff); else b.writeUInt16BE(v & 0xffff);
    this.push(b);
  }

  u32(v: number, kind?: FieldKind): void {
    if (kind) this.fields.push({ off: this.pos, size: 4, kind, le: this.le });
    const b = Buffer.allocUnsafe(4);
    if (this.le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0);
    this.push(b);
  }

  i64(v: bigint, kind?: FieldKind): void {
    if (kind) this.fields.push({ off: this.pos, size: 8, kind, le: this.le });
    const b = Buffer.allocUnsafe(8);
    if (this.le) b.writeBigInt64LE(BigInt.asIntN(64, v)); else b.writeBigInt64BE(BigInt.asIntN(64, v));
    this.push(b);
  }

  push(b: Buffer): void {
    this.parts.push(b);
    this.pos += b.length;
  }

  /** Packet bytes: registers the IP/TCP/MPTCP fields found in its layout. */
  packet(data: Buffer, layout: PacketLayout): void {
    const base = this.pos;
    const add = (rel: number, size: number, kind: FieldKind, le = false): void => {
      if (rel >= 0 && rel + size <= data.length) this.fields.push({ off: base + rel, size, kind, le });
    };
    // The two bytes before the network header: the ethertype for Ethernet and Linux SLL, the PPP protocol.
    if (layout.l3 >= 2) add(layout.l3 - 2, 2, 'link.type');
    if (layout.ipVersion === 4) {
      add(layout.l3, 1, 'ip4.ihl');
      add(layout.l3 + 2, 2, 'ip4.tl');
      add(layout.l3 + 6, 2, 'ip4.frag');
      add(layout.l3 + 9, 1, 'ip4.proto');
    } else if (layout.ipVersion === 6) {
      add(layout.l3 + 4, 2, 'ip6.plen');
      add(layout.l3 + 6, 1, 'ip6.nh');
    }
    if (layout.tcp >= 0) {
      add(layout.tcp + 4, 4, 'tcp.seq');
      add(layout.tcp + 8, 4, 'tcp.ack');
      add(layout.tcp + 12, 1, 'tcp.doff');
      add(layout.tcp + 13, 1, 'tcp.flags');
      if (layout.tcpHl > 20) add(layout.tcp + 20, Math.min(layout.tcpHl - 20, data.length - layout.tcp - 20), 'tcp.options');
      for (const o of layout.options) {
        add(o.off, 1, 'opt.kind');
        add(o.off + 1, 1, 'opt.len');
        if (o.kind === 30 && o.len >= 3) {
          add(o.off + 2, 1, 'mptcp.subtype');
          if (o.len >= 4) add(o.off + 3, 1, 'mptcp.flags');
          add(o.off + 2, o.len - 2, 'mptcp.body');
        }
      }
    }
    this.push(data);
  }

  pad4(): void {
    const p = (4 - (this.pos % 4)) % 4;
    if (p) this.push(Buffer.alloc(p));
  }

  done(): Buffer {
    return Buffer.concat(this.parts, this.pos);
  }
}

function writePcap(recs: WriteRecord[], s: PcapStyle): Written {
  const o = new Out();
  o.le = s.le;
  const units: Array<[number, number]> = [];
  const magic = s.modified ? 0xa1b2cd34 : s.nano ? 0xa1b23c4d : 0xa1b2c3d4;
  o.u32(magic, 'pcap.magic');
  o.u16(2, 'pcap.version');
  o.u16(4, 'pcap.version');
  o.u32(0);
  o.u32(0);
  o.u32(s.snaplen, 'pcap.snaplen');
  o.u32(recs.length > 0 ? recs[0].linktype : 1, 'pcap.linktype');
  for (const r of recs) {
    const start = o.pos;
    o.u32(r.tsSec);
    o.u32(s.nano && !s.modified ? r.tsNsec : Math.floor(r.tsNsec / 1000), 'pcap.frac');
    o.u32(r.data.length, 'pcap.caplen');
    o.u32(r.len, 'pcap.len');
    if (s.modified) {
      o.u32(0);
      o.u16(0x0800);
      o.u8(0);
      o.u8(0);
    }
    o.packet(r.data, r.layout);
    units.push([start, o.pos]);
  }
  return { bytes: o.done(), fields: o.fields, units };
}

function tsUnits(tsresol: number, sec: number, nsec: number): bigint {
  const perSec = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
  return BigInt(sec) * perSec + (BigInt(nsec) * perSec) / 1_000_000_000n;
}

/** A pcapng block: type, total length, body from `body()`, trailing length. */
function block(o: Out, type: number, body: () => void, units?: Array<[number, number]>): void {
  const start = o.pos;
  o.u32(type, 'png.type');
  const lenOff = o.pos;
  o.u32(0, 'png.blocklen');
  body();
  o.pad4();
  const total = o.pos - start + 4;
  o.u32(total, 'png.blocktrail');
  o.patches.push({ off: lenOff, value: total, le: o.le });
  units?.push([start, o.pos]);
}

function writePcapng(recs: WriteRecord[], s: PcapngStyle): Written {
  const o = new Out();
  const units: Array<[number, number]> = [];
  const half = s.sections === 2 ? recs.length >> 1 : recs.length;

  const section = (list: WriteRecord[], le: boolean): void => {
    o.le = le;
    block(o, 0x0a0d0d0a, () => {
      o.u32(0x1a2b3c4d, 'png.shb.bom');
      o.u16(1, 'png.shb.version');
      o.u16(0, 'png.shb.version');
      o.i64(-1n, 'png.shb.seclen');
      o.u16(0);
      o.u16(0);
    });
    // Interfaces: one (or two) per link type, in order of first use.
    const ifaceOf = new Map<number, number>();
    let nIfaces = 0;
    for (const r of list) {
      if (ifaceOf.has(r.linktype)) continue;
      ifaceOf.set(r.linktype, nIfaces);
      const count = s.twoIfaces ? 2 : 1;
      for (let k = 0; k < count; k++) {
        block(o, 1, () => {
          o.u16(r.linktype, 'png.idb.linktype');
          o.u16(0);
          o.u32(s.snaplen, 'png.idb.snaplen');
          if (s.ifName) {
            const name = Buffer.from(`fuzz${nIfaces + k}`);
            o.u16(2, 'png.opt.code');
            o.u16(name.length, 'png.opt.len');
            o.push(name);
            o.pad4();
          }
          if (s.tsresol !== 6) {
            o.u16(9, 'png.opt.code');
            o.u16(1, 'png.opt.len');
            o.u8(s.tsresol, 'png.tsresol');
            o.pad4();
          }
          if (s.tsoffset !== undefined) {
            o.u16(14, 'png.opt.code');
            o.u16(8, 'png.opt.len');
            o.i64(s.tsoffset, 'png.tsoffset');
          }
          o.u16(0);
          o.u16(0);
        });
      }
      nIfaces += count;
    }
    list.forEach((r, i) => {
      const ifid = (ifaceOf.get(r.linktype) ?? 0) + (s.twoIfaces ? i & 1 : 0);
      const kind = s.blocks === 'mixed' ? (['epb', 'epb', 'pb', 'spb'] as const)[i % 4] : s.blocks;
      // A simple packet block belongs to interface 0: only usable when that is the record's interface.
      const useSpb = kind === 'spb' && ifid === 0;
      const ts = tsUnits(s.tsresol, r.tsSec - Number(s.tsoffset ?? 0n), r.tsNsec);
      const hi = Number((ts >> 32n) & 0xffffffffn);
      const lo = Number(ts & 0xffffffffn);
      if (useSpb) {
        block(o, 3, () => {
          o.u32(r.len, 'png.spb.len');
          o.packet(r.data, r.layout);
        }, units);
      } else if (kind === 'pb') {
        block(o, 2, () => {
          o.u16(ifid, 'png.epb.ifid');
          o.u16(0);
          o.u32(hi, 'png.ts');
          o.u32(lo, 'png.ts');
          o.u32(r.data.length, 'png.epb.caplen');
          o.u32(r.len, 'png.epb.len');
          o.packet(r.data, r.layout);
        }, units);
      } else {
        block(o, 6, () => {
          o.u32(ifid, 'png.epb.ifid');
          o.u32(hi, 'png.ts');
          o.u32(lo, 'png.ts');
          o.u32(r.data.length, 'png.epb.caplen');
          o.u32(r.len, 'png.epb.len');
          o.packet(r.data, r.layout);
          if (i % 3 === 1) {
            // opt_comment, then end of options.
            const c = Buffer.from('fuzz comment');
            o.u16(1, 'png.opt.code');
            o.u16(c.length, 'png.opt.len');
            o.push(c);
            o.pad4();
            o.u16(0);
            o.u16(0);
          }
        }, units);
      }
      if (s.extraBlocks && i % 5 === 2) {
        const type = [4, 5, 0x00000bad, 0x40000bad, 0x12345678][i % 5];
        block(o, type, () => {
          o.u32(0);
          o.push(Buffer.from('extra block body'));
        }, units);
      }
    });
  };

  section(recs.slice(0, half), s.le);
  if (s.sections === 2) section(recs.slice(half), s.flipSecond ? !s.le : s.le);
  const bytes = o.done();
  for (const p of o.patches) {
    if (p.le) bytes.writeUInt32LE(p.value, p.off); else bytes.writeUInt32BE(p.value, p.off);
  }
  return { bytes, fields: o.fields, units };
}

export function writeCapture(recs: WriteRecord[], style: Style): Written {
  return style.format === 'pcap' ? writePcap(recs, style) : writePcapng(recs, style);
}
