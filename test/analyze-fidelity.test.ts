// Issue 13: every captured byte placed, every packet counted once, every gap explained. Each case is a crafted
// conversation whose expected figures follow from what the test sends (sizes, DSNs, packet numbers) and the RFCs.
import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { opt } from './helpers/craft.js';
import { C, KEY_S, S, Trace, c2s, dssChecksum, handshake, idsnOf, joinHmacV1, s2c, sha, tokenOf, type Flow } from './helpers/trace.js';
import { formatSummary } from '../analyze/summary-text.js';
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

  it('join subflow: data it carried before its SYN was captured is placed once the handshake is seen', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    const base = idsnOf(CKEY, 1) + 1n;
    const j: Flow = { cport: 40001, sport: 443, cisn: 9000, sisn: 70000, csrc: '10.0.1.1' };
    const d = bytes(1200, 11);
    c2s(tr, f, 1, d.subarray(0, 500), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 500 }));
    // The join's first data segment is captured on another interface and merged ahead of its handshake.
    const early = c2s(tr, j, 1, d.subarray(500, 900), opt.dss({ dsn: base + 500n, dsn64: true, ssn: 1, len: 400 }));
    const ra = '11111111';
    const rb = '22222222';
    tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn, flags: 'S', options: [opt.joinSyn(tokenOf(KEY_S, 1), ra, 1)] });
    tr.send({ src: S, dst: j.csrc!, sport: j.sport, dport: j.cport, seq: j.sisn, ack: j.cisn + 1, flags: 'SA', options: [opt.joinSynAck(joinHmacV1(KEY_S, CKEY, rb, ra).slice(0, 16), rb, 0)] });
    tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn + 1, ack: j.sisn + 1, flags: 'A', options: [opt.joinAck(joinHmacV1(CKEY, KEY_S, ra, rb).slice(0, 40))] });
    c2s(tr, j, 401, d.subarray(900), opt.dss({ dsn: base + 900n, dsn64: true, ssn: 401, len: 300 }));
    const r = tr.report();
    expect(r.unmatched).toEqual([]);
    const s = r.sessions[0];
    expect(s.subflows[1]).toMatchObject({ firstPacket: early, packets: 5, dataBytes: { c2s: 700, s2c: 0 }, hmac: 'valid' });
    expect(s.data.c2s).toMatchObject({ bytes: 1200, missing: 0, complete: true, sha256: sha(d) });
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

describe('fault 5: retransmission, out of order and reinjection as defined', () => {
  it('a segment filling a subflow hole is out of order; one repeating seen bytes is a retransmission', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    const base = idsnOf(CKEY, 1) + 1n;
    const d = bytes(3000);
    const seg = (i: number) => c2s(tr, f, 1 + i * 1000, d.subarray(i * 1000, (i + 1) * 1000), opt.dss({ dsn: base + BigInt(i * 1000), dsn64: true, ssn: 1 + i * 1000, len: 1000 }));
    seg(0);
    seg(2); // bytes 1001..2000 not seen yet
    seg(1); // fills the hole: out of order, not a retransmission
    seg(0); // repeats bytes seen: a retransmission
    const r = tr.report();
    const sf = r.sessions[0].subflows[0];
    expect(sf.retransmissions).toBe(1);
    expect(sf.outOfOrder).toBe(1);
    expect(sf.reinjectedBytes).toBe(0);
    expect(r.sessions[0].data.c2s.sha256).toBe(sha(d));
  });

  it('data-level bytes first sent on another subflow are a reinjection even when they fill a hole on their own subflow', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    const base = idsnOf(CKEY, 1) + 1n;
    const j: Flow = { cport: 40001, sport: 443, cisn: 9000, sisn: 70000, csrc: '10.0.1.1' };
    tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn, flags: 'S', options: [opt.joinSyn(tokenOf(KEY_S, 1), '11111111', 1)] });
    tr.send({ src: S, dst: j.csrc!, sport: j.sport, dport: j.cport, seq: j.sisn, ack: j.cisn + 1, flags: 'SA', options: [opt.joinSynAck('0000000000000000', '22222222', 0)] });
    const d = bytes(1500);
    c2s(tr, f, 1, d.subarray(0, 500), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 500 }));
    // On the join: subflow bytes 501..1000 first (a hole below them), then 1..500 carrying data already sent on subflow 0.
    c2s(tr, j, 501, d.subarray(500, 1000), opt.dss({ dsn: base + 500n, dsn64: true, ssn: 501, len: 500 }));
    c2s(tr, j, 1, d.subarray(0, 500), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 500 }));
    c2s(tr, f, 501, d.subarray(1000), opt.dss({ dsn: base + 1000n, dsn64: true, ssn: 501, len: 500 }));
    const r = tr.report();
    const [s0, s1] = r.sessions[0].subflows;
    expect(s1.outOfOrder).toBe(1);
    expect(s1.retransmissions).toBe(0);
    expect(s1.reinjectedBytes).toBe(500);
    expect(s0.reinjectedBytes).toBe(0);
    expect(r.sessions[0].data.c2s.reinjectedBytes).toBe(500);
    expect(r.sessions[0].data.c2s.sha256).toBe(sha(d));
  });

  it('an ADD_ADDR HMAC of the leftmost 64 bits is invalid, named after the Linux fix', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    // Sent by the server: HMAC keyed with the server's then the client's key over ID, address and a zero port.
    const digest = (id: number) => createHmac('sha256', Buffer.from(KEY_S + CKEY, 'hex')).update(Buffer.from([id, 10, 0, 9, 9, 0, 0])).digest();
    s2c(tr, f, 1, 1, Buffer.alloc(0), [opt.addAddr(7, '10.0.9.9', digest(7).toString('hex', 0, 8))]);
    s2c(tr, f, 1, 1, Buffer.alloc(0), [opt.addAddr(8, '10.0.9.9', digest(8).toString('hex', 24, 32))]);
    const r = tr.report();
    const bad = r.sessions[0].findings.filter((x) => x.code === 'HMAC_INVALID');
    expect(bad).toHaveLength(1);
    expect(bad[0].message).toContain('"mptcp: use rightmost 64 bits in ADD_ADDR HMAC"');
    expect(bad[0].packets).toEqual([4]);
    expect(r.sessions[0].events.filter((e) => e.type === 'ADD_ADDR').map((e) => e.hmac)).toEqual(['invalid', 'valid']);
  });
});

