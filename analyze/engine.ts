/**
 * The analysis engine: fed one decoded packet at a time (from a file, live capture or the TUI), it groups
 * TCP connections into MPTCP sessions, verifies HMACs and DSS checksums, and rebuilds each session's
 * data-level byte streams. `report()` can be called at any time; `finish()` closes the streams.
 */
import { StorePool } from './store-pool.js';
import type { HashOffload } from './hash-offload.js';
import type { CaptureRecord } from '../dissect/record.js';
import type { DecodedPacket } from '../dissect/packet.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../dissect/packet.js';
import { endpointText } from '../dissect/address.js';
import { mptcpOptionsOf } from '../dissect/tcp-options.js';
import { decodeMptcpOption, type MptcpOption } from '../dissect/mptcp.js';
import { TCPOPT_MPTCP, TCPOPT_TIMESTAMP } from '../dissect/tcp.js';
import { newDssFields, readDss, type DssFields } from '../dissect/dss-fields.js';
import { be32 } from '../dissect/bytes.js';
import { offsetBetween, addOffset, u64Decimal, u64FromBigInt } from './u64.js';
import { Conn, Session } from './model.js';
import type { DataStream, StreamClock } from './data-stream.js';
import { ChecksumState, type HeldChunk, type Mapping } from './mapping.js';
import { widen32 } from './seq-math.js';
import { addAddrHmac, addressBytes, joinHmac, tokenAndIdsn } from './mptcp-crypto.js';
import type { Finding, Severity, SessionEvent } from './report-types.js';

export interface EngineOptions {
  /** Out-of-order bytes buffered per data-level direction before a gap is declared. */
  maxBuffer: number;
  /** Recently delivered bytes kept per direction to compare retransmitted copies. */
  historyBytes: number;
  /** TCP connections tracked at once. */
  maxConnections: number;
  /** Events kept per session. */
  maxEvents: number;
  /** Unmatched connections listed individually (the rest are counted). */
  maxUnmatched: number;
  /** Out-of-order bytes buffered by all streams together before gaps are declared. */
  maxTotalBuffer: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  maxBuffer: 64 * 1024 * 1024,
  historyBytes: 256 * 1024,
  maxConnections: 1_000_000,
  maxEvents: 10_000,
  maxUnmatched: 1_000,
  maxTotalBuffer: 512 * 1024 * 1024,
};

/** What the engine tells incremental consumers (live log, TUI). */
export interface EngineListener {
  session?(s: Session): void;
  event?(s: Session, e: SessionEvent): void;
  finding?(f: Finding): void;
}

/** Session/subflow tag of the last packet pushed. */
export interface PacketTag {
  session: number;
  subflow: number;
  /** 'c2s' | 's2c' at the data level. */
  dir: 'c2s' | 's2c';
}

const MAX_FINDING_PACKETS = 50;
/** Slots of the connection cache (a power of two). */
const CONN_CACHE_SIZE = 64;
/** Mappings kept below the highest acknowledged subflow sequence, and below the highest sent one without ACKs. */
const MAPPING_KEEP_BELOW_ACK = 4 << 20;
const MAPPING_KEEP_UNACKED = 64 << 20;

export class AnalysisEngine {
  readonly sessions: Session[] = [];
  readonly conns = new Map<string, Conn>();
  /** Token -> session, for both sides' tokens. */
  private readonly tokens = new Map<string, Session>();
  /** Findings not tied to one session. */
  readonly findings: Finding[] = [];
  private readonly findingIndex = new Map<string, Finding>();
  readonly unmatched: Conn[] = [];
  unmatchedDropped = 0;
  packets = 0;
  tcpPackets = 0;
  mptcpPackets = 0;
  /** Time of the first packet (event times are relative to it), and the earliest and latest times seen. */
  firstTime = -1;
  lastTime = 0;
  minTime = Infinity;
  maxTime = -Infinity;
  readonly linktypes = new Set<number>();
  connectionsDropped = 0;
  private lastLinktype = -1;
  /** TCP connections seen in all, and plain (never MPTCP) ones already closed and forgotten. */
  connectionsSeen = 0;
  plainClosed = 0;
  /** Out-of-order data of all streams: its byte budget and its recycled stores. */
  readonly budget = new StorePool();
  /** The time of the packet being analyzed (read by the hot paths and the data-level streams; see DataStream.place). */
  readonly clock: StreamClock = { now: 0 };
  /** Set before the first packet to hash data-level streams on a worker thread (then await `settle()` after `finish()`). */
  hashOffload: HashOffload | null = null;
  /** Tag of the last packet pushed (a reused object: read it right after push), or null. */
  lastTag: PacketTag | null = null;
  private readonly tag: PacketTag = { session: 0, subflow: 0, dir: 'c2s' };
  private finished = false;
  // Per-packet scratch filled by scanOptions: the DSS read in place, other MPTCP options decoded as objects.
  private readonly dss: DssFields = newDssFields();
  private hasDss = false;
  private others: MptcpOption[] = [];
  private mptcpCount = 0;
  private tsval = -1;
  private tsecr = -1;
  private readonly u64Scratch: [number, number] = [0, 0];
  private readonly connCache: Array<Conn | undefined> = new Array(CONN_CACHE_SIZE).fill(undefined);

