// Mapping arithmetic and reassembly on crafted packets (what no kernel capture shows: 32-bit DSN wrap,
// overlapping and conflicting reinjections, DATA_FIN forms, checksum mismatches, token floods).
// Expected values come from the payloads the test itself sends and from RFC 8684/6824 arithmetic.
import { describe, expect, it } from 'vitest';
import { opt } from './helpers/craft.js';
import { C, KEY_S, S, Trace, c2s, dssChecksum, handshake, idsnOf, sha, tokenOf, type Flow } from './helpers/trace.js';

describe('data-level reassembly through DSS mappings', () => {
  it('widens 32-bit DSNs across a 2^32 wrap (v0, RFC 6824 §3.3.1)', () => {
    // A client key whose IDSN+1 sits just below a 32-bit boundary (found by trying keys 0, 1, 2, ... until the
    // low 32 bits of SHA-1(key)'s IDSN+1 exceeded 0xfffff000), so the data crosses it; asserted below.
    const ckey = '00000000000a45c1';
    expect((idsnOf(ckey, 0) + 1n) & 0xffffffffn).toBeGreaterThan(0xfffff000n);
    const base = idsnOf(ckey, 0) + 1n;
    const tr = new Trace();
    const f = handshake(tr, 0, ckey, KEY_S);
    const chunks = [0, 1, 2, 3].map((i) => Buffer.alloc(1500, 0x41 + i));
    let off = 0;
    for (const ch of chunks) {
      c2s(tr, f, 1 + off, ch, opt.dss({ dsn: base + BigInt(off), dsn64: false, ssn: 1 + off, len: ch.length }));
      off += ch.length;
    }
    expect((base + BigInt(off)) >> 32n).toBeGreaterThan(base >> 32n); // the data really crosses 2^32
    const r = tr.report();
    const d = r.sessions[0].data.c2s;
    expect(d.complete).toBe(true);
    expect(d.bytes).toBe(6000);
    expect(d.sha256).toBe(sha(Buffer.concat(chunks)));
    expect(r.sessions[0].client.token).toBe(tokenOf(ckey, 0));
  });

  it('a mapping spanning several segments, delivered out of order across subflows, with reinjection of a partly acknowledged range', () => {
    const ckey = 'aaaaaaaaaaaaaaaa';
    const tr = new Trace();
    const f = handshake(tr, 1, ckey, KEY_S);
    const base = idsnOf(ckey, 1) + 1n;
    // Join a second subflow from another client address with the server's token.
    const j: Flow = { cport: 40001, sport: 443, cisn: 9000, sisn: 70000, csrc: '10.0.1.1' };
    tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn, flags: 'S', options: [opt.joinSyn(tokenOf(KEY_S, 1), '11111111', 1)] });
    tr.send({ src: S, dst: j.csrc!, sport: j.sport, dport: j.cport, seq: j.sisn, ack: j.cisn + 1, flags: 'SA', options: [opt.joinSynAck('0000000000000000', '22222222', 0)] });
    const data = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7) & 0xff));
    // Subflow 0 carries one mapping of 3000 bytes in two segments, but the second segment comes late.
    const m0 = opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 3000 });
    c2s(tr, f, 1, data.subarray(0, 1500), m0);
    // Subflow 1 carries bytes 3000..4000 first (out of order at the data level).
    c2s(tr, j, 1, data.subarray(3000, 4000), opt.dss({ dsn: base + 3000n, dsn64: true, ssn: 1, len: 1000 }));
    // Reinjection on subflow 1 of 2000..3000 (partly overlapping what subflow 0 will still deliver).
    c2s(tr, j, 1001, data.subarray(2000, 3000), opt.dss({ dsn: base + 2000n, dsn64: true, ssn: 1001, len: 1000 }));
    c2s(tr, f, 1501, data.subarray(1500, 3000), m0);
    const r = tr.report();
    const s = r.sessions[0];
    expect(s.subflows).toHaveLength(2);
    const d = s.data.c2s;
    expect(d.complete).toBe(true);
    expect(d.bytes).toBe(4000);
    expect(d.sha256).toBe(sha(data));
    expect(d.duplicateBytes).toBe(1000);
    expect(d.reorderedSegments).toBeGreaterThan(0);
    expect(d.conflictingBytes).toBe(0);
  });

  it('reinjected bytes with different content are a DATA_CONFLICT finding', () => {
    const ckey = 'bbbbbbbbbbbbbbbb';
    const tr = new Trace();
    const f = handshake(tr, 1, ckey, KEY_S);
    const base = idsnOf(ckey, 1) + 1n;
    const a = Buffer.alloc(1000, 0x61);
    c2s(tr, f, 1, a, opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 1000 }));
    // Same DSN range again on the same subflow (new subflow bytes), different content.
    c2s(tr, f, 1001, Buffer.alloc(1000, 0x62), opt.dss({ dsn: base, dsn64: true, ssn: 1001, len: 1000 }));
    const r = tr.report();
    const s = r.sessions[0];
    expect(s.data.c2s.conflictingBytes).toBe(1000);
    expect(s.data.c2s.sha256).toBe(sha(a)); // the first copy was delivered
    const f1 = s.findings.find((x) => x.code === 'DATA_CONFLICT');
    expect(f1?.severity).toBe('error');
    expect(f1?.packets).toEqual([5]);
  });

  it('DATA_FIN carried with the last data and DATA_FIN alone (RFC 8684 §3.3.3: it occupies one DSN)', () => {
    for (const withData of [true, false]) {
      const ckey = 'cccccccccccccccc';
      const tr = new Trace();
      const f = handshake(tr, 1, ckey, KEY_S);
      const base = idsnOf(ckey, 1) + 1n;
      const a = Buffer.from('hello, data level');
      if (withData) {
        c2s(tr, f, 1, a, opt.dss({ dsn: base, dsn64: true, ssn: 1, len: a.length + 1, fin: true }));
      } else {
        c2s(tr, f, 1, a, opt.dss({ dsn: base, dsn64: true, ssn: 1, len: a.length }));
        c2s(tr, f, 1 + a.length, Buffer.alloc(0), opt.dss({ dsn: base + BigInt(a.length), dsn64: true, ssn: 0, len: 1, fin: true }));
      }
      const r = tr.report();
      const d = r.sessions[0].data.c2s;
      expect(d.dataFin, `withData=${withData}`).toBe(true);
      expect(d.bytes).toBe(a.length);
      expect(d.complete).toBe(true);
      expect(d.sha256).toBe(sha(a));
      const fin = r.sessions[0].events.find((e) => e.type === 'DATA_FIN');
      expect(fin?.dsn).toBe((base + BigInt(a.length)).toString());
    }
  });

  it('bytes announced by a mapping but never captured make the direction incomplete, never a hash', () => {
    const ckey = 'dddddddddddddddd';
    const tr = new Trace();
    const f = handshake(tr, 1, ckey, KEY_S);
    const base = idsnOf(ckey, 1) + 1n;
    c2s(tr, f, 1, Buffer.alloc(500, 1), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 500 }));
    c2s(tr, f, 1001, Buffer.alloc(500, 3), opt.dss({ dsn: base + 1000n, dsn64: true, ssn: 1001, len: 500 }));
    const d = tr.report().sessions[0].data.c2s;
    expect(d.complete).toBe(false);
    expect(d.sha256).toBeUndefined();
    expect(d.missing).toBe(500);
    expect(d.bytes).toBe(1000);
  });

  it('payload cut by the snaplen: incomplete with reason snaplen', () => {
    const ckey = 'eeeeeeeeeeeeeeee';
    const tr = new Trace();
    const f = handshake(tr, 1, ckey, KEY_S);
    const base = idsnOf(ckey, 1) + 1n;
    c2s(tr, f, 1, Buffer.alloc(1000, 9), opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 1000 }), 128);
    const d = tr.report().sessions[0].data.c2s;
    expect(d.complete).toBe(false);
    expect(d.missingReasons).toContain('snaplen');
    expect(d.bytes + d.missing).toBe(1000);
  });
});

