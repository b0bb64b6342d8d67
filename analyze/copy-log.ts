/**
 * Which packet first carried each data-level byte range of one stream direction, and on which subflow: what
 * the packet analysis needs to name the first copy of a reinjection or of conflicting bytes. Kept only while
 * observers are attached, and only for a window below the stream's in-order point (like the ring of recent
 * bytes), so memory follows what is open and out of order.
 */
interface Copy {
  start: number;
  end: number;
  packet: number;
  subflow: number;
}

/** Ranges kept below the stream's in-order point. */
const KEEP_BELOW = 4 << 20;

export class CopyLog {
  /** Disjoint ranges sorted by start. */
  private readonly copies: Copy[] = [];
  private pruneAt = 1024;

  /** The packet of the first copy of any byte in [start, end) sent on a subflow other than `subflow`, else -1. */
  otherSubflow(start: number, end: number, subflow: number): number {
    for (let i = this.firstEndingAfter(start); i < this.copies.length; i++) {
      const c = this.copies[i];
      if (c.start >= end) break;
      if (c.subflow !== subflow) return c.packet;
    }
    return -1;
  }

  /** The packet that first carried the byte at `offset`, else -1. */
  packetAt(offset: number): number {
    const i = this.firstEndingAfter(offset);
    return i < this.copies.length && this.copies[i].start <= offset ? this.copies[i].packet : -1;
  }

  /** Records [start, end) as carried by `packet` on `subflow`, where no earlier copy is known. */
  record(start: number, end: number, packet: number, subflow: number, inOrder: number): void {
    const list = this.copies;
    let cur = start;
    let i = this.firstEndingAfter(start);
    while (cur < end) {
      const next = i < list.length ? list[i] : null;
      if (next !== null && next.start <= cur) { cur = next.end; i++; continue; }
      const stop = next !== null ? Math.min(end, next.start) : end;
      const prev = i > 0 ? list[i - 1] : null;
      if (prev !== null && prev.end === cur && prev.packet === packet) prev.end = stop;
      else { list.splice(i, 0, { start: cur, end: stop, packet, subflow }); i++; }
      cur = stop;
    }
    if (list.length >= this.pruneAt) this.prune(inOrder - KEEP_BELOW);
  }

  private prune(below: number): void {
    let n = 0;
    while (n < this.copies.length && this.copies[n].end <= below) n++;
    if (n > 0) this.copies.splice(0, n);
    this.pruneAt = Math.max(1024, this.copies.length * 2);
  }

  private firstEndingAfter(offset: number): number {
    const list = this.copies;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
