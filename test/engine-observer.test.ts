// The engine's observer API (analyze/packet-analysis.ts, docs/engine.md) on a crafted conversation whose every
// expected value is set by the test: relative numbers from the DSNs sent, HMACs computed here (RFC 8684 §3.2),
// window scale from the SYN options (RFC 7323).
import { describe, expect, it } from 'vitest';
import { opt } from './helpers/craft.js';
import { C, KEY_S, S, Trace, c2s, dssChecksum, idsnOf, joinHmacV1, tokenOf, type Flow } from './helpers/trace.js';
import { findingCodesByPacket, type PacketAnalysis } from '../analyze/engine.js';

/** Records a copy of each packet's analysis. */
function watch(tr: Trace): Map<number, PacketAnalysis> {
  const seen = new Map<number, PacketAnalysis>();
  tr.engine.observe({ packet: (_p, rec, a) => { seen.set(rec.n, { ...a, findings: [...a.findings] }); } });
  return seen;
}

const CKEY = 'a1a2a3a4a5a6a7a8';

/** v1 handshake with window scale 7 (client) and 8 (server), optionally checksums. */
function handshakeScaled(tr: Trace, flags = 0x01): Flow {
  const f: Flow = { cport: 40000, sport: 443, cisn: 1000, sisn: 5000 };
  tr.send({ src: C, dst: S, sport: f.cport, dport: f.sport, seq: f.cisn, flags: 'S', win: 64240, options: [opt.mpcSyn(1, flags), opt.wscale(7)] });
  tr.send({ src: S, dst: C, sport: f.sport, dport: f.cport, seq: f.sisn, ack: f.cisn + 1, flags: 'SA', win: 65160, options: [opt.mpcSyn(1, flags, KEY_S), opt.wscale(8)] });
  tr.send({ src: C, dst: S, sport: f.cport, dport: f.sport, seq: f.cisn + 1, ack: f.sisn + 1, flags: 'A', win: 502, options: [opt.mpcAck(1, flags, CKEY, KEY_S)] });
  return f;
}

