/**
 * The MPTCP control plane: sessions from MP_CAPABLE, keys, tokens and IDSNs, subflows from MP_JOIN and their
 * HMACs, ADD_ADDR/REMOVE_ADDR/MP_PRIO, MP_FAIL/MP_FASTCLOSE/MP_TCPRST, fallback, and the session events. Built
 * on the TCP tracker; the data plane builds on it.
 */
import type { DecodedPacket } from '../dissect/packet.js';
import { TCP_SYN } from '../dissect/packet.js';
import type { MptcpOption } from '../dissect/mptcp.js';
import type { HashOffload } from './hash-offload.js';
import { Conn, Session } from './model.js';
import { u64FromBigInt } from './u64.js';
import { addAddrHmac, addressBytes, joinHmac, tokenAndIdsn } from './mptcp-crypto.js';
import type { EngineListener, EngineOptions } from './engine-options.js';
import type { FindingLog } from './finding-log.js';
import type { StorePool } from './store-pool.js';
import type { PacketAnalysis } from './packet-analysis.js';
import type { HmacVerdict, Severity } from './report-types.js';
import { markHandshakeAcked, SYN_FIRST, SYNACK_FIRST, type TcpTracker } from './tcp-tracker.js';

export class ControlPlane {
  readonly sessions: Session[] = [];
  /** Token -> session, for both sides' tokens. */
  private readonly tokens = new Map<string, Session>();
  readonly unmatched: Conn[] = [];
  unmatchedDropped = 0;
  /** Hashes data-level streams on a worker thread (set by the engine before the first packet). */
  hashOffload: HashOffload | null = null;
  /** Set while observers are attached: per-packet verdicts go there. */
  analysis: PacketAnalysis | null = null;
  /**
   * Set by `onOption` when a v1 MP_CAPABLE carries data (RFC 8684 §3.1): it maps subflow sequence 1 to the first
   * data byte, a mapping of `mpcMapLength` bytes (with checksum `mpcMapChecksum`, -1 none) for the data plane.
   */
  mpcMapLength = -1;
  mpcMapChecksum = -1;

  constructor(
    private readonly opts: EngineOptions,
    private readonly log: FindingLog,
    private readonly tracker: TcpTracker,
    private readonly budget: StorePool,
    private readonly listener: EngineListener,
  ) {}

  markUnmatched(conn: Conn, reason: string, token?: string): void {
    conn.kind = 'unmatched';
    conn.unmatchedReason = reason;
    if (token) conn.joinToken = token;
    if (this.unmatched.length < this.opts.maxUnmatched) { this.unmatched.push(conn); return; }
    // Past the limit: count it and forget it, so a flood of unknown joins keeps memory bounded.
    this.unmatchedDropped++;
    this.tracker.drop(conn);
    if (this.unmatchedDropped === 1) {
      this.log.finding(null, 'warning', 'UNMATCHED_LIMIT', `more than ${this.opts.maxUnmatched} unmatched subflows: the rest are counted, not listed (--max-unmatched)`, conn.firstPacket);
    }
  }

