/** A connection matched across the two captures, and what was measured on it per direction. */
import { Reservoir } from '../analyze/reservoir.js';
import type { SideConn } from './side.js';

const MAX_PACKETS = 50;

/** Packet numbers on both sides of one kind of difference, bounded. */
export class Evidence {
  count = 0;
  /** Distinct packets on each side (counted when a packet differs from the previous one added). */
  readonly distinct: [number, number] = [0, 0];
  private readonly last: [number, number] = [-1, -1];
  readonly a: number[] = [];
  readonly b: number[] = [];

  add(na: number, nb: number): void {
    this.count++;
    if (na !== this.last[0]) { this.distinct[0]++; this.last[0] = na; }
    if (nb !== this.last[1]) { this.distinct[1]++; this.last[1] = nb; }
    if (na > 0 && this.a.length < MAX_PACKETS && !this.a.includes(na)) this.a.push(na);
    if (nb > 0 && this.b.length < MAX_PACKETS && !this.b.includes(nb)) this.b.push(nb);
  }
}

/** A time series kept to at most `max` points: when full, every other point is dropped and the stride doubles. */
export class Thinned {
  readonly t: number[] = [];
  readonly v: number[] = [];
  private stride = 1;
  private seen = 0;

  constructor(private readonly max: number) {}

  add(t: number, v: number): void {
    if (this.seen++ % this.stride !== 0) return;
    this.t.push(t);
    this.v.push(v);
    if (this.t.length >= this.max) {
      for (let i = 0, j = 0; i < this.t.length; i += 2, j++) { this.t[j] = this.t[i]; this.v[j] = this.v[i]; }
      this.t.length = this.v.length = Math.ceil(this.t.length / 2);
      this.stride *= 2;
    }
  }
}

export interface PayloadDiff {
  a: number;
  b: number;
  payloadOffset: number;
  dataOffset: number | null;
  differingBytes: number;
  bytesA: string;
  bytesB: string;
}

/** Measurements of one direction of a matched connection (d: 0 = from the connection's client). */
export class DirStats {
  matched = 0;
  /** tB - tA of exact matches, in ms (the sign is fixed once the upstream capture is known). */
  readonly delays = new Reservoir(4096);
  minDelay = Infinity;
  maxDelay = -Infinity;
  readonly series: Thinned;
  /** Packets only in capture A / B, and how many of those were retransmissions there. */
  readonly only: [number, number] = [0, 0];
  readonly onlyRetx: [number, number] = [0, 0];
  readonly onlyPackets: [number[], number[]] = [[], []];
  /** Reordering: matched pairs whose A (B) index is below the highest A (B) index matched before. */
  readonly reorderedBy: [number, number] = [0, 0];
  readonly maxIdx: [number, number] = [-1, -1];
  /** Segments smaller than their counterpart in the other capture, per capture. */
  readonly smaller: [Evidence, Evidence] = [new Evidence(), new Evidence()];
  readonly window = new Evidence();
  /** TTL differences (tA - tB) and how often each occurred. */
  readonly ttlDelta = new Map<number, number>();
  readonly ttlEvidence = new Evidence();
  /** Option differences, by "only-in-side:name" or "changed:name". */
  readonly options = new Map<string, Evidence>();
  readonly payload: PayloadDiff[] = [];
  payloadCount = 0;

  constructor(maxPoints: number) {
    this.series = new Thinned(maxPoints);
  }

  noteOnly(side: 0 | 1, n: number, retx: boolean): void {
    this.only[side]++;
    if (retx) this.onlyRetx[side]++;
    if (this.onlyPackets[side].length < MAX_PACKETS) this.onlyPackets[side].push(n);
  }

  option(key: string): Evidence {
    let e = this.options.get(key);
    if (!e) this.options.set(key, (e = new Evidence()));
    return e;
  }
}

export class ConnPair {
  readonly dirs: [DirStats, DirStats];

  constructor(readonly a: SideConn, readonly b: SideConn, readonly matchedBy: string, maxPoints: number) {
    this.dirs = [new DirStats(maxPoints), new DirStats(maxPoints)];
  }

  other(sc: SideConn): SideConn {
    return sc === this.a ? this.b : this.a;
  }
}