describe('fault 5: MP_JOIN HMAC verdicts say what was checked', () => {
  for (const thirdAck of [true, false]) {
    it(thirdAck ? 'both HMACs captured: valid (SYN/ACK+ACK)' : 'third ACK not captured: valid on the SYN/ACK HMAC alone, and said so', () => {
      const tr = new Trace();
      handshake(tr, 1, CKEY, KEY_S);
      const j: Flow = { cport: 40001, sport: 443, cisn: 9000, sisn: 70000, csrc: '10.0.1.1' };
      const ra = '0a0b0c0d';
      const rb = '01020304';
      tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn, flags: 'S', options: [opt.joinSyn(tokenOf(KEY_S, 1), ra, 1)] });
      tr.send({ src: S, dst: j.csrc!, sport: j.sport, dport: j.cport, seq: j.sisn, ack: j.cisn + 1, flags: 'SA', options: [opt.joinSynAck(joinHmacV1(KEY_S, CKEY, rb, ra).slice(0, 16), rb, 0)] });
      if (thirdAck) tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn + 1, ack: j.sisn + 1, flags: 'A', options: [opt.joinAck(joinHmacV1(CKEY, KEY_S, ra, rb).slice(0, 40))] });
      const r = tr.report();
      const sf = r.sessions[0].subflows[1];
      expect(sf).toMatchObject({ hmac: 'valid', hmacSynAck: 'valid', hmacAck: thirdAck ? 'valid' : 'unverifiable' });
      expect(formatSummary(r, false)).toContain(thirdAck ? 'valid (SYN/ACK+ACK)' : 'valid (SYN/ACK)');
    });
  }
});

describe('fault 6: one finding per fact', () => {
  it('the MP_FASTCLOSE of a session, sent on two subflows, is one finding listing both packets', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    const j: Flow = { cport: 40001, sport: 443, cisn: 9000, sisn: 70000, csrc: '10.0.1.1' };
    tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn, flags: 'S', options: [opt.joinSyn(tokenOf(KEY_S, 1), '11111111', 1)] });
    tr.send({ src: S, dst: j.csrc!, sport: j.sport, dport: j.cport, seq: j.sisn, ack: j.cisn + 1, flags: 'SA', options: [opt.joinSynAck('0000000000000000', '22222222', 0)] });
    const p1 = c2s(tr, j, 1, Buffer.alloc(0), opt.fastclose(KEY_S));
    const p2 = c2s(tr, f, 1, Buffer.alloc(0), opt.fastclose(KEY_S));
    const r = tr.report();
    const fc = r.findings.filter((x) => x.code === 'MP_FASTCLOSE');
    expect(fc).toHaveLength(1);
    expect(fc[0].packets).toEqual([p1, p2]);
    expect(fc[0].subflow).toBeUndefined();
    expect(fc[0].message).toContain('by the client');
    expect(r.sessions[0].events.filter((e) => e.type === 'MP_FASTCLOSE')).toHaveLength(2);
  });
});

