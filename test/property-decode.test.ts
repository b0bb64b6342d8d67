// Property tests for decodePacket and the TCP option walk, seeded and bounded: over arbitrary bytes for every
// supported link type (and some unsupported ones) they never throw, every offset they report lies inside the
// captured bytes, and payloadCaptured <= data.length - payloadOffset. Frames are either fully random or shaped
// (a link header, an IPv4/IPv6 header with random lengths and extension headers, a TCP header with a random
// data offset and option bytes), then cut anywhere and bit-flipped, so the walk gets past the first checks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePacket, decodePacketInChunk } from '../dissect/decode.js';
import { newDecodedPacket, type DecodedPacket } from '../dissect/packet.js';
import { packetJson } from '../dissect/packet-json.js';
import { mptcpOptionsOf, tcpOptionsOf } from '../dissect/tcp-options.js';
import type { CaptureRecord } from '../dissect/record.js';

const RUNS = { seed: 0x64656364, numRuns: 3000 } as const;

const SUPPORTED = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276];
const UNSUPPORTED = [2, 105, 127, 147, 65535];

function linkHeader(linktype: number, v6: boolean, pick: number): Buffer {
  const et = v6 ? 0x86dd : 0x0800;
  const b16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
  switch (linktype) {
    case 1: return Buffer.concat([Buffer.alloc(12, 0xaa), ...(pick & 1 ? [b16(0x8100), b16(7)] : []), b16(et)]);
    case 0: { const b = Buffer.alloc(4); const af = v6 ? [10, 24, 28, 30][pick & 3] : 2; if (pick & 4) b.writeUInt32BE(af); else b.writeUInt32LE(af); return b; }
    case 108: { const b = Buffer.alloc(4); b.writeUInt32BE(v6 ? 24 : 2); return b; }
    case 9: case 50: return Buffer.from(pick & 1 ? [0xff, 0x03, 0x00, v6 ? 0x57 : 0x21] : [v6 ? 0x57 : 0x21]);
    case 113: { const b = Buffer.alloc(16); b.writeUInt16BE(et, 14); return b; }
    case 276: { const b = Buffer.alloc(20); b.writeUInt16BE(et, 0); return b; }
    default: return Buffer.alloc(0);
  }
}

/** Mostly the plausible value, sometimes anything. */
const mostly = <T,>(usual: fc.Arbitrary<T>, any: fc.Arbitrary<T>) => fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: any, weight: 1 });

const shaped = fc
  .record({
    linktype: mostly(fc.constantFrom(...SUPPORTED), fc.constantFrom(...UNSUPPORTED)),
    v6: fc.boolean(),
    pick: fc.integer({ min: 0, max: 7 }),
    ihl: mostly(fc.constant(5), fc.integer({ min: 0, max: 15 })),
    ipLen: mostly(fc.constant(-1), fc.integer({ min: 0, max: 0xffff })),
    frag: mostly(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
    proto: mostly(fc.constant(6), fc.integer({ min: 0, max: 255 })),
    ext: fc.array(fc.record({ type: fc.constantFrom(0, 43, 60, 44, 51), len: fc.integer({ min: 0, max: 255 }), frag: fc.integer({ min: 0, max: 0xffff }) }), { maxLength: 3 }),
    doff: mostly(fc.integer({ min: 5, max: 15 }), fc.integer({ min: 0, max: 15 })),
    options: fc.uint8Array({ maxLength: 40 }),
    payload: fc.uint8Array({ maxLength: 64 }),
    cut: fc.option(fc.integer({ min: 0, max: 400 }), { freq: 2 }),
    flips: mostly(fc.constant([] as Array<[number, number]>), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 3 })),
  })
  .map((s) => {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt32BE(0x01020304, 4);
    tcp[12] = s.doff << 4;
    tcp[13] = 0x18;
    const opts = Buffer.from(s.options);
    // Mostly MPTCP options: make the first option kind 30.
    if (opts.length >= 2 && s.pick & 2) opts[0] = 30;
    const l4 = Buffer.concat([tcp, opts, Buffer.from(s.payload)]);
    let ip: Buffer;
    if (!s.v6) {
      const optsLen = Math.max(0, s.ihl - 5) * 4;
      ip = Buffer.alloc(20 + optsLen, 1);
      ip[0] = 0x40 | s.ihl;
      ip.writeUInt16BE(s.ipLen >= 0 ? s.ipLen : (ip.length + l4.length) & 0xffff, 2);
      ip.writeUInt16BE(s.frag, 6);
      ip[9] = s.proto;
    } else {
      const exts: Buffer[] = [];
      let next = s.proto;
      for (let i = s.ext.length - 1; i >= 0; i--) {
        const e = s.ext[i];
        const size = e.type === 44 ? 8 : e.type === 51 ? (e.len % 8 + 2) * 4 : (e.len % 4 + 1) * 8;
        const b = Buffer.alloc(size);
        b[0] = next;
        b[1] = e.type === 44 ? 0 : e.type === 51 ? e.len % 8 : e.len % 4;
        if (e.type === 44) b.writeUInt16BE(e.frag & 1 ? e.frag : 0, 2);
        exts.unshift(b);
        next = e.type;
      }
      const extBytes = Buffer.concat(exts);
      ip = Buffer.alloc(40);
      ip[0] = 0x60;
      ip.writeUInt16BE(s.ipLen >= 0 ? s.ipLen : (extBytes.length + l4.length) & 0xffff, 4);
      ip[6] = next;
      ip = Buffer.concat([ip, extBytes]);
    }
    let frame = Buffer.concat([linkHeader(s.linktype, s.v6, s.pick), ip, l4]);
    if (s.cut !== null) frame = frame.subarray(0, Math.min(frame.length, s.cut));
    frame = Buffer.from(frame);
    for (const [at, bit] of s.flips) if (frame.length) frame[at % frame.length] ^= 1 << bit;
    return { linktype: s.linktype, data: frame };
  });

