// The packet matcher of `compare` on crafted observations, for what the real captures in captures/compare do not
// show: segments coalesced in between, reordering, and the expiry window.
import { describe, expect, it } from 'vitest';
import { Matcher } from '../compare/matcher.js';
import { SideConn, type Obs } from '../compare/side.js';

const ISN = 4294967000; // near the wrap: relative numbers must not care

function conns(): [SideConn, SideConn] {
  const a = new SideConn(0, 0, 1, '10.0.0.1:1000', '10.0.0.2:80');
  const b = new SideConn(1, 0, 1, '10.0.0.1:1000', '10.0.0.2:80');
  a.isn[0] = b.isn[0] = ISN; // the same client ISN: the connections match
  return [a, b];
}

let n = [0, 0];
function obs(sc: SideConn, t: number, relSeq: number, len: number, tsval: number, payload?: Buffer): Obs {
  const side = sc.side;
  return {
    side, n: ++n[side], t, sc, d: 0, dRaw: 0, seq: (ISN + relSeq) >>> 0, ack: 777, idx: sc.count[0]++, flags: 0x10, relSeq: 0, relAck: 0, len, tsval, win: 500, ttl: 64 - side,
    dsn: null, options: Buffer.alloc(0), payload: payload ?? Buffer.alloc(0), retransmission: false, covered: 0, matched: false, key: '',
  };
}

describe('compare matcher (crafted observations)', () => {
  it('two segments upstream arriving as one downstream: pieces counted on the upstream side, nothing lost', () => {
    n = [0, 0];
    const [a, b] = conns();
    const m = new Matcher({ windowSeconds: 1, maxPoints: 100 });
    const bytes = Buffer.from(Array.from({ length: 1400 }, (_, i) => i & 0xff));
    m.add(obs(a, 0.000, 1, 700, 10, bytes.subarray(0, 700)));
    m.add(obs(a, 0.001, 701, 700, 11, bytes.subarray(700)));
    m.add(obs(b, 0.010, 1, 1400, 11, bytes));
    m.finish();
    expect(m.pairs).toHaveLength(1);
    const ds = m.pairs[0].dirs[0];
    expect(ds.smaller[0].distinct).toEqual([2, 1]);
    expect(ds.smaller[1].count).toBe(0);
    expect(ds.only).toEqual([0, 0]);
    expect(ds.payloadCount).toBe(0);
  });

  it('a changed byte in a coalesced segment is found at its offset in the upstream piece', () => {
    n = [0, 0];
    const [a, b] = conns();
    const m = new Matcher({ windowSeconds: 1, maxPoints: 100 });
    const up = Buffer.alloc(1400, 7);
    const down = Buffer.from(up);
    down[900] = 8;
    m.add(obs(a, 0, 1, 700, 10, up.subarray(0, 700)));
    m.add(obs(a, 0.001, 701, 700, 11, up.subarray(700)));
    m.add(obs(b, 0.01, 1, 1400, 11, down));
    m.finish();
    const ds = m.pairs[0].dirs[0];
    expect(ds.payloadCount).toBe(1);
    expect(ds.payload[0]).toMatchObject({ a: 2, b: 1, payloadOffset: 200, differingBytes: 1, bytesA: '07'.repeat(16), bytesB: `08${'07'.repeat(15)}` });
  });

  it('counts a packet overtaken on the way as reordered, and delays per packet', () => {
    n = [0, 0];
    const [a, b] = conns();
    const m = new Matcher({ windowSeconds: 1, maxPoints: 100 });
    m.add(obs(a, 0.000, 1, 100, 1));
    m.add(obs(a, 0.001, 101, 100, 2));
    m.add(obs(a, 0.002, 201, 100, 3));
    m.add(obs(b, 0.010, 1, 100, 1));
    m.add(obs(b, 0.012, 201, 100, 3));
    m.add(obs(b, 0.015, 101, 100, 2));
    m.finish();
    const ds = m.pairs[0].dirs[0];
    expect(ds.matched).toBe(3);
    expect(ds.reorderedBy[0]).toBe(1); // in B's order, A's second packet came after its third
    expect(ds.minDelay).toBeCloseTo(10, 6);
    expect(ds.maxDelay).toBeCloseTo(14, 6);
  });

  it('a packet with no copy within the window is counted on its side only; retransmissions apart', () => {
    n = [0, 0];
    const [a, b] = conns();
    const m = new Matcher({ windowSeconds: 0.5, maxPoints: 100 });
    m.add(obs(a, 0.0, 1, 100, 1));
    m.add(obs(b, 0.01, 1, 100, 1));
    m.add(obs(a, 0.1, 101, 100, 2)); // lost on the way
    const retx = obs(a, 0.3, 101, 100, 3);
    retx.retransmission = true;
    m.add(retx);
    m.add(obs(b, 0.31, 101, 100, 3)); // only the retransmission arrived
    m.add(obs(a, 1.0, 201, 100, 4)); // the original expires here
    m.add(obs(b, 1.01, 201, 100, 4));
    m.finish();
    const ds = m.pairs[0].dirs[0];
    expect(ds.only).toEqual([1, 0]);
    expect(ds.onlyRetx).toEqual([0, 0]);
    expect(ds.onlyPackets[0]).toEqual([2]);
    expect(ds.matched).toBe(3);
  });

  it('packets sent before the other capture started are not lost', () => {
    n = [0, 0];
    const [a, b] = conns();
    const m = new Matcher({ windowSeconds: 0.5, maxPoints: 100 });
    m.add(obs(a, 0.0, 1, 100, 1));
    m.add(obs(a, 0.1, 101, 100, 2));
    m.add(obs(b, 0.111, 101, 100, 2));
    m.finish();
    expect(m.pairs[0].dirs[0].only).toEqual([0, 0]);
    expect(m.pairs[0].dirs[0].matched).toBe(1);
  });
});
