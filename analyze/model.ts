/** Live analysis state: TCP connections (subflows) and MPTCP sessions. */
import type { StorePool } from './store-pool.js';
import type { HashOffload } from './hash-offload.js';
import { DataStream, type StreamClock } from './data-stream.js';
import { MappingTable } from './mapping.js';
import { UnmappedQueue } from './unmapped.js';
import type { Finding, HmacVerdict, SessionEvent } from './report-types.js';

/** One direction of a TCP connection. */
export class ConnDirection {
  /** ISN (sequence number of the SYN), or -1 when the SYN was not seen. */
  isn = -1;
  /** Highest relative sequence end seen (first payload byte is 1), and the packet that carried it (-1 none). */
  highestEnd = 1;
  highestBy = -1;
  /** Highest relative sequence the peer acknowledged (0: none seen), and the packet that acknowledged it. */
  ackedEnd = 0;
  ackedBy = -1;
  /** Highest relative sequence a SACK block of the peer covered (0: none), and that packet. */
  sackedEnd = 0;
  sackedBy = -1;
  packets = 0;
  payloadBytes = 0;
  dataBytes = 0;
  reinjectedBytes = 0;
  /** Segments repeating subflow bytes already seen, and segments of new bytes below the highest sequence. */
  retransmissions = 0;
  outOfOrder = 0;
  /**
   * Ranges below `highestEnd` not seen yet, as sorted [start, end) pairs (bounded: the lowest are forgotten
   * first), so a segment filling one is told apart from a retransmission.
   */
  readonly holes: number[] = [];
  finSeen = false;
  readonly mappings = new MappingTable();
  /** Payload that arrived before a mapping covering it. */
  readonly unmapped = new UnmappedQueue();
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

/** A packet kept for a later replay: its captured bytes and what its record said. */
export interface EarlyPacket {
  n: number;
  linktype: number;
  tsSec: number;
  tsNsec: number;
  len: number;
  bytes: Buffer;
}

/** A TCP connection; for MPTCP connections also a subflow of a session. */
export class Conn {
  /** Stable id: 0, 1, … in order of the connection's first packet (like tshark's tcp.stream). */
  id = -1;
  kind: ConnKind = 'plain';
  session: Session | null = null;
  subflowId = -1;
  /** dirs[0]: from the connection's client (the SYN sender, or the first sender when no SYN was seen). */
  dirs: [ConnDirection, ConnDirection] = [new ConnDirection(), new ConnDirection()];
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
  /** The last RST of the connection (packet number, -1 none). */
  rstPacket = -1;
  joinToken?: string;
  unmatchedReason?: string;
  /** Removed from the connection table (closed plain connection, or past a limit). */
  forgotten = false;
  /**
   * Copies of the packets seen before the handshake (first seen mid-connection), kept a short while in case the
   * SYN shows up later (packets reordered across interfaces): replayed into the session then. Null: not kept.
   */
  early: EarlyPacket[] | null = null;
  earlyBytes = 0;
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
    public clientText: string,
    public serverText: string,
    public clientAddr: Buffer,
    readonly ipVersion: number,
    public clientPort: number,
    /** Server address bytes and port. */
    public serverAddr: Buffer = Buffer.alloc(0),
    public serverPort = 0,
  ) {}

  /**
   * The connection was first seen from the wrong side (its first packets came before its SYN): the SYN sender
   * becomes the client, with both directions' state.
   */
  swapEnds(): void {
    this.dirs = [this.dirs[1], this.dirs[0]];
    [this.clientText, this.serverText] = [this.serverText, this.clientText];
    [this.clientAddr, this.serverAddr] = [this.serverAddr, this.clientAddr];
    [this.clientPort, this.serverPort] = [this.serverPort, this.clientPort];
  }
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

export interface UnmappedLoss {
  bytes: number;
  packets: number[];
  limitHit: boolean;
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
  /** Subflow bytes never covered by a mapping, per direction [c2s, s2c]: bytes, some packets, given up at a limit. */
  readonly unmapped: [UnmappedLoss, UnmappedLoss] = [{ bytes: 0, packets: [], limitHit: false }, { bytes: 0, packets: [], limitHit: false }];
  /**
   * Per direction [c2s, s2c]: the highest data-level offset a DATA_ACK of the peer acknowledged and its packet
   * (proof that bytes were sent), and the packet carrying DATA_FIN (-1: none).
   */
  readonly dataAcked: [number, number] = [0, 0];
  readonly dataAckedBy: [number, number] = [-1, -1];
  readonly dataFinPacket: [number, number] = [-1, -1];
  /** The first MP_FASTCLOSE (packet number, -1 none) and its sender's session direction. */
  fastclosePacket = -1;
  fastcloseBy = -1;
  /** Client host address bytes (sender of the first SYN). */
  clientAddr: Buffer;

  constructor(readonly id: number, first: Conn, maxBuffer: number, historyBytes: number, budget: StorePool, hashOffload: HashOffload | null = null, clock: StreamClock = { now: 0 }) {
    this.clientAddr = first.clientAddr;
    this.streams = [new DataStream(maxBuffer, historyBytes, budget, hashOffload, clock), new DataStream(maxBuffer, historyBytes, budget, hashOffload, clock)];
  }

  /** Data-level offset base of direction `sdir` as [hi, lo]: IDSN + 1, else the first 64-bit DSN seen, else undefined. */
  knownBase(sdir: number): [number, number] | undefined {
    return this.side(sdir).basePair ?? this.fallbackBase[sdir];
  }

  side(dir: number): SessionSide {
    return dir === 0 ? this.client : this.server;
  }
}
