/**
 * TCP connection tracking, the lowest part of the engine: finds the connection of a packet (both directions
 * share it), counts its packets, follows its handshake, sequence space, acknowledgments, timestamps RTT, window
 * scale and FIN/RST. It knows nothing of MPTCP beyond the fields a Conn carries for the parts above.
 */
import type { DecodedPacket } from '../dissect/packet.js';
import { TCP_ACK, TCP_SYN } from '../dissect/packet.js';
import { endpointText } from '../dissect/address.js';
import { be32 } from '../dissect/bytes.js';
import { Conn } from './model.js';
import { widen32 } from './seq-math.js';
import type { EngineOptions } from './engine-options.js';
import type { EngineClock, FindingLog } from './finding-log.js';

/** Slots of the connection cache (a power of two). */
const CONN_CACHE_SIZE = 64;
/** Unseen ranges remembered per direction (beyond them, the lowest count as seen). */
const MAX_HOLES = 64;

/** What a SYN-flagged segment was (see `onSyn`). */
export const SYN_REPEATED = 0;
export const SYN_FIRST = 1;
export const SYNACK_FIRST = 2;

/** The third ACK of a handshake was seen: the handshake RTT as the capture saw it (SYN to third ACK). */
export function markHandshakeAcked(conn: Conn, time: number): void {
  if (conn.handshakeAcked) return;
  conn.handshakeAcked = true;
  if (conn.synTime && time >= conn.synTime) conn.rttMs = (time - conn.synTime) * 1000;
}

/** Closed plain TCP connections kept for their late packets. */
const PLAIN_LINGER = 1024;

export class TcpTracker {
  readonly conns = new Map<string, Conn>();
  /** TCP connections seen in all, plain (never MPTCP) ones already closed and forgotten, and ones past the limit. */
  connectionsSeen = 0;
  plainClosed = 0;
  /** Closed plain connections still held (a FIFO from lingerHead; see forgetPlain). */
  private readonly lingering: Array<Conn | undefined> = [];
  private lingerHead = 0;
  connectionsDropped = 0;
  /** Packets of plain connections already forgotten, and of connections past --max-connections. */
  plainPackets = 0;
  droppedPackets = 0;
  /** Set by `connFor`: the packet created its connection. */
  created = false;
  /** Set by `onSyn`: the connection's ends were swapped (it was first seen from the server side). */
  swapped = false;
  /** Set by `segment`: the segment's relative sequence number, where its bytes new on the subflow begin, and its kind. */
  segRel = 0;
  segNewFrom = 0;
  segRetransmission = false;
  segOutOfOrder = false;
  /** Set by `scaledWindow`: the shift applied (-1 unknown). */
  windowShift = -1;
  private readonly connCache: Array<Conn | undefined> = new Array(CONN_CACHE_SIZE).fill(undefined);

  constructor(private readonly opts: EngineOptions, private readonly log: FindingLog, private readonly clock: EngineClock) {}

  /** The connection of a TCP packet, created when new; null past --max-connections. */
  connFor(p: DecodedPacket, n: number): Conn | null {
    this.created = false;
    // IPv4 packets other than SYNs first try a small cache keyed by the 4-tuple as numbers: no key string.
    const v4 = p.ipVersion === 4;
    const slot = (p.sport ^ p.dport) & (CONN_CACHE_SIZE - 1);
    let src = 0;
    let dst = 0;
    if (v4) {
      src = be32(p.data, p.srcOffset);
      dst = be32(p.data, p.dstOffset);
      if (!(p.flags & TCP_SYN)) {
        const c = this.connCache[slot];
        if (c !== undefined && !c.forgotten && c.v4Ports === (p.sport ^ p.dport) &&
          ((c.v4A === src && c.v4B === dst && c.v4PortA === p.sport) || (c.v4A === dst && c.v4B === src && c.v4PortA === p.dport))) return c;
      }
    }
    const conn = this.lookupConn(p, n, this.clock.now);
    if (conn && v4) {
      conn.v4A = src;
      conn.v4B = dst;
      conn.v4PortA = p.sport;
      conn.v4Ports = p.sport ^ p.dport;
      this.connCache[slot] = conn;
    }
    return conn;
  }

