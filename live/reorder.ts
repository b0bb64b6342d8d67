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
import { RecordHeap, type HeldRecord } from '../dissect/record-heap.js';

interface Held extends HeldRecord {
  /** When it was pushed (performance.now(), ms): bounds the hold if the wall clock jumps. */
  arrival: number;
}

/** Longest a record is held, whatever the timestamps say (ms of monotonic time). */
const MAX_HOLD_MS = 1000;

const timeOf = (r: CaptureRecord): number => r.tsSec + r.tsNsec / 1e9;

export class LiveReorder {
  private readonly heap = new RecordHeap<Held>();
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
    return this.heap.size;
  }

  /** Takes a record that the caller no longer touches (its data must be an owned copy). */
  push(rec: CaptureRecord): void {
    const t = timeOf(rec);
    if (t < this.lastReleased) {
      this.late++;
      this.emit(rec);
      return;
    }
    this.heap.push({ t, arrival: performance.now(), rec });
    this.heldBytes += rec.data.length;
    while (this.heldBytes > this.maxBytes && this.heap.size > 0) this.pop();
  }

  /**
   * Releases every record older than `nowSeconds` (wall clock, the clock of packet timestamps) minus the window,
   * and, should the wall clock have jumped, the oldest ones held for more than a second.
   */
  release(nowSeconds: number): void {
    const cutoff = nowSeconds - this.windowSeconds;
    const stale = performance.now() - MAX_HOLD_MS;
    for (let top = this.heap.peek(); top && (top.t <= cutoff || top.arrival <= stale); top = this.heap.peek()) this.pop();
  }

  /** Releases everything. */
  flush(): void {
    while (this.heap.size > 0) this.pop();
  }

  private pop(): void {
    const top = this.heap.pop();
    this.heldBytes -= top.rec.data.length;
    if (top.t > this.lastReleased) this.lastReleased = top.t;
    this.emit(top.rec);
  }
}
