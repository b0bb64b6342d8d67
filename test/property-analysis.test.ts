// Property test for the analysis engine, seeded and bounded: arbitrary sequences of crafted TCP/MPTCP frames
// (test/helpers/craft.ts) with random options, flags, sequence numbers, keys, tokens and mappings never make
// the engine throw, and the report builds, JSON-serializes with only finite numbers, validates against
// docs/analyze.schema.json, and renders as text. The generator keeps enough structure (a small pool of
// keys whose tokens and IDSNs it knows, a few endpoints, sequence numbers near each side's ISN) that
// handshakes, joins, mappings, checksums and DATA_FINs do line up often, and enough noise that they often
// do not.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS } from '../analyze/engine.js';
import { buildReport } from '../analyze/report.js';
import { formatSummary } from '../analyze/summary-text.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import { opt, record, tcpFrame } from './helpers/craft.js';

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync('docs/analyze.schema.json', 'utf8')));

const KEYS = ['0102030405060708', 'a1a2a3a4a5a6a7a8', 'deadbeefcafef00d'];
const digest = (key: string, version: number) => createHash(version === 0 ? 'sha1' : 'sha256').update(Buffer.from(key, 'hex')).digest();
const tokenOf = (key: string, version: number) => digest(key, version).toString('hex', 0, 4);
const idsnOf = (key: string, version: number) => { const d = digest(key, version); return d.readBigUInt64BE(d.length - 8); };

const CLIENTS = ['10.0.0.1', '10.0.1.1'];
const SERVERS = ['10.0.0.2', '10.0.1.2'];
const CPORTS = [40000, 40001, 40002];
const SPORT = 5201;
/** Each connection side's ISN, so relative sequence numbers line up with DSS subflow sequence numbers. */
const isnOf = (path: number, cport: number, fromClient: boolean) => (fromClient ? 1000 : 900000) + path * 77 + cport;

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a).toString('hex'));
const key = fc.constantFrom(...KEYS);
const version = fc.constantFrom(0, 1, 1);
const raw = (bytes: number[]) => Buffer.from([30, bytes.length + 2, ...bytes]);
const b16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const b32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