describe('engine.observe(): one PacketAnalysis per packet', () => {
  it('names session, subflow, directions, relative numbers, scaled window, retransmission, HMAC verdicts and reinjections', () => {
    const tr = new Trace();
    const seen = watch(tr);
    const f = handshakeScaled(tr);
    const cbase = idsnOf(CKEY, 1) + 1n;
    const data = Buffer.alloc(1000, 0x41);
    const first = c2s(tr, f, 1, data, opt.dss({ dsn: cbase, dsn64: true, ssn: 1, len: 1000 }));
    const ack = tr.send({ src: S, dst: C, sport: f.sport, dport: f.cport, seq: f.sisn + 1, ack: f.cisn + 1001, flags: 'A', win: 100, options: [opt.dataAck(cbase + 1000n)] });
    const retx = c2s(tr, f, 1, data, opt.dss({ dsn: cbase, dsn64: true, ssn: 1, len: 1000 }));

    // Join from a second client address: nonces chosen here, HMACs computed here.
    const j: Flow = { cport: 40001, sport: 443, cisn: 9000, sisn: 70000, csrc: '10.0.1.1' };
    const ra = '11111111';
    const rb = '22222222';
    tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn, flags: 'S', options: [opt.joinSyn(tokenOf(KEY_S, 1), ra, 1)] });
    const synAck = tr.send({ src: S, dst: j.csrc!, sport: j.sport, dport: j.cport, seq: j.sisn, ack: j.cisn + 1, flags: 'SA', options: [opt.joinSynAck(joinHmacV1(KEY_S, CKEY, rb, ra).slice(0, 16), rb, 0)] });
    const third = tr.send({ src: j.csrc!, dst: S, sport: j.cport, dport: j.sport, seq: j.cisn + 1, ack: j.sisn + 1, flags: 'A', options: [opt.joinAck(joinHmacV1(CKEY, KEY_S, ra, rb).slice(0, 40))] });
    // The first 500 bytes again on the join: a reinjection of packet `first`; then 500 conflicting bytes.
    const reinj = c2s(tr, j, 1, data.subarray(0, 500), opt.dss({ dsn: cbase, dsn64: true, ssn: 1, len: 500 }));
    const conflict = c2s(tr, j, 501, Buffer.alloc(500, 0x42), opt.dss({ dsn: cbase + 500n, dsn64: true, ssn: 501, len: 500 }));
    const after = c2s(tr, j, 1001, Buffer.alloc(200, 0x43), opt.dss({ dsn: cbase + 1000n, dsn64: true, ssn: 1001, len: 200 }));
    const r = tr.report();

    const syn = seen.get(1)!;
    expect(syn).toMatchObject({ n: 1, connection: 0, session: 0, subflow: 0, dir: 'c2s', tcpDir: 'c2s', seq: 0, window: 64240, windowShift: 0 });
    expect(seen.get(3)!.window).toBe(502 * 128); // the client's scale (7) applies to the client's windows

    const d = seen.get(first)!;
    expect(d).toMatchObject({ session: 0, subflow: 0, dir: 'c2s', seq: 1, payloadLength: 1000, dsn: 1, retransmission: false, outOfOrder: false, reinjectionOf: -1 });
    expect(d.dataDeliveredTo).toBe(1000);
    expect(d.dataAdvanced).toBe(true);

    const a = seen.get(ack)!;
    expect(a).toMatchObject({ dir: 's2c', tcpDir: 's2c', ack: 1001, dataAck: 1001, dsn: null, window: 100 * 256, windowShift: 8 });

    expect(seen.get(retx)!).toMatchObject({ retransmission: true, dataAdvanced: false, reinjectionOf: -1 });

    expect(seen.get(synAck)!).toMatchObject({ connection: 1, session: 0, subflow: 1, hmac: 'valid', seq: 0 });
    expect(seen.get(third)!.hmac).toBe('valid');
    expect(r.sessions[0].subflows[1].hmac).toBe('valid');

    expect(seen.get(reinj)!).toMatchObject({ subflow: 1, dsn: 1, reinjectionOf: first, retransmission: false });
    expect(seen.get(conflict)!).toMatchObject({ dsn: 501, conflictWith: first });
    expect(seen.get(after)!).toMatchObject({ dsn: 1001, reinjectionOf: -1, dataDeliveredTo: 1200, dataAdvanced: true });
    // Packets of no session: none here; every packet was observed once.
    expect(seen.size).toBe(tr.n);
  });

  it('DSS checksum verdicts and finding codes of the packet that decided them; findings per packet from the report', () => {
    for (const corrupt of [false, true]) {
      const tr = new Trace();
      const seen = watch(tr);
      const f = handshakeScaled(tr, 0x81);
      const base = idsnOf(CKEY, 1) + 1n;
      const data = Buffer.from(Array.from({ length: 1200 }, (_, i) => (i * 11) & 0xff));
      const dss = opt.dss({ dsn: base, dsn64: true, ssn: 1, len: 1200, csum: dssChecksum(base, 1, 1200, data) });
      const wire = Buffer.from(data);
      if (corrupt) wire[5] ^= 1;
      const p1 = c2s(tr, f, 1, wire.subarray(0, 600), dss);
      const p2 = c2s(tr, f, 601, wire.subarray(600), dss);
      const r = tr.report();
      expect(seen.get(p1)!.checksum).toBeNull(); // not decided yet
      expect(seen.get(p2)!.checksum).toBe(!corrupt);
      if (corrupt) {
        expect(seen.get(p2)!.findings).toContain('DSS_CHECKSUM_MISMATCH');
        // The finding names both packets; the observer of p1 could not know it, the report does.
        expect(seen.get(p1)!.findings).toEqual([]);
        expect(findingCodesByPacket(r.findings).get(p1)).toContain('DSS_CHECKSUM_MISMATCH');
      } else {
        expect(seen.get(p2)!.findings).toEqual([]);
        expect(seen.get(p2)!.dataDeliveredTo).toBe(1200);
      }
    }
  });

  it('a packet outside any session: connection id only', () => {
    const tr = new Trace();
    const seen = watch(tr);
    tr.send({ src: C, dst: S, sport: 7, dport: 80, seq: 1, flags: 'S' });
    tr.send({ src: S, dst: C, sport: 80, dport: 7, seq: 9, ack: 2, flags: 'SA' });
    tr.send({ src: C, dst: S, sport: 8, dport: 80, seq: 1, flags: 'S' });
    expect(seen.get(2)!).toMatchObject({ connection: 0, session: -1, subflow: -1, dir: null, tcpDir: 's2c', ack: 1, dataDeliveredTo: -1 });
    expect(seen.get(3)!.connection).toBe(1);
  });
});