  constructor(readonly opts: EngineOptions = DEFAULT_ENGINE_OPTIONS, private readonly listener: EngineListener = {}) {
    this.budget.limit = opts.maxTotalBuffer;
  }

  push(rec: CaptureRecord, p: DecodedPacket): void {
    const time = rec.tsSec + rec.tsNsec / 1e9;
    this.clock.now = time;
    this.packets++;
    this.lastTag = null;
    if (this.firstTime < 0) this.firstTime = time;
    this.lastTime = time;
    // Timestamps can go backwards (clock steps, merged or damaged files): spans use min and max.
    if (time < this.minTime) this.minTime = time;
    if (time > this.maxTime) this.maxTime = time;
    if (rec.linktype !== this.lastLinktype) { this.lastLinktype = rec.linktype; this.linktypes.add(rec.linktype); }
    if (!p.isTcp) return;
    this.tcpPackets++;
    this.scanOptions(p);
    const opts = this.others;
    if (this.mptcpCount > 0) this.mptcpPackets++;
    const conn = this.connFor(p, this.mptcpCount > 0, rec.n);
    if (!conn) return;
    const fromClient = this.isFromClient(conn, p);
    const d = fromClient ? 0 : 1;
    conn.packets++;
    conn.bytes += p.payloadLength;
    conn.lastPacket = rec.n;
    if (time > conn.end) conn.end = time;
    if (time < conn.start) conn.start = time;
    const dir = conn.dirs[d];
    dir.packets++;
    dir.payloadBytes += p.payloadLength;
    if (this.hasDss && !conn.dssSeen) { conn.dssSeen = true; conn.subtypes.add('DSS'); }
    for (let i = 0; i < opts.length; i++) conn.subtypes.add(opts[i].subtype);
    if (this.tsval >= 0 && conn.session) this.trackTimestamps(conn, p, d);
    if (p.flags & TCP_ACK && conn.session) {
      // The ACK covers the other direction's bytes: mappings below it will not be needed again.
      const other = conn.dirs[d ^ 1];
      if (other.isn >= 0) {
        const acked = widen32((p.ack - other.isn) >>> 0, other.highestEnd);
        if (acked > other.ackedEnd && acked <= other.highestEnd + 1) other.ackedEnd = acked;
      }
    }

    if (p.flags & TCP_SYN) this.onSyn(conn, p, opts, d, rec.n, time);
    const s = conn.session;
    if (s) {
      s.packets++;
      if (time > s.end) s.end = time;
      if (time < s.start) s.start = time;
      const tag = this.tag;
      tag.session = s.id;
      tag.subflow = conn.subflowId;
      tag.dir = (d ^ conn.sessionDirOfDir0) === 0 ? 'c2s' : 's2c';
      this.lastTag = tag;
    }
    for (let i = 0; i < opts.length; i++) this.onOption(conn, p, opts[i], d, rec.n, time);
    if (this.hasDss && s) this.onDss(conn, this.dss, d, (d ^ conn.sessionDirOfDir0) as 0 | 1, rec.n);
    if (s && p.payloadLength > 0 && !(p.flags & TCP_SYN)) this.onPayload(conn, p, d, rec.n);
    if (p.flags & TCP_FIN && !dir.finSeen) {
      dir.finSeen = true;
      if (s) this.event(s, { n: rec.n, time: this.rel(time), type: 'FIN', subflow: conn.subflowId, dir: this.sdirName(conn, d) });
      if (conn.dirs[0].finSeen && conn.dirs[1].finSeen && conn.closed === 'open') conn.closed = 'FIN';
    }
    if (conn.kind === 'plain' && (conn.closed !== 'open' || p.flags & TCP_RST)) this.forgetPlain(conn);
    else if (s && conn.closed !== 'open' && !s.released && s.subflows.every((c) => c.closed !== 'open')) this.releaseSession(s);
    if (p.flags & TCP_RST) {
      if (conn.closed === 'open' || conn.closed === 'FIN') conn.closed = conn.closed === 'FIN' ? 'FIN' : 'RST';
      if (s && conn.closed === 'RST') this.event(s, { n: rec.n, time: this.rel(time), type: 'RST', subflow: conn.subflowId, dir: this.sdirName(conn, d) });
    }
  }

  /**
   * One walk over the TCP options: the timestamp option and the DSS are read in place; other MPTCP options
   * are decoded as objects (they are rare). Anything irregular (bad lengths, options cut by the snaplen) goes
   * through the full option decoder, which explains it.
   */
  private scanOptions(p: DecodedPacket): void {
    const buf = p.data;
    const end = p.tcpOffset + p.tcpHeaderLength;
    const capEnd = p.end;
    this.hasDss = false;
    this.mptcpCount = 0;
    this.tsval = -1;
    if (this.others.length > 0) this.others = [];
    let off = p.tcpOffset + 20;
    while (off < end) {
      if (off >= capEnd) return;
      const kind = buf[off];
      if (kind === 0) return;
      if (kind === 1) { off++; continue; }
      const len = off + 1 < capEnd ? buf[off + 1] : 0;
      if (len < 2 || off + len > end || off + len > capEnd) { this.slowOptions(p); return; }
      if (kind === TCPOPT_TIMESTAMP && len === 10) {
        this.tsval = be32(buf, off + 2);
        this.tsecr = be32(buf, off + 6);
      } else if (kind === TCPOPT_MPTCP) {
        this.mptcpCount++;
        if (len >= 4 && buf[off + 2] >> 4 === 2 && !this.hasDss && readDss(buf, off, len, this.dss)) this.hasDss = true;
        else this.others.push(decodeMptcpOption(buf, off, len));
      }
      off += len;
    }
  }

