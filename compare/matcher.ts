/**
 * Matches connections and packets across two captures, fed observations of both in time order.
 *
 * Connections are matched by MP_JOIN token and nonce, the MP_CAPABLE keys, the client's initial sequence number,
 * or the SYN's TCP timestamp (4-tuples may differ because of NAT). Packets of a matched connection are matched
 * by direction and an exact key (sequence and acknowledgment relative to that capture's ISNs, length, flags,
 * TSval), then by overlapping sequence ranges for segments split or coalesced in between. Packets wait for their
 * copy for `windowSeconds` of capture time; what is left then was seen at one point only. Memory grows with
 * what arrives within that window, not with the files.
 */
import { compareHeaders } from './header-diff.js';
import { ConnPair } from './pair.js';
import type { Obs, SideConn } from './side.js';

export interface MatcherOptions {
  windowSeconds: number;
  maxPoints: number;
}

export class Matcher {
  readonly pairs: ConnPair[] = [];
  /** Unmatched connections by identity key, per capture. */
  private readonly waiting: [Map<string, SideConn[]>, Map<string, SideConn[]>] = [new Map(), new Map()];
  /** Pending observations in arrival order, per capture, for expiry. */
  private readonly queue: [Obs[], Obs[]] = [[], []];
  private readonly head: [number, number] = [0, 0];
  /** Observations added to each queue since it was last compacted. */
  private readonly added: [number, number] = [0, 0];
  /** Time span of each capture's packets so far: a packet outside the other capture's span was not lost. */
  private readonly first: [number, number] = [Infinity, Infinity];
  private readonly last: [number, number] = [-Infinity, -Infinity];
  private finished = false;
  /** Most observations waiting for their copy at once (for tests of the memory bound). */
  maxPending = 0;

  constructor(private readonly opts: MatcherOptions) {}

  /** Takes the next observation (of either capture, in time order). */
  add(x: Obs): void {
    if (x.t < this.first[x.side]) this.first[x.side] = x.t;
    if (x.t > this.last[x.side]) this.last[x.side] = x.t;
    this.expire(x.t - this.opts.windowSeconds);
    const sc = x.sc;
    if (!sc.pair) this.tryPair(sc);
    normalize(x);
    if (sc.pair && this.match(x, sc.pair)) return;
    this.hold(x);
  }

  /** End of both captures: everything still pending was seen at one point only. */
  finish(): void {
    this.finished = true;
    this.expire(Infinity);
  }

  /** Files an observation under its direction and key. */
  private insert(x: Obs): void {
    const sc = x.sc;
    const m = sc.pending[x.d];
    const list = m.get(x.key);
    if (list) list.push(x);
    else m.set(x.key, [x]);
    if (x.len > 0) sc.pendingData[x.d].push(x);
  }

  /** Files again what a connection holds, once matching changed its numbering (borrowed ISNs, orientation). */
  private rekey(sc: SideConn): void {
    const held = [...sc.pending[0].values(), ...sc.pending[1].values()].flat().sort((p, q) => p.t - q.t);
    for (let d = 0; d < 2; d++) { sc.pending[d].clear(); sc.pendingData[d].length = 0; }
    for (const x of held) {
      normalize(x);
      this.insert(x);
    }
  }

  private hold(x: Obs): void {
    this.insert(x);
    const side = x.side;
    this.queue[side].push(x);
    // Matched observations stay queued until they age out: drop them once they could be half the queue.
    if (++this.added[side] > Math.max(1024, (this.queue[side].length - this.head[side]) >> 1)) this.compact(side);
    const pending = this.queue[0].length - this.head[0] + this.queue[1].length - this.head[1];
    if (pending > this.maxPending) this.maxPending = pending;
  }

  private compact(side: 0 | 1): void {
    const q = this.queue[side];
    let w = 0;
    for (let i = this.head[side]; i < q.length; i++) if (!q[i].matched) q[w++] = q[i];
    q.length = w;
    this.head[side] = 0;
    this.added[side] = 0;
  }

