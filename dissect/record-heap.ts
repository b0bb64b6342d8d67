/** A min-heap of held packet records ordered by timestamp, ties by packet number (the file's order). */
import type { CaptureRecord } from './record.js';

export interface HeldRecord {
  /** Timestamp in seconds. */
  t: number;
  rec: CaptureRecord;
}

export class RecordHeap<H extends HeldRecord> {
  private readonly heap: H[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The earliest held record, or undefined. */
  peek(): H | undefined {
    return this.heap[0];
  }

  push(h: H): void {
    const heap = this.heap;
    heap.push(h);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  /** Removes and returns the earliest record (the heap must not be empty). */
  pop(): H {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
}

function less(a: HeldRecord, b: HeldRecord): boolean {
  return a.t < b.t || (a.t === b.t && a.rec.n < b.rec.n);
}
