/**
 * One capture of a comparison: its own analysis engine, and for every TCP packet an observation (`Obs`) holding
 * what matching needs: the engine's connection, the direction, sequence numbers relative to that capture's ISNs,
 * and copies of the header fields, options and payload a middlebox could change.
 */
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS } from '../analyze/engine.js';
import type { Conn } from '../analyze/model.js';
import type { DecodedPacket } from '../dissect/packet.js';
import { TCP_SYN } from '../dissect/packet.js';
import type { CaptureRecord } from '../dissect/record.js';
import { be32 } from '../dissect/bytes.js';
import { TCPOPT_TIMESTAMP } from '../dissect/tcp.js';

/** A connection of one capture, as the comparison tracks it. */
export class SideConn {
  /** Shared state of the matched pair, once matched. */
  pair: import('./pair.js').ConnPair | null = null;
  /** Observations not matched yet, per direction (0 = from the connection's client), by exact key. */
  readonly pending: [Map<string, Obs[]>, Map<string, Obs[]>] = [new Map(), new Map()];
  /** Data-carrying observations not fully matched yet, per direction, in arrival order (for resegmentation). */
  readonly pendingData: [Obs[], Obs[]] = [[], []];
  /** Observations of this direction so far (their index gives the order for reordering). */
  readonly count: [number, number] = [0, 0];
  readonly highestEnd: [number, number] = [0, 0];
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
  firstPacket = 0;

  constructor(readonly side: 0 | 1, readonly conn: Conn) {
    this.firstPacket = conn.firstPacket;
  }
}

/** One TCP packet of one capture. */
export interface Obs {
  side: 0 | 1;
  n: number;
  /** Seconds (B's already shifted by --clock-offset). */
  t: number;
  sc: SideConn;
  /** 0: from the connection's client. */
  d: 0 | 1;
  /** Index among this connection direction's observations. */
  idx: number;
  flags: number;
  relSeq: number;
  relAck: number;
  seq: number;
  len: number;
  tsval: number;
  win: number;
  ttl: number;
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
  readonly conns = new Map<Conn, SideConn>();
  readonly all: SideConn[] = [];
  format = '';
  truncated = false;
  /** Connection of the packet before push: a plain connection that closes with this packet is forgotten by push. */
  private before: Conn | undefined;
  /** Recent plain connections by 4-tuple: packets after the close (a last ACK) make the engine start a new one. */
  private readonly recentPlain = new Map<string, SideConn>();

  constructor(readonly side: 0 | 1, readonly file: string, readonly clockShift: number) {}

  /** Feeds one record to the engine; returns its observation, or null for packets that are not TCP. */
  push(rec: CaptureRecord, p: DecodedPacket): Obs | null {
    const engine = this.engine;
    const key = p.isTcp ? connKeyOf(p) : '';
    this.before = p.isTcp ? engine.conns.get(key) : undefined;
    engine.push(rec, p);
    if (!p.isTcp) return null;
    const conn = this.connOf(key);
    if (!conn) return null;
    let sc = this.conns.get(conn);
    if (!sc) {
      const prev = this.recentPlain.get(key);
      if (prev && !conn.synSeen && conn.kind === 'plain') sc = prev; // the tail of a closed connection
      else {
        sc = new SideConn(this.side, conn);
        this.all.push(sc);
        if (conn.kind === 'plain') {
          this.recentPlain.delete(key);
          this.recentPlain.set(key, sc);
          if (this.recentPlain.size > 4096) this.recentPlain.delete(this.recentPlain.keys().next().value as string);
        }
      }
      this.conns.set(conn, sc);
    }
    return this.observe(rec, p, sc, fromClient(sc.conn, p) ? 0 : 1);
  }

  /** The engine's connection of the packet just pushed. */
  private connOf(key: string): Conn | undefined {
    const engine = this.engine;
    const tag = engine.lastTag;
    if (tag) return engine.sessions[tag.session].subflows[tag.subflow];
    return engine.conns.get(key) ?? this.before;
  }