  private slowOptions(p: DecodedPacket): void {
    this.hasDss = false;
    const all = mptcpOptionsOf(p);
    this.mptcpCount = all.length;
    this.others = [];
    for (const o of all) {
      if (o.subtype === 'DSS' && !o.malformed && !o.truncated && !this.hasDss) { dssFromOption(o, this.dss); this.hasDss = true; }
      else this.others.push(o);
    }
  }

  /**
   * Every subflow of the session is closed: drop what only served to compare later copies (the recent-bytes
   * rings), so a capture of many sessions keeps memory for the open ones only.
   */
  private releaseSession(s: Session): void {
    s.released = true;
    s.streams[0].releaseHistory();
    s.streams[1].releaseHistory();
    // Mappings only place further segments; a checksummed one still waiting for its bytes is kept for finish().
    for (const c of s.subflows) for (const d of c.dirs) d.mappings.dropSettled();
  }

  /** A closed connection that never offered MPTCP: count it and drop its state. */
  private forgetPlain(conn: Conn): void {
    if (this.conns.get(conn.key) !== conn) return;
    this.conns.delete(conn.key);
    conn.forgotten = true;
    this.plainClosed++;
  }

  private rel(time: number): number {
    return Math.round((time - this.firstTime) * 1e9) / 1e9;
  }

  private sdirName(conn: Conn, d: number): 'c2s' | 's2c' {
    return (d ^ conn.sessionDirOfDir0) === 0 ? 'c2s' : 's2c';
  }

  /** Connection key: both endpoints as raw bytes, lower endpoint first, so both directions share it. */
  private connFor(p: DecodedPacket, hasMptcp: boolean, n: number): Conn | null {
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
    const conn = this.lookupConn(p, hasMptcp, n, this.clock.now);
    if (conn && v4) {
      conn.v4A = src;
      conn.v4B = dst;
      conn.v4PortA = p.sport;
      conn.v4Ports = p.sport ^ p.dport;
      this.connCache[slot] = conn;
    }
    return conn;
  }

  private lookupConn(p: DecodedPacket, hasMptcp: boolean, n: number, time: number): Conn | null {
    const alen = p.ipVersion === 6 ? 16 : 4;
    const key = connKey(p);
    let conn = this.conns.get(key);
    // A new SYN on a finished connection with the same 4-tuple starts a new connection.
    if (conn && p.flags & TCP_SYN && !(p.flags & TCP_ACK) && conn.synSeen && conn.dirs[0].isn !== p.seq && conn.closed !== 'open') {
      this.conns.delete(key);
      conn.forgotten = true;
      conn = undefined;
    }
    if (conn) return conn;
    if (this.conns.size >= this.opts.maxConnections) {
      this.connectionsDropped++;
      this.finding(null, 'warning', 'CONNECTION_LIMIT', `more than ${this.opts.maxConnections} TCP connections open at once: later ones not analyzed (--max-connections)`, n);
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
    );
    conn.firstPacket = n;
    conn.start = time;
    this.connectionsSeen++;
    this.conns.set(key, conn);
    if (!(p.flags & TCP_SYN) && hasMptcp) this.markUnmatched(conn, 'handshake not seen (capture started mid-connection)');
    return conn;
  }

  private isFromClient(conn: Conn, p: DecodedPacket): boolean {
    if (p.sport !== conn.clientPort) return false;
    const ca = conn.clientAddr;
    for (let i = 0; i < ca.length; i++) if (p.data[p.srcOffset + i] !== ca[i]) return false;
    return true;
  }

  private markUnmatched(conn: Conn, reason: string, token?: string): void {
    conn.kind = 'unmatched';
    conn.unmatchedReason = reason;
    if (token) conn.joinToken = token;
    if (this.unmatched.length < this.opts.maxUnmatched) { this.unmatched.push(conn); return; }
    // Past the limit: count it and forget it, so a flood of unknown joins keeps memory bounded.
    this.unmatchedDropped++;
    this.conns.delete(conn.key);
    conn.forgotten = true;
    if (this.unmatchedDropped === 1) {
      this.finding(null, 'warning', 'UNMATCHED_LIMIT', `more than ${this.opts.maxUnmatched} unmatched subflows: the rest are counted, not listed (--max-unmatched)`, conn.firstPacket);
    }
  }