const mptcpOption: fc.Arbitrary<Buffer> = fc.oneof(
  fc.tuple(version, fc.constantFrom(0x81, 0x01, 0x80, 0x00), fc.option(key)).map(([v, f, k]) => opt.mpcSyn(v, f, k ?? undefined)),
  fc.tuple(version, fc.constantFrom(0x81, 0x01), key, key).map(([v, f, a, b]) => opt.mpcAck(v, f, a, b)),
  fc.tuple(version, fc.constantFrom(0x81, 0x01), key, key, u16, fc.option(u16)).map(([v, f, a, b, len, csum]) =>
    raw([0x00 | v, f, ...Buffer.from(a + b, 'hex'), ...b16(len), ...(csum === null ? [] : b16(csum))])),
  fc.tuple(fc.oneof(key.chain((k) => fc.constantFrom(tokenOf(k, 1), tokenOf(k, 0))), hex(4)), hex(4), u8, fc.boolean()).map(([t, n, id, b]) => opt.joinSyn(t, n, id, b)),
  fc.tuple(hex(8), hex(4), u8).map(([h, n, id]) => opt.joinSynAck(h, n, id)),
  hex(20).map((h) => opt.joinAck(h)),
  fc.record({
    k: key, v: version, off: fc.oneof(fc.integer({ min: 0, max: 6000 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
    dsn64: fc.boolean(), ssn: fc.oneof(fc.integer({ min: 0, max: 6000 }), u32), len: fc.oneof(fc.integer({ min: 0, max: 1500 }), u16),
    fin: fc.boolean(), ack: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), csum: fc.option(u16),
  }).map((m) => {
    const dsn = typeof m.off === 'bigint' ? m.off : (idsnOf(m.k, m.v) + 1n + BigInt(m.off)) & ((1n << 64n) - 1n);
    return opt.dss({ dsn, dsn64: m.dsn64, ssn: m.ssn, len: m.len, fin: m.fin, ack: m.ack ?? undefined, csum: m.csum ?? undefined });
  }),
  fc.tuple(key, version, fc.integer({ min: 0, max: 6000 })).map(([k, v, off]) => opt.dataAck((idsnOf(k, v) + 1n + BigInt(off)) & ((1n << 64n) - 1n))),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((a) => opt.dataAck(a)),
  fc.tuple(fc.integer({ min: 0, max: 1 }), u8, fc.oneof(fc.constant([10, 0, 3, 2]), fc.array(u8, { minLength: 4, maxLength: 4 }), fc.array(u8, { minLength: 16, maxLength: 16 })), fc.option(u16), fc.option(hex(8)))
    .map(([e, id, addr, port, hmac]) => raw([0x30 | e, id, ...addr, ...(port === null ? [] : b16(port)), ...(hmac === null || e ? [] : Buffer.from(hmac, 'hex'))])),
  fc.tuple(fc.constantFrom(4, 6), u8, fc.option(u16)).map(([v, id, port]) => raw([0x30 | v, id, ...new Array(v === 4 ? 4 : 16).fill(7), ...(port === null ? [] : b16(port))])),
  fc.array(u8, { minLength: 1, maxLength: 6 }).map((ids) => raw([0x40, ...ids])),
  fc.tuple(fc.boolean(), fc.option(u8)).map(([b, id]) => raw([0x50 | (b ? 1 : 0), ...(id === null ? [] : [id])])),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((d) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(d); return raw([0x60, 0, ...b]); }),
  key.map((k) => raw([0x70, 0, ...Buffer.from(k, 'hex')])),
  fc.tuple(fc.integer({ min: 0, max: 15 }), u8).map(([f, r]) => raw([0x80 | f, r])),
  // Anything at all with kind 30.
  fc.uint8Array({ minLength: 0, maxLength: 24 }).map((a) => Buffer.from([30, a.length + 2, ...a])),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ minLength: 1, maxLength: 12 })).map(([len, a]) => Buffer.from([30, len, ...a])),
);

const tcpOption: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: mptcpOption, weight: 8 },
  { arbitrary: fc.tuple(u32, u32).map(([v, e]) => Buffer.from([8, 10, ...b32(v), ...b32(e)])), weight: 2 },
  { arbitrary: fc.constantFrom(Buffer.from([2, 4, 5, 0xb4]), Buffer.from([4, 2]), Buffer.from([3, 3, 7]), Buffer.from([0])), weight: 1 },
);

interface Pkt {
  path: number;
  cport: number;
  fromClient: boolean;
  flags: string;
  rel: number;
  relAck: number;
  randomSeq: number | null;
  options: Buffer[];
  payload: number;
  fill: number;
  snaplen: number | null;
  dt: number;
}

const packet: fc.Arbitrary<Pkt> = fc.record({
  path: fc.integer({ min: 0, max: 1 }),
  cport: fc.integer({ min: 0, max: 2 }),
  fromClient: fc.boolean(),
  flags: fc.oneof(fc.constantFrom('S', 'SA', 'A', 'PA', 'A', 'PA', 'FA', 'R', 'RA'), fc.subarray(['S', 'A', 'F', 'R', 'P']).map((l) => l.join(''))),
  rel: fc.oneof(fc.integer({ min: 0, max: 6000 }), u32),
  relAck: fc.oneof(fc.integer({ min: 0, max: 6000 }), u32),
  randomSeq: fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: u32, weight: 1 }),
  options: fc.array(tcpOption, { maxLength: 3 }),
  payload: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1500 })),
  fill: u8,
  snaplen: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: fc.integer({ min: 14, max: 120 }), weight: 1 }),
  dt: fc.oneof(fc.double({ min: 0, max: 0.2, noNaN: true }), fc.constant(-1)),
});