const random = fc.record({
  linktype: fc.oneof(fc.constantFrom(...SUPPORTED), fc.constantFrom(...UNSUPPORTED)),
  data: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
});

function rec(linktype: number, data: Buffer): CaptureRecord {
  return { n: 1, iface: 0, linktype, tsSec: 1, tsNsec: 0, tsDigits: 6, caplen: data.length, len: data.length, data };
}

/** Every offset decodePacket reports lies inside the captured bytes. */
function checkBounds(p: DecodedPacket): void {
  const n = p.data.length;
  expect(p.l3Offset).toBeLessThanOrEqual(n);
  if (p.ipVersion !== 0) {
    const alen = p.ipVersion === 6 ? 16 : 4;
    expect(p.srcOffset).toBeGreaterThanOrEqual(0);
    expect(p.srcOffset + alen).toBeLessThanOrEqual(n);
    expect(p.dstOffset + alen).toBeLessThanOrEqual(n);
    expect(p.ipPayloadLength).toBeGreaterThanOrEqual(0);
  }
  if (p.isTcp) {
    expect(p.tcpOffset).toBeGreaterThanOrEqual(0);
    expect(p.tcpOffset + 20).toBeLessThanOrEqual(n);
    expect(p.tcpHeaderLength).toBeGreaterThanOrEqual(20);
    expect(p.tcpHeaderLength).toBeLessThanOrEqual(60);
    expect(p.payloadOffset).toBeGreaterThanOrEqual(p.tcpOffset + 20);
    expect(p.payloadOffset).toBeLessThanOrEqual(n);
    expect(p.payloadCaptured).toBeGreaterThanOrEqual(0);
    expect(p.payloadCaptured).toBeLessThanOrEqual(n - p.payloadOffset);
    expect(p.payloadCaptured).toBeLessThanOrEqual(p.payloadLength);
  }
}

/** An independent walk of the option area (RFC 9293 §3.1): kind, length and how the option ends. */
function walk(p: DecodedPacket): Array<{ kind: number; len: number; status: 'ok' | 'overrun' | 'badlen' | 'cut' }> {
  const out: Array<{ kind: number; len: number; status: 'ok' | 'overrun' | 'badlen' | 'cut' }> = [];
  const b = p.data;
  const end = p.tcpOffset + p.tcpHeaderLength;
  for (let o = p.tcpOffset + 20; o < end && o < b.length; ) {
    const kind = b[o];
    if (kind === 0) break;
    if (kind === 1) { o++; continue; }
    if (o + 1 >= end) { out.push({ kind, len: 1, status: 'overrun' }); break; }
    if (o + 1 >= b.length) { out.push({ kind, len: 0, status: 'cut' }); break; }
    const len = b[o + 1];
    if (len < 2) { out.push({ kind, len, status: 'badlen' }); break; }
    if (o + len > end) { out.push({ kind, len, status: 'overrun' }); break; }
    if (o + len > b.length) { out.push({ kind, len, status: 'cut' }); break; }
    out.push({ kind, len, status: 'ok' });
    o += len;
  }
  return out;
}