  private onSyn(conn: Conn, p: DecodedPacket, opts: MptcpOption[], d: number, n: number, time: number): void {
    const dir = conn.dirs[d];
    const isSynAck = (p.flags & TCP_ACK) !== 0;
    if (dir.isn < 0 || !conn.synSeen) dir.isn = p.seq;
    const mpc = opts.find((o) => o.subtype === 'MP_CAPABLE' && !o.malformed && !o.truncated);
    const join = opts.find((o) => o.subtype === 'MP_JOIN' && !o.malformed && !o.truncated);
    if (!isSynAck) {
      if (conn.synSeen) return; // retransmitted SYN
      conn.synSeen = true;
      conn.synTime = time;
      if (mpc) this.startSession(conn, mpc, n, time);
      else if (join) this.startJoin(conn, join, n, time);
      return;
    }
    if (conn.synAckSeen) return;
    conn.synAckSeen = true;
    if (conn.dirs[1 - d].isn < 0) conn.dirs[1 - d].isn = (p.ack - 1) >>> 0;
    const s = conn.session;
    if (!s) return;
    if (conn.kind === 'initial') {
      if (mpc) {
        s.version = mpc.version ?? s.version;
        if (mpc.flags?.includes('A')) s.checksum = true;
        if (mpc.senderKey) this.learnKey(s, 1, mpc.senderKey, n);
        this.event(s, { n, time: this.rel(time), type: 'MP_CAPABLE', subflow: 0, phase: 'SYN/ACK', version: s.version, checksum: s.checksum });
      } else {
        this.setFallback(s, 'the SYN/ACK carried no MP_CAPABLE', n, time, 'info');
      }
    } else if (conn.kind === 'join' && join && join.phase === 'SYN/ACK') {
      const rd = conn.dirs[d];
      rd.nonce = join.senderNonce;
      rd.hmac = join.senderHmac;
      rd.addressId = join.addressId ?? null;
      rd.backup = join.backup ?? false;
      this.verifyJoin(conn);
      if (conn.hmacSynAck === 'invalid') this.finding(s, 'error', 'HMAC_INVALID', `MP_JOIN SYN/ACK HMAC of subflow ${conn.subflowId} does not match the keys and nonces`, n, conn.subflowId);
    }
  }

  private startSession(conn: Conn, mpc: MptcpOption, n: number, time: number): void {
    const s = new Session(this.sessions.length, conn, this.opts.maxBuffer, this.opts.historyBytes, this.budget, this.hashOffload, this.clock);
    s.version = mpc.version ?? 1;
    s.checksum = mpc.flags?.includes('A') ?? false;
    s.start = time;
    conn.kind = 'initial';
    conn.offeredMptcp = true;
    conn.session = s;
    conn.subflowId = 0;
    conn.sessionDirOfDir0 = 0;
    s.subflows.push(conn);
    this.sessions.push(s);
    if (mpc.senderKey) this.learnKey(s, 0, mpc.senderKey, n);
    this.listener.session?.(s);
    this.event(s, { n, time: this.rel(time), type: 'MP_CAPABLE', subflow: 0, phase: 'SYN', version: s.version, checksum: s.checksum, client: conn.clientText, server: conn.serverText });
  }

  private startJoin(conn: Conn, join: MptcpOption, n: number, time: number): void {
    const token = join.receiverToken ?? '';
    const s = this.tokens.get(token);
    conn.joinToken = token;
    if (!s) {
      this.markUnmatched(conn, `MP_JOIN with unknown token ${token}`, token);
      this.finding(null, 'warning', 'JOIN_UNKNOWN_TOKEN', 'MP_JOIN SYN with a token that matches no session seen in the capture', n);
      return;
    }
    conn.kind = 'join';
    conn.session = s;
    conn.subflowId = s.subflows.length;
    // The token names the receiver: the server's token means the session's client opened this subflow.
    conn.sessionDirOfDir0 = token === s.server.token ? 0 : 1;
    s.subflows.push(conn);
    const d0 = conn.dirs[0];
    d0.nonce = join.senderNonce;
    d0.addressId = join.addressId ?? null;
    d0.backup = join.backup ?? false;
    this.event(s, { n, time: this.rel(time), type: 'MP_JOIN', subflow: conn.subflowId, client: conn.clientText, server: conn.serverText, addressId: d0.addressId, backup: d0.backup });
  }

  private learnKey(s: Session, side: 0 | 1, key: string, n: number): void {
    const sideState = s.side(side);
    if (sideState.key === key) return;
    if (sideState.key && sideState.key !== key) {
      this.finding(s, 'error', 'KEY_MISMATCH', `the ${side === 0 ? 'client' : 'server'} key changed from ${sideState.key} to ${key}`, n);
      return;
    }
    const { token, idsn } = tokenAndIdsn(key, s.version);
    sideState.key = key;
    sideState.token = token;
    sideState.idsn = idsn;
    sideState.base = (idsn + 1n) & ((1n << 64n) - 1n);
    sideState.basePair = u64FromBigInt(sideState.base);
    if (!this.tokens.has(token)) this.tokens.set(token, s);
  }

  private setFallback(s: Session, reason: string, n: number, time: number, severity: Severity = 'warning'): void {
    if (s.fallback) return;
    s.fallback = true;
    s.fallbackReason = reason;
    this.event(s, { n, time: this.rel(time), type: 'FALLBACK', reason });
    this.finding(s, severity, 'FALLBACK', `fell back to plain TCP: ${reason}`, n);
  }

