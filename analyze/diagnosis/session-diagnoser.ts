/**
 * Diagnosis of one MPTCP session, fed one packet observation at a time (observation.ts): per-subflow state
 * (RTT by timestamps or Karn's rule, bytes in flight, scaled window, loss events, last new data) and the
 * data-level timeline of each direction (direction-state.ts). `result()` turns it into the report
 * (summarize.ts). Everything kept is bounded per subflow and per direction.
 */
import { DirectionState, type SubflowLookup } from './direction-state.js';
import { TCPF_ACK, TCPF_RST, TCPF_SYN, type ControlKind, type PacketObservation } from './observation.js';
import { RTO_MIN_S, SubflowState, type SubflowDirState } from './subflow-state.js';
import type { HandoverTrigger } from './types.js';
import { doubleFields } from '../v8-fields.js';
import { doubleArray, objectArray } from '../v8-arrays.js';

/** A change of which subflows carry data (MP_PRIO backup, FIN, REMOVE_ADDR) waiting for another subflow to carry new data. */
interface PendingHandover {
  from: number;
  time: number;
  n: number;
  trigger: HandoverTrigger;
}

export interface ManagedHandover {
  dir: 0 | 1;
  from: number;
  to: number;
  time: number;
  resumedAt: number;
  trigger: HandoverTrigger;
  packets: number[];
}

const MAX_PENDING = 16;
const MAX_MANAGED = 64;
const MAX_TIMEOUT_PACKETS = 8;

export class SessionDiagnoser implements SubflowLookup {
  readonly subflows: SubflowState[] = objectArray();
  readonly dirs: [DirectionState, DirectionState];
  /** Smallest RTT sample of any subflow (ms). */
  minRttMs = Infinity;
  private readonly pending: PendingHandover[] = objectArray();
  readonly managed: ManagedHandover[] = objectArray();
  finished = false;
  /** Subflows per direction that timed out since their last ACK progress (anyStuck is cheap when none). */
  private readonly timingOut: [number, number] = [0, 0];
  /** The time of the packet being observed (see DirectionState.now). */
  private now = 0;

  constructor(readonly id: number) {
    this.dirs = [new DirectionState(0, this), new DirectionState(1, this)];
    doubleFields(this, ['now', 'minRttMs']);
  }

  subflow(id: number): SubflowState {
    let s = this.subflows[id];
    if (!s) {
      for (let k = this.subflows.length; k <= id; k++) this.subflows[k] = new SubflowState(k);
      s = this.subflows[id];
    }
    return s;
  }

  // --- SubflowLookup
  lastAckAdvance(subflow: number, dir: 0 | 1): number {
    return this.subflow(subflow).dirs[dir].lastAckAdvance;
  }

  inTrouble(subflow: number, dir: 0 | 1): boolean {
    const sf = this.subflow(subflow);
    const d = sf.dirs[dir];
    // After an RST or REMOVE_ADDR the subflow carries nothing more, whatever ACKs still arrive.
    return d.timeoutsSinceProgress > 0 || sf.rstTime >= 0 || sf.removedTime >= 0;
  }

  reinjectedAway(owner: number, dir: 0 | 1): void {
    this.subflow(owner).dirs[dir].reinjectedAwaySinceProgress = true;
  }

  anyStuck(dir: 0 | 1): boolean {
    if (this.timingOut[dir] === 0) return false;
    for (const sf of this.subflows) {
      const d = sf.dirs[dir];
      if (d.timeoutsSinceProgress > 0 && sf.rstTime < 0 && d.highestEnd > Math.max(1, d.ackedEnd)) return true;
    }
    return false;
  }

  silentSubflow(dir: 0 | 1, since: number): number {
    // Of the subflows in trouble and silent, the one that carried the highest data last (the data after it
    // was presumably queued on it when it went down).
    let best = -1;
    let bestEnd = -1;
    for (const sf of this.subflows) {
      const d = sf.dirs[dir];
      if (d.sentData && d.lastAckAdvance < since && this.inTrouble(sf.id, dir) && d.lastDataEnd > bestEnd) { best = sf.id; bestEnd = d.lastDataEnd; }
    }
    return best;
  }

  stallThreshold(): number {
    return Math.max(0.2, this.minRttMs === Infinity ? 0 : (2 * this.minRttMs) / 1000);
  }

