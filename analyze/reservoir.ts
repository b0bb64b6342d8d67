import { doubleArray } from './v8-arrays.js';
import { doubleFields } from './v8-fields.js';
/** A bounded, deterministic sample of numbers (reservoir sampling) for percentiles. */
export class Reservoir {
  /** Of the double elements kind from the start (v8-arrays.ts). */
  private readonly samples: number[] = doubleArray();
  /** Sorted copy of the samples, made on the first percentile after a change (a typed array sorts numerically, natively). */
  private sorted: Float64Array | null = null;
  private seen = 0;
  /** As a signed 32-bit integer (a small integer to V8; the xorshift works on 32 bits either way). */
  private state = 0x9e3779b9 | 0;
  max = 0;

  constructor(private readonly capacity: number) {
    // A double from the start, as the samples are (v8-fields.ts).
    doubleFields(this, ['max']);
  }

  add(v: number): void {
    this.seen++;
    this.sorted = null;
    if (v > this.max) this.max = v;
    if (this.samples.length < this.capacity) { this.samples.push(v); return; }
    // xorshift32: deterministic so reports are reproducible.
    this.state ^= this.state << 13; this.state ^= this.state >>> 17; this.state ^= this.state << 5;
    // Both operands as unsigned 32-bit integers, so V8 emits an integer division rather than a call to fmod
    // (the same value while fewer than 2^32 samples were seen).
    const u = this.state >>> 0;
    const j = this.seen <= 0xffffffff ? u % (this.seen >>> 0) : u % this.seen;
    if (j < this.capacity) this.samples[j] = v;
  }

  get count(): number {
    return this.seen;
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    if (this.sorted === null) this.sorted = Float64Array.from(this.samples).sort();
    const sorted = this.sorted;
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[idx];
  }
}