  private lookupConn(p: DecodedPacket, n: number, time: number): Conn | null {
    const alen = p.ipVersion === 6 ? 16 : 4;
    const key = connKey(p);
    let conn = this.conns.get(key);
    // A new SYN on a finished connection with the same 4-tuple starts a new connection.
    if (conn && p.flags & TCP_SYN && !(p.flags & TCP_ACK) && conn.synSeen && conn.dirs[0].isn !== p.seq && conn.closed !== 'open') {
      if (conn.lingering) this.dropPlain(conn);
      else { this.conns.delete(key); conn.forgotten = true; }
      conn = undefined;
    }
    if (conn) return conn;
    if (this.conns.size >= this.opts.maxConnections) {
      this.connectionsDropped++;
      this.droppedPackets++;
      this.log.finding(null, 'warning', 'CONNECTION_LIMIT', `more than ${this.opts.maxConnections} TCP connections open at once: later ones not analyzed (--max-connections)`, n);
      return null;
    }
    // The client is the SYN sender; a SYN/ACK's receiver; otherwise, the first sender seen.
    const synAck = (p.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const cOff = synAck ? p.dstOffset : p.srcOffset;
    const sOff = synAck ? p.srcOffset : p.dstOffset;
    conn = new Conn(
      key,
      endpointText(p.ipVersion, p.data, cOff, synAck ? p.dport : p.sport),
      endpointText(p.ipVersion, p.data, sOff, synAck ? p.sport : p.dport),
      Buffer.from(p.data.subarray(cOff, cOff + alen)),
      p.ipVersion,
      synAck ? p.dport : p.sport,
      Buffer.from(p.data.subarray(sOff, sOff + alen)),
      synAck ? p.sport : p.dport,
    );
    conn.id = this.connectionsSeen;
    conn.firstPacket = n;
    conn.start = time;
    this.connectionsSeen++;
    this.conns.set(key, conn);
    this.created = true;
    return conn;
  }

  isFromClient(conn: Conn, p: DecodedPacket): boolean {
    if (p.sport !== conn.clientPort) return false;
    const ca = conn.clientAddr;
    for (let i = 0; i < ca.length; i++) if (p.data[p.srcOffset + i] !== ca[i]) return false;
    return true;
  }

  /** Counts the packet on its connection and direction `d` (0: from the client). */
  count(conn: Conn, p: DecodedPacket, d: number, n: number): void {
    const time = this.clock.now;
    conn.packets++;
    conn.bytes += p.payloadLength;
    conn.lastPacket = n;
    if (time > conn.end) conn.end = time;
    if (time < conn.start) conn.start = time;
    const dir = conn.dirs[d];
    dir.packets++;
    dir.payloadBytes += p.payloadLength;
  }

  /** The ACK covers the other direction's bytes (mappings below it will not be needed again). */
  onAck(conn: Conn, p: DecodedPacket, d: number, n: number, sackRight = -1): void {
    const other = conn.dirs[d ^ 1];
    if (other.isn >= 0) {
      const acked = widen32((p.ack - other.isn) >>> 0, other.highestEnd);
      if (acked > other.ackedEnd && acked <= other.highestEnd + 1) { other.ackedEnd = acked; other.ackedBy = n; }
      if (sackRight >= 0) {
        // SACKed bytes reached the peer: they, and every byte before them on the subflow, were sent.
        const sacked = widen32((sackRight - other.isn) >>> 0, other.highestEnd);
        if (sacked > other.sackedEnd && sacked - other.highestEnd < 1 << 30) { other.sackedEnd = sacked; other.sackedBy = n; }
      }
    }
  }

  /**
   * A SYN or SYN/ACK: learns the ISNs and the window scale. Returns SYN_FIRST or SYNACK_FIRST for the first of
   * each, SYN_REPEATED for a retransmitted one.
   */
  onSyn(conn: Conn, p: DecodedPacket, d: number, wscale: number): number {
    const isSynAck = (p.flags & TCP_ACK) !== 0;
    this.swapped = false;
    // Packets before the handshake (capture reordering) made the first sender the client: the SYN's sender is.
    if (!conn.synSeen && !conn.synAckSeen && d === (isSynAck ? 0 : 1)) {
      conn.swapEnds();
      d ^= 1;
      this.swapped = true;
    }
    const dir = conn.dirs[d];
    if (dir.isn < 0 || !conn.synSeen) dir.isn = p.seq;
    if (!isSynAck) {
      if (conn.synSeen) return SYN_REPEATED;
      conn.synSeen = true;
      conn.synTime = this.clock.now;
      dir.wscale = wscale;
      return SYN_FIRST;
    }
    if (conn.synAckSeen) return SYN_REPEATED;
    conn.synAckSeen = true;
    dir.wscale = wscale;
    if (conn.dirs[1 - d].isn < 0) conn.dirs[1 - d].isn = (p.ack - 1) >>> 0;
    return SYNACK_FIRST;
  }

  /**
   * RTT from TCP timestamps, sampled as the kernel does: one TSval per direction is outstanding at a time;
   * the first ACK echoing it from the other side gives a sample.
   */
  trackTimestamps(conn: Conn, p: DecodedPacket, d: number, ts: { readonly tsval: number; readonly tsecr: number }): void {
    // TSval and TSecr are read from the option walk here: as arguments, values above 2^31 would be boxed per call.
    const tsval = ts.tsval;
    const tsecr = ts.tsecr;
    const time = this.clock.now;
    const mine = conn.dirs[d];
    if (p.payloadLength > 0 && mine.tsPending < 0) {
      mine.tsPending = tsval;
      mine.tsPendingTime = time;
    }
    const other = conn.dirs[1 - d];
    if (other.tsPending < 0 || !(p.flags & TCP_ACK)) return;
    // TSecr at or after the outstanding TSval (modulo 2^32) echoes it.
    if (((tsecr - other.tsPending) | 0) >= 0) {
      const rtt = (time - other.tsPendingTime) * 1000;
      other.tsPending = -1;
      if (rtt < 0) return;
      conn.tsRttSamples++;
      conn.tsRttSum += rtt;
      if (rtt < conn.tsRttMin) conn.tsRttMin = rtt;
    }
  }

  /**
   * A payload segment of direction `d` (whose ISN is known): sets `segRel`, `segNewFrom` and the segment's kind,
   * and advances the highest sequence seen. A retransmission repeats subflow bytes already seen on the subflow;
   * a segment whose bytes are all new but lie below the highest sequence (it fills a hole) is out of order.
   */
  segment(conn: Conn, p: DecodedPacket, d: number, n: number): void {
    const dir = conn.dirs[d];
    const high = dir.highestEnd;
    const rel = widen32((p.seq - dir.isn) >>> 0, high);
    const end = rel + p.payloadLength;
    this.segRel = rel;
    this.segRetransmission = false;
    this.segOutOfOrder = false;
    this.segNewFrom = rel;
    if (rel < high) {
      const below = Math.min(end, high);
      const filled = dir.holes.length > 0 ? fillHoles(dir.holes, rel, below) : 0;
      if (filled < below - rel) {
        this.segRetransmission = true;
        dir.retransmissions++;
        this.segNewFrom = high;
      } else {
        this.segOutOfOrder = true;
        dir.outOfOrder++;
      }
    } else if (rel > high) {
      addHole(dir.holes, high, rel);
    }
    if (end > high) { dir.highestEnd = end; dir.highestBy = n; }
  }

  /** A FIN from direction `d`: true when it is the first one. */
  onFin(conn: Conn, d: number): boolean {
    const dir = conn.dirs[d];
    if (dir.finSeen) return false;
    dir.finSeen = true;
    if (conn.dirs[0].finSeen && conn.dirs[1].finSeen && conn.closed === 'open') conn.closed = 'FIN';
    return true;
  }

  /** A RST: true when the connection is (now or already) closed by a reset. */
  onRst(conn: Conn, n: number): boolean {
    conn.rstPacket = n;
    if (conn.closed === 'open' || conn.closed === 'FIN') conn.closed = conn.closed === 'FIN' ? 'FIN' : 'RST';
    return conn.closed === 'RST';
  }

  /** The window of a segment from direction `d` with its scale applied; sets `windowShift`. */
  scaledWindow(conn: Conn, p: DecodedPacket, d: number): number {
    // The window of a SYN is never scaled (RFC 7323 §2.2); scaling is in effect only when both SYNs offered it.
    if (p.flags & TCP_SYN) { this.windowShift = 0; return p.win; }
    if (!conn.synSeen || !conn.synAckSeen) { this.windowShift = -1; return p.win; }
    const a = conn.dirs[0].wscale;
    const b = conn.dirs[1].wscale;
    const shift = a >= 0 && b >= 0 ? Math.min(conn.dirs[d].wscale, 14) : 0;
    this.windowShift = shift;
    // A shift instead of 2 ** shift (a pow call per packet): the 16-bit window times at most 2^14 stays below 2^31.
    return p.win << shift;
  }

  /**
   * A closed connection that never offered MPTCP. Its state lingers among the last PLAIN_LINGER closed ones, so
   * the packets that follow its FINs or RST (the last ACKs, often late or reordered across interfaces) still find
   * their connection and window scale, as in tshark; then it is counted and dropped, which bounds memory.
   */
  forgetPlain(conn: Conn): void {
    if (conn.lingering || this.conns.get(conn.key) !== conn) return;
    conn.lingering = true;
    this.lingering.push(conn);
    if (this.lingering.length - this.lingerHead > PLAIN_LINGER) {
      const oldest = this.lingering[this.lingerHead]!;
      this.lingering[this.lingerHead++] = undefined;
      this.dropPlain(oldest);
      if (this.lingerHead >= PLAIN_LINGER) { this.lingering.splice(0, this.lingerHead); this.lingerHead = 0; }
    }
  }

  /** Counts a closed plain connection and drops its state (unless a new one took its 4-tuple already). */
  private dropPlain(conn: Conn): void {
    if (conn.forgotten) return;
    if (this.conns.get(conn.key) === conn) this.conns.delete(conn.key);
    conn.forgotten = true;
    this.plainClosed++;
    this.plainPackets += conn.packets;
  }

  /** Drops a connection from the table (past a limit): later packets of it start a new one. */
  drop(conn: Conn): void {
    this.conns.delete(conn.key);
    conn.forgotten = true;
  }
}

/** Removes [s, e) from the sorted hole list; returns how many of its bytes were in holes (new bytes). */
function fillHoles(holes: number[], s: number, e: number): number {
  let filled = 0;
  for (let i = 0; i < holes.length && holes[i] < e; ) {
    const hs = holes[i];
    const he = holes[i + 1];
    if (he <= s) { i += 2; continue; }
    const os = Math.max(s, hs);
    const oe = Math.min(e, he);
    filled += oe - os;
    if (hs < os && oe < he) { holes.splice(i, 2, hs, os, oe, he); i += 4; }
    else if (hs < os) { holes[i + 1] = os; i += 2; }
    else if (oe < he) { holes[i] = oe; i += 2; }
    else holes.splice(i, 2);
  }
  return filled;
}

/** Appends the unseen range [s, e) above every known hole; the lowest are dropped past MAX_HOLES. */
function addHole(holes: number[], s: number, e: number): void {
  holes.push(s, e);
  if (holes.length > 2 * MAX_HOLES) holes.splice(0, 2);
}

/** Connection key: both endpoints (address bytes and port) packed in a short string, lower endpoint first. */
function connKey(p: DecodedPacket): string {
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
