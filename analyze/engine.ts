/**
 * The analysis engine: fed one decoded packet at a time (from a file, live capture or the TUI), it groups
 * TCP connections into MPTCP sessions, verifies HMACs and DSS checksums, and rebuilds each session's
 * data-level byte streams. `report()` can be called at any time; `finish()` closes the streams.
 *
 * This is the coordinator of three parts with one-way dependencies (docs/engine.md):
 *   TcpTracker (tcp-tracker.ts)    TCP connections: lookup, counters, handshake, sequence space, RTT, window, FIN/RST
 *   ControlPlane (control-plane.ts) MPTCP sessions: keys, tokens, joins, HMACs, address options, fallback, events
 *   DataPlane (data-plane.ts)      DSS mappings, data ACKs, checksums, placement into the data-level streams
 * Each part sees the ones before it; the coordinator reads a packet's options once and feeds the parts in order.
 *
 * Observers (`observe()`, analyze/packet-analysis.ts) get, after each packet, a reused PacketAnalysis saying what
 * the engine made of it.
 */
import { StorePool } from './store-pool.js';
import type { HashOffload } from './hash-offload.js';
import type { CaptureRecord } from '../dissect/record.js';
import type { DecodedPacket } from '../dissect/packet.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../dissect/packet.js';
import { newDssFields } from '../dissect/dss-fields.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import type { Conn, Session } from './model.js';
import { widen32 } from './seq-math.js';
import type { Finding, HmacVerdict, Severity, SessionEvent } from './report-types.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineListener, type EngineOptions } from './engine-options.js';
import { FindingLog, type EngineClock } from './finding-log.js';
import { OptionScan, dssFromOption } from './option-scan.js';
import { TcpTracker } from './tcp-tracker.js';
import { ControlPlane } from './control-plane.js';
import { DataPlane } from './data-plane.js';
import { newPacketAnalysis, resetPacketAnalysis, type PacketAnalysis, type PacketObserver } from './packet-analysis.js';

export { DEFAULT_ENGINE_OPTIONS, type EngineListener, type EngineOptions } from './engine-options.js';

/** Packets of a connection first seen mid-connection kept for a SYN that may still come (reordered capture). */
const EARLY_WINDOW_S = 2;
const EARLY_MAX_PACKETS = 64;
const EARLY_MAX_BYTES = 256 << 10;
export { findingCodesByPacket, type PacketAnalysis, type PacketObserver } from './packet-analysis.js';

/** Session/subflow tag of the last packet pushed. */
export interface PacketTag {
  session: number;
  subflow: number;
  /** 'c2s' | 's2c' at the data level. */
  dir: 'c2s' | 's2c';
}

export class AnalysisEngine {
  packets = 0;
  tcpPackets = 0;
  mptcpPackets = 0;
  /** Time of the latest packet, and the earliest and latest times seen (event times are relative to the first packet's). */
  lastTime = 0;
  minTime = Infinity;
  maxTime = -Infinity;
  readonly linktypes = new Set<number>();
  /** Out-of-order data of all streams: its byte budget and its recycled stores. */
  readonly budget = new StorePool();
  /** The time of the packet being analyzed (read by the hot paths and the data-level streams; see DataStream.place). */
  readonly clock: EngineClock = { now: 0, first: -1, sec: 0, nsec: 0, firstSec: 0, firstNsec: 0 };
  /** Tag of the last packet pushed (a reused object: read it right after push), or null. */
  lastTag: PacketTag | null = null;
  /** Set before `finish()` when the capture file ends inside a packet record (a finding, and the reason of trailing gaps). */
  captureTruncated = false;
  readonly tracker: TcpTracker;
  readonly control: ControlPlane;
  readonly data: DataPlane;
  private readonly log: FindingLog;
  private readonly tag: PacketTag = { session: 0, subflow: 0, dir: 'c2s' };
  private lastLinktype = -1;
  private finished = false;
  /** The option walk of the packet being analyzed (observers may read its fields during their call). */
  readonly scan = new OptionScan();
  /** A second DSS in one packet (rare), read from its decoded object. */
  private readonly dss2 = newDssFields();
  private readonly observers: PacketObserver[] = [];
  private readonly analysis: PacketAnalysis = newPacketAnalysis();
  private observing = false;

