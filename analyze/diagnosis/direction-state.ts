/**
 * The data-level timeline of one direction of a session: what was sent (the highest data offset), what the
 * receiver acknowledged in order (DATA_ACK) and its window, and how the time between the first and the last
 * data byte splits into sending, receive-window-limited, sender-idle and stalled periods.
 *
 * Time is classified between consecutive observations of the direction, by the state after the earlier one:
 * nothing outstanding is sender-idle; less than one segment of room below DATA_ACK + window is
 * receive-window-limited; anything else is sending. A "period" runs from one in-order progress (DATA_ACK
 * advance, or the sender resuming after idle) to the next; a period of at least the stall threshold is a stall,
 * and its time counts as stalled, with a cause read from the segment the receiver was waiting for.
 */
import { Reservoir } from '../reservoir.js';
import { Decimated, SegmentRing, SEG_REINJECTED, SEG_RETRANSMITTED } from './segment-ring.js';
import { round3, round6 } from './subflow-state.js';
import { doubleFields, taggedFields } from '../v8-fields.js';
import { objectArray } from '../v8-arrays.js';
import type { AckPoint, SeqMark, Stall, StallCause } from './types.js';

/** Stalls listed per direction (the rest are counted). */
export const MAX_STALLS = 100;
const SEQ_POINTS = 2000;
const MARK_POINTS = 600;
const ACK_POINTS = 1500;

const IDLE = 0, SENDING = 1, RWND = 2;

/** Fields holding times or seconds, and data offsets or byte counts (v8-fields.ts). */
const DOUBLE_FIELDS = ['now', 'firstTime', 'lastData', 'lastProgress', 'sending', 'rwnd', 'idle', 'stalled', 'idleAtActiveEnd', 'sendAtActiveEnd',
  'rwndAtActiveEnd', 'lastTick', 'periodStart', 'periodSend', 'periodRwnd'];
const TAGGED_FIELDS = ['sndMax', 'dataAck', 'edge', 'mss', 'reinjectedBytes', 'wastedBytes'];

/** What the direction needs to know about subflows (implemented by the session diagnoser). */
export interface SubflowLookup {
  /** When the subflow last made ACK progress for this direction's data (-1: never). */
  lastAckAdvance(subflow: number, dir: 0 | 1): number;
  /** The subflow timed out since its last ACK progress for this direction, or was reset or removed. */
  inTrouble(subflow: number, dir: 0 | 1): boolean;
  /** A subflow in trouble that made no ACK progress for this direction since `since`, or -1. */
  silentSubflow(dir: 0 | 1, since: number): number;
  /** Some subflow timed out and still holds unacknowledged data of this direction (not reset). */
  anyStuck(dir: 0 | 1): boolean;
  /** Data first sent on `owner` was reinjected on another subflow. */
  reinjectedAway(owner: number, dir: 0 | 1): void;
  /** The stall threshold now, seconds. */
  stallThreshold(): number;
  /** Data of `from` delivered through a reinjection on `to`. */
  resumed(from: number, dir: 0 | 1, to: number, t: number, n: number): void;
}