describe('fault 1: data before its mapping waits for it (RFC 8684 §3.3.1)', () => {
  for (const checksums of [false, true]) {
    it(`the issue's 6000-byte example${checksums ? ', with DSS checksums' : ''}: 4500 bytes placed, one gap of 1500 at offset 4500`, () => {
      const tr = new Trace();
      const f = handshake(tr, 1, CKEY, KEY_S, checksums ? 0x81 : 0x01);
      const base = idsnOf(CKEY, 1) + 1n;
      const d = bytes(6000, 9);
      const map = (off: number) => opt.dss({ dsn: base + BigInt(off), dsn64: true, ssn: 1 + off, len: 3000, csum: checksums ? dssChecksum(base + BigInt(off), 1 + off, 3000, d.subarray(off, off + 3000)) : undefined });
      const verdicts: Array<boolean | null> = [];
      tr.engine.observe({ packet: (_p, _r, an) => { verdicts.push(an.checksum); } });
      c2s(tr, f, 1501, d.subarray(1500, 3000), null); // no DSS: its mapping comes with the next packet
      c2s(tr, f, 1, d.subarray(0, 1500), map(0));
      c2s(tr, f, 3001, d.subarray(3000, 4500), map(3000));
      const r = tr.report();
      const s = r.sessions[0];
      const c = s.data.c2s;
      expect(c.bytes).toBe(4500);
      expect(c.missing).toBe(1500);
      expect(c.complete).toBe(false);
      expect(c.gaps).toHaveLength(1);
      expect(c.gaps[0]).toMatchObject({ offset: 4500, length: 1500 });
      expect(s.subflows[0].dataBytes.c2s).toBe(4500);
      const codes = s.findings.map((x) => x.code);
      expect(codes).not.toContain('DSS_CHECKSUM_MISMATCH');
      expect(codes).not.toContain('DATA_UNMAPPED');
      // With checksums: the first mapping verifies when its second packet arrives; the second stays unverifiable.
      expect(verdicts).toEqual(checksums ? [null, true, null] : [null, null, null]);
    });
  }

  it('v0 style: one 60000-byte checksummed mapping carried only by the retransmission of its first segment, after the rest', () => {
    const tr = new Trace();
    const f = handshake(tr, 0, CKEY, KEY_S, 0x81); // v0: keys in SYN and SYN/ACK, checksums required
    const base = idsnOf(CKEY, 0) + 1n;
    const d = bytes(60000, 13);
    // 32-bit DSN as the v0 kernel sends it, checksum over the whole mapping (RFC 6824 §3.3).
    const dss = opt.dss({ dsn: base & 0xffffffffn, dsn64: false, ssn: 1, len: 60000, csum: dssChecksum(base, 1, 60000, d) });
    for (let i = 0; i < 40; i++) c2s(tr, f, 1 + i * 1500, d.subarray(i * 1500, (i + 1) * 1500), null);
    c2s(tr, f, 1, d.subarray(0, 1500), dss);
    const r = tr.report();
    const s = r.sessions[0];
    expect(s.version).toBe(0);
    expect(s.data.c2s).toMatchObject({ bytes: 60000, missing: 0, complete: true, sha256: sha(d), unmappedBytes: 0 });
    expect(s.findings.map((x) => x.code)).toEqual([]);
    expect(s.subflows[0]).toMatchObject({ retransmissions: 1, dataBytes: { c2s: 61500, s2c: 0 } });
  });

  it('bytes no mapping ever covers are reported as unmapped, not as not captured', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    const base = idsnOf(CKEY, 1) + 1n;
    const d = bytes(1000);
    c2s(tr, f, 1, d.subarray(0, 500), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 500 }));
    const lost = c2s(tr, f, 501, d.subarray(500), null);
    const r = tr.report();
    const s = r.sessions[0];
    expect(s.data.c2s.bytes).toBe(500);
    expect(s.data.c2s.unmappedBytes).toBe(500);
    const u = s.findings.find((x) => x.code === 'DATA_UNMAPPED');
    expect(u?.packets).toEqual([lost]);
  });

  it('waiting unmapped bytes are bounded by --max-buffer', () => {
    const tr = new Trace({ maxBuffer: 2000 });
    const f = handshake(tr, 1, CKEY, KEY_S);
    const base = idsnOf(CKEY, 1) + 1n;
    const d = bytes(4000);
    for (let i = 0; i < 4; i++) c2s(tr, f, 1 + i * 1000, d.subarray(i * 1000, (i + 1) * 1000), null);
    c2s(tr, f, 1, d.subarray(0, 1000), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 4000 }));
    const r = tr.report();
    const c = r.sessions[0].data.c2s;
    // Two segments were given up when the third arrived; the last two waited for the mapping.
    expect(c.unmappedBytes).toBe(2000);
    expect(r.sessions[0].findings.find((x) => x.code === 'DATA_UNMAPPED')?.message).toMatch(/buffer limit/);
    expect(c.bytes + c.missing).toBe(4000);
  });
});

