/**
 * The MPTCP data plane: DSS mappings, data ACKs, DATA_FIN, DSS checksums, and the placement of subflow payload
 * into the sessions' data-level streams. Built on the control plane (sessions, keys, fallback) and the TCP
 * tracker (subflow sequence space).
 */
import type { DecodedPacket } from '../dissect/packet.js';
import type { DssFields } from '../dissect/dss-fields.js';
import { offsetBetween, addOffset, u64Decimal } from './u64.js';
import type { Conn, Session } from './model.js';
import type { DataStream, GapCause, GapClassifier } from './data-stream.js';
import { ChecksumState, type HeldChunk, type Mapping } from './mapping.js';
import { widen32 } from './seq-math.js';
import type { FindingLog } from './finding-log.js';
import type { PacketAnalysis } from './packet-analysis.js';
import type { ControlPlane } from './control-plane.js';
import { CopyLog } from './copy-log.js';
import type { UnmappedPiece } from './unmapped.js';
import type { EngineOptions } from './engine-options.js';
import type { StorePool } from './store-pool.js';

/** Mappings kept below the highest acknowledged subflow sequence, and below the highest sent one without ACKs. */
const MAPPING_KEEP_BELOW_ACK = 4 << 20;
const MAPPING_KEEP_UNACKED = 64 << 20;
/** Packets listed per direction for unmapped bytes given up. */
const MAX_UNMAPPED_PACKETS = 50;

export class DataPlane {
  /** Set while observers are attached: per-packet facts go there. */
  analysis: PacketAnalysis | null = null;
  private readonly u64Scratch: [number, number] = [0, 0];
  /** Whether an observer reads reinjectionOf/conflictWith (engine.observe sets it): else no first-copy log. */
  trackCopies = true;
  /** First copies of data-level ranges per stream (observers only). */
  private readonly copies = new WeakMap<DataStream, CopyLog>();

  constructor(
    private readonly log: FindingLog,
    private readonly control: ControlPlane,
    private readonly opts: EngineOptions,
    /** The engine's budget of held bytes (waiting unmapped bytes are charged to it, like out-of-order data). */
    private readonly budget: StorePool,
  ) {}

  onDss(conn: Conn, f: DssFields, d: number, sdir: 0 | 1, n: number): void {
    const time = this.log.clock.now;
    const s = conn.session!;
    const base = this.baseOf(s, sdir, f);
    const a = this.analysis;
    let mapOffset = -1;
    if (f.hasMap) {
      if (base) {
        mapOffset = f.dsn64 ? offsetBetween(f.dsnHi, f.dsnLo, base[0], base[1]) : widen32((f.dsnLo - base[1]) >>> 0, s.lastOffset[sdir]);
        if (a !== null && mapOffset >= 0 && a.dsn === null) a.dsn = mapOffset + 1;
      }
      if (f.dataLevelLength === 0 && !f.dataFin) {
        // Infinite mapping: the peer fell back to plain TCP on this subflow (RFC 8684 §3.7).
        this.control.setFallback(s, `infinite mapping on subflow ${conn.subflowId}`, n, time);
      }
      this.addMapping(conn, d, sdir, mapOffset, f.ssn, f.dataLevelLength, f.dataFin, f.checksum, n);
    }
    if (f.hasAck) {
      // A data ACK proves the peer's data up to it exists, even if the capture missed some of it.
      const rs = s.streams[sdir ^ 1];
      const rbase = this.baseOf(s, (sdir ^ 1) as 0 | 1, null);
      if (rbase) {
        let off = f.ack64 ? offsetBetween(f.ackHi, f.ackLo, rbase[0], rbase[1]) : widen32((f.ackLo - rbase[1]) >>> 0, rs.next);
        if (a !== null && off >= 0) a.dataAck = off + 1;
        if (rs.dataFinOffset >= 0 && off > rs.dataFinOffset) off = rs.dataFinOffset;
        const rdir = sdir ^ 1;
        if (off > s.dataAcked[rdir] && off - rs.highest < 1 << 30) { s.dataAcked[rdir] = off; s.dataAckedBy[rdir] = n; }
        if (off > rs.highest && off - rs.highest < 1 << 30) rs.highest = off;
      }
    }
    if (f.dataFin && f.hasMap && mapOffset >= 0 && base) {
      const stream = s.streams[sdir];
      if (stream.dataFinOffset < 0) {
        const off = mapOffset + (f.dataLevelLength || 1) - 1;
        stream.dataFinOffset = off;
        s.dataFinPacket[sdir] = n;
        const dsn = addOffset(base[0], base[1], off, this.u64Scratch);
        this.log.event(s, { n, time: this.log.relNow(), type: 'DATA_FIN', subflow: conn.subflowId, dir: sdir === 0 ? 'c2s' : 's2c', dsn: u64Decimal(dsn[0], dsn[1]), relativeDsn: off + 1 });
      }
    }
  }

