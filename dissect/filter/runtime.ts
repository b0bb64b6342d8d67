/**
 * What compiled filters and field lists read per packet: the capture record, the decoded packet, the optional
 * analysis verdicts, the TCP options located once per packet (lazily), and the per-connection state that
 * Wireshark's stateful TCP fields need (tcp.stream, relative seq/ack, scaled window, times).
 *
 * One FilterRuntime may be shared by a filter and a field list: `begin()` is idempotent for the same packet.
 * The stateful fields require every packet to pass through `begin()` in capture order, each once; `reset()`
 * starts over (e.g. before re-filtering a whole capture).
 */
import type { CaptureRecord } from '../record.js';
import type { DecodedPacket } from '../packet.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet.js';
import { be16, be32 } from '../bytes.js';

/**
 * The analysis verdicts of one packet that the `mptcpscope.*` fields (and mptcp.stream / mptcp.master) read: a
 * structural subset of the engine's PacketAnalysis (analyze/packet-analysis.ts), so the object an engine
 * observer receives can be passed as it is. A field whose verdict is absent (-1 / null) has no value.
 */
export interface FilterAnalysis {
  /** mptcpscope's TCP connection id, -1 for non-TCP. */
  connection: number;
  /** MPTCP session id and subflow id, or -1 when the packet belongs to no session. */
  session: number;
  subflow: number;
  /** Data-level direction, null outside a session. */
  dir: 'c2s' | 's2c' | null;
  /** The segment repeats subflow bytes already seen on its subflow. */
  retransmission: boolean;
  /** Packet number of the first copy of reinjected data-level bytes, else -1. */
  reinjectionOf: number;
  /** Packet number of an earlier copy whose bytes differ, else -1. */
  conflictWith: number;
  /** Data sequence number relative to the IDSN (first byte = 1), null when unknown. */
  dsn: number | null;
  /** DATA_ACK relative to the peer's IDSN, null when absent or unknown. */
  dataAck: number | null;
  /** MP_JOIN / ADD_ADDR HMAC verdict decided at this packet, else null. */
  hmac: 'valid' | 'invalid' | 'unverifiable' | null;
  /** DSS checksum verdict of a mapping completed at this packet, else null. */
  checksum: boolean | null;
  /** Codes of the findings raised at this packet that name it. */
  readonly findings: readonly string[];
}

/** Max options located per packet (40 option bytes hold at most 20 options of length 2). */
const MAX_OPTS = 40;

interface DirState {
  base: number;
  baseSet: boolean;
  synSeen: boolean;
  synSeq: number;
  /** Window shift of this side (tshark's win_scale): >= 0 from its SYN, -2 no scaling, -1 unknown. */
  wscale: number;
}

interface Conv {
  id: number;
  /** Endpoint key of direction 0 (the first packet's source). */
  srcKey: string;
  d: [DirState, DirState];
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  closed: boolean;
}

const newDir = (): DirState => ({ base: 0, baseSet: false, synSeen: false, synSeq: 0, wscale: -1 });

export class FilterRuntime {
  rec!: CaptureRecord;
  p!: DecodedPacket;
  a: FilterAnalysis | null = null;
  /** Packet time in seconds. */
  time = 0;
  /** frame.interface_id exists only in pcapng files (tshark): set false for pcap (ReadOptions.onFormat). */
  interfaceIds = true;
  /** Set when some compiled program uses a stateful field: begin() then tracks connections. */
  trackState = false;

  // TCP options of the current packet, located on first use.
  private optsFor = -1;
  private gen = 0;
  optCount = 0;
  readonly optKind = new Int32Array(MAX_OPTS);
  readonly optOff = new Int32Array(MAX_OPTS);
  readonly optLen = new Int32Array(MAX_OPTS);

  // Frame and connection state.
  private lastN = -1;
  private lastP: DecodedPacket | null = null;
  private lastStart = -1;
  private firstSec = -1;
  private firstNsec = 0;
  private prevSec = -1;
  private prevNsec = 0;
  /** Seconds since the first frame (frame.time_relative), computed from whole seconds and nanoseconds. */
  frameTimeRel = 0;
  private readonly convs = new Map<string, Conv>();
  private nextStream = 0;
  /** Results of the state pass for the current packet. */
  stream = -1;
  dir = 0;
  relSeq = 0;
  relAck = 0;
  /** Scaled window (tcp.window_size) and the scale factor field (absent on SYN: NaN). */
  window = 0;
  scaleFactor = NaN;
  streamTimeRel = 0;
  streamTimeDelta = 0;
  frameTimeDelta = 0;

  reset(): void {
    this.convs.clear();
    this.nextStream = 0;
    this.firstSec = -1;
    this.prevSec = -1;
    this.lastN = -1;
    this.lastP = null;
  }

  /** Makes `rec`/`p` the current packet. Calling it again for the same packet does nothing. */
  begin(rec: CaptureRecord, p: DecodedPacket, a: FilterAnalysis | null): void {
    this.a = a;
    if (rec.n === this.lastN && p === this.lastP && p.start === this.lastStart && rec === this.rec) return;
    this.lastN = rec.n;
    this.lastP = p;
    this.lastStart = p.start;
    this.rec = rec;
    this.p = p;
    this.gen++;
    this.time = rec.tsSec + rec.tsNsec / 1e9;
    if (this.trackState) this.advance();
  }