describe('fault 3: every gap has a reason and the packets proving it', () => {
  const setup = () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    return { tr, f, base: idsnOf(CKEY, 1) + 1n, d: bytes(3000, 7) };
  };
  const seg = (t: ReturnType<typeof setup>, i: number, len = 1000) =>
    c2s(t.tr, t.f, 1 + i * 1000, t.d.subarray(i * 1000, i * 1000 + len), opt.dss({ dsn: t.base + BigInt(i * 1000), dsn64: true, ssn: 1 + i * 1000, len }));

  it('lost in capture: a later segment on the same subflow proves the bytes were sent', () => {
    const t = setup();
    seg(t, 0);
    const later = seg(t, 2);
    const c = t.tr.report().sessions[0].data.c2s;
    expect(c.gaps).toEqual([{ offset: 1000, length: 1000, reason: 'lost in capture', packets: [later] }]);
  });

  it('lost in capture: the peer\'s DATA_ACK proves bytes no captured segment carried', () => {
    const t = setup();
    c2s(t.tr, t.f, 1, t.d.subarray(0, 1000), opt.dss({ dsn: t.base, dsn64: true, ssn: 1, len: 2000 }));
    const ack = s2c(t.tr, t.f, 1, 2001, Buffer.alloc(0), [opt.dataAck(t.base + 2000n)]);
    const c = t.tr.report().sessions[0].data.c2s;
    expect(c.gaps).toEqual([{ offset: 1000, length: 1000, reason: 'lost in capture', packets: [ack] }]);
  });

  it('never sent: the session was aborted by MP_FASTCLOSE before the bytes up to DATA_FIN', () => {
    const t = setup();
    seg(t, 0);
    // DATA_FIN announced at offset 3000 (a DSS without payload), then the abort.
    c2s(t.tr, t.f, 1001, Buffer.alloc(0), opt.dss({ dsn: t.base + 3000n, dsn64: true, ssn: 0, len: 1, fin: true }));
    const fc = s2c(t.tr, t.f, 1, 1001, Buffer.alloc(0), [opt.fastclose(CKEY)], 'AR');
    const r = t.tr.report();
    const c = r.sessions[0].data.c2s;
    expect(c.length).toBe(3000);
    expect(c.gaps).toEqual([{ offset: 1000, length: 2000, reason: 'never sent', packets: [fc] }]);
    expect(c.missingReasons).toEqual(['never sent']);
    expect(c.open).toBe(false);
  });

  it('lost in capture: the peer\'s SACK of later subflow bytes proves the bytes its mapping placed before them were sent', () => {
    const t = setup();
    // One mapping of 3000 bytes; only its first segment was captured; the server SACKs the third.
    c2s(t.tr, t.f, 1, t.d.subarray(0, 1000), opt.dss({ dsn: t.base, dsn64: true, ssn: 1, len: 3000 }));
    const sack = t.tr.send({ src: S, dst: C, sport: t.f.sport, dport: t.f.cport, seq: t.f.sisn + 1, ack: t.f.cisn + 1001, flags: 'A', options: [opt.sack([[t.f.cisn + 2001, t.f.cisn + 3001]])] });
    const c = t.tr.report().sessions[0].data.c2s;
    expect(c.gaps).toEqual([{ offset: 1000, length: 2000, reason: 'lost in capture', packets: [sack] }]);
  });

  it('snaplen: the packet that was cut', () => {
    const t = setup();
    const cut = c2s(t.tr, t.f, 1, t.d.subarray(0, 1000), opt.dss({ dsn: t.base, dsn64: true, ssn: 1, len: 1000 }), 200);
    const c = t.tr.report().sessions[0].data.c2s;
    expect(c.gaps).toHaveLength(1);
    expect(c.gaps[0]).toMatchObject({ reason: 'snaplen', packets: [cut] });
    expect(c.bytes + c.gaps[0].length).toBe(1000);
  });
});

