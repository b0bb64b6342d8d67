/**
 * DSS mappings of one subflow direction: each ties a subflow sequence range (relative to the ISN, the first
 * payload byte being 1) to a data-level offset. With DSS checksums in use, a mapping's bytes are held until
 * the whole mapping is seen and its checksum verified (RFC 8684 §3.3.1), as the receiver does.
 */
import { chunkSum, dssPseudoHeaderSum, fold16 } from './ones-complement.js';

export interface HeldChunk {
  /** Data-level offset. */
  offset: number;
  bytes: Buffer | null;
  length: number;
  time: number;
  packet: number;
  newOnSubflow: boolean;
  /** The subflow direction that carried the bytes (credited with reinjections). */
  from: { reinjectedBytes: number };
}

export class ChecksumState {
  sum: number;
  covered = 0;
  uncaptured = false;
  /** Covered positions inside the mapping as sorted, disjoint [start, end) pairs. */
  private readonly ranges: number[] = [];
  readonly held: HeldChunk[] = [];

  constructor(dsnHi: number, dsnLo: number, ssn: number, dataLevelLength: number, checksum: number) {
    this.sum = dssPseudoHeaderSum(dsnHi, dsnLo, ssn, dataLevelLength, checksum);
  }

  /** Adds the part of [pos, pos+len) not seen before; `buf[start..]` holds its captured bytes. Returns bytes added. */
  add(pos: number, len: number, buf: Buffer | null, start: number, captured: number, chunk: Omit<HeldChunk, 'bytes' | 'length' | 'offset'>, offsetAt: (pos: number) => number): number {
    let added = 0;
    for (const [s, e] of this.uncovered(pos, pos + len)) {
      const capEnd = Math.min(e, pos + captured);
      let bytes: Buffer | null = null;
      if (buf && capEnd > s) {
        bytes = Buffer.from(buf.subarray(start + (s - pos), start + (capEnd - pos)));
        this.sum += chunkSum(bytes, 0, bytes.length, s);
      }
      if (capEnd < e) this.uncaptured = true;
      this.held.push({ ...chunk, offset: offsetAt(s), bytes, length: e - s });
      this.mark(s, e);
      added += e - s;
    }
    this.covered += added;
    return added;
  }

  /** True when the folded sum is 0xffff: pseudo-header, checksum field and data add up (RFC 1071). */
  valid(): boolean {
    return fold16(this.sum) === 0xffff;
  }

  private uncovered(s: number, e: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let cur = s;
    for (let i = 0; i < this.ranges.length && cur < e; i += 2) {
      const rs = this.ranges[i];
      const re = this.ranges[i + 1];
      if (re <= cur) continue;
      if (rs >= e) break;
      if (rs > cur) out.push([cur, rs]);
      cur = Math.max(cur, re);
    }
    if (cur < e) out.push([cur, e]);
    return out;
  }

  private mark(s: number, e: number): void {
    const r = this.ranges;
    let i = 0;
    while (i < r.length && r[i + 1] < s) i += 2;
    let ns = s;
    let ne = e;
    let j = i;
    while (j < r.length && r[j] <= ne) { ns = Math.min(ns, r[j]); ne = Math.max(ne, r[j + 1]); j += 2; }
    r.splice(i, j - i, ns, ne);
  }
}

export interface Mapping {
  /** Relative subflow sequence number of the first mapped byte (widened). */
  ssn: number;
  /** Payload bytes mapped (data-level length minus a DATA_FIN); Infinity for an infinite mapping. */
  length: number;
  /** Data-level offset of the first mapped byte. */
  offset: number;
  packet: number;
  checksum: ChecksumState | null;
  /** Checksum outcome once decided. */
  verdict: 'pending' | 'valid' | 'invalid' | 'unverifiable';
}

/** Pruned mapping objects kept for reuse, per table. */
const MAX_SPARE = 256;

/** The mappings of one subflow direction, ordered by `ssn`. */
export class MappingTable {
  readonly list: Mapping[] = [];
  /** The mapping last returned by covering(): consecutive segments usually share it. */
  private lastHit: Mapping | null = null;
  /**
   * Pruned mappings without checksum, reused by `make`. The kernel maps every segment separately, so a
   * mapping object per segment lives until the peer's ACK passes it: long enough to reach V8's old
   * generation, where dropped ones piled up as garbage and the heap grew with the length of the capture.
   */
  private readonly spare: Mapping[] = [];

