/** What the diagnosis keeps per subflow and per direction of it: bounded, a few numbers each. */
import { Reservoir } from '../reservoir.js';
import type { RttPoint } from './types.js';
import { Decimated } from './segment-ring.js';
import { doubleFields, taggedFields } from '../v8-fields.js';
import { doubleArray } from '../v8-arrays.js';

/** A retransmission after at least this long without any ACK from the receiver is a timeout (Linux's minimum RTO). */
export const RTO_MIN_S = 0.2;
export const RTT_SERIES_POINTS = 400;

/** Fields of SubflowDirState holding times, durations or TSvals, and sequence numbers or byte counts (v8-fields.ts). */
const DIR_DOUBLE_FIELDS = ['lastAckAdvance', 'lastAckSeen', 'lastSend', 'firstNewData', 'lastNewData', 'karnTime', 'tsPending', 'tsPendingTime',
  'tsNextAllowed', 'halfRttMs', 'resumeTime'];
const DIR_TAGGED_FIELDS = ['highestEnd', 'ackedEnd', 'window', 'karnEnd', 'recoveryEnd', 'maxInFlight', 'lastDataEnd', 'newBytes'];

/** One direction of a subflow, named by the data-level direction of its sender. */
export class SubflowDirState {
  /** Highest relative sequence end sent (first payload byte is 1; 1 = nothing yet) and acknowledged (0 = nothing). */
  highestEnd = 1;
  ackedEnd = 0;
  sentData = false;
  /** Last window advertised for this direction's data by the receiver (bytes, scaled), -1 unknown. */
  window = -1;
  lastAckAdvance = -1;
  lastAckAdvanceN = 0;
  /** Last packet from the receiver carrying an ACK (dup ACKs included). */
  lastAckSeen = -1;
  lastSend = -1;
  firstNewData = -1;
  lastNewData = -1;
  /** Karn's rule: one sample outstanding at a time, dropped when its bytes are retransmitted. */
  karnEnd = -1;
  karnTime = 0;
  tsPending = -1;
  tsPendingTime = 0;
  /** No new timestamp sample starts before this time (one per half RTT). */
  tsNextAllowed = 0;
  /** Latest one-way-and-back time from the capture point to this direction's receiver (ms), -1 none. */
  halfRttMs = -1;
  retransmissions = 0;
  lossEvents = 0;
  timeouts = 0;
  /** Loss recovery ends when the ACK passes this (-1: not in recovery). */
  recoveryEnd = -1;
  /** Since the last ACK progress: timeout retransmissions, and whether this subflow's data was reinjected elsewhere. */
  timeoutsSinceProgress = 0;
  timeoutPackets: number[] = doubleArray();
  reinjectedAwaySinceProgress = false;
  /** First delivery (DATA_ACK progress) of this subflow's data through a reinjection on another subflow since progress. */
  resumeTime = -1;
  resumeTo = -1;
  resumeN = 0;
  maxInFlight = 0;
  sackBlocks = 0;
  /** Data-level end of the last new bytes it carried. */
  lastDataEnd = -1;
  /** Data-level bytes this subflow carried first. */
  newBytes = 0;

  constructor() {
    doubleFields(this, DIR_DOUBLE_FIELDS);
    taggedFields(this, DIR_TAGGED_FIELDS);
  }

  get inFlight(): number {
    return this.ackedEnd > 0 ? Math.max(0, this.highestEnd - this.ackedEnd) : Math.max(0, this.highestEnd - 1);
  }
}

export class SubflowState {
  readonly dirs: [SubflowDirState, SubflowDirState] = [new SubflowDirState(), new SubflowDirState()];
  readonly rtt = new Reservoir(512);
  /** Samples of one side only (the other side never sent data to time): the RTT when there is nothing better. */
  readonly halfOnly = new Reservoir(128);
  rttMin = Infinity;
  readonly rttSeries = new Decimated<RttPoint>(RTT_SERIES_POINTS);
  backup = false;
  /** Its packets carry TCP timestamps (then RTT comes from them, not from Karn's rule). */
  usesTs = false;
  /** Handshake: SYN time and direction, SYN/ACK seen, and the RTT it gave (ms, -1 unknown): free of queueing. */
  synTime = -1;
  synDir = 0;
  synAckSeen = false;
  handshakeRttMs = -1;
  /** RST on this subflow (time, packet), -1 none; FIN seen; REMOVE_ADDR of its address. */
  rstTime = -1;
  rstN = 0;
  removedTime = -1;
  removedN = 0;

  constructor(readonly id: number) {
    doubleFields(this, ['rttMin', 'synTime', 'handshakeRttMs', 'rstTime', 'removedTime']);
  }

  /** The RTT of the path without load: the handshake's, else the smallest sample (ms), NaN when unknown. */
  baseRttMs(): number {
    if (this.handshakeRttMs >= 0) return this.handshakeRttMs;
    if (this.rtt.count > 0) return this.rttMin;
    return this.halfOnly.count > 0 ? this.halfOnly.percentile(0) : NaN;
  }

  /** RTT p50 (ms) of the full samples, else of the one-side samples, NaN when none. */
  p50Ms(): number {
    if (this.rtt.count > 0) return this.rtt.percentile(50);
    return this.halfOnly.count > 0 ? this.halfOnly.percentile(50) : NaN;
  }

  /** One RTT sample (ms) at time t, packet n. */
  addRtt(t: number, ms: number, n: number): void {
    this.rtt.add(ms);
    if (ms < this.rttMin) this.rttMin = ms;
    if (this.rttSeries.wants()) this.rttSeries.push({ t: round6(t), ms: round3(ms), n });
    else this.rttSeries.skip();
  }
}

export const round3 = (v: number): number => Math.round(v * 1000) / 1000;
export const round6 = (v: number): number => Math.round(v * 1e6) / 1e6;