describe('DSS checksums (RFC 8684 §3.3.1)', () => {
  for (const corrupt of [false, true]) {
    it(corrupt ? 'a wrong checksum is DSS_CHECKSUM_MISMATCH and its bytes are not delivered' : 'a correct checksum over a two-segment mapping verifies', () => {
      const ckey = 'f0f0f0f0f0f0f0f0';
      const tr = new Trace();
      const f = handshake(tr, 1, ckey, KEY_S, 0x81); // A: checksum required
      const base = idsnOf(ckey, 1) + 1n;
      const data = Buffer.from(Array.from({ length: 1501 }, (_, i) => (i * 13 + 5) & 0xff)); // odd length
      const csum = dssChecksum(base, 1, data.length, data);
      const dss = opt.dss({ dsn: base, dsn64: true, ssn: 1, len: data.length, csum });
      const wire = Buffer.from(data);
      if (corrupt) wire[777] ^= 0x20;
      c2s(tr, f, 1, wire.subarray(0, 1001), dss); // second segment starts at an odd offset
      c2s(tr, f, 1002, wire.subarray(1001), dss);
      const r = tr.report();
      const s = r.sessions[0];
      expect(s.checksum).toBe(true);
      const codes = s.findings.map((x) => x.code);
      if (corrupt) {
        expect(codes).toContain('DSS_CHECKSUM_MISMATCH');
        expect(s.data.c2s.bytes).toBe(0);
        expect(s.data.c2s.complete).toBe(false);
      } else {
        expect(codes).not.toContain('DSS_CHECKSUM_MISMATCH');
        expect(s.data.c2s.sha256).toBe(sha(data));
      }
    });
  }
});