  /** A new mapping without checksum (a recycled object when one is spare). */
  make(ssn: number, length: number, offset: number, packet: number): Mapping {
    const m = this.spare.pop();
    if (m === undefined) return { ssn, length, offset, packet, checksum: null, verdict: 'pending' };
    m.ssn = ssn;
    m.length = length;
    m.offset = offset;
    m.packet = packet;
    m.checksum = null;
    m.verdict = 'pending';
    return m;
  }

  /** Adds a mapping unless an identical one (a retransmitted DSS) is known; returns the stored mapping. */
  add(m: Mapping): Mapping {
    const list = this.list;
    const at = this.floor(m.ssn);
    const same = this.findSame(m.ssn, m.offset, m.length, at);
    if (same) return same;
    if (at + 1 === list.length) list.push(m);
    else list.splice(at + 1, 0, m);
    this.lastHit = null;
    return m;
  }

  /**
   * Takes a mapping without checksum that adds nothing new: one already covering the same range with the same
   * data-level offset (a DSS repeated on a later segment), or one that continues the last mapping exactly (the
   * kernel maps each segment separately), which is extended instead of stored. Returns false otherwise.
   */
  absorb(ssn: number, offset: number, length: number): boolean {
    const last = this.list.length > 0 ? this.list[this.list.length - 1] : null;
    if (last !== null && last.checksum === null && last.length !== Infinity && length !== Infinity && last.ssn + last.length === ssn && last.offset + last.length === offset) {
      last.length += length;
      return true;
    }
    const m = this.covering(ssn);
    return m !== null && m.checksum === null && m.offset - m.ssn === offset - ssn && ssn + length <= m.ssn + m.length;
  }

  /** Drops every mapping except checksummed ones still pending (the subflows are closed). */
  dropSettled(): void {
    const keep = this.list.filter((m) => m.checksum !== null && m.verdict === 'pending');
    this.list.length = 0;
    this.list.push(...keep);
    this.lastHit = null;
  }

  /** A stored mapping identical to (ssn, offset, length): DSS options repeat on every segment of a mapping. */
  findSame(ssn: number, offset: number, length: number, at = this.floor(ssn)): Mapping | null {
    const last = this.lastHit;
    if (last !== null && last.ssn === ssn && last.offset === offset && last.length === length) return last;
    for (let i = at; i >= 0 && this.list[i].ssn === ssn; i--) {
      const o = this.list[i];
      if (o.offset === offset && o.length === length) return o;
    }
    return null;
  }

  /** Index of the last mapping with ssn <= seq, or -1. */
  private floor(seq: number): number {
    let lo = 0;
    let hi = this.list.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid].ssn <= seq) { ans = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return ans;
  }

  /** The mapping covering relative sequence `seq`, or null. Later mappings win over earlier ones. */
  covering(seq: number): Mapping | null {
    const last = this.lastHit;
    if (last !== null && seq >= last.ssn && seq < last.ssn + last.length) return last;
    const f = this.floor(seq);
    // Mappings of one subflow rarely overlap in sequence space: look back a few entries at most.
    for (let i = f; i >= 0 && i >= f - 4; i--) {
      const m = this.list[i];
      if (seq >= m.ssn && seq < m.ssn + m.length) { this.lastHit = m; return m; }
    }
    return null;
  }

  /** First mapping starting after `seq`, for splitting segments at mapping boundaries. */
  nextStartAfter(seq: number): number {
    const i = this.floor(seq) + 1;
    return i < this.list.length ? this.list[i].ssn : Infinity;
  }

  private pruneAt = 64;

  /** Drops finished mappings that end before `below` to bound memory; runs in batches as the table doubles. */
  prune(below: number): void {
    if (this.list.length < this.pruneAt) return;
    let n = 0;
    while (n < this.list.length - 1 && this.list[n].ssn + this.list[n].length < below && (this.list[n].checksum === null || this.list[n].verdict !== 'pending')) n++;
    if (n > 0) {
      const list = this.list;
      for (let i = 0; i < n; i++) if (list[i].checksum === null && this.spare.length < MAX_SPARE) this.spare.push(list[i]);
      list.copyWithin(0, n);
      list.length -= n;
      this.lastHit = null;
    }
    this.pruneAt = Math.max(64, this.list.length * 2);
  }

}