  constructor(readonly opts: EngineOptions = DEFAULT_ENGINE_OPTIONS, listener: EngineListener = {}) {
    this.budget.limit = opts.maxTotalBuffer;
    this.log = new FindingLog(opts.maxEvents, listener, this.clock);
    this.tracker = new TcpTracker(opts, this.log, this.clock);
    this.control = new ControlPlane(opts, this.log, this.tracker, this.budget, listener);
    this.data = new DataPlane(this.log, this.control, opts, this.budget);
  }

  get sessions(): Session[] { return this.control.sessions; }
  get conns(): Map<string, Conn> { return this.tracker.conns; }
  get unmatched(): Conn[] { return this.control.unmatched; }
  get unmatchedDropped(): number { return this.control.unmatchedDropped; }
  /** Findings not tied to one session. */
  get findings(): Finding[] { return this.log.findings; }
  /** TCP connections seen in all, and plain (never MPTCP) ones already closed and forgotten. */
  get connectionsSeen(): number { return this.tracker.connectionsSeen; }
  get plainClosed(): number { return this.tracker.plainClosed; }
  get connectionsDropped(): number { return this.tracker.connectionsDropped; }
  /** Time of the first packet (-1 before it). */
  get firstTime(): number { return this.clock.first; }
  /** Set before the first packet to hash data-level streams on a worker thread (then await `settle()` after `finish()`). */
  get hashOffload(): HashOffload | null { return this.control.hashOffload; }
  set hashOffload(h: HashOffload | null) { this.control.hashOffload = h; }

  /** Calls `observer.packet(pkt, rec, analysis)` after each packet from now on (packet-analysis.ts). */
  observe(observer: PacketObserver): void {
    this.observers.push(observer);
    this.observing = true;
    this.data.trackCopies = this.observers.some((o) => o.copies !== false);
    this.log.analysis = this.analysis;
    this.control.analysis = this.analysis;
    this.data.analysis = this.analysis;
  }