  private match(x: Obs, pair: ConnPair): boolean {
    const other = pair.other(x.sc);
    const list = other.pending[x.d].get(x.key);
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const y = list[i];
        if (y.matched) continue;
        list.splice(i, 1);
        if (list.length === 0) other.pending[x.d].delete(x.key);
        this.pairExact(x, y, pair);
        return true;
      }
    }
    return x.len > 0 && this.matchResegmented(x, other, pair);
  }

  private pairExact(x: Obs, y: Obs, pair: ConnPair): void {
    x.matched = y.matched = true;
    if (y.len > 0) {
      const pd = y.sc.pendingData[y.d];
      const i = pd.indexOf(y);
      if (i >= 0) pd.splice(i, 1);
    }
    x.covered = x.len;
    y.covered = y.len;
    const [oa, ob] = x.side === 0 ? [x, y] : [y, x];
    const ds = pair.dirs[x.d];
    ds.matched++;
    const dt = (ob.t - oa.t) * 1000;
    ds.delays.add(dt);
    if (dt < ds.minDelay) ds.minDelay = dt;
    if (dt > ds.maxDelay) ds.maxDelay = dt;
    ds.series.add(oa.t, dt);
    // Pairs form in the order of the later copy: an earlier copy whose index is below one matched before
    // arrived out of order at the later point.
    if (oa.idx < ds.maxIdx[0]) ds.reorderedBy[0]++;
    else ds.maxIdx[0] = oa.idx;
    if (ob.idx < ds.maxIdx[1]) ds.reorderedBy[1]++;
    else ds.maxIdx[1] = ob.idx;
    compareHeaders(oa, ob, ds, 0, 0);
    release(x);
    release(y);
  }

  /** A data segment with no exact copy: the bytes it shares with pending segments of the other capture. */
  private matchResegmented(x: Obs, other: SideConn, pair: ConnPair): boolean {
    const list = other.pendingData[x.d];
    const xs = x.relSeq;
    const xe = xs + x.len;
    let found = false;
    let w = 0;
    for (let i = 0; i < list.length; i++) {
      const y = list[i];
      if (y.matched) continue; // compact as we go
      list[w++] = y;
      if (y.relSeq === xs && y.len === x.len) continue; // the same range: another transmission, not a piece
      const lo = Math.max(xs, y.relSeq);
      const hi = Math.min(xe, y.relSeq + y.len);
      if (hi <= lo || x.covered >= x.len) continue;
      found = true;
      x.covered += hi - lo;
      y.covered += hi - lo;
      const [oa, ob] = x.side === 0 ? [x, y] : [y, x];
      const ds = pair.dirs[x.d];
      if (oa.len < ob.len) ds.smaller[0].add(oa.n, ob.n);
      else if (ob.len < oa.len) ds.smaller[1].add(oa.n, ob.n);
      compareHeaders(oa, ob, ds, lo - oa.relSeq, lo - ob.relSeq, hi - lo);
      if (y.covered >= y.len) {
        y.matched = true;
        release(y);
        this.unhold(y);
        w--;
      }
    }
    list.length = w;
    if (!found) return false;
    pair.dirs[x.d].matched++;
    if (x.covered < x.len) return false; // the rest may come in further pieces
    x.matched = true;
    release(x);
    return true;
  }

  private unhold(y: Obs): void {
    const m = y.sc.pending[y.d];
    const list = m.get(y.key);
    if (!list) return;
    const i = list.indexOf(y);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) m.delete(y.key);
  }

  /** Releases pending observations older than `before`: those never matched were seen at one point only. */
  private expire(before: number): void {
    for (let s = 0; s < 2; s++) {
      const q = this.queue[s];
      let h = this.head[s];
      while (h < q.length && q[h].t < before) {
        const y = q[h++];
        if (y.matched) continue;
        y.matched = true;
        this.unhold(y);
        const pd = y.sc.pendingData[y.d];
        if (y.len > 0) { const i = pd.indexOf(y); if (i >= 0) pd.splice(i, 1); }
        if (y.covered > 0) continue; // partly matched by resegmented pieces
        // It could have passed the other point before that capture's first packet, or after its last one (the
        // delays measured on its direction bound when): it could not be seen there.
        const pair = y.sc.pair;
        if (this.outsideOtherCapture(y, pair)) continue;
        if (pair) pair.dirs[y.d].noteOnly(y.side, y.n, y.retransmission);
        else {
          y.sc.expiredUnpaired[y.d]++;
          if (y.retransmission) y.sc.expiredUnpairedRetx[y.d]++;
        }
      }
      if (h > 4096 && h * 2 > q.length) { q.splice(0, h); h = 0; }
      this.head[s] = h;
    }
  }

  private outsideOtherCapture(y: Obs, pair: ConnPair | null): boolean {
    const other = y.side ^ 1;
    const ds = pair?.dirs[y.d];
    // tB - tA of the copies matched in this direction: B sees a packet between minDelay and maxDelay after A.
    let lo = 0;
    let hi = 0;
    if (ds && ds.delays.count > 0) [lo, hi] = y.side === 0 ? [ds.minDelay, ds.maxDelay] : [-ds.maxDelay, -ds.minDelay];
    return y.t + lo / 1000 < this.first[other] || (this.finished && y.t + hi / 1000 > this.last[other]);
  }

  /** Matches a connection with one of the other capture waiting under the same identity. */
  private tryPair(sc: SideConn): void {
    const ids = identities(sc);
    const other = this.waiting[sc.side ^ 1];
    // A connection whose handshake this capture missed can only be found by its endpoints.
    const handshakeSeen = sc.isn[0] >= 0 || sc.isn[1] >= 0;
    for (const [key, how] of ids) {
      if (how === 'endpoints' && handshakeSeen) continue;
      const list = other.get(key);
      const cand = list?.find((c) => c.pair === null);
      if (cand) {
        const [a, b] = sc.side === 0 ? [sc, cand] : [cand, sc];
        const pair = new ConnPair(a, b, how, this.opts.maxPoints);
        a.pair = b.pair = pair;
        this.pairs.push(pair);
        this.unregister(cand);
        this.unregister(sc);
        if (how === 'endpoints') orient(sc, cand);
        this.rekey(cand);
        this.sweep(cand, pair);
        return;
      }
    }
    const mine = this.waiting[sc.side];
    for (const [key] of ids) {
      if (sc.registered.includes(key)) continue;
      sc.registered.push(key);
      const list = mine.get(key);
      if (list) list.push(sc);
      else mine.set(key, [sc]);
    }
  }

  /** Newly matched: observations held before the match meet those of the other capture. */
  private sweep(older: SideConn, pair: ConnPair): void {
    const newer = pair.other(older);
    for (let d = 0; d < 2; d++) {
      const held = [...newer.pending[d].values()].flat().filter((o) => !o.matched).sort((p, q) => p.t - q.t);
      for (const x of held) {
        this.unhold(x);
        if (x.len > 0) { const pd = newer.pendingData[d]; const i = pd.indexOf(x); if (i >= 0) pd.splice(i, 1); }
        normalize(x);
        if (this.match(x, pair)) continue;
        this.insert(x);
      }
    }
  }

  private unregister(sc: SideConn): void {
    const m = this.waiting[sc.side];
    for (const key of sc.registered) {
      const list = m.get(key);
      if (!list) continue;
      const i = list.indexOf(sc);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) m.delete(key);
    }
    sc.registered = [];
  }
}

