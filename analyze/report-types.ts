/** The JSON report of `analyze --json` (docs/analyze-json.md, docs/analyze.schema.json). */
import type { SessionDiagnosis, SubflowDiagnosis } from './diagnosis/types.js';

export type Severity = 'error' | 'warning' | 'info';
export type HmacVerdict = 'valid' | 'invalid' | 'unverifiable';

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  packets: number[];
  /** How many times the finding occurred, when more than once. */
  count?: number;
  session?: number;
  subflow?: number;
}

export interface SessionEvent {
  n: number;
  time: number;
  type: string;
  subflow?: number;
  dir?: 'c2s' | 's2c';
  [detail: string]: unknown;
}

export interface EndpointKeys {
  key?: string;
  token?: string;
  idsn?: string;
}

export interface DelayFigures {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface GapReport {
  /** Data offset of the first missing byte (0 = the first data byte, i.e. relative DSN - 1). */
  offset: number;
  length: number;
  reason: string;
  packets: number[];
}

export interface DirectionReport {
  bytes: number;
  complete: boolean;
  sha256?: string;
  missing: number;
  missingReasons: string[];
  /** Every hole (up to 100; `gapsNotListed` counts the rest) with its reason and the packets proving it. */
  gaps: GapReport[];
  gapsNotListed?: number;
  /** Subflow payload bytes no DSS mapping ever covered (they could not be placed). */
  unmappedBytes: number;
  dataFin: boolean;
  /** The direction had not ended when the capture did (no DATA_FIN, no MP_FASTCLOSE, a subflow still open). */
  open: boolean;
  /** Data-level bytes before DATA_FIN, when it was seen. */
  length?: number;
  reinjectedBytes: number;
  duplicateBytes: number;
  conflictingBytes: number;
  reorderedSegments: number;
  reorderDelay: DelayFigures;
}

/** The diagnosis fields (rtt, share, lossEvents, timeouts, failed, ...) are present when the diagnosis ran. */
export interface SubflowReport extends Partial<SubflowDiagnosis> {
  id: number;
  client: string;
  server: string;
  join: boolean;
  hmac?: HmacVerdict;
  hmacSynAck?: HmacVerdict;
  hmacAck?: HmacVerdict;
  backup: boolean;
  addressIds: { client: number | null; server: number | null };
  handshake: 'complete' | 'partial' | 'not seen';
  packets: number;
  bytes: number;
  payloadBytes: { c2s: number; s2c: number };
  dataBytes: { c2s: number; s2c: number };
  reinjectedBytes: number;
  retransmissions: number;
  outOfOrder: number;
  rttMs?: number;
  tsRttMs?: { samples: number; min: number; avg: number };
  start: number;
  end: number;
  firstPacket: number;
  lastPacket: number;
  closed: string;
  resetReason?: string;
}

export interface SessionReport {
  id: number;
  version: number;
  client: EndpointKeys;
  server: EndpointKeys;
  fallback: boolean;
  fallbackReason?: string;
  checksum: boolean;
  start: number;
  end: number;
  duration: number;
  packets: number;
  subflows: SubflowReport[];
  data: { c2s: DirectionReport; s2c: DirectionReport };
  events: SessionEvent[];
  findings: Finding[];
  /** Why the transfer performed as it did (docs/diagnosis.md). */
  diagnosis?: SessionDiagnosis;
}

export interface UnmatchedReport {
  endpoints: [string, string];
  reason: string;
  token?: string;
  packets: number;
  firstPacket: number;
  lastPacket: number;
  subtypes: string[];
}

export interface CaptureSummary {
  /** The file as named on the command line; `stdin` for `-`. */
  file: string;
  format: string;
  /** `gzip` when the file was gzip-compressed. */
  compression?: 'gzip';
  packets: number;
  tcpPackets: number;
  mptcpPackets: number;
  start: number;
  end: number;
  duration: number;
  linktypes: number[];
  truncated: boolean;
  tcpConnections: number;
  plainTcpConnections: number;
  plainTcpPackets: number;
  unlistedTcpPackets: number;
}

export interface AnalysisReport {
  tool: { name: 'mptcpscope'; version: string };
  capture: CaptureSummary;
  sessions: SessionReport[];
  unmatched: UnmatchedReport[];
  findings: Finding[];
}