describe('fault 4: a truncated capture and a direction still open are said', () => {
  it('CAPTURE_TRUNCATED is a finding of analyze, and the bytes cut by it have that reason', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    const base = idsnOf(CKEY, 1) + 1n;
    c2s(tr, f, 1, bytes(500), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 1500 }));
    const r = tr.report(true);
    const t = r.findings.find((x) => x.code === 'CAPTURE_TRUNCATED');
    expect(t?.severity).toBe('warning');
    expect(t?.packets).toEqual([tr.n]);
    expect(r.sessions[0].data.c2s.gaps).toEqual([{ offset: 500, length: 1000, reason: 'capture truncated', packets: [] }]);
  });

  it('a direction without DATA_FIN whose subflow is open at the end: open, and its missing tail is "capture ended"', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S);
    const base = idsnOf(CKEY, 1) + 1n;
    c2s(tr, f, 1, bytes(500), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 1500 }));
    const r = tr.report();
    const c = r.sessions[0].data.c2s;
    expect(c.open).toBe(true);
    expect(c.gaps).toEqual([{ offset: 500, length: 1000, reason: 'capture ended', packets: [] }]);
    expect(formatSummary(r, false)).toContain('still open at the end of the capture');
    expect(r.findings.map((x) => x.code)).not.toContain('CAPTURE_TRUNCATED');
  });
});

describe('fault 8 (engine part): findings name the direction and the relative data offset; exact JSON times', () => {
  it('MP_FAIL and the DSS checksum mismatch next to it give the same relative DSN, and the direction of the data', () => {
    const tr = new Trace();
    const f = handshake(tr, 1, CKEY, KEY_S, 0x81);
    const base = idsnOf(CKEY, 1) + 1n;
    const good = bytes(1000, 2);
    const bad = bytes(500, 4);
    c2s(tr, f, 1, good, opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 1000, csum: dssChecksum(base, 1, 1000, good) }));
    const wire = Buffer.from(bad);
    wire[10] ^= 0xff;
    const p = c2s(tr, f, 1001, wire, opt.dss({ dsn: base + 1000n, dsn64: true, ssn: 1001, len: 500, csum: dssChecksum(base + 1000n, 1001, 500, bad) }));
    // The receiver (server) reports the corrupted c2s data at its DSN.
    const fail = s2c(tr, f, 1, 1001, Buffer.alloc(0), [opt.mpFail(base + 1000n)]);
    const r = tr.report();
    const s = r.sessions[0];
    const mismatch = s.findings.find((x) => x.code === 'DSS_CHECKSUM_MISMATCH')!;
    const mpFail = s.findings.find((x) => x.code === 'MP_FAIL')!;
    expect(mismatch.message).toContain('c2s mapping at relative DSN 1001 (500 bytes)');
    expect(mismatch.packets).toEqual([p]);
    expect(mpFail.message).toContain(`corrupted c2s data at relative DSN 1001 (DSN ${base + 1000n})`);
    expect(mpFail.packets).toEqual([fail]);
    const ev = s.events.find((e) => e.type === 'MP_FAIL')!;
    expect(ev).toMatchObject({ dsn: (base + 1000n).toString(), relativeDsn: 1001, dataDir: 'c2s', dir: 's2c' });
    expect(s.events.find((e) => e.type === 'DSS_CHECKSUM_MISMATCH')).toMatchObject({ dir: 'c2s', relativeDsn: 1001 });
  });

  it('event times are exact to the nanosecond, from the integer timestamps', () => {
    const tr = new Trace();
    const f: Flow = { cport: 40000, sport: 443, cisn: 1000, sisn: 5000 };
    tr.sendAt({ src: C, dst: S, sport: f.cport, dport: f.sport, seq: f.cisn, flags: 'S', options: [opt.mpcSyn(1, 1)] }, 1_795_446_681, 27_488_280);
    tr.sendAt({ src: S, dst: C, sport: f.sport, dport: f.cport, seq: f.sisn, ack: f.cisn + 1, flags: 'SA', options: [opt.mpcSyn(1, 1, KEY_S)] }, 1_795_446_685, 456_203_280);
    tr.sendAt({ src: C, dst: S, sport: f.cport, dport: f.sport, seq: f.cisn + 1, ack: f.sisn + 1, flags: 'AF', options: [opt.mpcAck(1, 1, CKEY, KEY_S)] }, 1_795_446_685, 456_203_281);
    const r = tr.report();
    expect(r.sessions[0].events.map((e) => e.time)).toEqual([0, 4.428715, 4.428715001]);
  });
});