  private observe(rec: CaptureRecord, p: DecodedPacket, sc: SideConn, d: 0 | 1): Obs {
    const conn = sc.conn;
    const t = rec.tsSec + rec.tsNsec / 1e9 - this.clockShift;
    const isn = conn.dirs[d].isn;
    const peerIsn = conn.dirs[d ^ 1].isn;
    const relSeq = isn >= 0 ? (p.seq - isn) >>> 0 : p.seq;
    const relAck = peerIsn >= 0 ? (p.ack - peerIsn) >>> 0 : p.ack;
    sc.packets++;
    const len = p.payloadLength;
    // A data segment that ends at or below what this direction already carried repeats bytes: a retransmission.
    const end = relSeq + len;
    const retransmission = len > 0 && end <= sc.highestEnd[d];
    if (len > 0 && end > sc.highestEnd[d]) sc.highestEnd[d] = end;
    const tsval = timestampValue(p);
    if (p.flags & TCP_SYN) {
      if (d === 0 && sc.synTime < 0) { sc.synTime = t; sc.synTsval = tsval; }
      if (d === 1 && sc.synAckTime < 0) sc.synAckTime = t;
    }
    const l3 = p.l3Offset;
    const ttl = l3 < 0 ? -1 : p.ipVersion === 4 ? p.data[l3 + 8] : p.data[l3 + 7];
    const optEnd = Math.min(p.tcpOffset + p.tcpHeaderLength, p.end);
    const options = Buffer.from(p.data.subarray(p.tcpOffset + 20, Math.max(p.tcpOffset + 20, optEnd)));
    const payload = p.payloadCaptured > 0 ? Buffer.from(p.data.subarray(p.payloadOffset, p.payloadOffset + p.payloadCaptured)) : EMPTY;
    return {
      side: this.side, n: rec.n, t, sc, d, idx: sc.count[d]++, flags: p.flags, relSeq, relAck, seq: p.seq, len, tsval,
      win: p.win, ttl, options, payload, retransmission, covered: 0, matched: false, key: '',
    };
  }
}

const EMPTY = Buffer.alloc(0);

function fromClient(conn: Conn, p: DecodedPacket): boolean {
  if (p.sport !== conn.clientPort) return false;
  const ca = conn.clientAddr;
  for (let i = 0; i < ca.length; i++) if (p.data[p.srcOffset + i] !== ca[i]) return false;
  return true;
}

/** TSval of the TCP timestamp option, or -1. */
function timestampValue(p: DecodedPacket): number {
  const buf = p.data;
  const end = Math.min(p.tcpOffset + p.tcpHeaderLength, p.end);
  let off = p.tcpOffset + 20;
  while (off < end) {
    const kind = buf[off];
    if (kind === 0) break;
    if (kind === 1) { off++; continue; }
    const len = off + 1 < end ? buf[off + 1] : 0;
    if (len < 2 || off + len > end) break;
    if (kind === TCPOPT_TIMESTAMP && len === 10) return be32(buf, off + 2);
    off += len;
  }
  return -1;
}

/**
 * The engine's connection-table key of a packet (both endpoints, lower first). It mirrors the key in
 * analyze/engine.ts, so a plain TCP connection's state can be found; the engine tags only session packets.
 */
export function connKeyOf(p: DecodedPacket): string {
  const b = p.data;
  if (p.ipVersion === 4) {
    const s = p.srcOffset;
    const d = p.dstOffset;
    const sa = (b[s] << 8) | b[s + 1];
    const sb = (b[s + 2] << 8) | b[s + 3];
    const da = (b[d] << 8) | b[d + 1];
    const db = (b[d + 2] << 8) | b[d + 3];
    const srcFirst = sa < da || (sa === da && (sb < db || (sb === db && p.sport <= p.dport)));
    return srcFirst ? String.fromCharCode(sa, sb, p.sport, da, db, p.dport) : String.fromCharCode(da, db, p.dport, sa, sb, p.sport);
  }
  const a = b.toString('latin1', p.srcOffset, p.srcOffset + 16) + String.fromCharCode(p.sport);
  const c = b.toString('latin1', p.dstOffset, p.dstOffset + 16) + String.fromCharCode(p.dport);
  return a < c ? a + c : c + a;
}
