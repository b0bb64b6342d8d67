/**
 * Subflow bytes that arrived before any DSS mapping covered them (RFC 8684 §3.3.1: a mapping covers a range of
 * subflow sequence numbers whatever order its packets arrive in). They wait here, per subflow direction, until a
 * mapping covers them; only at a buffer limit or at the end of the capture are they given up as `unmapped`.
 */
import type { StorePool } from './store-pool.js';

export interface UnmappedPiece {
  /** Relative subflow sequence number of the first byte, and the length on the wire. */
  ssn: number;
  length: number;
  /** The captured bytes (a prefix of the piece, possibly empty). */
  bytes: Buffer;
  packet: number;
  time: number;
  /** The bytes were new on their subflow when they arrived (not a retransmission). */
  newOnSubflow: boolean;
}

export class UnmappedQueue {
  /** Disjoint pieces sorted by `ssn`. */
  readonly pieces: UnmappedPiece[] = [];
  /** Wire bytes waiting, and captured bytes held (charged to the engine's budget). */
  length = 0;
  held = 0;

  /** Queues [ssn, ssn + length), of which the first `captured` bytes are `src[start ..]`. Parts already queued are skipped. */
  add(ssn: number, length: number, src: Buffer | null, start: number, captured: number, packet: number, time: number, newOnSubflow: boolean, budget: StorePool): void {
    const list = this.pieces;
    let at = list.length;
    while (at > 0 && list[at - 1].ssn + list[at - 1].length > ssn) at--;
    // Overlaps with queued pieces are rare (a retransmission before any mapping): keep the first copy.
    if (at < list.length && list[at].ssn < ssn + length) return;
    const keep = src !== null ? Math.min(captured, length) : 0;
    const bytes = keep > 0 ? Buffer.from(src!.subarray(start, start + keep)) : Buffer.alloc(0);
    list.splice(at, 0, { ssn, length, bytes, packet, time, newOnSubflow });
    this.length += length;
    this.held += keep;
    budget.used += keep;
  }

  /**
   * Removes and returns the queued parts inside [from, to) (a new mapping covers them), trimmed to it; the parts
   * outside stay queued.
   */
  take(from: number, to: number, budget: StorePool): UnmappedPiece[] {
    const out: UnmappedPiece[] = [];
    const list = this.pieces;
    for (let i = 0; i < list.length; ) {
      const q = list[i];
      const qEnd = q.ssn + q.length;
      if (qEnd <= from) { i++; continue; }
      if (q.ssn >= to) break;
      const s = Math.max(from, q.ssn);
      const e = Math.min(to, qEnd);
      out.push(slice(q, s, e));
      const rest: UnmappedPiece[] = [];
      if (q.ssn < s) rest.push(slice(q, q.ssn, s));
      if (e < qEnd) rest.push(slice(q, e, qEnd));
      list.splice(i, 1, ...rest);
      i += rest.length;
      this.length -= e - s;
      const heldBefore = q.bytes.length;
      const heldAfter = rest.reduce((a, r) => a + r.bytes.length, 0);
      this.held -= heldBefore - heldAfter;
      budget.used -= heldBefore - heldAfter;
    }
    return out;
  }

  /** Removes and returns the oldest piece (given up at a buffer limit or at the end). */
  shift(budget: StorePool): UnmappedPiece | undefined {
    const q = this.pieces.shift();
    if (q === undefined) return undefined;
    this.length -= q.length;
    this.held -= q.bytes.length;
    budget.used -= q.bytes.length;
    return q;
  }
}

function slice(q: UnmappedPiece, s: number, e: number): UnmappedPiece {
  const a = Math.min(q.bytes.length, s - q.ssn);
  const b = Math.min(q.bytes.length, e - q.ssn);
  return { ssn: s, length: e - s, bytes: q.bytes.subarray(a, b), packet: q.packet, time: q.time, newOnSubflow: q.newOnSubflow };
}
