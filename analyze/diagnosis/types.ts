/** The diagnosis part of the JSON report (docs/analyze-json.md, "diagnosis"; docs/diagnosis.md). */
import type { Finding } from '../report-types.js';

/** Why the data level delivered nothing in order for a while. */
export type StallCause = 'path-failure' | 'loss-recovery' | 'head-of-line' | 'receive-window' | 'sender-idle' | 'unknown';
export const STALL_CAUSES: readonly StallCause[] = ['path-failure', 'loss-recovery', 'head-of-line', 'receive-window', 'sender-idle', 'unknown'];

export type HandoverTrigger = 'timeout' | 'rst' | 'fin' | 'remove-addr' | 'mp-prio';

export interface Stall {
  /** Seconds since capture.start. */
  start: number;
  end: number;
  durationMs: number;
  cause: StallCause;
  /** The subflow the cause is attributed to, or null. */
  subflow: number | null;
  /** Evidence: the last progress before, the segment waited for and its repair, the first progress after. */
  packets: number[];
}

export interface DirectionShares {
  sending: number;
  receiveWindowLimited: number;
  senderIdle: number;
  stalled: number;
}

export interface DirectionDiagnosis {
  /** Data-level bytes acknowledged by DATA_ACK (or sent, when no DATA_ACK was seen). */
  bytes: number;
  /** First data byte to the last one (its last DATA_ACK, or its last transmission), seconds. */
  activeSeconds: number;
  start: number;
  end: number;
  goodputBps: number;
  shares: DirectionShares;
  stalls: Stall[];
  /** Stalls beyond the listed ones (the list is bounded). */
  stallsNotListed: number;
  /** Seconds stalled per cause. */
  stalledSeconds: Record<StallCause, number>;
  /** Time segments delivered on their subflow waited for earlier data (DATA_ACK time minus subflow ACK time). */
  headOfLine: { samples: number; p50Ms: number; p95Ms: number; maxMs: number; blockedBy: Array<{ subflow: number; waitMs: number }> };
  /** Data-level bytes sent again on another subflow, and those of them the receiver already had. */
  reinjectedBytes: number;
  wastedReinjectedBytes: number;
  verdict: string;
}

export interface Handover {
  dir: 'c2s' | 's2c';
  from: number;
  to: number | null;
  failedAt: number;
  resumedAt: number | null;
  latencyMs: number | null;
  trigger: HandoverTrigger;
  packets: number[];
}

export interface SessionDiagnosis {
  verdict: string;
  c2s: DirectionDiagnosis | null;
  s2c: DirectionDiagnosis | null;
  handovers: Handover[];
  /** The stall threshold used: max(200 ms, 2 x the smallest subflow RTT). */
  stallThresholdMs: number;
  findings: Finding[];
}

/** Per-subflow figures added to sessions[].subflows[]. */
export interface SubflowDiagnosis {
  rtt: { samples: number; minMs: number; p50Ms: number; p95Ms: number } | null;
  share: { c2s: number; s2c: number };
  lossEvents: number;
  timeouts: number;
  sackBlocks: number;
  /** Time of the last useful activity before the subflow failed, or null. */
  failed: number | null;
  /** When the subflow first carried new data-level bytes, per direction (null: never). */
  firstData: { c2s: number | null; s2c: number | null };
  lastNewData: { c2s: number | null; s2c: number | null };
  maxInFlight: { c2s: number; s2c: number };
  /** Last advertised receive window (scaled) for each direction's data, or null when the scale is unknown. */
  window: { c2s: number | null; s2c: number | null };
}

/** Decimated series for the charts. */
export interface SeqMark { t: number; start: number; end: number; subflow: number; kind: 'new' | 'retransmission' | 'reinjection' | 'conflict'; n: number }
export interface AckPoint { t: number; ack: number; edge: number | null; n: number }
export interface RttPoint { t: number; ms: number; n: number }
export interface DiagnosisSeries {
  seq: { c2s: SeqMark[]; s2c: SeqMark[] };
  ack: { c2s: AckPoint[]; s2c: AckPoint[] };
  rtt: Array<{ subflow: number; points: RttPoint[] }>;
}