export class DirectionState {
  /**
   * The time of the packet being observed (seconds since capture.start), set by the session diagnoser before
   * it calls onData/onDataAck/subflowAcked: a time passed as an argument is a double that V8 boxes on every
   * call that is not inlined (a heap allocation per call).
   */
  now = 0;
  seen = false;
  /** One past the highest data-level offset sent. */
  sndMax = 0;
  /** DATA_ACK (data-level offset of the next byte expected), -1 until seen. */
  dataAck = -1;
  /** DATA_ACK + the receiver's window, -1 unknown. */
  edge = -1;
  mss = 0;
  firstTime = -1;
  lastData = -1;
  lastProgress = -1;
  /** Seconds per class within the active time. */
  sending = 0;
  rwnd = 0;
  idle = 0;
  stalled = 0;
  /** Idle and open-period seconds up to the last data sent or acknowledged (later time is outside the active time). */
  private idleAtActiveEnd = 0;
  private sendAtActiveEnd = 0;
  private rwndAtActiveEnd = 0;
  private lastTick = -1;
  private cls = IDLE;
  private periodStart = 0;
  private periodStartN = 0;
  private periodSend = 0;
  private periodRwnd = 0;
  private retxSubflow = -1;
  private retxN = 0;
  readonly stalls: Stall[] = [];
  stallsNotListed = 0;
  /**
   * Stalls whose awaited bytes the receiver had acknowledged on their subflow early on but not by DATA_ACK:
   * recovered by sending them again (loss-recovery, the loss at the receiver's data level), or not explained by
   * anything sent (cause unknown); and the subflow of the last one.
   */
  dataLevelLossStalls = 0;
  dataAckLagStalls = 0;
  dataAckLagSubflow = -1;
  readonly stalledByCause: Record<StallCause, number> = { 'path-failure': 0, 'loss-recovery': 0, 'head-of-line': 0, 'receive-window': 0, 'sender-idle': 0, unknown: 0 };
  /** Stall seconds blamed on a failure of each subflow (and when the first such stall ended), kept apart until
   * the end decides whether it failed. */
  readonly failureCandidates = new Map<number, { seconds: number; firstEnd: number; firstEndN: number }>();
  /** Per subflow: its first transmissions not yet covered by DATA_ACK; dense (null where a subflow sent nothing
   * first in this direction), so reads stay in bounds. */
  readonly rings: Array<SegmentRing | null> = objectArray();
  /** Waits (seconds) of segments delivered on their subflow for earlier data (reordering delay), and whom they waited for. */
  readonly holWaits = new Reservoir(2048);
  /** Seconds of waiting blamed on each subflow (index: subflow id). */
  blame = new Float64Array(4);

  private addBlame(subflow: number, wait: number): void {
    if (subflow >= this.blame.length) {
      const b = new Float64Array(Math.max(subflow + 1, this.blame.length * 2));
      b.set(this.blame);
      this.blame = b;
    }
    this.blame[subflow] += wait;
  }
  reinjectedBytes = 0;
  wastedBytes = 0;
  readonly seq = new Decimated<SeqMark>(SEQ_POINTS);
  readonly marks = new Decimated<SeqMark>(MARK_POINTS);
  readonly acks = new Decimated<AckPoint>(ACK_POINTS);

  constructor(readonly dir: 0 | 1, private readonly subflows: SubflowLookup) {
    doubleFields(this, DOUBLE_FIELDS);
    taggedFields(this, TAGGED_FIELDS);
  }

  private classify(): number {
    if (!this.seen) return IDLE;
    const acked = this.dataAck < 0 ? 0 : this.dataAck;
    // Nothing outstanding on the wire is idle, unless a subflow that timed out still holds data: what the
    // sender queued on it is waiting (a failure in progress), not the application.
    if (this.sndMax <= acked) return this.dataAck < 0 || this.subflows.anyStuck(this.dir) ? SENDING : IDLE;
    // Window full: the receiver's buffer limits, unless it is full of data that arrived beyond a hole (the
    // usual multipath reordering, which head-of-line accounting covers), then this counts as sending.
    if (this.edge >= 0 && this.sndMax + this.mss > this.edge && !this.reordered()) return RWND;
    return SENDING;
  }

  /** Some subflow's oldest segment not covered by DATA_ACK already reached the receiver's subflow. */
  private reordered(): boolean {
    for (let r = 0; r < this.rings.length; r++) {
      const ring = this.rings[r];
      if (!ring) continue;
      const i = ring.first();
      if (i >= 0 && ring.subflowAckedAt[i] >= 0) return true;
    }
    return false;
  }

  /** Time passes up to `now`, in the class of the state before it. */
  private tick(): void {
    const t = this.now;
    if (this.lastTick < 0) { this.lastTick = t; return; }
    const dt = t - this.lastTick;
    if (dt <= 0) return;
    this.lastTick = t;
    if (this.cls === IDLE) this.idle += dt;
    else if (this.cls === RWND) this.periodRwnd += dt;
    else this.periodSend += dt;
  }