  resumed(from: number, dir: 0 | 1, to: number, t: number, n: number): void {
    const d = this.subflow(from).dirs[dir];
    if (d.resumeTime < 0) { d.resumeTime = t; d.resumeTo = to; d.resumeN = n; }
  }

  // --- input
  observe(o: PacketObservation): void {
    const sf = this.subflow(o.subflow);
    const dir = o.dir;
    const me = sf.dirs[dir];
    const peer = sf.dirs[dir ^ 1];
    const t = o.time;
    this.now = t;
    this.dirs[0].now = t;
    this.dirs[1].now = t;
    if (o.flags & TCPF_SYN) {
      if (!(o.flags & TCPF_ACK) && sf.synTime < 0) { sf.synTime = t; sf.synDir = dir; }
      else if (o.flags & TCPF_ACK && sf.synTime >= 0) sf.synAckSeen = true;
    } else if (sf.synAckSeen && sf.handshakeRttMs < 0 && dir === sf.synDir && o.flags & TCPF_ACK) {
      sf.handshakeRttMs = (t - sf.synTime) * 1000;
    }
    if (o.tsval >= 0) sf.usesTs = true;
    if (o.flags & TCPF_RST && sf.rstTime < 0) { sf.rstTime = t; sf.rstN = o.n; }

    // Timestamps: one outstanding TSval per direction; the first echo of it gives this side's half of the RTT.
    if (o.tsval >= 0) {
      // At most one sample per half RTT and direction: enough for the figures, cheap on long transfers.
      if (o.len > 0 && me.tsPending < 0 && t >= me.tsNextAllowed) { me.tsPending = o.tsval; me.tsPendingTime = t; }
      if (peer.tsPending >= 0 && o.flags & TCPF_ACK && ((o.tsecr - peer.tsPending) | 0) >= 0) {
        const half = t - peer.tsPendingTime;
        this.half(sf, peer, me, half * 1000, t, o.n);
        peer.tsPending = -1;
        peer.tsNextAllowed = t + half;
      }
    }

    // The ACK: progress of the other direction's data on this subflow.
    if (o.ack >= 0 && o.flags & TCPF_ACK && !(o.flags & TCPF_SYN)) {
      peer.lastAckSeen = t;
      // An ACK beyond what the capture saw sent (bytes lost before the capture point, or the FIN) still counts.
      if (o.ack > peer.ackedEnd && o.ack - peer.highestEnd < 1 << 30) {
        if (o.ack > peer.highestEnd) peer.highestEnd = o.ack;
        if (peer.karnEnd >= 0 && o.ack >= peer.karnEnd) {
          if (!sf.usesTs) this.half(sf, peer, me, (t - peer.karnTime) * 1000, t, o.n);
          peer.karnEnd = -1;
        }
        peer.ackedEnd = o.ack;
        peer.lastAckAdvance = t;
        peer.lastAckAdvanceN = o.n;
        if (peer.timeoutsSinceProgress > 0) this.timingOut[dir ^ 1]--;
        peer.timeoutsSinceProgress = 0;
        if (peer.timeoutPackets.length) peer.timeoutPackets = doubleArray();
        peer.reinjectedAwaySinceProgress = false;
        peer.resumeTime = -1;
        if (peer.recoveryEnd >= 0 && o.ack >= peer.recoveryEnd) peer.recoveryEnd = -1;
        this.dirs[dir ^ 1].subflowAcked(o.subflow, o.ack);
      }
      peer.window = o.win;
      peer.sackBlocks += o.sackBlocks;
    }
    if (o.dataAck >= 0) this.dirs[dir ^ 1].onDataAck(o.dataAck, o.flags & TCPF_SYN ? -1 : peer.window, o.n);

    if (o.len > 0 && !(o.flags & TCPF_SYN) && o.seq >= 0) this.onSegment(o, sf, me);
  }

