/**
 * Time order across interfaces for live capture.
 *
 * Each interface has its own capture ring, read when libuv says it is readable; one read drains a ring. So the
 * arrival order of packets from two interfaces is not quite their time order, and analysis needs causal order
 * (an MP_JOIN after the SYN/ACK that told its token). Records are held for a short window of wall-clock time
 * and released in timestamp order (ties by packet number), the order `analyze` gives a multi-interface file.
 * A record that comes after a later one was already released is passed on at once and counted as late.
 */
import { performance } from 'node:perf_hooks';
import type { CaptureRecord } from '../dissect/record.js';

interface Held {
  /** Packet timestamp, seconds. */
  t: number;
  /** When it was pushed (performance.now(), ms): bounds the hold if the wall clock jumps. */
  arrival: number;
  rec: CaptureRecord;
}

/** Longest a record is held, whatever the timestamps say (ms of monotonic time). */
const MAX_HOLD_MS = 1000;

const timeOf = (r: CaptureRecord): number => r.tsSec + r.tsNsec / 1e9;

export class LiveReorder {
  private readonly heap: Held[] = [];
  private lastReleased = -Infinity;
  private heldBytes = 0;
  /** Records released out of time order because they arrived after the window. */
  late = 0;

  /**
   * @param emit receives records in time order
   * @param windowSeconds how long a record is held after its timestamp
   * @param maxBytes bytes held before the oldest record is released regardless of the window
   */
  constructor(private readonly emit: (rec: CaptureRecord) => void, readonly windowSeconds = 0.1, private readonly maxBytes = 64 * 1024 * 1024) {}

  get size(): number {
    return this.heap.length;
  }

  /** Takes a record that the caller no longer touches (its data must be an owned copy). */
  push(rec: CaptureRecord): void {
    const t = timeOf(rec);
    if (t < this.lastReleased) {
      this.late++;
      this.emit(rec);
      return;
    }
    this.insert({ t, arrival: performance.now(), rec });
    this.heldBytes += rec.data.length;
    while (this.heldBytes > this.maxBytes && this.heap.length > 0) this.pop();
  }

  /**
   * Releases every record older than `nowSeconds` (wall clock, the clock of packet timestamps) minus the window,
   * and, should the wall clock have jumped, the oldest ones held for more than a second.
   */
  release(nowSeconds: number): void {
    const cutoff = nowSeconds - this.windowSeconds;
    const stale = performance.now() - MAX_HOLD_MS;
    while (this.heap.length > 0 && (this.heap[0].t <= cutoff || this.heap[0].arrival <= stale)) this.pop();
  }

  /** Releases everything. */
  flush(): void {
    while (this.heap.length > 0) this.pop();
  }

  private pop(): void {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.down(0);
    }
    this.heldBytes -= top.rec.data.length;
    if (top.t > this.lastReleased) this.lastReleased = top.t;
    this.emit(top.rec);
  }

  private static less(a: Held, b: Held): boolean {
    return a.t < b.t || (a.t === b.t && a.rec.n < b.rec.n);
  }

  private insert(h: Held): void {
    const heap = this.heap;
    heap.push(h);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!LiveReorder.less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && LiveReorder.less(heap[l], heap[m])) m = l;
      if (r < heap.length && LiveReorder.less(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
}