  /**
   * A data segment [start, end) on `subflow`; returns the data-level bytes it carried first. Bytes below DATA_ACK
   * or in a segment still remembered (sent before on some subflow) are a repeat: a retransmission when the
   * subflow sent them again, a reinjection when another subflow had.
   */
  onData(start: number, end: number, subflow: number, subflowRetx: boolean, n: number, conflict: boolean): number {
    const t = this.now;
    if (!this.seen) {
      this.seen = true;
      this.firstTime = t;
      this.lastTick = t;
      this.periodStart = t;
      this.periodStartN = n;
    } else this.tick();
    const wasIdle = this.cls === IDLE;
    const len = end - start;
    if (len > this.mss) this.mss = len;
    let repeated = this.dataAck > start ? Math.min(end, this.dataAck) - start : 0;
    if (start < this.sndMax && end > this.dataAck) repeated += this.repeat(start, end, subflow, subflowRetx, n);
    if (repeated > 0) {
      const kind = conflict ? 'conflict' : subflowRetx ? 'retransmission' : 'reinjection';
      if (this.marks.wants()) this.marks.push({ t: round6(t), start, end, subflow, kind, n });
      else this.marks.skip();
      if (subflowRetx) { this.retxSubflow = subflow; this.retxN = n; }
      else {
        this.reinjectedBytes += repeated;
        // Bytes below DATA_ACK: the receiver had already acknowledged them at the data level.
        if (this.dataAck > start) this.wastedBytes += Math.min(end, this.dataAck) - start;
      }
    }
    const fresh = Math.max(0, len - repeated);
    if (end > this.sndMax) this.sndMax = end;
    if (fresh > 0) {
      if (this.seq.wants()) this.seq.push({ t: round6(t), start, end, subflow, kind: 'new', n });
      else this.seq.skip();
    }
    // The active time ends with the last data the receiver still needed (not repeats below DATA_ACK).
    if (end > this.dataAck) this.lastData = t;
    this.cls = this.classify();
    if (wasIdle && this.cls !== IDLE) {
      // The sender resumed after idle: a new period starts here (what the last one held before idle was sending).
      this.sending += this.periodSend;
      this.rwnd += this.periodRwnd;
      this.startPeriod(n);
    }
    if (this.lastData === t) this.markActiveEnd();
    return fresh;
  }