  private onOption(conn: Conn, p: DecodedPacket, o: MptcpOption, d: number, n: number, time: number): void {
    const s = conn.session;
    if (o.malformed) {
      this.finding(s, 'error', 'MALFORMED_OPTION', `malformed ${o.subtype} option: ${o.malformed}`, n, s ? conn.subflowId : undefined);
      return;
    }
    if (o.truncated || !s) return;
    const sdir = (d ^ conn.sessionDirOfDir0) as 0 | 1;
    const ev = (type: string, extra: Record<string, unknown> = {}): void =>
      this.event(s, { n, time: this.rel(time), type, subflow: conn.subflowId, dir: sdir === 0 ? 'c2s' : 's2c', ...extra });
    switch (o.subtype) {
      case 'MP_CAPABLE':
        if (p.flags & TCP_SYN) return;
        // Third ACK (or v1's first data packet): sender's and receiver's keys.
        if (conn.kind === 'initial' && o.senderKey && o.receiverKey) {
          if (!conn.handshakeAcked) {
            conn.handshakeAcked = true;
            if (conn.synTime && time >= conn.synTime) conn.rttMs = (time - conn.synTime) * 1000;
          }
          this.learnKey(s, sdir, o.senderKey, n);
          this.learnKey(s, sdir === 0 ? 1 : 0, o.receiverKey, n);
          if (o.dataLevelLength !== undefined && p.payloadLength > 0) {
            // v1 MP_CAPABLE with data: maps subflow sequence 1 to the first data byte (RFC 8684 §3.1).
            const csum = o.checksum !== undefined ? parseInt(o.checksum, 16) : -1;
            this.addMapping(conn, d, sdir, 0, 1, o.dataLevelLength, false, csum, n);
          }
        }
        return;
      case 'MP_JOIN':
        if (o.phase === 'ACK' && conn.kind === 'join') {
          conn.dirs[d].hmac = o.senderHmac;
          if (!conn.handshakeAcked) {
            conn.handshakeAcked = true;
            if (conn.synTime && time >= conn.synTime) conn.rttMs = (time - conn.synTime) * 1000;
          }
          this.verifyJoin(conn);
          if (conn.hmacAck === 'invalid') this.finding(s, 'error', 'HMAC_INVALID', `MP_JOIN third-ACK HMAC of subflow ${conn.subflowId} does not match the keys and nonces`, n, conn.subflowId);
          ev('MP_JOIN_ESTABLISHED', { hmac: this.joinVerdict(conn) });
        }
        return;
      case 'DSS': {
        // A second DSS in one packet (the first was read in place).
        const f = newDssFields();
        dssFromOption(o, f);
        this.onDss(conn, f, d, sdir, n);
        return;
      }
      case 'ADD_ADDR': {
        const extra: Record<string, unknown> = { addressId: o.addressId, address: o.address, echo: o.echo ?? false };
        if (o.port !== undefined) extra.port = o.port;
        if (o.hmac) {
          const sender = s.side(sdir);
          const receiver = s.side(sdir === 0 ? 1 : 0);
          let verdict = 'unverifiable';
          if (sender.key && receiver.key && o.address && o.ipVersion) {
            const expected = addAddrHmac(sender.key, receiver.key, o.addressId ?? 0, addressBytes(o.address, o.ipVersion), o.port);
            verdict = expected.rightmost === o.hmac ? 'valid' : 'invalid';
            if (verdict === 'invalid') {
              const why = expected.leftmost === o.hmac
                ? 'it is the leftmost 64 bits of the HMAC (as Linux before 5.10 sent), RFC 8684 §3.4.1 requires the rightmost'
                : 'it does not match the keys';
              this.finding(s, 'error', 'HMAC_INVALID', `ADD_ADDR HMAC for address ID ${o.addressId} (${o.address}) is wrong: ${why}`, n, conn.subflowId);
            }
          }
          extra.hmac = verdict;
        }
        ev('ADD_ADDR', extra);
        return;
      }
      case 'REMOVE_ADDR':
        ev('REMOVE_ADDR', { addressIds: o.addressIds });
        return;
      case 'MP_PRIO': {
        // v1: applies to the subflow it is sent on; v0 may name an address ID.
        const target = o.addressId !== undefined ? this.subflowByAddressId(s, o.addressId, sdir) : conn;
        if (target) target.dirs[target === conn ? d : 0].backup = o.backup ?? false;
        ev('MP_PRIO', { backup: o.backup, ...(o.addressId !== undefined ? { addressId: o.addressId } : {}) });
        return;
      }
      case 'MP_FAIL':
        ev('MP_FAIL', { dsn: o.dsn });
        this.finding(s, 'error', 'MP_FAIL', `MP_FAIL on subflow ${conn.subflowId} at DSN ${o.dsn}: the receiver detected corrupted data`, n, conn.subflowId);
        return;
      case 'MP_FASTCLOSE':
        ev('MP_FASTCLOSE', { receiverKey: o.receiverKey });
        this.finding(s, 'warning', 'MP_FASTCLOSE', `session closed abruptly with MP_FASTCLOSE`, n, conn.subflowId);
        return;
      case 'MP_TCPRST':
        conn.closed = 'MP_TCPRST';
        conn.resetReason = o.reasonName;
        ev('MP_TCPRST', { reason: o.reason, reasonName: o.reasonName, flags: o.flags });
        this.finding(s, 'warning', 'MP_TCPRST', `subflow ${conn.subflowId} reset with MP_TCPRST: ${o.reasonName}`, n, conn.subflowId);
        return;
      default:
        return;
    }
  }

  private subflowByAddressId(s: Session, id: number, sdir: number): Conn | undefined {
    return s.subflows.find((c) => c.dirs[sdir ^ c.sessionDirOfDir0].addressId === id);
  }

