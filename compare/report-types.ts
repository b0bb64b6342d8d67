/** The JSON report of `compare --json` (docs/compare-json.md, docs/compare.schema.json). */
import type { Finding } from '../analyze/report-types.js';

export type Direction = 'c2s' | 's2c';
export type Side = 'a' | 'b';

/** One-way delay of one direction, from the capture nearer the sender to the other one. */
export interface DelayStats {
  samples: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface PerDirection<T> {
  c2s: T;
  s2c: T;
}

/** A connection as one capture saw it. */
export interface SideEndpoints {
  /** Session id in that capture's analysis (`analyze --json`), null for a plain TCP connection. */
  session: number | null;
  /** Subflow id within that session, null for a plain TCP connection. */
  subflow: number | null;
  client: string;
  server: string;
  firstPacket: number;
  packets: number;
}

export interface SubflowComparison {
  a: SideEndpoints;
  b: SideEndpoints;
  /** What matched the two: 'mp-join token and nonce', 'mp-capable keys', 'initial sequence number', 'syn timestamp', 'endpoints'. */
  matchedBy: string;
  /** The connection is MPTCP in one capture and plain TCP in the other, or plain TCP in both. */
  mptcp: { a: boolean; b: boolean };
  /** Packets found in both captures (exact copies or resegmented). */
  matched: PerDirection<number>;
  owdMs: PerDirection<DelayStats>;
  /** Packets seen at the upstream capture and never at the downstream one (all of them, retransmissions included). */
  lostBetween: PerDirection<number>;
  /** The lost packets that were themselves retransmissions (kept apart: they are also in lostBetween). */
  lostRetransmissions: PerDirection<number>;
  /** Packets seen downstream and never upstream (made in between, or missed by the upstream capture). */
  onlyDownstream: PerDirection<number>;
  /** Packets that arrived in a different order at the downstream capture. */
  reordered: PerDirection<number>;
  /** TTL / hop limit decrease between the captures (upstream minus downstream), the most common value. */
  hops: PerDirection<number | null>;
}

export interface SessionComparison {
  kind: 'mptcp' | 'tcp';
  /** Session ids in A and B (null: plain TCP in that capture). */
  a: number | null;
  b: number | null;
  client: string;
  server: string;
  /** The session fell back to TCP in either capture. */
  fallback: { a: boolean; b: boolean };
  subflows: SubflowComparison[];
  /** ADD_ADDR announcements checked against the addresses each capture sees. */
  addAddr: AddAddrCheck[];
}

export interface AddAddrCheck {
  announcedBy: 'client' | 'server';
  addressId: number;
  address: string;
  /** The announced address is an endpoint of a subflow in A / in B. */
  usedInA: boolean;
  usedInB: boolean;
  /** Endpoints that the other capture sees for the subflows to or from this address. */
  seenAs: string[];
  translated: boolean;
}

export type InterferenceKind =
  | 'option-removed' | 'option-added' | 'option-changed'
  | 'address-translated' | 'port-translated'
  | 'sequence-rewritten' | 'payload-modified'
  | 'segments-split' | 'segments-coalesced'
  | 'window-changed' | 'ttl-changed';

export interface Interference {
  kind: InterferenceKind;
  direction: Direction | 'both';
  count: number;
  /** Packet numbers in A and in B (at most 50 each). */
  packets: { a: number[]; b: number[] };
  session: number;
  subflow: number;
  message: string;
  option?: string;
  /** The connection fell back to plain TCP (or the join was refused) because of this. */
  consequence?: string;
  tuples?: { a: string; b: string };
  /** sequence-rewritten: offset added to the sequence numbers, per direction (mod 2^32). */
  offset?: number;
  /** payload-modified: each altered segment. */
  modifications?: PayloadModification[];
  /** payload-modified: what the receiver made of it (DSS checksum failure, MP_FAIL, resets). */
  detectedBy?: { code: string; a: number[]; b: number[] }[];
}

export interface PayloadModification {
  a: number;
  b: number;
  /** Offset of the first differing byte in the segment's payload. */
  payloadOffset: number;
  /** Data-level offset of that byte (first data byte is 0), when the DSS mapping is known. */
  dataOffset: number | null;
  differingBytes: number;
  /** The first differing bytes (at most 16), hex, upstream and downstream. */
  upstream: string;
  downstream: string;
}

export interface CaptureSide {
  file: string;
  format: string;
  packets: number;
  tcpPackets: number;
  /** Connections seen only in this capture. */
  unmatchedConnections: string[];
}

/** A finding of the comparison: `packets` are in A, `packetsB` in B. */
export interface CompareFinding extends Finding {
  packetsB?: number[];
}

export interface CompareReport {
  tool: { name: 'mptcpscope'; version: string };
  a: CaptureSide;
  b: CaptureSide;
  /** Which capture is nearer the client, and from what. */
  clientSide: Side;
  clientSideEvidence: string;
  /** Milliseconds subtracted from B's timestamps (--clock-offset), 0 when the clocks are taken as synchronised. */
  clockOffsetMs: number;
  /** Offset of B's clock from A's estimated from the minimum delays, when they came out negative. */
  estimatedClockOffsetMs: number | null;
  sessions: SessionComparison[];
  interference: Interference[];
  findings: CompareFinding[];
}
