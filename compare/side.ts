/**
 * One capture of a comparison: its own analysis engine, observed packet by packet (engine.observe, docs/engine.md).
 * For every TCP packet it makes an observation (`Obs`) holding what matching needs: the engine's connection id
 * and direction, sequence numbers relative to that capture's ISNs, and copies of the header fields, options and
 * payload a middlebox could change.
 */
import { AnalysisEngine } from '../analyze/engine.js';
import { DEFAULT_ENGINE_OPTIONS } from '../analyze/engine-options.js';
import type { Conn, Session } from '../analyze/model.js';
import type { PacketAnalysis } from '../analyze/packet-analysis.js';
import { endpointText } from '../dissect/address.js';
import type { DecodedPacket } from '../dissect/packet.js';
import { TCP_ACK, TCP_SYN } from '../dissect/packet.js';
import type { CaptureRecord } from '../dissect/record.js';
import { be32 } from '../dissect/bytes.js';
import { TCPOPT_TIMESTAMP, tcpOptionOffset } from '../dissect/tcp.js';
import type { ConnPair } from './pair.js';

/** A TCP connection of one capture (the engine's connection id), as the comparison tracks it. */
export class SideConn {
  /** Shared state of the matched pair, once matched. */
  pair: ConnPair | null = null;
  /** The engine's connection once it is a subflow of a session (keys, tokens, nonces, mappings). */
  conn: Conn | null = null;
  /** Observations not matched yet, per direction (0 = from the connection's client), by exact key. */
  readonly pending: [Map<string, Obs[]>, Map<string, Obs[]>] = [new Map(), new Map()];
  /** Data-carrying observations not fully matched yet, per direction, in arrival order (for resegmentation). */
  readonly pendingData: [Obs[], Obs[]] = [[], []];
  /** Observations of this direction so far (their index gives the order for reordering). */
  readonly count: [number, number] = [0, 0];
  readonly highestEnd: [number, number] = [0, 0];
  /** ISN of each direction (this capture's orientation), from its SYN (-1: not seen). */
  readonly isn: [number, number] = [-1, -1];
  /** ISNs taken from the matched connection of the other capture when this one missed the handshake. */
  readonly borrowedIsn: [number, number] = [-1, -1];
  /** 1 when this capture took the connection's server for its client (it missed the SYN and saw the server first). */
  flip: 0 | 1 = 0;
  /** First SYN and SYN/ACK times in this capture (handshake order tells which capture is nearer the client). */
  synTime = -1;
  synAckTime = -1;
  synTsval = -1;
  /** Observations that expired unmatched before the connection was matched, per direction. */
  readonly expiredUnpaired: [number, number] = [0, 0];
  readonly expiredUnpairedRetx: [number, number] = [0, 0];
  /** Keys this connection is registered under while it waits for its counterpart. */
  registered: string[] = [];
  packets = 0;

  constructor(readonly side: 0 | 1, readonly id: number, readonly firstPacket: number, readonly clientText: string, readonly serverText: string) {}

  /** Client and server endpoints in the orientation of the matched pair. */
  get client(): string {
    return this.flip ? this.serverText : this.clientText;
  }

  get server(): string {
    return this.flip ? this.clientText : this.serverText;
  }

  get session(): Session | null {
    return this.conn?.session ?? null;
  }

  /** Subflow id in its session (0 for a plain connection). */
  get subflowId(): number {
    return this.conn?.session ? this.conn.subflowId : 0;
  }

  /** Session direction of the pair's direction 0 (0 = c2s). */
  get sessionDirOfDir0(): number {
    return (this.conn?.session ? this.conn.sessionDirOfDir0 : 0) ^ this.flip;
  }
}

/** One TCP packet of one capture. */
export interface Obs {
  side: 0 | 1;
  n: number;
  /** Seconds (B's already shifted by --clock-offset). */
  t: number;
  sc: SideConn;
  /** 0: from the connection's client (as the matched pair sees it: set by the matcher). */
  d: 0 | 1;
  /** 0: from the client as this capture's engine sees it. */
  dRaw: 0 | 1;
  /** Raw TCP sequence and acknowledgment numbers. */
  seq: number;
  ack: number;
  /** Index among this connection direction's observations. */
  idx: number;
  flags: number;
  /** Sequence and acknowledgment relative to the connection's ISNs (set by the matcher). */
  relSeq: number;
  relAck: number;
  len: number;
  tsval: number;
  win: number;
  ttl: number;
  /** Relative DSN of the first payload byte (first data byte = 1), or null. */
  dsn: number | null;
  /** TCP option bytes (after the fixed header), as captured. */
  options: Buffer;
  /** Captured payload bytes (a copy), empty for headers-only captures. */
  payload: Buffer;
  retransmission: boolean;
  /** Payload bytes matched against the other capture so far. */
  covered: number;
  matched: boolean;
  /** Key in the pending map. */
  key: string;
}