describe('decodePacket over arbitrary bytes, every link type', () => {
  // One reused DecodedPacket, as the CLI uses it: stale fields from the previous packet must not leak.
  const p = newDecodedPacket();

  it('random bytes: never throws, offsets inside the captured bytes (seeded)', () => {
    fc.assert(fc.property(random, ({ linktype, data }) => {
      decodePacket(rec(linktype, data), p);
      checkBounds(p);
      JSON.stringify(packetJson(rec(linktype, data), p));
    }), RUNS);
  });

  it('shaped frames cut anywhere: never throws, offsets inside the captured bytes (seeded)', () => {
    let tcp = 0;
    fc.assert(fc.property(shaped, ({ linktype, data }) => {
      const r = rec(linktype, data);
      decodePacket(r, p);
      checkBounds(p);
      if (p.isTcp) tcp++;
      JSON.stringify(packetJson(r, p));
    }), RUNS);
    // The shapes must reach the TCP layer often, or this property tests little.
    expect(tcp).toBeGreaterThan(RUNS.numRuns / 4);
  });

  it('TCP options: decoded in wire order, MPTCP ones malformed or truncated exactly as the walk ends (seeded)', () => {
    fc.assert(fc.property(shaped, ({ linktype, data }) => {
      const r = rec(linktype, data);
      decodePacket(r, p);
      const opts = tcpOptionsOf(p);
      const mp = mptcpOptionsOf(p);
      if (!p.isTcp) { expect(opts).toEqual([]); return; }
      const w = walk(p);
      expect(opts.map((o) => [o.kind, o.length])).toEqual(w.map((x) => [x.kind, x.len]));
      const wm = w.filter((x) => x.kind === 30);
      expect(mp).toHaveLength(wm.length);
      mp.forEach((o, i) => {
        const st = wm[i].status;
        expect(o.truncated === true).toBe(st === 'cut');
        if (st === 'badlen' || st === 'overrun') expect(o.malformed).toBeDefined();
      });
    }), RUNS);
  });
});

describe('decodePacketInChunk: in place in a larger chunk, the same decoding as from the record data', () => {
  const p = newDecodedPacket();
  const c = newDecodedPacket();
  const placed = fc.record({
    frame: fc.oneof(shaped, random),
    pre: fc.nat({ max: 40 }),
    // Bytes after the frame that a decoder bounded by the chunk's length instead of `end` would read.
    post: fc.uint8Array({ minLength: 0, maxLength: 80 }),
  });

  it('same fields (offsets shifted by the start), same options; never reads past end (seeded)', () => {
    fc.assert(fc.property(placed, ({ frame, pre, post }) => {
      const { linktype, data } = frame;
      const chunk = Buffer.concat([Buffer.alloc(pre, 0x5a), data, Buffer.from(post)]);
      const r = rec(linktype, Buffer.from(data));
      // As the capture reader sets them on its own record: non-enumerable, so copies do not carry them.
      Object.defineProperty(r, 'buf', { value: chunk, enumerable: false });
      Object.defineProperty(r, 'off', { value: pre, enumerable: false });
      decodePacket(r, p);
      decodePacketInChunk(r, c);
      expect(c.data).toBe(chunk);
      expect([c.start, c.end]).toEqual([pre, pre + data.length]);
      const shift = (x: DecodedPacket, s: number) => ({
        note: x.note, ipVersion: x.ipVersion, protocol: x.protocol, fragment: x.fragment, isTcp: x.isTcp,
        ipPayloadLength: x.ipPayloadLength, l3Offset: x.l3Offset < 0 ? -1 : x.l3Offset - s,
        ...(x.ipVersion !== 0 ? { src: x.srcOffset - s, dst: x.dstOffset - s } : {}),
        ...(x.isTcp ? {
          tcpOffset: x.tcpOffset - s, payloadOffset: x.payloadOffset - s, sport: x.sport, dport: x.dport, seq: x.seq, ack: x.ack,
          flags: x.flags, win: x.win, tcpHeaderLength: x.tcpHeaderLength, payloadLength: x.payloadLength, payloadCaptured: x.payloadCaptured,
        } : {}),
      });
      expect(shift(c, pre)).toEqual(shift(p, 0));
      expect(tcpOptionsOf(c)).toEqual(tcpOptionsOf(p));
      expect(mptcpOptionsOf(c)).toEqual(mptcpOptionsOf(p));
      expect(JSON.stringify(packetJson(r, c))).toBe(JSON.stringify(packetJson(r, p)));
      // A spread copy does not carry the chunk: it decodes from its own data.
      decodePacketInChunk({ ...r }, c);
      expect(c.data).toBe(r.data);
    }), RUNS);
  });
});