  /** The first SYN or SYN/ACK of a connection (`kind` from TcpTracker.onSyn). */
  onSyn(conn: Conn, kind: number, opts: MptcpOption[], d: number, n: number, time: number): void {
    const mpc = opts.find((o) => o.subtype === 'MP_CAPABLE' && !o.malformed && !o.truncated);
    const join = opts.find((o) => o.subtype === 'MP_JOIN' && !o.malformed && !o.truncated);
    if (kind === SYN_FIRST) {
      if (mpc) this.startSession(conn, mpc, n, time);
      else if (join) this.startJoin(conn, join, n, time);
      return;
    }
    if (kind !== SYNACK_FIRST) return;
    const s = conn.session;
    if (!s) return;
    if (conn.kind === 'initial') {
      if (mpc) {
        s.version = mpc.version ?? s.version;
        if (mpc.flags?.includes('A')) s.checksum = true;
        if (mpc.senderKey) this.learnKey(s, 1, mpc.senderKey, n);
        this.log.event(s, { n, time: this.log.rel(time), type: 'MP_CAPABLE', subflow: 0, phase: 'SYN/ACK', version: s.version, checksum: s.checksum });
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
      if (this.analysis !== null && conn.hmacSynAck !== 'unverifiable') this.analysis.hmac = conn.hmacSynAck;
      if (conn.hmacSynAck === 'invalid') this.log.finding(s, 'error', 'HMAC_INVALID', `MP_JOIN SYN/ACK HMAC of subflow ${conn.subflowId} does not match the keys and nonces`, n, conn.subflowId);
    }
  }

  private startSession(conn: Conn, mpc: MptcpOption, n: number, time: number): void {
    const s = new Session(this.sessions.length, conn, this.opts.maxBuffer, this.opts.historyBytes, this.budget, this.hashOffload, this.log.clock);
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
    this.log.event(s, { n, time: this.log.rel(time), type: 'MP_CAPABLE', subflow: 0, phase: 'SYN', version: s.version, checksum: s.checksum, client: conn.clientText, server: conn.serverText });
  }

  private startJoin(conn: Conn, join: MptcpOption, n: number, time: number): void {
    const token = join.receiverToken ?? '';
    const s = this.tokens.get(token);
    conn.joinToken = token;
    if (!s) {
      this.markUnmatched(conn, `MP_JOIN with unknown token ${token}`, token);
      this.log.finding(null, 'warning', 'JOIN_UNKNOWN_TOKEN', 'MP_JOIN SYN with a token that matches no session seen in the capture', n);
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
    this.log.event(s, { n, time: this.log.rel(time), type: 'MP_JOIN', subflow: conn.subflowId, client: conn.clientText, server: conn.serverText, addressId: d0.addressId, backup: d0.backup });
  }

  private learnKey(s: Session, side: 0 | 1, key: string, n: number): void {
    const sideState = s.side(side);
    if (sideState.key === key) return;
    if (sideState.key && sideState.key !== key) {
      this.log.finding(s, 'error', 'KEY_MISMATCH', `the ${side === 0 ? 'client' : 'server'} key changed from ${sideState.key} to ${key}`, n);
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

  setFallback(s: Session, reason: string, n: number, time: number, severity: Severity = 'warning'): void {
    if (s.fallback) return;
    s.fallback = true;
    s.fallbackReason = reason;
    this.log.event(s, { n, time: this.log.rel(time), type: 'FALLBACK', reason });
    this.log.finding(s, severity, 'FALLBACK', `fell back to plain TCP: ${reason}`, n);
  }

  /** An MPTCP option other than a DSS (the data plane reads those). */
  onOption(conn: Conn, p: DecodedPacket, o: MptcpOption, d: number, n: number, time: number): void {
    const s = conn.session;
    if (o.malformed) {
      this.log.finding(s, 'error', 'MALFORMED_OPTION', `malformed ${o.subtype} option: ${o.malformed}`, n, s ? conn.subflowId : undefined);
      return;
    }
    if (o.truncated || !s) return;
    const sdir = (d ^ conn.sessionDirOfDir0) as 0 | 1;
    const ev = (type: string, extra: Record<string, unknown> = {}): void =>
      this.log.event(s, { n, time: this.log.rel(time), type, subflow: conn.subflowId, dir: sdir === 0 ? 'c2s' : 's2c', ...extra });
    switch (o.subtype) {
      case 'MP_CAPABLE':
        if (p.flags & TCP_SYN) return;
        // Third ACK (or v1's first data packet): sender's and receiver's keys.
        if (conn.kind === 'initial' && o.senderKey && o.receiverKey) {
          markHandshakeAcked(conn, time);
          this.learnKey(s, sdir, o.senderKey, n);
          this.learnKey(s, sdir === 0 ? 1 : 0, o.receiverKey, n);
          if (o.dataLevelLength !== undefined && p.payloadLength > 0) {
            this.mpcMapLength = o.dataLevelLength;
            this.mpcMapChecksum = o.checksum !== undefined ? parseInt(o.checksum, 16) : -1;
          }
        }
        return;
      case 'MP_JOIN':
        if (o.phase === 'ACK' && conn.kind === 'join') {
          conn.dirs[d].hmac = o.senderHmac;
          markHandshakeAcked(conn, time);
          this.verifyJoin(conn);
          if (this.analysis !== null && conn.hmacAck !== 'unverifiable') this.analysis.hmac = conn.hmacAck;
          if (conn.hmacAck === 'invalid') this.log.finding(s, 'error', 'HMAC_INVALID', `MP_JOIN third-ACK HMAC of subflow ${conn.subflowId} does not match the keys and nonces`, n, conn.subflowId);
          ev('MP_JOIN_ESTABLISHED', { hmac: this.joinVerdict(conn) });
        }
        return;
      case 'ADD_ADDR': {
        const extra: Record<string, unknown> = { addressId: o.addressId, address: o.address, echo: o.echo ?? false };
        if (o.port !== undefined) extra.port = o.port;
        if (o.hmac) {
          const sender = s.side(sdir);
          const receiver = s.side(sdir === 0 ? 1 : 0);
          let verdict: HmacVerdict = 'unverifiable';
          if (sender.key && receiver.key && o.address && o.ipVersion) {
            const expected = addAddrHmac(sender.key, receiver.key, o.addressId ?? 0, addressBytes(o.address, o.ipVersion), o.port);
            verdict = expected.rightmost === o.hmac ? 'valid' : 'invalid';
            if (verdict === 'invalid') {
              const why = expected.leftmost === o.hmac
                ? 'it is the leftmost 64 bits of the HMAC (as Linux before 5.10 sent), RFC 8684 §3.4.1 requires the rightmost'
                : 'it does not match the keys';
              this.log.finding(s, 'error', 'HMAC_INVALID', `ADD_ADDR HMAC for address ID ${o.addressId} (${o.address}) is wrong: ${why}`, n, conn.subflowId);
            }
          }
          if (this.analysis !== null) this.analysis.hmac = verdict;
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
        this.log.finding(s, 'error', 'MP_FAIL', `MP_FAIL on subflow ${conn.subflowId} at DSN ${o.dsn}: the receiver detected corrupted data`, n, conn.subflowId);
        return;
      case 'MP_FASTCLOSE':
        ev('MP_FASTCLOSE', { receiverKey: o.receiverKey });
        this.log.finding(s, 'warning', 'MP_FASTCLOSE', `session closed abruptly with MP_FASTCLOSE`, n, conn.subflowId);
        return;
      case 'MP_TCPRST':
        conn.closed = 'MP_TCPRST';
        conn.resetReason = o.reasonName;
        ev('MP_TCPRST', { reason: o.reason, reasonName: o.reasonName, flags: o.flags });
        this.log.finding(s, 'warning', 'MP_TCPRST', `subflow ${conn.subflowId} reset with MP_TCPRST: ${o.reasonName}`, n, conn.subflowId);
        return;
      default:
        return;
    }
  }

  private subflowByAddressId(s: Session, id: number, sdir: number): Conn | undefined {
    return s.subflows.find((c) => c.dirs[sdir ^ c.sessionDirOfDir0].addressId === id);
  }

  /** Verifies MP_JOIN HMACs with whatever keys and nonces are known (RFC 8684 §3.2). */
  verifyJoin(conn: Conn): void {
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

  joinVerdict(conn: Conn): HmacVerdict {
    if (conn.hmacSynAck === 'invalid' || conn.hmacAck === 'invalid') return 'invalid';
    if (conn.hmacSynAck === 'valid' && conn.hmacAck === 'valid') return 'valid';
    if (conn.hmacSynAck === 'valid' && !conn.dirs[0].hmac) return 'valid';
    return 'unverifiable';
  }

  /** At the end: verifies the joins again with every key the capture revealed. */
  finishSession(s: Session): void {
    for (const conn of s.subflows) this.verifyJoin(conn);
  }
}