  /** Offset base (IDSN + 1) of a direction as [hi, lo]; the first 64-bit DSN seen when the keys were not captured. */
  baseOf(s: Session, sdir: 0 | 1, f: DssFields | null): [number, number] | undefined {
    const side = s.side(sdir);
    if (side.basePair !== undefined) return side.basePair;
    let fb = s.fallbackBase[sdir];
    if (fb === undefined && f && f.hasMap && f.dsn64) fb = s.fallbackBase[sdir] = [f.dsnHi, f.dsnLo];
    return fb;
  }

  /** Registers a mapping of `dataLevelLength` at data-level `offset` (-1: unknown) from relative subflow sequence `ssnRaw`. */
  addMapping(conn: Conn, d: number, sdir: 0 | 1, offset: number, ssnRaw: number, dataLevelLength: number, dataFin: boolean, csum: number, n: number): void {
    const s = conn.session!;
    const dir = conn.dirs[d];
    const payload = dataLevelLength === 0 ? Infinity : dataFin ? dataLevelLength - 1 : dataLevelLength;
    if (payload <= 0 || (dataFin && ssnRaw === 0)) return; // a DATA_FIN alone maps no bytes
    if (offset < 0) {
      this.log.finding(s, 'error', 'MAPPING_INVALID', `a ${sdir === 0 ? 'c2s' : 's2c'} DSS mapping lies before the data-level start or cannot be placed`, n, conn.subflowId);
      return;
    }
    const ssn = widen32(ssnRaw, dir.highestEnd);
    if (csum < 0 && dir.mappings.absorb(ssn, offset, payload)) {
      if (payload !== Infinity && offset + payload > s.streams[sdir].highest) s.streams[sdir].highest = offset + payload;
      if (payload !== Infinity && offset + payload > s.lastOffset[sdir]) s.lastOffset[sdir] = offset + payload;
      if (dir.unmapped.pieces.length > 0) this.replayUnmapped(conn, d, sdir, ssn, ssn + payload);
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
    if (stored === m && dir.unmapped.pieces.length > 0) this.replayUnmapped(conn, d, sdir, ssn, ssn + payload);
  }

  /**
   * Places a payload segment of direction `d` into its data-level stream. `rel` is its relative subflow sequence
   * number; its bytes from `newFrom` on are new on the subflow.
   */
  onPayload(conn: Conn, p: DecodedPacket, d: number, n: number, rel: number, newFrom: number): void {
    const s = conn.session!;
    const dir = conn.dirs[d];
    const sdir = (d ^ conn.sessionDirOfDir0) as 0 | 1;
    const len = p.payloadLength;
    const buf = p.data;
    const captured = p.payloadCaptured;
    const stream = s.streams[sdir];
    const a = this.analysis;
    if (s.fallback && conn.kind === 'initial' && dir.mappings.list.length === 0) {
      // Plain TCP from the start: the subflow byte stream is the data-level stream.
      const conflicts = stream.conflictBytes;
      if (a !== null && a.dsn === null) a.dsn = rel;
      const dup = stream.place(rel - 1, captured > 0 ? buf : null, p.payloadOffset, captured, len, n, rel >= newFrom);
      if (rel >= newFrom) dir.reinjectedBytes += dup;
      if (a !== null) this.observePiece(a, stream, rel - 1, len, conn.subflowId, n, conflicts);
      dir.dataBytes += len;
      return;
    }
    this.walk(conn, d, sdir, rel, len, buf, p.payloadOffset, captured, n, newFrom, false);
  }

  /**
   * Walks subflow bytes [rel, rel + len) of direction `d` through the mappings covering them into the data-level
   * stream; `buf[base ..]` holds the first `captured` of them. Bytes new on the subflow (from `newFrom` on) that no
   * mapping covers yet wait in the direction's unmapped queue. `replay`: the bytes come from that queue (a mapping
   * covering them has just arrived), not from the packet being analyzed.
   */
  private walk(conn: Conn, d: number, sdir: 0 | 1, rel: number, len: number, buf: Buffer | null, base: number, captured: number, n: number, newFrom: number, replay: boolean): void {
    const dir = conn.dirs[d];
    const stream = conn.session!.streams[sdir];
    const a = replay ? null : this.analysis;
    const end = rel + len;
    let pos = rel;
    while (pos < end) {
      const m = dir.mappings.covering(pos);
      if (!m) {
        const next = Math.min(end, dir.mappings.nextStartAfter(pos));
        const from = Math.max(pos, newFrom);
        if (!replay && from < next) {
          this.queueUnmapped(conn, d, sdir, from, next - from, buf, base + (from - rel), Math.max(0, Math.min(next - from, captured - (from - rel))), n);
        }
        pos = next;
        continue;
      }
      const pieceEnd = Math.min(end, m.ssn + m.length);
      const startIdx = base + (pos - rel);
      const pieceCaptured = buf === null ? 0 : Math.max(0, Math.min(pieceEnd - pos, captured - (pos - rel)));
      const offset = m.offset + (pos - m.ssn);
      if (a !== null && pos === rel) a.dsn = offset + 1;
      const isNew = pos >= newFrom;
      dir.dataBytes += pieceEnd - pos;
      if (m.checksum) {
        const mm = m;
        const added = m.checksum.add(pos - m.ssn, pieceEnd - pos, buf, startIdx, pieceCaptured, { time: this.log.clock.now, packet: n, newOnSubflow: isNew, from: dir }, (q) => mm.offset + q);
        if (added > 0 && m.checksum.covered >= m.length) this.settleChecksum(conn, m, stream, n);
        if (a !== null) this.observePiece(a, stream, offset, pieceEnd - pos, conn.subflowId, n, -1);
      } else {
        const conflicts = stream.conflictBytes;
        const dup = stream.place(offset, pieceCaptured > 0 ? buf : null, startIdx, pieceCaptured, pieceEnd - pos, n, isNew);
        if (isNew) dir.reinjectedBytes += dup;
        if (a !== null) this.observePiece(a, stream, offset, pieceEnd - pos, conn.subflowId, n, conflicts);
      }
      pos = pieceEnd;
    }
  }

  /** Subflow bytes no mapping covers yet: they wait (bounded by --max-buffer and --max-total-buffer). */
  private queueUnmapped(conn: Conn, d: number, sdir: 0 | 1, ssn: number, length: number, buf: Buffer | null, start: number, captured: number, n: number): void {
    const q = conn.dirs[d].unmapped;
    q.add(ssn, length, buf, start, captured, n, this.log.clock.now, true, this.budget);
    while (q.pieces.length > 0 && (q.length > this.opts.maxBuffer || this.budget.used > this.budget.limit)) {
      this.giveUpUnmapped(conn.session!, sdir, q.shift(this.budget)!, true);
    }
  }

  /** Unmapped bytes that will never be placed: counted for the direction's `unmapped` figures. */
  private giveUpUnmapped(s: Session, sdir: 0 | 1, piece: UnmappedPiece, atLimit: boolean): void {
    const u = s.unmapped[sdir];
    u.bytes += piece.length;
    if (atLimit) u.limitHit = true;
    if (u.packets.length < MAX_UNMAPPED_PACKETS && !u.packets.includes(piece.packet)) u.packets.push(piece.packet);
  }

  /** A mapping now covers subflow range [from, to) of direction `d`: the bytes waiting there are placed. */
  private replayUnmapped(conn: Conn, d: number, sdir: 0 | 1, from: number, to: number): void {
    const pieces = conn.dirs[d].unmapped.take(from, to, this.budget);
    const clock = this.log.clock;
    const now = clock.now;
    for (const q of pieces) {
      clock.now = q.time;
      this.walk(conn, d, sdir, q.ssn, q.length, q.bytes, 0, q.bytes.length, q.packet, q.newOnSubflow ? q.ssn : Infinity, true);
    }
    clock.now = now;
  }

  /**
   * Observers only: names the first copy of a reinjected range (sent on another subflow) and of conflicting
   * bytes (`conflictsBefore`: the stream's conflicting bytes before the piece was placed, -1 not placed yet),
   * then records the piece as the first copy of what was new.
   */
  private observePiece(a: PacketAnalysis, stream: DataStream, offset: number, length: number, subflow: number, n: number, conflictsBefore: number): void {
    if (!this.trackCopies) return;
    let log = this.copies.get(stream);
    if (log === undefined) this.copies.set(stream, (log = new CopyLog()));
    if (a.reinjectionOf < 0) a.reinjectionOf = log.otherSubflow(offset, offset + length, subflow);
    if (conflictsBefore >= 0 && stream.conflictBytes > conflictsBefore && a.conflictWith < 0) {
      const last = stream.conflicts.length > 0 ? stream.conflicts[stream.conflicts.length - 1] : null;
      a.conflictWith = log.packetAt(last !== null && last.packet === n ? last.offset : offset);
    }
    log.record(offset, offset + length, n, subflow, stream.next);
  }

  private settleChecksum(conn: Conn, m: Mapping, stream: DataStream, n: number): void {
    const ck = m.checksum!;
    const s = conn.session!;
    if (ck.uncaptured) m.verdict = 'unverifiable';
    else m.verdict = ck.valid() ? 'valid' : 'invalid';
    if (this.analysis !== null && m.verdict !== 'unverifiable') this.analysis.checksum = m.verdict === 'valid';
    if (m.verdict === 'invalid') {
      const packets = [...new Set(ck.held.map((h) => h.packet))];
      const dname = stream === s.streams[0] ? 'c2s' : 's2c';
      this.log.finding(s, 'error', 'DSS_CHECKSUM_MISMATCH', `DSS checksum mismatch on subflow ${conn.subflowId} for the ${dname} mapping at relative DSN ${m.offset + 1} (${m.length} bytes): the data was altered in transit`, packets.length ? packets : [n], conn.subflowId);
      this.log.event(s, { n, time: this.log.relNow(), type: 'DSS_CHECKSUM_MISMATCH', subflow: conn.subflowId, dir: dname, relativeDsn: m.offset + 1 });
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
   * Every subflow of the session is closed: drop what only served to compare later copies (the recent-bytes
   * rings), so a capture of many sessions keeps memory for the open ones only.
   */
  releaseSession(s: Session): void {
    s.released = true;
    s.streams[0].releaseHistory();
    s.streams[1].releaseHistory();
    // Mappings only place further segments; a checksummed one still waiting for its bytes is kept for finish(), and
    // all of them when bytes are missing (they tell at the end which subflow should have carried them).
    if (s.streams[0].hasHoles || s.streams[1].hasHoles) return;
    for (const c of s.subflows) for (const d of c.dirs) d.mappings.dropSettled();
  }

  /**
   * Explains missing data-level bytes [from, to) of direction `sdir` at the end, with the packet proving it:
   * `lost in capture` when the peer's DATA_ACK covers them, or when a mapping places them on a subflow whose later
   * segment, TCP ACK or SACK went past them (the sender did send them); else `capture truncated` when the file ends inside
   * a record, `never sent` when the session was aborted (MP_FASTCLOSE, or every subflow reset) before them,
   * `lost in capture` when later data of an unaborted session arrived, `capture ended` when the direction was still
   * open, else `not captured`.
   */
  private classifier(s: Session, sdir: 0 | 1, truncated: boolean): GapClassifier {
    return (from, to, later) => {
      if (s.dataAcked[sdir] > from) return { upTo: s.dataAcked[sdir], reason: 'lost in capture', packet: s.dataAckedBy[sdir] };
      const proof = this.subflowProof(s, sdir, from);
      if (proof !== null) return proof;
      if (truncated) return { upTo: to, reason: 'capture truncated', packet: -1 };
      if (s.fastclosePacket >= 0) return { upTo: to, reason: 'never sent', packet: s.fastclosePacket };
      if (s.subflows.every((c) => c.closed === 'RST' || c.closed === 'MP_TCPRST')) {
        return { upTo: to, reason: 'never sent', packet: Math.max(...s.subflows.map((c) => c.rstPacket)) };
      }
      if (later >= 0) return { upTo: to, reason: 'lost in capture', packet: later };
      if (this.isOpen(s, sdir)) return { upTo: to, reason: 'capture ended', packet: -1 };
      return { upTo: to, reason: 'not captured', packet: s.dataFinPacket[sdir] };
    };
  }

  /** A mapping places data offset `from` on a subflow that saw or acknowledged later bytes: proof it was sent. */
  private subflowProof(s: Session, sdir: 0 | 1, from: number): GapCause | null {
    for (const c of s.subflows) {
      const dir = c.dirs[sdir ^ c.sessionDirOfDir0];
      for (const m of dir.mappings.list) {
        if (from < m.offset || from >= m.offset + m.length) continue;
        // A byte of the subflow seen, acknowledged or SACKed beyond them: TCP sends new bytes in order.
        const ssn = m.ssn + (from - m.offset);
        let end = dir.highestBy >= 0 ? dir.highestEnd : 0;
        let by = dir.highestBy;
        if (dir.ackedEnd > end) { end = dir.ackedEnd; by = dir.ackedBy; }
        if (dir.sackedEnd > end) { end = dir.sackedEnd; by = dir.sackedBy; }
        if (end <= ssn) continue;
        return { upTo: m.offset + Math.min(m.length, end - m.ssn), reason: 'lost in capture', packet: by };
      }
    }
    return null;
  }

  /** The direction had not ended when the capture did: no DATA_FIN, no MP_FASTCLOSE, a subflow still open. */
  isOpen(s: Session, sdir: 0 | 1): boolean {
    return s.streams[sdir].dataFinOffset < 0 && s.fastclosePacket < 0 && s.subflows.some((c) => c.closed === 'open');
  }

  /** Closes the session's streams: pending checksum mappings are released unverified and gaps are counted. */
  finishSession(s: Session, truncated = false): void {
    for (const conn of s.subflows) {
      for (let d = 0; d < 2; d++) {
        const sdir = (d ^ conn.sessionDirOfDir0) as 0 | 1;
        const q = conn.dirs[d].unmapped;
        for (let piece = q.shift(this.budget); piece !== undefined; piece = q.shift(this.budget)) this.giveUpUnmapped(s, sdir, piece, false);
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
      stream.finish(startKnown, this.classifier(s, sdir as 0 | 1, truncated));
      const u = s.unmapped[sdir];
      if (u.bytes > 0) {
        if (!stream.complete) stream.missingReasons.add('unmapped');
        this.log.finding(s, 'warning', 'DATA_UNMAPPED', `${sdir === 0 ? 'c2s' : 's2c'}: ${u.bytes} subflow bytes were never covered by a DSS mapping${u.limitHit ? ' before the buffer limit (--max-buffer) was reached' : ''}: they could not be placed at the data level`, u.packets);
      }
      if (!stream.complete) {
        const reasons = [...stream.missingReasons].join(', ');
        const first = stream.gaps.length > 0 ? `, the first at relative DSN ${stream.gaps[0].offset + 1}` : '';
        this.log.finding(s, 'warning', 'DATA_INCOMPLETE', `${sdir === 0 ? 'c2s' : 's2c'} data-level stream is incomplete: ${stream.missing} bytes missing (${reasons || 'unknown'})${first}`, [], undefined);
      }
      if (stream.bufferLimitHit) this.log.finding(s, 'warning', 'BUFFER_LIMIT', `${sdir === 0 ? 'c2s' : 's2c'}: more out-of-order data than --max-buffer (or --max-total-buffer) allows: ${stream.missing} bytes were given up as a gap, the stream is incomplete`, []);
      if (stream.conflictBytes > 0) {
        this.log.finding(s, 'error', 'DATA_CONFLICT', `${sdir === 0 ? 'c2s' : 's2c'}: ${stream.conflictBytes} bytes arrived twice with different content, the first at relative DSN ${stream.conflicts[0].offset + 1}`, stream.conflicts.map((c) => c.packet));
      }
    }
  }
}
