// Property tests for the MPTCP option decoders (RFC 8684 §3, RFC 6824 §3), seeded and bounded:
//  - decodeMptcpOption and readDss never throw on any option bytes;
//  - an option is marked malformed exactly when its length does not fit its subtype (and flags), by an
//    oracle written here from the RFC's length tables;
//  - readDss (the in-place hot path) agrees with decodeMptcpOption on every DSS;
//  - round trip: structurally valid options of every subtype, built from random field values by an encoder
//    written here from the RFC figures, decode to those values and re-encode from the decoded fields to the
//    same bytes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMptcpOption, type MptcpOption } from '../dissect/mptcp.js';
import { newDssFields, readDss } from '../dissect/dss-fields.js';

const RUNS = { seed: 0x6d707463, numRuns: 2000 } as const;

// ---------------------------------------------------------------------------------------------
// Length oracle (RFC 8684 §3.1–3.7 figures, RFC 6824 §3.1–3.4 for v0 layouts)

function dssLength(flags: number): number {
  let n = 4;
  if (flags & 0x01) n += flags & 0x02 ? 8 : 4; // data ACK, 4 or 8 octets
  if (flags & 0x04) n += (flags & 0x08 ? 8 : 4) + 4 + 2; // DSN, subflow sequence number, data-level length
  return n;
}

/** Whether an MPTCP option of `len` bytes with these leading bytes has a legal length (and flags). */
function lengthFits(len: number, byte2: number, byte3: number): boolean {
  if (len < 3) return false;
  const subtype = byte2 >> 4;
  const low = byte2 & 0x0f;
  switch (subtype) {
    case 0: return low === 0 ? len === 12 || len === 20 : [4, 12, 20, 22, 24].includes(len);
    case 1: return len === 12 || len === 16 || len === 24;
    case 2: {
      if (len < 4) return false;
      const base = dssLength(byte3);
      return len === base || ((byte3 & 0x04) !== 0 && len === base + 2);
    }
    case 3:
      if (low === 4) return len === 8 || len === 10;
      if (low === 6) return len === 20 || len === 22;
      if (low > 1) return false;
      return [8, 10, 16, 18, 20, 22, 28, 30].includes(len);
    case 4: return len >= 4;
    case 5: return len === 3 || len === 4;
    case 6: return len === 12;
    case 7: return len === 12;
    case 8: return len === 4;
    default: return true; // MP_EXPERIMENTAL and unassigned subtypes: any length, kept raw
  }
}

/** An option area: kind 30, the length byte, then `body`, placed at the END of its buffer after `pad` bytes. */
const arbitraryOption = fc
  .record({
    len: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 255 })),
    subtype: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 15 })),
    low: fc.oneof(fc.integer({ min: 0, max: 1 }), fc.constantFrom(4, 6), fc.integer({ min: 0, max: 15 })),
    byte3: fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0, max: 255 })),
    body: fc.uint8Array({ minLength: 255, maxLength: 255 }),
    pad: fc.integer({ min: 0, max: 8 }),
  })
  .map(({ len, subtype, low, byte3, body, pad }) => {
    // Bytes the decoder may look at: the option's `len` bytes (at least the kind, length and subtype bytes).
    const size = Math.max(len, 4);
    const buf = Buffer.alloc(pad + size);
    Buffer.from(body.subarray(0, size)).copy(buf, pad);
    buf[pad] = 30;
    buf[pad + 1] = len;
    buf[pad + 2] = (subtype << 4) | low;
    buf[pad + 3] = byte3;
    // The option ends flush with the buffer (when len >= 4), so a typed read past it throws.
    return { buf, off: pad, len };
  });

