/** Live analysis state: TCP connections (subflows) and MPTCP sessions. */
import type { StorePool } from './store-pool.js';
import type { HashOffload } from './hash-offload.js';
import { DataStream, type StreamClock } from './data-stream.js';
import { MappingTable } from './mapping.js';
import type { Finding, HmacVerdict, SessionEvent } from './report-types.js';

/** One direction of a TCP connection. */
export class ConnDirection {
  /** ISN (sequence number of the SYN), or -1 when the SYN was not seen. */
  isn = -1;
  /** Highest relative sequence end seen (first payload byte is 1). */
  highestEnd = 1;
  /** Highest relative sequence the peer acknowledged (0: none seen). */
  ackedEnd = 0;
  packets = 0;
  payloadBytes = 0;
  dataBytes = 0;
  reinjectedBytes = 0;
  retransmissions = 0;
  finSeen = false;
  readonly mappings = new MappingTable();
  /** MP_JOIN values sent in this direction. */
  nonce?: string;
  addressId: number | null = null;
  backup = false;
  hmac?: string;
  /** Window scale shift announced in this direction's SYN (-1: none, or the SYN was not seen). */
  wscale = -1;
  /** Timestamp RTT sampling: the outstanding TSval sent in this direction (-1: none) and when. */
  tsPending = -1;
  tsPendingTime = 0;
}

export type ConnKind = 'plain' | 'initial' | 'join' | 'unmatched';

/** A TCP connection; for MPTCP connections also a subflow of a session. */
export class Conn {
  /** Stable id: 0, 1, … in order of the connection's first packet (like tshark's tcp.stream). */
  id = -1;
  kind: ConnKind = 'plain';
  session: Session | null = null;
  subflowId = -1;
  /** dirs[0]: from the connection's client (the SYN sender, or the first sender when no SYN was seen). */
  readonly dirs: [ConnDirection, ConnDirection] = [new ConnDirection(), new ConnDirection()];
  /** Session direction of dirs[0]: 0 = c2s, 1 = s2c. */
  sessionDirOfDir0 = 0;
  synSeen = false;
  synAckSeen = false;
  handshakeAcked = false;
  offeredMptcp = false;
  synTime = 0;
  rttMs?: number;
  tsRttSamples = 0;
  tsRttMin = Infinity;
  tsRttSum = 0;
  packets = 0;
  bytes = 0;
  firstPacket = 0;
  lastPacket = 0;
  start = 0;
  end = 0;
  closed = 'open';
  resetReason?: string;
  joinToken?: string;
  unmatchedReason?: string;
  /** Removed from the connection table (closed plain connection, or past a limit). */
  forgotten = false;
  /** IPv4 4-tuple as numbers for the engine's connection cache: one endpoint (A) as seen first, and B. */
  v4A = 0;
  v4B = 0;
  v4PortA = -1;
  v4Ports = -1;
  hmacSynAck: HmacVerdict = 'unverifiable';
  hmacAck: HmacVerdict = 'unverifiable';
  readonly subtypes = new Set<string>();
  dssSeen = false;

  constructor(
    readonly key: string,
    /** Client endpoint text and address bytes (dirs[0] source). */
    readonly clientText: string,
    readonly serverText: string,
    readonly clientAddr: Buffer,
    readonly ipVersion: number,
    readonly clientPort: number,
  ) {}
}

export interface SessionSide {
  key?: string;
  token?: string;
  idsn?: bigint;
  /** Data-level offset base: IDSN + 1. */
  base?: bigint;
  /** `base` as [hi, lo] 32-bit halves, made once (the hot path reads it on every DSS). */
  basePair?: [number, number];
}

export class Session {
  version = 1;
  readonly client: SessionSide = {};
  readonly server: SessionSide = {};
  checksum = false;
  fallback = false;
  fallbackReason?: string;
  readonly subflows: Conn[] = [];
  readonly events: SessionEvent[] = [];
  eventsDropped = 0;
  /** All subflows closed and per-session buffers released. */
  released = false;
  readonly findings: Finding[] = [];
  /** Data-level streams, [c2s, s2c]. */
  readonly streams: [DataStream, DataStream];
  /** Base used when the IDSN is unknown (first DSN seen), per direction. */
  readonly fallbackBase: [[number, number] | undefined, [number, number] | undefined] = [undefined, undefined];
  /** Highest data-level offset mapped so far, per direction (reference for 32-bit DSN widening). */
  readonly lastOffset: [number, number] = [0, 0];
  packets = 0;
  start = 0;
  end = 0;
  /** Client host address bytes (sender of the first SYN). */
  clientAddr: Buffer;

  constructor(readonly id: number, first: Conn, maxBuffer: number, historyBytes: number, budget: StorePool, hashOffload: HashOffload | null = null, clock: StreamClock = { now: 0 }) {
    this.clientAddr = first.clientAddr;
    this.streams = [new DataStream(maxBuffer, historyBytes, budget, hashOffload, clock), new DataStream(maxBuffer, historyBytes, budget, hashOffload, clock)];
  }

  side(dir: number): SessionSide {
    return dir === 0 ? this.client : this.server;
  }
}
