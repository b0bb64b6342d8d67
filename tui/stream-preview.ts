/**
 * A bounded preview of one data-level direction, fed as a DataStream sink (as `follow` does): the first
 * `limit` bytes delivered (held in a buffer that grows only as data comes), the total, and the gaps (never
 * filled).
 */
import type { StreamSink } from '../analyze/data-stream.js';

export interface PreviewGap {
  offset: number;
  length: number;
  reason: string;
  /** Position in the preview bytes where the gap falls. */
  at: number;
}

export const PREVIEW_BYTES = 64 * 1024;
const MAX_GAPS = 100;
const EMPTY = Buffer.alloc(0);

export class StreamPreview implements StreamSink {
  /** Preview bytes: bytes.subarray(0, length). */
  bytes: Buffer = EMPTY;
  /** Bytes held in `bytes`. */
  length = 0;
  /** Bytes delivered in all. */
  total = 0;
  /** Data-level offset of the first delivered byte, or -1. */
  firstOffset = -1;
  readonly gaps: PreviewGap[] = [];
  gapCount = 0;

  constructor(readonly limit = PREVIEW_BYTES) {}

  data(offset: number, bytes: Buffer): void {
    if (this.firstOffset < 0) this.firstOffset = offset;
    this.total += bytes.length;
    const room = this.limit - this.length;
    if (room <= 0) return;
    const n = Math.min(room, bytes.length);
    if (this.length + n > this.bytes.length) {
      const next = Buffer.alloc(Math.min(this.limit, Math.max(4096, this.bytes.length * 2, this.length + n)));
      this.bytes.copy(next, 0, 0, this.length);
      this.bytes = next;
    }
    bytes.copy(this.bytes, this.length, 0, n);
    this.length += n;
  }

  gap(offset: number, length: number, reason: string): void {
    this.gapCount++;
    if (this.gaps.length < MAX_GAPS && this.length < this.limit) this.gaps.push({ offset, length, reason, at: this.length });
  }
}