  private onDss(conn: Conn, f: DssFields, d: number, sdir: 0 | 1, n: number): void {
    const time = this.clock.now;
    const s = conn.session!;
    const base = this.baseOf(s, sdir, f);
    let mapOffset = -1;
    if (f.hasMap) {
      if (base) {
        mapOffset = f.dsn64 ? offsetBetween(f.dsnHi, f.dsnLo, base[0], base[1]) : widen32((f.dsnLo - base[1]) >>> 0, s.lastOffset[sdir]);
      }
      if (f.dataLevelLength === 0 && !f.dataFin) {
        // Infinite mapping: the peer fell back to plain TCP on this subflow (RFC 8684 §3.7).
        this.setFallback(s, `infinite mapping on subflow ${conn.subflowId}`, n, time);
      }
      this.addMapping(conn, d, sdir, mapOffset, f.ssn, f.dataLevelLength, f.dataFin, f.checksum, n);
    }
    if (f.hasAck) {
      // A data ACK proves the peer's data up to it exists, even if the capture missed some of it.
      const rs = s.streams[sdir ^ 1];
      const rbase = this.baseOf(s, (sdir ^ 1) as 0 | 1, null);
      if (rbase) {
        let off = f.ack64 ? offsetBetween(f.ackHi, f.ackLo, rbase[0], rbase[1]) : widen32((f.ackLo - rbase[1]) >>> 0, rs.next);
        if (rs.dataFinOffset >= 0 && off > rs.dataFinOffset) off = rs.dataFinOffset;
        if (off > rs.highest && off - rs.highest < 1 << 30) rs.highest = off;
      }
    }
    if (f.dataFin && f.hasMap && mapOffset >= 0 && base) {
      const stream = s.streams[sdir];
      if (stream.dataFinOffset < 0) {
        const off = mapOffset + (f.dataLevelLength || 1) - 1;
        stream.dataFinOffset = off;
        const dsn = addOffset(base[0], base[1], off, this.u64Scratch);
        this.event(s, { n, time: this.rel(time), type: 'DATA_FIN', subflow: conn.subflowId, dir: sdir === 0 ? 'c2s' : 's2c', dsn: u64Decimal(dsn[0], dsn[1]) });
      }
    }
  }

  /** Offset base (IDSN + 1) of a direction as [hi, lo]; the first 64-bit DSN seen when the keys were not captured. */
  private baseOf(s: Session, sdir: 0 | 1, f: DssFields | null): [number, number] | undefined {
    const side = s.side(sdir);
    if (side.basePair !== undefined) return side.basePair;
    let fb = s.fallbackBase[sdir];
    if (fb === undefined && f && f.hasMap && f.dsn64) fb = s.fallbackBase[sdir] = [f.dsnHi, f.dsnLo];
    return fb;
  }

  /** Registers a mapping of `dataLevelLength` at data-level `offset` (-1: unknown) from relative subflow sequence `ssnRaw`. */
  private addMapping(conn: Conn, d: number, sdir: 0 | 1, offset: number, ssnRaw: number, dataLevelLength: number, dataFin: boolean, csum: number, n: number): void {
    const s = conn.session!;
    const dir = conn.dirs[d];
    const payload = dataLevelLength === 0 ? Infinity : dataFin ? dataLevelLength - 1 : dataLevelLength;
    if (payload <= 0 || (dataFin && ssnRaw === 0)) return; // a DATA_FIN alone maps no bytes
    if (offset < 0) {
      this.finding(s, 'error', 'MAPPING_INVALID', `a DSS mapping lies before the data-level start or cannot be placed`, n, conn.subflowId);
      return;
    }
    const ssn = widen32(ssnRaw, dir.highestEnd);
    if (csum < 0 && dir.mappings.absorb(ssn, offset, payload)) {
      if (payload !== Infinity && offset + payload > s.streams[sdir].highest) s.streams[sdir].highest = offset + payload;
      if (payload !== Infinity && offset + payload > s.lastOffset[sdir]) s.lastOffset[sdir] = offset + payload;
      return;
    }
    if (dir.mappings.findSame(ssn, offset, payload) !== null) return; // the same DSS again on a later segment
    const m: Mapping = dir.mappings.make(ssn, payload, offset, n);
    if (csum >= 0 && payload !== Infinity) {
      const base = this.baseOf(s, sdir, null) ?? [0, 0];
      const dsn = addOffset(base[0], base[1], offset, this.u64Scratch);
      m.checksum = new ChecksumState(dsn[0], dsn[1], ssnRaw, dataLevelLength, csum);
    }
    const stored = dir.mappings.add(m);
    const mapped = payload === Infinity ? 0 : payload;
    if (stored === m && offset + mapped > s.lastOffset[sdir]) s.lastOffset[sdir] = offset + mapped;
    if (offset + mapped > s.streams[sdir].highest) s.streams[sdir].highest = offset + mapped;
    // Keep mappings for what the peer has not acknowledged (retransmissions), with a margin.
    dir.mappings.prune(dir.ackedEnd > 0 ? dir.ackedEnd - MAPPING_KEEP_BELOW_ACK : dir.highestEnd - MAPPING_KEEP_UNACKED);
  }