export class CaptureSideState {
  readonly engine = new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS });
  /** Connections by the engine's connection id. */
  readonly conns = new Map<number, SideConn>();
  format = '';
  truncated = false;
  private last: Obs | null = null;
  /**
   * Recent plain connections by their endpoints: the engine forgets a plain connection once closed, so a packet
   * after the close (the last ACK) starts a new one there; here it continues the old one.
   */
  private readonly recentPlain = new Map<string, SideConn>();

  constructor(readonly side: 0 | 1, readonly file: string, readonly clockShift: number) {
    this.engine.observe({ packet: (p, rec, a) => { this.last = this.observe(p, rec, a); } });
  }

  /** Feeds one record to the engine; returns its observation, or null for packets that are not TCP. */
  push(rec: CaptureRecord, p: DecodedPacket): Obs | null {
    this.last = null;
    this.engine.push(rec, p);
    return this.last;
  }

  private observe(p: DecodedPacket, rec: CaptureRecord, a: PacketAnalysis): Obs | null {
    if (a.connection < 0 || a.tcpDir === null) return null;
    let d: 0 | 1 = a.tcpDir === 'c2s' ? 0 : 1;
    let sc = this.conns.get(a.connection);
    if (!sc) {
      const src = endpointText(p.ipVersion, p.data, p.srcOffset, p.sport);
      const dst = endpointText(p.ipVersion, p.data, p.dstOffset, p.dport);
      const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
      const prev = this.recentPlain.get(key);
      if (prev && a.session < 0 && !(p.flags & TCP_SYN)) sc = prev;
      else {
        // The connection's client is the sender of direction 0.
        sc = d === 0 ? new SideConn(this.side, a.connection, rec.n, src, dst) : new SideConn(this.side, a.connection, rec.n, dst, src);
        if (a.session < 0) {
          this.recentPlain.delete(key);
          this.recentPlain.set(key, sc);
          if (this.recentPlain.size > 4096) this.recentPlain.delete(this.recentPlain.keys().next().value as string);
        }
      }
      this.conns.set(a.connection, sc);
    }
    if (sc.id !== a.connection) d = endpointText(p.ipVersion, p.data, p.srcOffset, p.sport) === sc.clientText ? 0 : 1;
    if (a.session >= 0 && !sc.conn) sc.conn = this.engine.sessions[a.session].subflows[a.subflow];
    const t = rec.tsSec + rec.tsNsec / 1e9 - this.clockShift;
    sc.packets++;
    const tsval = timestampValue(p);
    if (p.flags & TCP_SYN) {
      if (sc.isn[d] < 0) sc.isn[d] = p.seq;
      if (d === 0 && sc.synTime < 0) { sc.synTime = t; sc.synTsval = tsval; }
      if (d === 1 && sc.synAckTime < 0) sc.synAckTime = t;
    }
    const relSeq = sc.isn[d] >= 0 ? (p.seq - sc.isn[d]) >>> 0 : p.seq;
    const len = p.payloadLength;
    // In a session the engine says which segments repeat subflow bytes; for plain TCP: ends at or below the highest.
    const end = relSeq + len;
    const retransmission = a.session >= 0 ? a.retransmission : len > 0 && end <= sc.highestEnd[d];
    if (len > 0 && end > sc.highestEnd[d]) sc.highestEnd[d] = end;
    const l3 = p.l3Offset;
    const ttl = l3 < 0 ? -1 : p.ipVersion === 4 ? p.data[l3 + 8] : p.data[l3 + 7];
    const optEnd = Math.min(p.tcpOffset + p.tcpHeaderLength, p.end);
    const options = Buffer.from(p.data.subarray(p.tcpOffset + 20, Math.max(p.tcpOffset + 20, optEnd)));
    const payload = p.payloadCaptured > 0 ? Buffer.from(p.data.subarray(p.payloadOffset, p.payloadOffset + p.payloadCaptured)) : EMPTY;
    return {
      side: this.side, n: rec.n, t, sc, d, dRaw: d, seq: p.seq, ack: p.flags & TCP_ACK ? p.ack : 0, idx: sc.count[d]++, flags: p.flags, relSeq: 0, relAck: 0, len, tsval,
      win: p.win, ttl, dsn: len > 0 ? a.dsn : null, options, payload, retransmission, covered: 0, matched: false, key: '',
    };
  }
}

const EMPTY = Buffer.alloc(0);

/** TSval of the TCP timestamp option, or -1. */
function timestampValue(p: DecodedPacket): number {
  const ts = tcpOptionOffset(p, TCPOPT_TIMESTAMP);
  return ts >= 0 && p.data[ts + 1] === 10 ? be32(p.data, ts + 2) : -1;
}