  /** Locates the TCP options of the current packet (kind, offset of the kind byte, length); cached. */
  options(): number {
    if (this.optsFor === this.gen) return this.optCount;
    this.optsFor = this.gen;
    let n = 0;
    const p = this.p;
    if (p.isTcp) {
      const buf = p.data;
      const end = Math.min(p.tcpOffset + p.tcpHeaderLength, p.end);
      let off = p.tcpOffset + 20;
      while (off < end && n < MAX_OPTS) {
        const kind = buf[off];
        if (kind === 0) break;
        if (kind === 1) { off++; continue; }
        if (off + 1 >= end) break;
        const len = buf[off + 1];
        // Wireshark stops at an option whose length is below 2 or runs past the header: fields are then absent.
        if (len < 2 || off + len > end) break;
        this.optKind[n] = kind;
        this.optOff[n] = off;
        this.optLen[n] = len;
        n++;
        off += len;
      }
    }
    this.optCount = n;
    return n;
  }

  private advance(): void {
    const sec = this.rec.tsSec;
    const nsec = this.rec.tsNsec;
    if (this.firstSec < 0) { this.firstSec = sec; this.firstNsec = nsec; }
    this.frameTimeRel = between(this.firstSec, this.firstNsec, sec, nsec);
    this.frameTimeDelta = this.prevSec < 0 ? 0 : between(this.prevSec, this.prevNsec, sec, nsec);
    this.prevSec = sec;
    this.prevNsec = nsec;
    this.stream = -1;
    const p = this.p;
    if (!p.isTcp) return;
    const a = endpointKey(p, p.srcOffset, p.sport);
    const b = endpointKey(p, p.dstOffset, p.dport);
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let c = this.convs.get(key);
    const syn = (p.flags & TCP_SYN) !== 0;
    const ack = (p.flags & TCP_ACK) !== 0;
    if (c && syn && !ack) {
      // A new SYN with another ISN on a used 4-tuple starts a new conversation (port reuse), as tshark does.
      const d0 = c.srcKey === a ? 0 : 1;
      const ds = c.d[d0];
      if ((ds.synSeen && ds.synSeq !== p.seq) || c.closed) c = undefined;
    }
    if (!c) {
      c = { id: this.nextStream++, srcKey: a, d: [newDir(), newDir()], firstSec: sec, firstNsec: nsec, lastSec: sec, lastNsec: nsec, closed: false };
      this.convs.set(key, c);
    }
    const d = c.srcKey === a ? 0 : 1;
    this.dir = d;
    this.stream = c.id;
    this.streamTimeRel = between(c.firstSec, c.firstNsec, sec, nsec);
    this.streamTimeDelta = between(c.lastSec, c.lastNsec, sec, nsec);
    c.lastSec = sec;
    c.lastNsec = nsec;
    const fwd = c.d[d];
    const rev = c.d[d ^ 1];
    if (syn) {
      fwd.synSeen = true;
      fwd.synSeq = p.seq;
      // tshark: a SYN's shift applies to its sender's windows; a SYN without one means no scaling for its
      // sender, and for both sides when it is the SYN/ACK or the other SYN had none either.
      const shift = this.wscaleOption();
      if (shift >= 0) fwd.wscale = shift;
      else if (fwd.wscale === -1) {
        fwd.wscale = -2;
        if (ack || rev.wscale === -2) rev.wscale = -2;
      }
    }
    if (!fwd.baseSet) { fwd.base = syn ? p.seq : (p.seq - 1) >>> 0; fwd.baseSet = true; }
    if (!rev.baseSet && ack) { rev.base = (p.ack - 1) >>> 0; rev.baseSet = true; }
    this.relSeq = (p.seq - fwd.base) >>> 0;
    this.relAck = ack && rev.baseSet ? (p.ack - rev.base) >>> 0 : 0;
    if (syn) {
      this.window = p.win;
      this.scaleFactor = NaN;
    } else {
      const s = fwd.wscale;
      this.window = s >= 0 ? p.win * 2 ** s : p.win;
      this.scaleFactor = s >= 0 ? 2 ** s : s;
    }
    if (p.flags & (TCP_FIN | TCP_RST)) c.closed = true;
  }

  /** The window-scale shift of this SYN (capped at 14 as RFC 7323 says), or -2 when it has none. */
  private wscaleOption(): number {
    const n = this.options();
    for (let i = 0; i < n; i++) {
      if (this.optKind[i] === 3 && this.optLen[i] === 3) return Math.min(14, this.p.data[this.optOff[i] + 2]);
    }
    return -2;
  }
}

/** Seconds from one timestamp to another, exact to the nanosecond for spans below ~100 days. */
function between(sec0: number, nsec0: number, sec: number, nsec: number): number {
  return Math.round(((sec - sec0) * 1e9 + (nsec - nsec0))) / 1e9;
}

function endpointKey(p: DecodedPacket, off: number, port: number): string {
  const b = p.data;
  if (p.ipVersion === 4) return `${be32(b, off)}:${port}`;
  let s = '';
  for (let i = 0; i < 16; i += 2) s += be16(b, off + i).toString(16) + ',';
  return `${s}:${port}`;
}