describe('decodeMptcpOption and readDss over arbitrary option bytes', () => {
  it('never throw, and mark malformed exactly when the length does not fit (seeded)', () => {
    fc.assert(
      fc.property(arbitraryOption, ({ buf, off, len }) => {
        const o = decodeMptcpOption(buf, off, len);
        expect(o.length).toBe(len);
        const fits = lengthFits(len, buf[off + 2], buf[off + 3]);
        expect(o.malformed === undefined, `len ${len} ${buf.subarray(off, off + 4).toString('hex')}: ${o.malformed}`).toBe(fits);
        if (len >= 3) expect(o.subtypeValue).toBe(buf[off + 2] >> 4);
        const f = newDssFields();
        const ok = readDss(buf, off, len, f);
        if (len >= 3 && buf[off + 2] >> 4 === 2) expect(ok).toBe(fits);
      }),
      RUNS,
    );
  });

  it('readDss agrees with decodeMptcpOption on every well-sized DSS (seeded)', () => {
    const dss = fc
      .record({ flags: fc.integer({ min: 0, max: 255 }), csum: fc.boolean(), body: fc.uint8Array({ minLength: 28, maxLength: 28 }) })
      .map(({ flags, csum, body }) => {
        const len = dssLength(flags) + (csum && flags & 0x04 ? 2 : 0);
        const buf = Buffer.from(body.subarray(0, len));
        buf[0] = 30;
        buf[1] = len;
        buf[2] = 0x20;
        buf[3] = flags;
        return buf;
      });
    fc.assert(
      fc.property(dss, (buf) => {
        const o = decodeMptcpOption(buf, 0, buf.length);
        const f = newDssFields();
        expect(readDss(buf, 0, buf.length, f)).toBe(true);
        expect(o.malformed).toBeUndefined();
        const u64 = (hi: number, lo: number) => ((BigInt(hi) << 32n) | BigInt(lo)).toString();
        expect(f.hasAck).toBe(o.dataAck !== undefined);
        if (f.hasAck) expect(u64(f.ackHi, f.ackLo)).toBe(o.dataAck);
        expect(f.hasMap).toBe(o.dsn !== undefined);
        if (f.hasMap) {
          expect(u64(f.dsnHi, f.dsnLo)).toBe(o.dsn);
          expect(f.ssn).toBe(o.subflowSeq);
          expect(f.dataLevelLength).toBe(o.dataLevelLength);
          expect(f.checksum).toBe(o.checksum === undefined ? -1 : parseInt(o.checksum, 16));
        }
        expect(f.dataFin).toBe(o.dataFin);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Round trip. The encoder follows the RFC figures; the re-encoder reads the decoder's field strings back.

type Spec =
  | { t: 'MP_CAPABLE'; version: number; flags: number; len: 4 | 12 | 20 | 22 | 24; skey: Buffer; rkey: Buffer; dll: number; csum: number }
  | { t: 'MP_JOIN_SYN'; backup: boolean; id: number; token: Buffer; nonce: Buffer }
  | { t: 'MP_JOIN_SYNACK'; backup: boolean; id: number; hmac: Buffer; nonce: Buffer }
  | { t: 'MP_JOIN_ACK'; hmac: Buffer }
  | { t: 'DSS'; F: boolean; m: boolean; M: boolean; a: boolean; A: boolean; ack: bigint; dsn: bigint; ssn: number; dll: number; csum: number | null }
  | { t: 'ADD_ADDR'; v0: boolean; echo: boolean; id: number; addr: Buffer; port: number | null; hmac: Buffer }
  | { t: 'REMOVE_ADDR'; ids: number[] }
  | { t: 'MP_PRIO'; backup: boolean; id: number | null }
  | { t: 'MP_FAIL'; dsn: bigint }
  | { t: 'MP_FASTCLOSE'; key: Buffer }
  | { t: 'MP_TCPRST'; flags: number; reason: number }
  | { t: 'MP_EXPERIMENTAL'; low: number; rest: Buffer };

const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };
const u64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(v); return b; };

/** kind 30, length, then the fields. */
function option(fields: Buffer[]): Buffer {
  const body = Buffer.concat(fields);
  return Buffer.concat([Buffer.from([30, body.length + 2]), body]);
}

function encode(s: Spec): Buffer {
  switch (s.t) {
    case 'MP_CAPABLE': {
      // |Kind|Length|Subtype|Version|A B C D E F G H| Sender's Key | Receiver's Key | Data-Level Length | Checksum |
      const f: Buffer[] = [Buffer.from([0x00 | s.version, s.flags])];
      if (s.len >= 12) f.push(s.skey);
      if (s.len >= 20) f.push(s.rkey);
      if (s.len >= 22) f.push(u16(s.dll));
      if (s.len === 24) f.push(u16(s.csum));
      return option(f);
    }
    case 'MP_JOIN_SYN': // |Subtype|   |B| Address ID | Receiver's Token | Sender's Random Number |
      return option([Buffer.from([0x10 | (s.backup ? 1 : 0), s.id]), s.token, s.nonce]);
    case 'MP_JOIN_SYNACK': // |Subtype|   |B| Address ID | Sender's Truncated HMAC (64) | Sender's Random Number |
      return option([Buffer.from([0x10 | (s.backup ? 1 : 0), s.id]), s.hmac, s.nonce]);
    case 'MP_JOIN_ACK': // |Subtype| (reserved) | Sender's HMAC (160) |
      return option([Buffer.from([0x10, 0]), s.hmac]);
    case 'DSS': {
      // |Subtype| (reserved) |F|m|M|a|A| Data ACK (4/8) | DSN (4/8) | Subflow Sequence Number | Data-Level Length | Checksum |
      const flags = (s.F ? 0x10 : 0) | (s.m ? 0x08 : 0) | (s.M ? 0x04 : 0) | (s.a ? 0x02 : 0) | (s.A ? 0x01 : 0);
      const f: Buffer[] = [Buffer.from([0x20, flags])];
      if (s.A) f.push(s.a ? u64(s.ack) : u32(Number(s.ack)));
      if (s.M) {
        f.push(s.m ? u64(s.dsn) : u32(Number(s.dsn)), u32(s.ssn), u16(s.dll));
        if (s.csum !== null) f.push(u16(s.csum));
      }
      return option(f);
    }
    case 'ADD_ADDR': {
      // v1: |Subtype|(rsv)|E| Address ID | Address | Port (opt) | Truncated HMAC (opt, when E = 0) |
      // v0: |Subtype|IPVer| Address ID | Address | Port (opt) |
      const low = s.v0 ? (s.addr.length === 4 ? 4 : 6) : s.echo ? 1 : 0;
      const f: Buffer[] = [Buffer.from([0x30 | low, s.id]), s.addr];
      if (s.port !== null) f.push(u16(s.port));
      if (!s.v0 && !s.echo) f.push(s.hmac);
      return option(f);
    }
    case 'REMOVE_ADDR': // |Subtype|(resv)| Address ID | ...
      return option([Buffer.from([0x40, ...s.ids])]);
    case 'MP_PRIO': // v1: |Subtype|(resv)|B|   v0: ... | AddrID (opt) |
      return option([Buffer.from([0x50 | (s.backup ? 1 : 0), ...(s.id === null ? [] : [s.id])])]);
    case 'MP_FAIL': // |Subtype| (reserved) | Data Sequence Number (64) |
      return option([Buffer.from([0x60, 0]), u64(s.dsn)]);
    case 'MP_FASTCLOSE': // |Subtype| (reserved) | Option Receiver's Key (64) |
      return option([Buffer.from([0x70, 0]), s.key]);
    case 'MP_TCPRST': // |Subtype|U|V|W|T| Reason |
      return option([Buffer.from([0x80 | s.flags, s.reason])]);
    case 'MP_EXPERIMENTAL':
      return option([Buffer.from([0xf0 | s.low]), s.rest]);
  }
}

/** Address text (RFC 5952 IPv6, dotted IPv4, ::ffff:a.b.c.d) back to bytes, written here independently. */
function parseAddress(text: string, version: number): Buffer {
  if (version === 4) {
    const parts = text.split('.').map(Number);
    expect(parts).toHaveLength(4);
    return Buffer.from(parts);
  }
  const words = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) { const [a, b, c, d] = g.split('.').map(Number); out.push((a << 8) | b, (c << 8) | d); }
      else out.push(parseInt(g, 16));
    }
    return out;
  };
  const dbl = text.indexOf('::');
  const groups = dbl < 0 ? words(text) : (() => {
    const head = words(text.slice(0, dbl));
    const tail = words(text.slice(dbl + 2));
    return [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  })();
  expect(groups).toHaveLength(8);
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

function letterBits(letters: string, alphabet: string, firstBit: number): number {
  let v = 0;
  for (const ch of letters) {
    const i = alphabet.indexOf(ch);
    expect(i, `flag letter ${ch}`).toBeGreaterThanOrEqual(0);
    v |= firstBit >> i;
  }
  return v;
}

const hexb = (h: string | undefined, n: number): Buffer => {
  expect(h, 'hex field').toBeDefined();
  const b = Buffer.from(h!, 'hex');
  expect(b.length).toBe(n);
  return b;
};

/** Encodes an option again from what the decoder made of it. */
function reencode(o: MptcpOption): Buffer {
  expect(o.malformed).toBeUndefined();
  switch (o.subtype) {
    case 'MP_CAPABLE': {
      const f: Buffer[] = [Buffer.from([o.version!, letterBits(o.flags!, 'ABCDEFGH', 0x80)])];
      if (o.senderKey !== undefined) f.push(hexb(o.senderKey, 8));
      if (o.receiverKey !== undefined) f.push(hexb(o.receiverKey, 8));
      if (o.dataLevelLength !== undefined) f.push(u16(o.dataLevelLength));
      if (o.checksum !== undefined) f.push(hexb(o.checksum, 2));
      return option(f);
    }
    case 'MP_JOIN':
      if (o.phase === 'SYN') return option([Buffer.from([0x10 | (o.backup ? 1 : 0), o.addressId!]), hexb(o.receiverToken, 4), hexb(o.senderNonce, 4)]);
      if (o.phase === 'SYN/ACK') return option([Buffer.from([0x10 | (o.backup ? 1 : 0), o.addressId!]), hexb(o.senderHmac, 8), hexb(o.senderNonce, 4)]);
      return option([Buffer.from([0x10, 0]), hexb(o.senderHmac, 20)]);
    case 'DSS': {
      const flags = letterBits(o.flags!, 'FmMaA', 0x10);
      expect(o.dataFin).toBe((flags & 0x10) !== 0);
      const f: Buffer[] = [Buffer.from([0x20, flags])];
      if (o.dataAck !== undefined) f.push(o.dataAck64 ? u64(BigInt(o.dataAck)) : u32(Number(o.dataAck)));
      if (o.dsn !== undefined) {
        f.push(o.dsn64 ? u64(BigInt(o.dsn)) : u32(Number(o.dsn)), u32(o.subflowSeq!), u16(o.dataLevelLength!));
        if (o.checksum !== undefined) f.push(hexb(o.checksum, 2));
      }
      return option(f);
    }
    case 'ADD_ADDR': {
      const addr = parseAddress(o.address!, o.ipVersion!);
      const low = o.echo === undefined ? o.ipVersion! : o.echo ? 1 : 0;
      const f: Buffer[] = [Buffer.from([0x30 | low, o.addressId!]), addr];
      if (o.port !== undefined) f.push(u16(o.port));
      if (o.hmac !== undefined) f.push(hexb(o.hmac, 8));
      return option(f);
    }
    case 'REMOVE_ADDR':
      return option([Buffer.from([0x40, ...o.addressIds!])]);
    case 'MP_PRIO':
      return option([Buffer.from([0x50 | (o.backup ? 1 : 0), ...(o.addressId === undefined ? [] : [o.addressId])])]);
    case 'MP_FAIL':
      return option([Buffer.from([0x60, 0]), u64(BigInt(o.dsn!))]);
    case 'MP_FASTCLOSE':
      return option([Buffer.from([0x70, 0]), hexb(o.receiverKey, 8)]);
    case 'MP_TCPRST':
      return option([Buffer.from([0x80 | letterBits(o.flags!, 'UVWT', 0x08), o.reason!])]);
    default: {
      const raw = Buffer.from(o.raw!, 'hex');
      expect(raw.length).toBe(o.length - 2);
      return option([raw]);
    }
  }
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
const u8 = fc.integer({ min: 0, max: 255 });
const u16a = fc.integer({ min: 0, max: 0xffff });
const u32a = fc.integer({ min: 0, max: 0xffffffff });
const u64a = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

const specs: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({
    t: fc.constant('MP_CAPABLE' as const), version: fc.constantFrom(0, 1), flags: u8,
    len: fc.constantFrom(4, 12, 20, 22, 24) as fc.Arbitrary<4 | 12 | 20 | 22 | 24>, skey: bytes(8), rkey: bytes(8), dll: u16a, csum: u16a,
  }).map((s) => (s.version === 0 && (s.len === 4 || s.len > 20) ? { ...s, len: 20 as const } : s)),
  fc.record({ t: fc.constant('MP_JOIN_SYN' as const), backup: fc.boolean(), id: u8, token: bytes(4), nonce: bytes(4) }),
  fc.record({ t: fc.constant('MP_JOIN_SYNACK' as const), backup: fc.boolean(), id: u8, hmac: bytes(8), nonce: bytes(4) }),
  fc.record({ t: fc.constant('MP_JOIN_ACK' as const), hmac: bytes(20) }),
  fc.record({
    t: fc.constant('DSS' as const), F: fc.boolean(), m: fc.boolean(), M: fc.boolean(), a: fc.boolean(), A: fc.boolean(),
    ack: u64a, dsn: u64a, ssn: u32a, dll: u16a, csum: fc.option(u16a),
  }).map((s) => ({
    ...s,
    // Widths only mean something with their field; DATA_FIN travels with a mapping (RFC 8684 §3.3.3).
    a: s.A && s.a, m: s.M && s.m, F: s.M && s.F,
    ack: s.A && !s.a ? s.ack & 0xffffffffn : s.ack, dsn: s.M && !s.m ? s.dsn & 0xffffffffn : s.dsn,
  })),
  fc.record({
    t: fc.constant('ADD_ADDR' as const), v0: fc.boolean(), echo: fc.boolean(), id: u8,
    addr: fc.oneof(bytes(4), bytes(16), fc.constantFrom(Buffer.alloc(16), Buffer.from('00000000000000000000ffff0a000001', 'hex'), Buffer.from('20010db8000000000000000000000001', 'hex'))),
    port: fc.option(u16a), hmac: bytes(8),
  }),
  fc.record({ t: fc.constant('REMOVE_ADDR' as const), ids: fc.array(u8, { minLength: 1, maxLength: 37 }) }),
  fc.record({ t: fc.constant('MP_PRIO' as const), backup: fc.boolean(), id: fc.option(u8) }),
  fc.record({ t: fc.constant('MP_FAIL' as const), dsn: u64a }),
  fc.record({ t: fc.constant('MP_FASTCLOSE' as const), key: bytes(8) }),
  fc.record({ t: fc.constant('MP_TCPRST' as const), flags: fc.integer({ min: 0, max: 15 }), reason: u8 }),
  fc.record({ t: fc.constant('MP_EXPERIMENTAL' as const), low: fc.integer({ min: 0, max: 15 }), rest: fc.uint8Array({ maxLength: 37 }).map((a) => Buffer.from(a)) }),
);

/** The decoded fields a spec must produce (the parts of MptcpOption the spec determines). */
function expected(s: Spec): Partial<MptcpOption> {
  const hex = (b: Buffer) => b.toString('hex');
  switch (s.t) {
    case 'MP_CAPABLE': {
      const e: Partial<MptcpOption> = { subtype: 'MP_CAPABLE', version: s.version };
      if (s.len >= 12) e.senderKey = hex(s.skey);
      if (s.len >= 20) e.receiverKey = hex(s.rkey);
      if (s.len >= 22) e.dataLevelLength = s.dll;
      if (s.len === 24) e.checksum = hex(u16(s.csum));
      return e;
    }
    case 'MP_JOIN_SYN': return { subtype: 'MP_JOIN', phase: 'SYN', backup: s.backup, addressId: s.id, receiverToken: hex(s.token), senderNonce: hex(s.nonce) };
    case 'MP_JOIN_SYNACK': return { subtype: 'MP_JOIN', phase: 'SYN/ACK', backup: s.backup, addressId: s.id, senderHmac: hex(s.hmac), senderNonce: hex(s.nonce) };
    case 'MP_JOIN_ACK': return { subtype: 'MP_JOIN', phase: 'ACK', senderHmac: hex(s.hmac) };
    case 'DSS': {
      const e: Partial<MptcpOption> = { subtype: 'DSS', dataFin: s.F };
      if (s.A) { e.dataAck = s.ack.toString(); e.dataAck64 = s.a; }
      if (s.M) {
        e.dsn = s.dsn.toString(); e.dsn64 = s.m; e.subflowSeq = s.ssn; e.dataLevelLength = s.dll;
        if (s.csum !== null) e.checksum = hex(u16(s.csum));
      }
      return e;
    }
    case 'ADD_ADDR': {
      const e: Partial<MptcpOption> = { subtype: 'ADD_ADDR', addressId: s.id, ipVersion: s.addr.length === 4 ? 4 : 6 };
      if (s.port !== null) e.port = s.port;
      if (!s.v0) e.echo = s.echo;
      if (!s.v0 && !s.echo) e.hmac = hex(s.hmac);
      return e;
    }
    case 'REMOVE_ADDR': return { subtype: 'REMOVE_ADDR', addressIds: s.ids };
    case 'MP_PRIO': return s.id === null ? { subtype: 'MP_PRIO', backup: s.backup } : { subtype: 'MP_PRIO', backup: s.backup, addressId: s.id };
    case 'MP_FAIL': return { subtype: 'MP_FAIL', dsn: s.dsn.toString() };
    case 'MP_FASTCLOSE': return { subtype: 'MP_FASTCLOSE', receiverKey: hex(s.key) };
    case 'MP_TCPRST': return { subtype: 'MP_TCPRST', reason: s.reason };
    case 'MP_EXPERIMENTAL': return { subtype: 'MP_EXPERIMENTAL' };
  }
}

describe('round trip: RFC layout -> decode -> re-encode', () => {
  it('every subtype, random field values, gives back the same bytes (seeded)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(specs, (s) => {
        const wire = encode(s);
        // The option must sit inside the TCP header (40 option bytes at most).
        expect(wire.length).toBeLessThanOrEqual(40);
        const o = decodeMptcpOption(wire, 0, wire.length);
        expect(o.malformed, `${s.t} ${wire.toString('hex')}`).toBeUndefined();
        expect(o).toMatchObject(expected(s));
        expect(o.length).toBe(wire.length);
        expect(reencode(o).toString('hex')).toBe(wire.toString('hex'));
        if (s.t === 'DSS') {
          const f = newDssFields();
          expect(readDss(wire, 0, wire.length, f)).toBe(true);
        }
        seen.add(s.t);
      }),
      RUNS,
    );
    expect(seen.size).toBe(12);
  });
});
