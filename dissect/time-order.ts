/**
 * Puts packet records back in timestamp order. pcapng files written from several interfaces (dumpcap -i A -i B)
 * store each interface's packets in batches, so a later packet of one interface can come before an earlier one
 * of another. Analysis needs causal order (an MP_JOIN after the MP_CAPABLE that made its token), as Wireshark
 * gets by reading the whole file first. This holds records for a bounded window and releases them in order;
 * packet numbers stay those of the file.
 */
import type { CaptureRecord } from './record.js';
import { RecordHeap, type HeldRecord } from './record-heap.js';

export interface TimeOrderOptions {
  /** How far back in time a record may arrive, in seconds. */
  windowSeconds: number;
  /** Bytes of held records before the oldest is released regardless of time. */
  maxBytes: number;
}

export const DEFAULT_TIME_ORDER: TimeOrderOptions = { windowSeconds: 2, maxBytes: 64 * 1024 * 1024 };

export class TimeOrderer {
  private readonly heap = new RecordHeap<HeldRecord>();
  private heldBytes = 0;
  private newest = -Infinity;
  /** Records that arrived later than the window allowed (emitted out of order). */
  late = 0;
  private lastEmitted = -Infinity;

  constructor(private readonly emit: (rec: CaptureRecord) => void, private readonly opts: TimeOrderOptions = DEFAULT_TIME_ORDER) {}

  /** Takes a record (a view valid only during the call: it is copied when held). */
  push(rec: CaptureRecord): void {
    const t = rec.tsSec + rec.tsNsec / 1e9;
    const copy: CaptureRecord = { ...rec, data: Buffer.from(rec.data) };
    this.heap.push({ t, rec: copy });
    this.heldBytes += copy.data.length;
    if (t > this.newest) this.newest = t;
    while (this.heap.size > 0 && (this.heap.peek()!.t < this.newest - this.opts.windowSeconds || this.heldBytes > this.opts.maxBytes)) this.pop();
  }

  /** Releases everything still held. */
  flush(): void {
    while (this.heap.size > 0) this.pop();
  }

  private pop(): void {
    const top = this.heap.pop();
    this.heldBytes -= top.rec.data.length;
    if (top.t < this.lastEmitted) this.late++;
    else this.lastEmitted = top.t;
    this.emit(top.rec);
  }
}
