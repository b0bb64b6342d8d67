/**
 * The captured bytes of one waiting (out-of-order) piece of a data-level stream.
 *
 * The first part is a copy of the segment that started the piece, in a small store from the engine's
 * StorePool; segments that continue it are appended into fixed-size blocks from the same pool. Growing a piece
 * never copies what it already holds (a single growing buffer copied about as many bytes again as it held),
 * and every store goes back to the pool when the piece is delivered. (A fresh copy per piece, from Node's
 * shared 8 KiB slabs, made V8 account for external memory churn and collect more often.)
 */
import { copyBytes } from '../dissect/bytes.js';
import type { StorePool } from './store-pool.js';

export const CHAIN_BLOCK_BYTES = 64 << 10;
const BLOCK_SHIFT = 16;
const BLOCK_MASK = CHAIN_BLOCK_BYTES - 1;

export class ByteChain {
  /** blocks[0]: the first part (exact size); blocks[1..]: pooled blocks of CHAIN_BLOCK_BYTES, the last one partly used. */
  readonly blocks: Buffer[];
  length: number;
  /** The pooled store that blocks[0] is a view of, if any. */
  private firstStore: Buffer | null;

  constructor(first: Buffer, firstStore: Buffer | null = null) {
    this.blocks = [first];
    this.length = first.length;
    this.firstStore = firstStore;
  }

  /** A chain holding a copy of `src[s .. e)`, in a store from `pool`. */
  static copyOf(src: Buffer, s: number, e: number, pool: StorePool): ByteChain {
    const store = pool.take(e - s);
    copyBytes(src, s, e, store, 0);
    return new ByteChain(store.subarray(0, e - s), store);
  }

  /** Appends `src[s .. e)`. */
  append(src: Buffer, s: number, e: number, pool: StorePool): void {
    const blocks = this.blocks;
    while (s < e) {
      const tailUsed = (this.length - blocks[0].length) & BLOCK_MASK;
      let tail: Buffer;
      if (blocks.length > 1 && tailUsed !== 0) tail = blocks[blocks.length - 1];
      else {
        tail = pool.take(CHAIN_BLOCK_BYTES);
        blocks.push(tail);
      }
      const n = Math.min(e - s, CHAIN_BLOCK_BYTES - tailUsed);
      copyBytes(src, s, s + n, tail, tailUsed);
      this.length += n;
      s += n;
    }
  }

  /** The byte at index `i` (0 ≤ i < length). */
  at(i: number): number {
    const first = this.blocks[0];
    if (i < first.length) return first[i];
    const j = i - first.length;
    return this.blocks[1 + (j >> BLOCK_SHIFT)][j & BLOCK_MASK];
  }

  /** Calls `visit(block, s, e)` for the bytes [from, to) of the chain, in order. */
  forEachRange(from: number, to: number, visit: (block: Buffer, s: number, e: number) => void): void {
    let blockStart = 0;
    for (let k = 0; k < this.blocks.length && blockStart < to; k++) {
      const block = this.blocks[k];
      const used = k === 0 ? block.length : Math.min(CHAIN_BLOCK_BYTES, this.length - blockStart);
      const s = Math.max(from, blockStart);
      const e = Math.min(to, blockStart + used);
      if (e > s) visit(block, s - blockStart, e - blockStart);
      blockStart += used;
    }
  }

  /** A contiguous copy of [from, to) (for the rare comparisons of overlapping copies). */
  slice(from: number, to: number): Buffer {
    const out = Buffer.allocUnsafe(Math.max(0, to - from));
    let at = 0;
    this.forEachRange(from, to, (block, s, e) => { block.copy(out, at, s, e); at += e - s; });
    return out;
  }

  /** Gives the pooled blocks back; the chain must not be used afterwards. */
  release(pool: StorePool): void {
    for (let k = 1; k < this.blocks.length; k++) pool.give(this.blocks[k]);
    this.blocks.length = 1;
    if (this.firstStore !== null) pool.give(this.firstStore);
    this.firstStore = null;
  }
}