  push(rec: CaptureRecord, p: DecodedPacket): void {
    const time = rec.tsSec + rec.tsNsec / 1e9;
    const clock = this.clock;
    clock.now = time;
    clock.sec = rec.tsSec;
    clock.nsec = rec.tsNsec;
    this.packets++;
    this.lastTag = null;
    if (clock.first < 0) { clock.first = time; clock.firstSec = rec.tsSec; clock.firstNsec = rec.tsNsec; }
    this.lastTime = time;
    // Timestamps can go backwards (clock steps, merged or damaged files): spans use min and max.
    if (time < this.minTime) this.minTime = time;
    if (time > this.maxTime) this.maxTime = time;
    if (rec.linktype !== this.lastLinktype) { this.lastLinktype = rec.linktype; this.linktypes.add(rec.linktype); }
    const a = this.observing ? this.analysis : null;
    if (a !== null) resetPacketAnalysis(a, rec.n, clock);
    if (!p.isTcp) { if (a !== null) this.notify(p, rec, a); return; }
    this.tcpPackets++;
    const sc = this.scan;
    sc.scan(p);
    const opts = sc.others;
    if (sc.mptcpCount > 0) this.mptcpPackets++;
    const tracker = this.tracker;
    const conn = tracker.connFor(p, rec.n);
    if (!conn) { if (a !== null) this.notify(p, rec, a); return; }
    let d = tracker.isFromClient(conn, p) ? 0 : 1;
    tracker.count(conn, p, d, rec.n);
    if (tracker.created && !(p.flags & TCP_SYN) && sc.mptcpCount > 0) {
      this.control.markUnmatched(conn, 'handshake not seen (capture started mid-connection)');
      if (!conn.forgotten) conn.early = [];
    }
    if (conn.early !== null && !conn.synSeen && !conn.synAckSeen) this.keepEarly(conn, p, rec, time);
    if (sc.hasDss && !conn.dssSeen) { conn.dssSeen = true; conn.subtypes.add('DSS'); }
    for (let i = 0; i < opts.length; i++) conn.subtypes.add(opts[i].subtype);
    if (sc.tsval >= 0 && conn.session) tracker.trackTimestamps(conn, p, d, sc);
    if (p.flags & TCP_ACK && conn.session) tracker.onAck(conn, p, d, rec.n, sc.hasSack ? sc.sackRight : -1);
    if (p.flags & TCP_SYN) {
      const kind = tracker.onSyn(conn, p, d, sc.wscale);
      if (tracker.swapped) d ^= 1;
      this.control.onSyn(conn, kind, opts, d, rec.n, time);
    }
    const s = conn.session;
    const sdir = (d ^ conn.sessionDirOfDir0) as 0 | 1;
    let deliveredBefore = 0;
    if (s) {
      s.packets++;
      if (time > s.end) s.end = time;
      if (time < s.start) s.start = time;
      const tag = this.tag;
      tag.session = s.id;
      tag.subflow = conn.subflowId;
      tag.dir = sdir === 0 ? 'c2s' : 's2c';
      this.lastTag = tag;
      if (a !== null) deliveredBefore = s.streams[sdir].next;
    }
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i];
      if (o.subtype === 'DSS' && s && !o.malformed && !o.truncated) {
        // A second DSS in one packet (the first was read in place).
        dssFromOption(o, this.dss2);
        this.data.onDss(conn, this.dss2, d, sdir, rec.n);
        continue;
      }
      this.control.onOption(conn, p, o, d, rec.n, time);
      if (this.control.mpcMapLength >= 0) {
        // v1 MP_CAPABLE with data: maps subflow sequence 1 to the first data byte (RFC 8684 §3.1).
        this.data.addMapping(conn, d, sdir, 0, 1, this.control.mpcMapLength, false, this.control.mpcMapChecksum, rec.n);
        this.control.mpcMapLength = -1;
      }
    }
    if (sc.hasDss && s) this.data.onDss(conn, sc.dss, d, sdir, rec.n);
    let segmentSeen = false;
    if (s && p.payloadLength > 0 && !(p.flags & TCP_SYN) && conn.dirs[d].isn >= 0) {
      tracker.segment(conn, p, d, rec.n);
      segmentSeen = true;
      this.data.onPayload(conn, p, d, rec.n, tracker.segRel, tracker.segNewFrom);
    }
    if (p.flags & TCP_FIN && tracker.onFin(conn, d) && s) {
      this.log.event(s, { n: rec.n, time: this.log.relNow(), type: 'FIN', subflow: conn.subflowId, dir: sdir === 0 ? 'c2s' : 's2c' });
    }
    if (conn.kind === 'plain' && (conn.closed !== 'open' || p.flags & TCP_RST)) tracker.forgetPlain(conn);
    else if (s && conn.closed !== 'open' && !s.released && s.subflows.every((c) => c.closed !== 'open')) this.data.releaseSession(s);
    if (p.flags & TCP_RST && tracker.onRst(conn, rec.n) && s) {
      this.log.event(s, { n: rec.n, time: this.log.relNow(), type: 'RST', subflow: conn.subflowId, dir: sdir === 0 ? 'c2s' : 's2c' });
    }
    if (conn.early !== null && conn.session !== null && conn.handshakeAcked) this.replayEarly(conn);
    if (a !== null) {
      this.describe(a, conn, p, d, segmentSeen);
      if (s) {
        const next = s.streams[sdir].next;
        a.dataDeliveredTo = next;
        a.dataAdvanced = next > deliveredBefore;
      }
      this.notify(p, rec, a);
    }
  }

  /** Keeps a copy of a packet of a connection whose handshake was not seen yet (bounded; see Conn.early). */
  private keepEarly(conn: Conn, p: DecodedPacket, rec: CaptureRecord, time: number): void {
    const size = p.end - p.start;
    if (time - conn.start > EARLY_WINDOW_S || conn.early!.length >= EARLY_MAX_PACKETS || conn.earlyBytes + size > EARLY_MAX_BYTES || this.budget.used + size > this.budget.limit) {
      this.dropEarly(conn);
      return;
    }
    conn.early!.push({ n: rec.n, linktype: rec.linktype, tsSec: rec.tsSec, tsNsec: rec.tsNsec, len: rec.len, bytes: Buffer.from(p.data.subarray(p.start, p.end)) });
    conn.earlyBytes += size;
    this.budget.used += size;
  }

  private dropEarly(conn: Conn): void {
    this.budget.used -= conn.earlyBytes;
    conn.earlyBytes = 0;
    conn.early = null;
  }

  /**
   * The handshake of a connection first seen mid-connection has now been seen (its packets were reordered across
   * interfaces): the data-level content of the packets kept from before it is placed, as if they came now.
   */
  private replayEarly(conn: Conn): void {
    const list = conn.early!;
    this.dropEarly(conn);
    const clock = this.clock;
    const saved = [clock.now, clock.sec, clock.nsec];
    // Per-packet observer facts belong to the packet being analyzed, not to these.
    this.log.analysis = this.control.analysis = this.data.analysis = null;
    const p = newDecodedPacket();
    const sc = new OptionScan();
    const tracker = this.tracker;
    for (const e of list) {
      const rec: CaptureRecord = { n: e.n, iface: 0, linktype: e.linktype, tsSec: e.tsSec, tsNsec: e.tsNsec, tsDigits: 9, caplen: e.bytes.length, len: e.len, data: e.bytes };
      decodePacket(rec, p);
      if (!p.isTcp) continue;
      clock.now = e.tsSec + e.tsNsec / 1e9;
      clock.sec = e.tsSec;
      clock.nsec = e.tsNsec;
      sc.scan(p);
      const d = tracker.isFromClient(conn, p) ? 0 : 1;
      const sdir = (d ^ conn.sessionDirOfDir0) as 0 | 1;
      if (p.flags & TCP_ACK) tracker.onAck(conn, p, d, e.n, sc.hasSack ? sc.sackRight : -1);
      for (const o of sc.others) {
        if (o.subtype !== 'DSS' || o.malformed || o.truncated) continue;
        dssFromOption(o, this.dss2);
        this.data.onDss(conn, this.dss2, d, sdir, e.n);
      }
      if (sc.hasDss) this.data.onDss(conn, sc.dss, d, sdir, e.n);
      if (p.payloadLength > 0 && !(p.flags & TCP_SYN) && conn.dirs[d].isn >= 0) {
        tracker.segment(conn, p, d, e.n);
        this.data.onPayload(conn, p, d, e.n, tracker.segRel, tracker.segNewFrom);
      }
    }
    [clock.now, clock.sec, clock.nsec] = saved;
    const a = this.observing ? this.analysis : null;
    this.log.analysis = this.control.analysis = this.data.analysis = a;
  }

  /** Fills the TCP and session fields of the packet analysis (observers only). */
  private describe(a: PacketAnalysis, conn: Conn, p: DecodedPacket, d: number, segmentSeen: boolean): void {
    const tracker = this.tracker;
    a.connection = conn.id;
    a.tcpDir = d === 0 ? 'c2s' : 's2c';
    a.payloadLength = p.payloadLength;
    const mine = conn.dirs[d];
    const other = conn.dirs[d ^ 1];
    if (mine.isn >= 0) a.seq = widen32((p.seq - mine.isn) >>> 0, segmentSeen ? tracker.segRel : mine.highestEnd);
    if (p.flags & TCP_ACK && other.isn >= 0) a.ack = widen32((p.ack - other.isn) >>> 0, other.highestEnd);
    a.window = tracker.scaledWindow(conn, p, d);
    a.windowShift = tracker.windowShift;
    if (segmentSeen) {
      a.retransmission = tracker.segRetransmission;
      a.outOfOrder = tracker.segOutOfOrder;
    }
    const s = conn.session;
    if (s) {
      a.session = s.id;
      a.subflow = conn.subflowId;
      a.dir = (d ^ conn.sessionDirOfDir0) === 0 ? 'c2s' : 's2c';
    }
  }

  private notify(p: DecodedPacket, rec: CaptureRecord, a: PacketAnalysis): void {
    const obs = this.observers;
    for (let i = 0; i < obs.length; i++) obs[i].packet(p, rec, a);
  }

  joinVerdict(conn: Conn): HmacVerdict {
    return this.control.joinVerdict(conn);
  }

  event(s: Session, e: SessionEvent): void {
    this.log.event(s, e);
  }

  /** Records a finding; repeats of the same code on the same session add packet numbers instead of new findings. */
  finding(s: Session | null, severity: Severity, code: string, message: string, packets: number | number[], subflow?: number): void {
    this.log.finding(s, severity, code, message, packets, subflow);
  }

  /** Closes every stream: pending checksum mappings are released unverified and gaps are counted. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.captureTruncated) {
      this.log.finding(null, 'warning', 'CAPTURE_TRUNCATED', `the capture file ends inside a packet record (read up to packet ${this.packets})`, this.packets > 0 ? [this.packets] : []);
    }
    for (const s of this.sessions) {
      for (const c of s.subflows) if (c.early !== null) this.replayEarly(c);
      this.control.finishSession(s);
      this.data.finishSession(s, this.captureTruncated);
    }
    for (const o of this.observers) o.finish?.();
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