const EMPTY = Buffer.alloc(0);

/** A matched observation keeps no copies of bytes (it may wait in the queue until it ages out). */
function release(o: Obs): void {
  o.payload = EMPTY;
  o.options = EMPTY;
}

/** Identity keys of a connection, strongest first, with what they are called in the report. */
function identities(sc: SideConn): Array<[string, string]> {
  const conn = sc.conn;
  const out: Array<[string, string]> = [];
  if (conn?.joinToken && conn.dirs[0].nonce) out.push([`join:${conn.joinToken}:${conn.dirs[0].nonce}`, 'mp-join token and nonce']);
  const s = sc.session;
  if (s && conn?.kind === 'initial' && s.client.key) out.push([`key:${s.client.key}`, 'mp-capable keys']);
  if (sc.isn[0] >= 0) out.push([`isn:${sc.isn[0]}`, 'initial sequence number']);
  if (sc.synTsval > 0) out.push([`ts:${sc.synTsval}`, 'syn timestamp']);
  // Last: the endpoints (no use behind a NAT), for a connection a capture saw without its handshake.
  const [x, y] = [sc.clientText, sc.serverText].sort();
  out.push([`ends:${x}|${y}`, 'endpoints']);
  return out;
}

/**
 * Matched by endpoints: the connection that missed its handshake takes the ISNs of the other, and its orientation
 * when it took the server for the client (the first packet it saw came from the server).
 */
function orient(a: SideConn, b: SideConn): void {
  const [blind, seen] = a.isn[0] < 0 && a.isn[1] < 0 ? [a, b] : [b, a];
  blind.flip = blind.clientText === seen.serverText && blind.serverText === seen.clientText && blind.clientText !== seen.clientText ? 1 : 0;
  for (let d = 0; d < 2; d++) blind.borrowedIsn[d] = seen.isn[d ^ blind.flip];
}

/** Direction, relative sequence numbers and key of an observation in the numbering of its matched pair. */
function normalize(x: Obs): void {
  const sc = x.sc;
  x.d = (x.dRaw ^ sc.flip) as 0 | 1;
  const isn = sc.isn[x.dRaw] >= 0 ? sc.isn[x.dRaw] : sc.borrowedIsn[x.dRaw];
  const peer = sc.isn[x.dRaw ^ 1] >= 0 ? sc.isn[x.dRaw ^ 1] : sc.borrowedIsn[x.dRaw ^ 1];
  x.relSeq = isn >= 0 ? (x.seq - isn) >>> 0 : x.seq;
  x.relAck = !(x.flags & 0x10) ? 0 : peer >= 0 ? (x.ack - peer) >>> 0 : x.ack;
  x.key = exactKey(x);
}

/**
 * Exact identity of a packet within its connection direction: sequence and acknowledgment relative to the
 * capture's ISNs (so a sequence-number rewrite does not hide it), length, SYN/FIN/RST/ACK and TSval (which
 * tells a retransmission from the original). Window, TTL, options and payload are compared after matching.
 */
function exactKey(x: Obs): string {
  const ack = x.flags & 0x10 ? x.relAck : 0;
  return `${x.relSeq}|${x.len}|${ack}|${x.flags & 0x17}|${x.tsval}`;
}