/** A handshake for one connection: SYN, SYN/ACK, ACK with MP_CAPABLE or MP_JOIN, so sessions exist. */
const handshake: fc.Arbitrary<Pkt[]> = fc
  .record({ path: fc.integer({ min: 0, max: 1 }), cport: fc.integer({ min: 0, max: 2 }), v: version, ck: key, sk: key, join: fc.boolean(), csum: fc.boolean() })
  .map(({ path, cport, v, ck, sk, join, csum }) => {
    const base = { path, cport, randomSeq: null, payload: 0, fill: 0, snaplen: null, dt: 0.001, relAck: 1 };
    const f = csum ? 0x81 : 0x01;
    if (join) {
      return [
        { ...base, fromClient: true, flags: 'S', rel: 0, relAck: 0, options: [opt.joinSyn(tokenOf(sk, v), '11223344', 1)] },
        { ...base, fromClient: false, flags: 'SA', rel: 0, options: [opt.joinSynAck('0102030405060708', '55667788', 2)] },
        { ...base, fromClient: true, flags: 'A', rel: 1, options: [opt.joinAck('00'.repeat(20))] },
      ];
    }
    return [
      { ...base, fromClient: true, flags: 'S', rel: 0, relAck: 0, options: [opt.mpcSyn(v, f, v === 0 ? ck : undefined)] },
      { ...base, fromClient: false, flags: 'SA', rel: 0, options: [opt.mpcSyn(v, f, sk)] },
      { ...base, fromClient: true, flags: 'A', rel: 1, options: [opt.mpcAck(v, f, ck, sk)] },
    ];
  });

