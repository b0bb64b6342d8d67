// Issue 13: every captured byte placed, every packet counted once, every gap explained. Each case is a crafted
// conversation whose expected figures follow from what the test sends (sizes, DSNs, packet numbers) and the RFCs.
import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { opt } from './helpers/craft.js';
import { C, KEY_S, S, Trace, c2s, dssChecksum, handshake, idsnOf, s2c, sha, tokenOf, type Flow } from './helpers/trace.js';
import type { AnalysisReport } from '../analyze/report-types.js';

const CKEY = 'c1c2c3c4c5c6c7c8';
const bytes = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

/** Every TCP packet is counted in exactly one place (also run on every capture, test/analyze-invariants.test.ts). */
function expectCountedOnce(r: AnalysisReport): void {
  const inSessions = r.sessions.reduce((a, s) => a + s.packets, 0);
  const inUnmatched = r.unmatched.reduce((a, u) => a + u.packets, 0);
  expect(inSessions + inUnmatched + r.capture.plainTcpPackets + r.capture.unlistedTcpPackets).toBe(r.capture.tcpPackets);
  for (const s of r.sessions) expect(s.subflows.reduce((a, f) => a + f.packets, 0)).toBe(s.packets);
}

describe('fault 2: a connection seen before its SYN is counted once', () => {
  it('initial subflow: a data packet before the handshake (reordered capture)', () => {
    const tr = new Trace();
    const base = idsnOf(CKEY, 1) + 1n;
    const f: Flow = { cport: 40000, sport: 443, cisn: 1000, sisn: 5000 };
    // Server's ACK + DATA_ACK first: the connection is first seen from the server side.
    tr.send({ src: S, dst: C, sport: f.sport, dport: f.cport, seq: f.sisn + 1, ack: f.cisn + 1, flags: 'A', options: [opt.dataAck(base)] });
    handshake(tr, 1, CKEY, KEY_S);
    const d = bytes(300);
    c2s(tr, f, 1, d, opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 300 }));
    const r = tr.report();
    expect(r.unmatched).toEqual([]);
    expect(r.sessions).toHaveLength(1);
    const s = r.sessions[0];
    expect(s.packets).toBe(5);
    expect(s.subflows[0]).toMatchObject({ packets: 5, client: `${C}:40000`, server: `${S}:443`, firstPacket: 1 });
    expect(s.data.c2s.sha256).toBe(sha(d));
    expectCountedOnce(r);
  });

  it('join subflow: its first data packet arrives before its MP_JOIN SYN (merged interfaces)', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    const base = idsnOf(CKEY, 1) + 1n;
    const j: Flow = { cport: 40001, sport: 443, cisn: 9000, sisn: 70000, csrc: '10.0.1.1' };
    const a = bytes(500, 3);
    const b = bytes(400, 5);
    c2s(tr, f, 1, a, opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 500 }));
    // The join's ACK (from the client) appears before its SYN.
    tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn + 1, ack: j.sisn + 1, flags: 'A', options: [opt.dataAck(idsnOf(KEY_S, 1) + 1n)] });
    tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn, flags: 'S', options: [opt.joinSyn(tokenOf(KEY_S, 1), '11111111', 1)] });
    tr.send({ src: S, dst: j.csrc!, sport: j.sport, dport: j.cport, seq: j.sisn, ack: j.cisn + 1, flags: 'SA', options: [opt.joinSynAck('0000000000000000', '22222222', 0)] });
    c2s(tr, j, 1, b, opt.dss({ dsn: base + 500n, dsn64: true, ssn: 1, len: 400 }));
    const r = tr.report();
    expect(r.unmatched).toEqual([]);
    const s = r.sessions[0];
    expect(s.subflows).toHaveLength(2);
    expect(s.subflows[1]).toMatchObject({ packets: 4, client: '10.0.1.1:40001', join: true });
    expect(s.packets).toBe(8);
    expect(s.data.c2s.sha256).toBe(sha(Buffer.concat([a, b])));
    expectCountedOnce(r);
  });

  it('plain, unmatched and unlisted packets add up to the TCP packets', () => {
    const tr = new Trace({ maxUnmatched: 2 });
    for (let i = 0; i < 3; i++) tr.send({ src: C, dst: S, sport: 100 + i, dport: 80, seq: 1, flags: 'S' });
    tr.send({ src: C, dst: S, sport: 100, dport: 80, seq: 2, ack: 1, flags: 'R' });
    for (let i = 0; i < 5; i++) tr.send({ src: '10.9.0.1', dst: S, sport: 2000 + i, dport: 443, seq: i, flags: 'S', options: [opt.joinSyn('deadbeef', '00000001', 1)] });
    const r = tr.report();
    expect(r.capture.plainTcpPackets).toBe(4);
    expect(r.unmatched.map((u) => u.packets)).toEqual([1, 1]);
    expect(r.capture.unlistedTcpPackets).toBe(3);
    expectCountedOnce(r);
  });
});