  private onSegment(o: PacketObservation, sf: SubflowState, me: SubflowDirState): void {
    const t = o.time;
    const rel = o.seq;
    const end = rel + o.len;
    const retx = rel < me.highestEnd;
    me.sentData = true;
    if (retx) {
      me.retransmissions++;
      if (me.karnEnd >= 0 && rel < me.karnEnd) me.karnEnd = -1;
      // A timeout when the receiver was silent for at least the minimum RTO before it; fast otherwise.
      const since = me.lastAckSeen >= 0 ? me.lastAckSeen : me.lastSend;
      const timeout = since >= 0 && t - since >= RTO_MIN_S;
      if (me.recoveryEnd < 0 || me.ackedEnd >= me.recoveryEnd || timeout) {
        if (me.recoveryEnd < 0 || me.ackedEnd >= me.recoveryEnd) me.lossEvents++;
        me.recoveryEnd = me.highestEnd;
      }
      if (timeout) {
        me.timeouts++;
        if (me.timeoutsSinceProgress++ === 0) this.timingOut[o.dir]++;
        if (me.timeoutPackets.length < MAX_TIMEOUT_PACKETS) me.timeoutPackets.push(o.n);
        // The next retransmission is a timeout again only after another silent RTO.
        me.lastAckSeen = t;
      }
    } else {
      me.highestEnd = end;
      if (me.karnEnd < 0) { me.karnEnd = end; me.karnTime = t; }
    }
    me.lastSend = t;
    const inFlight = me.inFlight;
    if (inFlight > me.maxInFlight) me.maxInFlight = inFlight;
    if (o.dataStart < 0) return;
    const dirState = this.dirs[o.dir];
    const dataEnd = o.dataStart + o.len;
    const fresh = dirState.onData(o.dataStart, dataEnd, o.subflow, retx, o.n, o.conflict);
    if (fresh > 0) {
      me.newBytes += fresh;
      me.lastDataEnd = dataEnd;
      if (me.firstNewData < 0) me.firstNewData = t;
      me.lastNewData = t;
      if (!retx) dirState.remember(Math.max(o.dataStart, dirState.dataAck), dataEnd, end, o.subflow, o.n);
      if (this.pending.length) this.settlePending(o.dir, o.subflow, o.n);
    }
  }

  /** One side's half of the RTT (capture point -> receiver -> capture point); the sample is both halves. */
  private half(sf: SubflowState, d: SubflowDirState, other: SubflowDirState, ms: number, t: number, n: number): void {
    if (!(ms >= 0)) return;
    d.halfRttMs = ms;
    if (other.halfRttMs < 0) {
      // The other side's half is not known (it sent no data yet, or never): kept apart, used only if no full sample comes.
      sf.halfOnly.add(ms);
      return;
    }
    const rtt = ms + other.halfRttMs;
    sf.addRtt(t, rtt, n);
    if (rtt < this.minRttMs) this.minRttMs = rtt;
  }

  /** A control event on a subflow (from the engine's session events). */
  control(kind: ControlKind, subflow: number, t: number, n: number): void {
    const sf = this.subflow(subflow);
    if (kind === 'mp-prio-normal') { sf.backup = false; return; }
    if (kind === 'rst') { if (sf.rstTime < 0) { sf.rstTime = t; sf.rstN = n; } }
    if (kind === 'rst' || kind === 'fin') { this.dirs[0].release(subflow, kind === 'fin'); this.dirs[1].release(subflow, kind === 'fin'); }
    if (kind === 'remove-addr' && sf.removedTime < 0) { sf.removedTime = t; sf.removedN = n; }
    if (kind === 'mp-prio-backup') sf.backup = true;
    if (kind === 'rst') return; // failures are judged at the end
    if (!sf.dirs[0].sentData && !sf.dirs[1].sentData) return;
    if (this.pending.some((p) => p.from === subflow)) return;
    if (this.pending.length >= MAX_PENDING) this.pending.shift();
    this.pending.push({ from: subflow, time: t, n, trigger: kind === 'fin' ? 'fin' : kind === 'remove-addr' ? 'remove-addr' : 'mp-prio' });
  }

  /** New data on `to`: a pending MP_PRIO/FIN/REMOVE_ADDR of another subflow that carried this direction completes. */
  private settlePending(dir: 0 | 1, to: number, n: number): void {
    const t = this.now;
    for (let k = 0; k < this.pending.length; k++) {
      const p = this.pending[k];
      if (p.from === to || t < p.time || !this.subflow(p.from).dirs[dir].sentData) continue;
      if (this.managed.length < MAX_MANAGED) this.managed.push({ dir, from: p.from, to, time: p.time, resumedAt: t, trigger: p.trigger, packets: [p.n, n] });
      this.pending.splice(k--, 1);
    }
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.dirs[0].finish();
    this.dirs[1].finish();
  }
}
