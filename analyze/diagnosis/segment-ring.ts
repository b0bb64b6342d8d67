/**
 * The data-level segments one subflow sent first in one direction that DATA_ACK has not yet covered, oldest
 * first, in parallel typed arrays (no object per packet). A subflow sends its first transmissions in
 * data-level order, so the oldest entry is the lowest; across subflows they interleave out of order. Entries are addressed by a running id; the ring grows by
 * doubling up to MAX_SEGMENTS and then forgets its oldest entries (the diagnosis loses detail, not memory).
 */
import { objectArray } from '../v8-arrays.js';

const FIRST_CAPACITY = 16;
export const MAX_SEGMENTS = 8192;

export const SEG_RETRANSMITTED = 1;
export const SEG_REINJECTED = 2;

export class SegmentRing {
  /** Id of the oldest entry kept, and one past the newest. */
  tail = 0;
  head = 0;
  forgotten = 0;
  private cap = 0;
  private mask = 0;
  /** Entries below this id were acknowledged at the subflow level. */
  ackCursor = 0;
  start = new Float64Array(0);
  end = new Float64Array(0);
  /** Relative subflow sequence end of the segment. */
  relEnd = new Float64Array(0);
  subflow = new Int32Array(0);
  n = new Float64Array(0);
  /** When the subflow-level ACK covered the segment (-1: not yet). */
  subflowAckedAt = new Float64Array(0);
  flags = new Uint8Array(0);
  /** The last retransmission or reinjection of the segment: packet, subflow, time. */
  fixN = new Float64Array(0);
  fixSubflow = new Int32Array(0);

  get size(): number {
    return this.head - this.tail;
  }

  /** Appends a segment and returns its id. */
  push(start: number, end: number, relEnd: number, subflow: number, n: number): number {
    if (this.head - this.tail >= this.cap) {
      if (this.cap < MAX_SEGMENTS) this.grow();
      else { this.tail++; this.forgotten++; }
    }
    const id = this.head++;
    const i = id & this.mask;
    this.start[i] = start;
    this.end[i] = end;
    this.relEnd[i] = relEnd;
    this.subflow[i] = subflow;
    this.n[i] = n;
    this.subflowAckedAt[i] = -1;
    this.flags[i] = 0;
    this.fixN[i] = -1;
    this.fixSubflow[i] = -1;
    return id;
  }

  /** Index into the arrays of a live id, or -1 when it was popped or forgotten. */
  index(id: number): number {
    return id >= this.tail && id < this.head ? id & this.mask : -1;
  }

  /** Id of the first entry whose end is above `offset` (entries are in data-level order), or `head`. */
  firstEndingAfter(offset: number): number {
    let lo = this.tail, hi = this.head;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end[mid & this.mask] > offset) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index of the oldest entry, or -1 when empty. */
  first(): number {
    return this.head > this.tail ? this.tail & this.mask : -1;
  }

  shift(): void {
    if (this.head > this.tail) this.tail++;
    if (this.ackCursor < this.tail) this.ackCursor = this.tail;
  }

  /** Marks entries acknowledged at the subflow level up to relative sequence `ack`, at time t. */
  subflowAck(ack: number, t: number): void {
    if (this.ackCursor < this.tail) this.ackCursor = this.tail;
    while (this.ackCursor < this.head) {
      const i = this.ackCursor & this.mask;
      if (this.relEnd[i] > ack) return;
      if (this.subflowAckedAt[i] < 0) this.subflowAckedAt[i] = t;
      this.ackCursor++;
    }
  }

  /** Frees the arrays (called when the subflow closed: nothing more will be delivered through it). */
  compact(): void {
    this.tail = this.head;
    this.ackCursor = this.head;
    if (this.cap > 0) this.alloc(0);
  }

  private grow(): void {
    this.alloc(this.cap === 0 ? FIRST_CAPACITY : this.cap * 2);
  }

  private alloc(cap: number): void {
    const old = this;
    const oldMask = this.mask;
    const start = new Float64Array(cap), end = new Float64Array(cap), relEnd = new Float64Array(cap), subflow = new Int32Array(cap), n = new Float64Array(cap);
    const acked = new Float64Array(cap), flags = new Uint8Array(cap), fixN = new Float64Array(cap), fixSubflow = new Int32Array(cap);
    const mask = cap - 1;
    for (let id = this.tail; id < this.head; id++) {
      const a = id & oldMask, b = id & mask;
      start[b] = old.start[a]; end[b] = old.end[a]; relEnd[b] = old.relEnd[a]; subflow[b] = old.subflow[a]; n[b] = old.n[a];
      acked[b] = old.subflowAckedAt[a]; flags[b] = old.flags[a]; fixN[b] = old.fixN[a]; fixSubflow[b] = old.fixSubflow[a];
    }
    this.start = start; this.end = end; this.relEnd = relEnd; this.subflow = subflow; this.n = n;
    this.subflowAckedAt = acked; this.flags = flags; this.fixN = fixN; this.fixSubflow = fixSubflow;
    this.cap = cap;
    this.mask = mask;
  }
}

/** Keeps every stride-th item, doubling the stride (and dropping every other kept item) when full. */
export class Decimated<T> {
  items: T[] = objectArray();
  total = 0;
  private stride = 1;

  constructor(private readonly limit: number) {}

  /** True when the next item pushed would be kept (so callers can skip building it). */
  wants(): boolean {
    // The stride is a power of two: a mask instead of a modulo (an integer division per packet).
    return (this.total & (this.stride - 1)) === 0;
  }

  push(item: T): void {
    if ((this.total++ & (this.stride - 1)) !== 0) return;
    this.items.push(item);
    if (this.items.length > this.limit) {
      this.items = this.items.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }

  /** Counts an item that was not built (wants() was false). */
  skip(): void {
    this.total++;
  }
}