describe('bounded resources', () => {
  it('closed plain TCP connections are counted and forgotten', () => {
    const tr = new Trace();
    for (let i = 0; i < 50; i++) {
      const sp = 2000 + i;
      tr.send({ src: C, dst: S, sport: sp, dport: 80, seq: 1, flags: 'S' });
      tr.send({ src: S, dst: C, sport: 80, dport: sp, seq: 9, ack: 2, flags: 'SA' });
      tr.send({ src: C, dst: S, sport: sp, dport: 80, seq: 2, ack: 10, flags: 'R' });
    }
    const r = tr.report();
    expect(tr.engine.conns.size).toBe(0);
    expect(r.capture.tcpConnections).toBe(50);
    expect(r.capture.plainTcpConnections).toBe(50);
    expect(r.sessions).toHaveLength(0);
  });

  it('out-of-order data beyond --max-buffer becomes a gap and a BUFFER_LIMIT finding, not memory', () => {
    const ckey = '1212121212121212';
    const tr = new Trace();
    (tr.engine.opts as { maxBuffer: number }).maxBuffer = 4096;
    const f = handshake(tr, 1, ckey, KEY_S);
    const base = idsnOf(ckey, 1) + 1n;
    // The first 1000 bytes never arrive; 10 segments of 1000 after them do.
    for (let i = 1; i <= 10; i++) {
      c2s(tr, f, 1 + i * 1000, Buffer.alloc(1000, i), opt.dss({ dsn: base + BigInt(i * 1000), dsn64: true, ssn: 1 + i * 1000, len: 1000 }));
    }
    const s = tr.report().sessions[0];
    expect(s.data.c2s.complete).toBe(false);
    expect(s.data.c2s.missingReasons).toContain('buffer limit');
    expect(s.data.c2s.missing).toBe(1000);
    expect(s.data.c2s.bytes).toBe(10_000);
    expect(s.findings.map((x) => x.code)).toContain('BUFFER_LIMIT');
  });
});

describe('sessions, joins and unmatched subflows', () => {
  it('10,000 MP_JOIN SYNs with unknown tokens give one finding and a bounded unmatched list', () => {
    const tr = new Trace();
    for (let i = 0; i < 10_000; i++) {
      tr.send({ src: '10.9.0.1', dst: S, sport: 1024 + (i % 60000), dport: 443 + Math.floor(i / 60000), seq: i, flags: 'S', options: [opt.joinSyn('deadbeef', '00000001', 1)] });
    }
    const r = tr.report();
    const joins = r.findings.filter((x) => x.code === 'JOIN_UNKNOWN_TOKEN');
    expect(joins).toHaveLength(1);
    expect(joins[0].packets.length).toBeLessThanOrEqual(50);
    expect(r.unmatched.length).toBe(100);
    expect(r.unmatched[0]).toMatchObject({ token: 'deadbeef', reason: 'MP_JOIN with unknown token deadbeef' });
    // Only the listed ones are kept in memory; the rest are counted.
    expect(tr.engine.conns.size).toBe(100);
    expect(tr.engine.unmatchedDropped).toBe(9_900);
    expect(r.findings.filter((x) => x.code === 'UNMATCHED_LIMIT')).toHaveLength(1);
  });

  it('a subflow seen only mid-connection is listed as unmatched, not dropped', () => {
    const tr = new Trace();
    tr.send({ src: C, dst: S, sport: 1, dport: 2, seq: 10, ack: 20, flags: 'A', options: [opt.dataAck(5n)] });
    const r = tr.report();
    expect(r.sessions).toHaveLength(0);
    expect(r.unmatched).toHaveLength(1);
    expect(r.unmatched[0].reason).toMatch(/handshake not seen/);
  });

  it('an MP_CAPABLE SYN answered without MP_CAPABLE is a fallback session carrying the plain TCP stream', () => {
    const tr = new Trace();
    tr.send({ src: C, dst: S, sport: 5, dport: 6, seq: 100, flags: 'S', options: [opt.mpcSyn(1, 0x01)] });
    tr.send({ src: S, dst: C, sport: 6, dport: 5, seq: 200, ack: 101, flags: 'SA' });
    tr.send({ src: C, dst: S, sport: 5, dport: 6, seq: 101, ack: 201, flags: 'PA', payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') });
    const r = tr.report();
    expect(r.sessions[0].fallback).toBe(true);
    expect(r.sessions[0].data.c2s.sha256).toBe(sha(Buffer.from('GET / HTTP/1.0\r\n\r\n')));
  });
});