  private onPayload(conn: Conn, p: DecodedPacket, d: number, n: number): void {
    const s = conn.session!;
    const dir = conn.dirs[d];
    if (dir.isn < 0) return;
    const sdir = (d ^ conn.sessionDirOfDir0) as 0 | 1;
    const len = p.payloadLength;
    const rel = widen32((p.seq - dir.isn) >>> 0, dir.highestEnd);
    const end = rel + len;
    if (rel < dir.highestEnd) dir.retransmissions++;
    const newFrom = Math.max(rel, dir.highestEnd);
    if (end > dir.highestEnd) dir.highestEnd = end;
    const buf = p.data;
    const captured = p.payloadCaptured;
    const stream = s.streams[sdir];
    if (s.fallback && conn.kind === 'initial' && dir.mappings.list.length === 0) {
      // Plain TCP from the start: the subflow byte stream is the data-level stream.
      const dup = stream.place(rel - 1, captured > 0 ? buf : null, p.payloadOffset, captured, len, n, rel >= newFrom);
      if (rel >= newFrom) dir.reinjectedBytes += dup;
      dir.dataBytes += len;
      return;
    }
    // Walk the segment through the mappings that cover it.
    let pos = rel;
    while (pos < end) {
      const m = dir.mappings.covering(pos);
      if (!m) {
        const next = Math.min(end, dir.mappings.nextStartAfter(pos));
        pos = next; // unmapped bytes: nothing to place
        continue;
      }
      const pieceEnd = Math.min(end, m.ssn + m.length);
      const startIdx = p.payloadOffset + (pos - rel);
      const pieceCaptured = Math.max(0, Math.min(pieceEnd - pos, captured - (pos - rel)));
      const offset = m.offset + (pos - m.ssn);
      const isNew = pos >= newFrom;
      dir.dataBytes += pieceEnd - pos;
      if (m.checksum) {
        const mm = m;
        const added = m.checksum.add(pos - m.ssn, pieceEnd - pos, buf, startIdx, pieceCaptured, { time: this.clock.now, packet: n, newOnSubflow: isNew, from: dir }, (q) => mm.offset + q);
        if (added > 0 && m.checksum.covered >= m.length) this.settleChecksum(conn, m, stream, n);
      } else {
        const dup = stream.place(offset, pieceCaptured > 0 ? buf : null, startIdx, pieceCaptured, pieceEnd - pos, n, isNew);
        if (isNew) dir.reinjectedBytes += dup;
      }
      pos = pieceEnd;
    }
  }

  private settleChecksum(conn: Conn, m: Mapping, stream: DataStream, n: number): void {
    const ck = m.checksum!;
    const s = conn.session!;
    if (ck.uncaptured) m.verdict = 'unverifiable';
    else m.verdict = ck.valid() ? 'valid' : 'invalid';
    if (m.verdict === 'invalid') {
      const packets = [...new Set(ck.held.map((h) => h.packet))];
      this.finding(s, 'error', 'DSS_CHECKSUM_MISMATCH', `DSS checksum mismatch on subflow ${conn.subflowId} for the mapping at data offset ${m.offset} (${m.length} bytes): the data was altered in transit`, packets.length ? packets : [n], conn.subflowId);
      this.event(s, { n, time: this.rel(this.lastTime), type: 'DSS_CHECKSUM_MISMATCH', subflow: conn.subflowId });
      ck.held.length = 0;
      return;
    }
    this.release(ck.held, stream);
  }

  private release(held: HeldChunk[], stream: DataStream): void {
    held.sort((a, b) => a.offset - b.offset);
    for (const h of held) {
      const dup = stream.add(h.offset, h.bytes, h.length, h.time, h.packet, h.newOnSubflow);
      if (h.newOnSubflow) h.from.reinjectedBytes += dup;
    }
    held.length = 0;
  }

  /**
   * RTT from TCP timestamps, sampled as the kernel does: one TSval per direction is outstanding at a time;
   * the first ACK echoing it from the other side gives a sample.
   */
  private trackTimestamps(conn: Conn, p: DecodedPacket, d: number): void {
    const time = this.clock.now;
    const mine = conn.dirs[d];
    if (p.payloadLength > 0 && mine.tsPending < 0) {
      mine.tsPending = this.tsval;
      mine.tsPendingTime = time;
    }
    const other = conn.dirs[1 - d];
    if (other.tsPending < 0 || !(p.flags & TCP_ACK)) return;
    // TSecr at or after the outstanding TSval (modulo 2^32) echoes it.
    if (((this.tsecr - other.tsPending) | 0) >= 0) {
      const rtt = (time - other.tsPendingTime) * 1000;
      other.tsPending = -1;
      if (rtt < 0) return;
      conn.tsRttSamples++;
      conn.tsRttSum += rtt;
      if (rtt < conn.tsRttMin) conn.tsRttMin = rtt;
    }
  }

  /** Verifies MP_JOIN HMACs with whatever keys and nonces are known (RFC 8684 §3.2). */
  private verifyJoin(conn: Conn): void {
    const s = conn.session;
    if (!s || conn.kind !== 'join') return;
    // dirs[0] is the initiator A. Its key is the session client's when it opened the subflow from the client side.
    const keyA = (conn.sessionDirOfDir0 === 0 ? s.client : s.server).key;
    const keyB = (conn.sessionDirOfDir0 === 0 ? s.server : s.client).key;
    const a = conn.dirs[0];
    const b = conn.dirs[1];
    if (keyA && keyB && a.nonce && b.nonce) {
      if (b.hmac) conn.hmacSynAck = joinHmac(s.version, keyB, keyA, b.nonce, a.nonce, 8) === b.hmac ? 'valid' : 'invalid';
      if (a.hmac) conn.hmacAck = joinHmac(s.version, keyA, keyB, a.nonce, b.nonce, 20) === a.hmac ? 'valid' : 'invalid';
    }
  }

