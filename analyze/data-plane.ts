/**
 * The MPTCP data plane: DSS mappings, data ACKs, DATA_FIN, DSS checksums, and the placement of subflow payload
 * into the sessions' data-level streams. Built on the control plane (sessions, keys, fallback) and the TCP
 * tracker (subflow sequence space).
 */
import type { DecodedPacket } from '../dissect/packet.js';
import type { DssFields } from '../dissect/dss-fields.js';
import { offsetBetween, addOffset, u64Decimal } from './u64.js';
import type { Conn, Session } from './model.js';
import type { DataStream } from './data-stream.js';
import { ChecksumState, type HeldChunk, type Mapping } from './mapping.js';
import { widen32 } from './seq-math.js';
import type { FindingLog } from './finding-log.js';
import type { PacketAnalysis } from './packet-analysis.js';
import type { ControlPlane } from './control-plane.js';
import { CopyLog } from './copy-log.js';

/** Mappings kept below the highest acknowledged subflow sequence, and below the highest sent one without ACKs. */
const MAPPING_KEEP_BELOW_ACK = 4 << 20;
const MAPPING_KEEP_UNACKED = 64 << 20;

export class DataPlane {
  /** Set while observers are attached: per-packet facts go there. */
  analysis: PacketAnalysis | null = null;
  private readonly u64Scratch: [number, number] = [0, 0];
  /** First copies of data-level ranges per stream (observers only). */
  private readonly copies = new WeakMap<DataStream, CopyLog>();

  constructor(private readonly log: FindingLog, private readonly control: ControlPlane) {}

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
        if (off > rs.highest && off - rs.highest < 1 << 30) rs.highest = off;
      }
    }
    if (f.dataFin && f.hasMap && mapOffset >= 0 && base) {
      const stream = s.streams[sdir];
      if (stream.dataFinOffset < 0) {
        const off = mapOffset + (f.dataLevelLength || 1) - 1;
        stream.dataFinOffset = off;
        const dsn = addOffset(base[0], base[1], off, this.u64Scratch);
        this.log.event(s, { n, time: this.log.rel(time), type: 'DATA_FIN', subflow: conn.subflowId, dir: sdir === 0 ? 'c2s' : 's2c', dsn: u64Decimal(dsn[0], dsn[1]) });
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
      this.log.finding(s, 'error', 'MAPPING_INVALID', `a DSS mapping lies before the data-level start or cannot be placed`, n, conn.subflowId);
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

  /**
   * Places a payload segment of direction `d` into its data-level stream. `rel` is its relative subflow sequence
   * number; its bytes from `newFrom` on are new on the subflow.
   */
  onPayload(conn: Conn, p: DecodedPacket, d: number, n: number, rel: number, newFrom: number): void {
    const s = conn.session!;
    const dir = conn.dirs[d];
    const sdir = (d ^ conn.sessionDirOfDir0) as 0 | 1;
    const len = p.payloadLength;
    const end = rel + len;
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

  /**
   * Observers only: names the first copy of a reinjected range (sent on another subflow) and of conflicting
   * bytes (`conflictsBefore`: the stream's conflicting bytes before the piece was placed, -1 not placed yet),
   * then records the piece as the first copy of what was new.
   */
  private observePiece(a: PacketAnalysis, stream: DataStream, offset: number, length: number, subflow: number, n: number, conflictsBefore: number): void {
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
      this.log.finding(s, 'error', 'DSS_CHECKSUM_MISMATCH', `DSS checksum mismatch on subflow ${conn.subflowId} for the mapping at data offset ${m.offset} (${m.length} bytes): the data was altered in transit`, packets.length ? packets : [n], conn.subflowId);
      this.log.event(s, { n, time: this.log.rel(this.log.clock.now), type: 'DSS_CHECKSUM_MISMATCH', subflow: conn.subflowId });
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
    // Mappings only place further segments; a checksummed one still waiting for its bytes is kept for finish().
    for (const c of s.subflows) for (const d of c.dirs) d.mappings.dropSettled();
  }

  /** Closes the session's streams: pending checksum mappings are released unverified and gaps are counted. */
  finishSession(s: Session): void {
    for (const conn of s.subflows) {
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
        this.log.finding(s, 'warning', 'DATA_INCOMPLETE', `${sdir === 0 ? 'c2s' : 's2c'} data-level stream is incomplete: ${stream.missing} bytes missing (${reasons || 'unknown'})`, [], undefined);
      }
      if (stream.bufferLimitHit) this.log.finding(s, 'warning', 'BUFFER_LIMIT', `${sdir === 0 ? 'c2s' : 's2c'}: more out-of-order data than --max-buffer (or --max-total-buffer) allows: ${stream.missing} bytes were given up as a gap, the stream is incomplete`, []);
      if (stream.conflictBytes > 0) {
        this.log.finding(s, 'error', 'DATA_CONFLICT', `${sdir === 0 ? 'c2s' : 's2c'}: ${stream.conflictBytes} bytes arrived twice with different content`, stream.conflicts.map((c) => c.packet));
      }
    }
  }
}