  /** Marks remembered segments overlapping [start, end) as retransmitted or reinjected; returns the bytes overlapped. */
  private repeat(start: number, end: number, subflow: number, subflowRetx: boolean, n: number): number {
    let overlap = 0;
    const rings = this.rings;
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r];
      // Cheap rejects first: most segments below sndMax are new bytes of a subflow that fell behind.
      if (!ring || ring.size === 0 || ring.start[ring.first()] >= end || ring.end[ring.index(ring.head - 1)] <= start) continue;
      let away = false;
      for (let id = ring.firstEndingAfter(start); id < ring.head; id++) {
        const i = ring.index(id);
        if (ring.start[i] >= end) break;
        const o = Math.min(end, ring.end[i]) - Math.max(start, ring.start[i]);
        overlap += o;
        ring.flags[i] |= subflowRetx ? SEG_RETRANSMITTED : SEG_REINJECTED;
        ring.fixN[i] = n;
        ring.fixSubflow[i] = subflow;
        away = !subflowRetx && r !== subflow;
      }
      if (away) this.subflows.reinjectedAway(r, this.dir);
    }
    return overlap;
  }

  /** A new first transmission on `subflow` to remember until DATA_ACK covers it. */
  remember(start: number, end: number, relEnd: number, subflow: number, n: number): void {
    const rings = this.rings;
    while (rings.length <= subflow) rings.push(null);
    let ring = rings[subflow];
    if (ring === null) ring = rings[subflow] = new SegmentRing();
    ring.push(Math.max(start, 0), end, relEnd, subflow, n);
  }

  /** The subflow-level ACK of `subflow` reached relative sequence `ack`. */
  subflowAcked(subflow: number, ack: number): void {
    const ring = subflow < this.rings.length ? this.rings[subflow] : null;
    if (ring !== null) ring.subflowAck(ack, this.now);
  }

  /** The ring and index of the oldest segment not covered by DATA_ACK (the one the receiver waits for), in
   * `waitRing`/`waitIndex` (fields, not a returned object: this runs on every DATA_ACK advance). */
  private waitRing: SegmentRing | null = null;
  private waitIndex = -1;
  private findWaitedFor(): void {
    let best: SegmentRing | null = null;
    let bi = -1;
    const rings = this.rings;
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r];
      if (!ring) continue;
      const i = ring.first();
      if (i >= 0 && ring.start[i] <= this.dataAck && (best === null || ring.start[i] < best.start[bi])) { best = ring; bi = i; }
    }
    this.waitRing = best;
    this.waitIndex = bi;
  }

  /** DATA_ACK `ack` (and the receiver's window, -1 unknown) seen now in packet n. */
  onDataAck(ack: number, window: number, n: number): void {
    const t = this.now;
    // The same DATA_ACK and window again (most packets carry one for the other direction): only time passes.
    if (ack === this.dataAck && (window >= 0 ? this.dataAck + window : -1) === this.edge) {
      if (this.seen) this.tick();
      return;
    }
    if (this.seen) this.tick();
    if (ack > this.dataAck) {
      if (this.seen) {
        this.closePeriod(n);
        this.deliver(ack, n);
        this.lastProgress = t;
        this.markActiveEnd();
      } else this.dropBelow(ack);
      this.dataAck = ack;
    }
    this.edge = window >= 0 ? this.dataAck + window : -1;
    if (this.seen) {
      if (this.acks.wants()) this.acks.push({ t: round6(t), ack: this.dataAck, edge: this.edge >= 0 ? this.edge : null, n });
      else this.acks.skip();
    }
    this.cls = this.classify();
  }

  private dropBelow(ack: number): void {
    for (let r = 0; r < this.rings.length; r++) {
      const ring = this.rings[r];
      if (!ring) continue;
      for (let i = ring.first(); i >= 0 && ring.end[i] <= ack; i = ring.first()) ring.shift();
    }
  }

  /** In-order progress to `ack`: segments now covered waited (DATA_ACK time - subflow ACK time) for the one at the old point. */
  private deliver(ack: number, n: number): void {
    const t = this.now;
    this.findWaitedFor();
    const wr = this.waitRing;
    const blockerSubflow = wr !== null ? wr.subflow[this.waitIndex] : -1;
    const lossBlocked = wr !== null && (wr.flags[this.waitIndex] & (SEG_RETRANSMITTED | SEG_REINJECTED)) !== 0;
    const rings = this.rings;
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r];
      if (!ring) continue;
      for (let i = ring.first(); i >= 0 && ring.end[i] <= ack; i = ring.first()) {
        const acked = ring.subflowAckedAt[i];
        // Only segments that waited count (the reordering delay); in order, both ACKs come in one packet.
        const wait = acked >= 0 ? t - acked : 0;
        if (wait > 0 && !lossBlocked) {
          this.holWaits.add(wait);
          if (blockerSubflow >= 0 && ring.subflow[i] !== blockerSubflow) this.addBlame(blockerSubflow, wait);
        }
        if (ring.flags[i] & SEG_REINJECTED && ring.fixSubflow[i] !== ring.subflow[i]) this.subflows.resumed(ring.subflow[i], this.dir, ring.fixSubflow[i], t, n);
        ring.shift();
      }
    }
  }

  /** The subflow is closed (reset, or FIN with nothing left unacknowledged): its ring gives its memory back. */
  release(subflow: number, onlyIfEmpty: boolean): void {
    const ring = subflow < this.rings.length ? this.rings[subflow] : null;
    if (ring !== null && (!onlyIfEmpty || ring.size === 0)) ring.compact();
  }

  private closePeriod(n: number): void {
    const t = this.now;
    const busy = this.periodSend + this.periodRwnd;
    if (busy > 0 && t - this.periodStart >= this.subflows.stallThreshold()) this.stall(t, n, busy);
    else {
      this.sending += this.periodSend;
      this.rwnd += this.periodRwnd;
    }
    this.startPeriod(n);
  }

  /** A period starts now. */
  private startPeriod(n: number): void {
    this.periodStart = this.now;
    this.periodStartN = n;
    this.periodSend = 0;
    this.periodRwnd = 0;
    this.retxSubflow = -1;
  }

  private stall(t: number, n: number, busy: number): void {
    this.stalled += busy;
    this.findWaitedFor();
    const packets = [this.periodStartN];
    let cause: StallCause = 'unknown';
    let subflow: number | null = null;
    if (this.waitRing !== null && this.dataAck < this.waitRing.end[this.waitIndex]) {
      const ring = this.waitRing;
      const i = this.waitIndex;
      const x = ring.subflow[i];
      packets.push(ring.n[i]);
      if (ring.fixN[i] >= 0) packets.push(ring.fixN[i]);
      const flags = ring.flags[i];
      const reinjected = (flags & SEG_REINJECTED) !== 0 && ring.fixSubflow[i] !== x;
      // Waiting for data its subflow never delivered, reinjected elsewhere or with that subflow timing out: a
      // failure candidate, confirmed at the end when the subflow failed (else loss recovery).
      const ackedAt = ring.subflowAckedAt[i];
      // The receiver acknowledged the bytes on their subflow in the first half of the stall, yet its DATA_ACK
      // did not cover them: they reached the receiver; its data level did not take them (or did not say so).
      const ackLag = ackedAt >= 0 && ackedAt - this.periodStart < (t - this.periodStart) / 2;
      if (ackLag) this.dataAckLagSubflow = x;
      if (ackedAt < 0 && (reinjected || this.subflows.inTrouble(x, this.dir))) { cause = 'path-failure'; subflow = x; }
      else if (flags & (SEG_RETRANSMITTED | SEG_REINJECTED)) {
        // Sent again, and DATA_ACK moved after that: lost at the receiver's data level when ackLag, not on the path.
        cause = 'loss-recovery';
        subflow = x;
        if (ackLag) this.dataLevelLossStalls++;
      }
      else if (ackLag) { subflow = x; this.dataAckLagStalls++; }
      else if (this.retxSubflow >= 0) { cause = 'loss-recovery'; subflow = this.retxSubflow; packets.push(this.retxN); }
      else if (this.deliveredBeyond(x)) { cause = 'head-of-line'; subflow = x; }
      else if (this.periodRwnd > this.periodSend) cause = 'receive-window';
    } else if ((subflow = this.subflows.silentSubflow(this.dir, this.periodStart)) >= 0) {
      // Nothing sent covers the point the receiver waits for: the data sits on a subflow that went silent.
      cause = 'path-failure';
    } else if (this.retxSubflow >= 0) { cause = 'loss-recovery'; subflow = this.retxSubflow; packets.push(this.retxN); }
    else {
      subflow = null;
      if (this.periodRwnd > this.periodSend) cause = 'receive-window';
    }
    packets.push(n);
    if (cause === 'path-failure' && subflow !== null) {
      const c = this.failureCandidates.get(subflow);
      if (c) c.seconds += busy;
      else this.failureCandidates.set(subflow, { seconds: busy, firstEnd: t, firstEndN: n });
    }
    else this.stalledByCause[cause] += busy;
    if (this.stalls.length >= MAX_STALLS) { this.stallsNotListed++; return; }
    this.stalls.push({
      start: round6(this.periodStart), end: round6(t), durationMs: round3((t - this.periodStart) * 1000), cause, subflow,
      packets: [...new Set(packets)].filter((p) => p > 0).sort((a, b) => a - b),
    });
  }

  /** Another subflow's oldest undelivered segment already reached the receiver's subflow: data beyond the hole arrived. */
  private deliveredBeyond(x: number): boolean {
    for (const ring of this.rings) {
      if (!ring || ring.subflow.length === 0) continue;
      const i = ring.first();
      if (i >= 0 && ring.subflow[i] !== x && ring.subflowAckedAt[i] >= 0) return true;
    }
    return false;
  }

  /** Closes the open period at the end of the active time (the last data sent or acknowledged). */
  finish(): void {
    if (!this.seen) return;
    const end = this.activeEnd();
    // Time after the active end (packets that carried nothing the receiver needed) is left out.
    this.now = end;
    if (this.lastTick < end) this.tick();
    else { this.periodSend = this.sendAtActiveEnd; this.periodRwnd = this.rwndAtActiveEnd; }
    // Whatever is still open at the end: a stall if long enough (the capture ended inside it), else sending.
    const busy = this.periodSend + this.periodRwnd;
    if (busy > 0 && end - this.periodStart >= this.subflows.stallThreshold()) this.stall(end, this.periodStartN, busy);
    else { this.sending += this.periodSend; this.rwnd += this.periodRwnd; }
    this.periodSend = 0;
    this.periodRwnd = 0;
    this.idle = this.idleAtActiveEnd;
  }

  private markActiveEnd(): void {
    this.idleAtActiveEnd = this.idle;
    this.sendAtActiveEnd = this.periodSend;
    this.rwndAtActiveEnd = this.periodRwnd;
  }

  activeEnd(): number {
    return Math.max(this.lastData, this.lastProgress);
  }
}