  joinVerdict(conn: Conn): 'valid' | 'invalid' | 'unverifiable' {
    if (conn.hmacSynAck === 'invalid' || conn.hmacAck === 'invalid') return 'invalid';
    if (conn.hmacSynAck === 'valid' && conn.hmacAck === 'valid') return 'valid';
    if (conn.hmacSynAck === 'valid' && !conn.dirs[0].hmac) return 'valid';
    return 'unverifiable';
  }

  event(s: Session, e: SessionEvent): void {
    if (s.events.length >= this.opts.maxEvents) {
      if (s.eventsDropped++ === 0) this.finding(s, 'warning', 'EVENT_LIMIT', `more than ${this.opts.maxEvents} events: later events not listed (--max-events)`, e.n);
      return;
    }
    s.events.push(e);
    this.listener.event?.(s, e);
  }

  /** Records a finding; repeats of the same code on the same session add packet numbers instead of new findings. */
  finding(s: Session | null, severity: Severity, code: string, message: string, packets: number | number[], subflow?: number): void {
    const list = s ? s.findings : this.findings;
    const key = `${s ? s.id : '-'}|${code}|${subflow ?? ''}|${code === 'MALFORMED_OPTION' || code === 'DSS_CHECKSUM_MISMATCH' || code === 'HMAC_INVALID' ? '' : message}`;
    const pk = Array.isArray(packets) ? packets : [packets];
    const existing = this.findingIndex.get(key);
    if (existing) {
      existing.count = (existing.count ?? 1) + 1;
      for (const x of pk) if (existing.packets.length < MAX_FINDING_PACKETS && !existing.packets.includes(x)) existing.packets.push(x);
      return;
    }
    const f: Finding = { severity, code, message, packets: pk.slice(0, MAX_FINDING_PACKETS) };
    if (s) f.session = s.id;
    if (subflow !== undefined) f.subflow = subflow;
    this.findingIndex.set(key, f);
    list.push(f);
    this.listener.finding?.(f);
  }

  /** Closes every stream: pending checksum mappings are released unverified and gaps are counted. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const s of this.sessions) {
      for (const conn of s.subflows) {
        this.verifyJoin(conn);
        for (let d = 0; d < 2; d++) {
          const sdir = d ^ conn.sessionDirOfDir0;
          for (const m of conn.dirs[d].mappings.list) {
            if (m.checksum && m.verdict === 'pending') {
              m.verdict = 'unverifiable';
              this.release(m.checksum.held, s.streams[sdir]);
            }
          }
        }
      }
      for (let sdir = 0; sdir < 2; sdir++) {
        const stream = s.streams[sdir];
        const startKnown = s.fallback && s.subflows.length === 1 ? s.subflows[0].synSeen : s.side(sdir).basePair !== undefined;
        stream.finish(startKnown);
        if (!stream.complete) {
          const reasons = [...stream.missingReasons].join(', ');
          this.finding(s, 'warning', 'DATA_INCOMPLETE', `${sdir === 0 ? 'c2s' : 's2c'} data-level stream is incomplete: ${stream.missing} bytes missing (${reasons || 'unknown'})`, [], undefined);
        }
        if (stream.bufferLimitHit) this.finding(s, 'warning', 'BUFFER_LIMIT', `${sdir === 0 ? 'c2s' : 's2c'}: more out-of-order data than --max-buffer (or --max-total-buffer) allows: ${stream.missing} bytes were given up as a gap, the stream is incomplete`, []);
        if (stream.conflictBytes > 0) {
          this.finding(s, 'error', 'DATA_CONFLICT', `${sdir === 0 ? 'c2s' : 's2c'}: ${stream.conflictBytes} bytes arrived twice with different content`, stream.conflicts.map((c) => c.packet));
        }
      }
    }
  }

  /**
   * After `finish()`: collects the stream digests computed on the hash worker (when `hashOffload` was set before
   * the first packet). Without one there is nothing to wait for.
   */
  async settle(): Promise<void> {
    if (this.hashOffload === null) return;
    await Promise.all(this.sessions.flatMap((s) => [s.streams[0].settle(), s.streams[1].settle()]));
  }
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

/** The in-place DSS fields of a DSS decoded as an object (the slow path for irregular packets). */
function dssFromOption(o: MptcpOption, out: DssFields): void {
  out.hasAck = o.dataAck !== undefined;
  out.ack64 = o.dataAck64 ?? false;
  [out.ackHi, out.ackLo] = out.hasAck ? u64FromBigInt(BigInt(o.dataAck!)) : [0, 0];
  out.hasMap = o.dsn !== undefined;
  out.dsn64 = o.dsn64 ?? false;
  [out.dsnHi, out.dsnLo] = out.hasMap ? u64FromBigInt(BigInt(o.dsn!)) : [0, 0];
  out.ssn = o.subflowSeq ?? 0;
  out.dataLevelLength = o.dataLevelLength ?? 0;
  out.checksum = o.checksum !== undefined ? parseInt(o.checksum, 16) : -1;
  out.dataFin = o.dataFin ?? false;
}