/** RFC 1071 sum over the DSS pseudo-header (DSN, subflow sequence, data-level length, zero) and the payload. */
function dssChecksum(dsn: bigint, ssn: number, len: number, payload: Buffer): number {
  const ph = Buffer.alloc(16);
  ph.writeBigUInt64BE(dsn, 0);
  ph.writeUInt32BE(ssn >>> 0, 8);
  ph.writeUInt16BE(len, 12);
  const all = Buffer.concat([ph, payload]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += (all[i] << 8) | (i + 1 < all.length ? all[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An MP_CAPABLE handshake followed by data both ways whose DSS mappings line up with the keys. */
const session: fc.Arbitrary<Pkt[]> = fc
  .record({
    path: fc.integer({ min: 0, max: 1 }), cport: fc.integer({ min: 0, max: 2 }), v: version, ck: key, sk: key, csum: fc.boolean(),
    chunks: fc.array(fc.record({
      fromClient: fc.boolean(), len: fc.integer({ min: 1, max: 600 }), dsn64: fc.boolean(), fin: fc.boolean(), dup: fc.boolean(),
      skip: fc.boolean(), badSum: fc.boolean(), fill: u8,
    }), { maxLength: 12 }),
  })
  .map(({ path, cport, v, ck, sk, csum, chunks }) => {
    const f = csum ? 0x81 : 0x01;
    const base = { path, cport, randomSeq: null, snaplen: null, dt: 0.001, payload: 0, fill: 0 };
    const out: Pkt[] = [
      { ...base, fromClient: true, flags: 'S', rel: 0, relAck: 0, options: [opt.mpcSyn(v, f, v === 0 ? ck : undefined)] },
      { ...base, fromClient: false, flags: 'SA', rel: 0, relAck: 1, options: [opt.mpcSyn(v, f, sk)] },
      { ...base, fromClient: true, flags: 'A', rel: 1, relAck: 1, options: [opt.mpcAck(v, f, ck, sk)] },
    ];
    const sent = [0, 0];
    const idsn = [idsnOf(ck, v), idsnOf(sk, v)];
    for (const c of chunks) {
      const d = c.fromClient ? 0 : 1;
      const off = sent[d];
      sent[d] += c.len;
      // A skipped chunk is one the capture missed: later data waits behind the hole.
      if (c.skip && c.len % 3 === 0) continue;
      const dsn = (idsn[d] + 1n + BigInt(off)) & ((1n << 64n) - 1n);
      const dll = c.len + (c.fin ? 1 : 0);
      const payload = Buffer.alloc(c.len, c.fill);
      const sum = csum ? (dssChecksum(dsn, 1 + off, dll, payload) ^ (c.badSum && c.len % 5 === 0 ? 1 : 0)) : undefined;
      const p: Pkt = {
        ...base, fromClient: c.fromClient, flags: c.fin ? 'PAF' : 'PA', rel: 1 + off, relAck: 1 + sent[1 - d],
        options: [opt.dss({ dsn, dsn64: c.dsn64, ssn: 1 + off, len: dll, fin: c.fin, csum: sum })], payload: c.len, fill: c.fill,
      };
      out.push(p);
      if (c.dup) out.push({ ...p, fill: c.len % 7 === 0 ? c.fill ^ 0xff : c.fill });
    }
    return out;
  });

const script = fc
  .tuple(fc.array(session, { maxLength: 2 }), fc.array(handshake, { maxLength: 2 }), fc.array(packet, { maxLength: 30 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }))
  .map(([sessions, hs, rest, swaps]) => {
    const all = [...sessions.flat(), ...hs.flat(), ...rest];
    // A few swaps: reordering across the capture without losing every handshake.
    for (const [a, b] of swaps) if (all.length) { const i = a % all.length; const j = b % all.length; [all[i], all[j]] = [all[j], all[i]]; }
    return all;
  });

function frames(pkts: Pkt[]) {
  let t = 1700000000;
  return pkts.map((p, i) => {
    t = p.dt < 0 ? t - 0.5 : t + p.dt;
    const c = CLIENTS[p.path];
    const s = SERVERS[p.path];
    const cp = CPORTS[p.cport];
    const myIsn = isnOf(p.path, p.cport, p.fromClient);
    const peerIsn = isnOf(p.path, p.cport, !p.fromClient);
    // Keep the options inside the 40 bytes a TCP header has room for.
    const options: Buffer[] = [];
    let room = 40;
    for (const o of p.options) if (o.length <= room) { options.push(o); room -= o.length; }
    const frame = tcpFrame({
      src: p.fromClient ? c : s, dst: p.fromClient ? s : c, sport: p.fromClient ? cp : SPORT, dport: p.fromClient ? SPORT : cp,
      seq: p.randomSeq ?? (myIsn + p.rel) >>> 0, ack: (peerIsn + p.relAck) >>> 0, flags: p.flags, options,
      payload: Buffer.alloc(p.payload, p.fill),
    });
    return record(i + 1, t, frame, p.snaplen ?? undefined);
  });
}

/** Every number in the report is finite (JSON would silently turn NaN and Infinity into null). */
function finiteNumbers(v: unknown, path = 'report'): void {
  if (typeof v === 'number') expect(Number.isFinite(v), `${path} = ${v}`).toBe(true);
  else if (Array.isArray(v)) v.forEach((x, i) => finiteNumbers(x, `${path}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) finiteNumbers(x, `${path}.${k}`);
}

describe('analysis of arbitrary packet sequences', () => {
  it('never throws; the report builds, serializes, validates and renders (seeded)', () => {
    let sessions = 0;
    let mappedBytes = 0;
    fc.assert(
      fc.property(script, (pkts) => {
        const engine = new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS });
        const p = newDecodedPacket();
        const recs = frames(pkts);
        for (const r of recs) engine.push(r, decodePacket(r, p));
        engine.finish();
        const report = buildReport(engine, { file: 'crafted', format: 'pcap', truncated: false, version: '0.0.0' });
        expect(report.capture.packets).toBe(recs.length);
        finiteNumbers(report);
        const json = JSON.parse(JSON.stringify(report));
        const ok = validate(json);
        expect(validate.errors ?? []).toEqual([]);
        expect(ok).toBe(true);
        expect(typeof formatSummary(report, false)).toBe('string');
        sessions += report.sessions.length;
        for (const s of report.sessions) mappedBytes += s.data.c2s.bytes + s.data.s2c.bytes;
      }),
      { seed: 0x616e6c7a, numRuns: 400 },
    );
    // The generator must build sessions and move data-level bytes, or it tests only the easy paths.
    expect(sessions).toBeGreaterThan(200);
    expect(mappedBytes).toBeGreaterThan(0);
  });
});
