// The data-level byte stream rebuilt from pieces in any order (analyze/data-stream.ts), seeded and bounded:
// a random payload cut into segments, delivered with local reordering, duplicates and rewritten duplicates,
// must come out byte for byte (a sink collects it) with the sha256 of the payload the generator made, and every
// rewritten duplicate must be reported as a conflict of exactly the bytes it changed. Waiting pieces grow past
// ByteChain's 64 KiB blocks and their stores are recycled, so this covers block boundaries and reuse.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataStream } from '../analyze/data-stream.js';
import { ByteChain, CHAIN_BLOCK_BYTES } from '../analyze/byte-chain.js';
import { StorePool } from '../analyze/store-pool.js';

interface Segment { offset: number; length: number }

/** Cuts [0, size) into segments of 1..maxSeg bytes. */
function cut(size: number, rnd: () => number, maxSeg: number): Segment[] {
  const out: Segment[] = [];
  for (let off = 0; off < size;) {
    const length = Math.min(size - off, 1 + Math.floor(rnd() * maxSeg));
    out.push({ offset: off, length });
    off += length;
  }
  return out;
}

/** xorshift32: deterministic per fast-check seed. */
function prng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

describe('DataStream', () => {
  it('rebuilds a reordered, duplicated stream exactly; rewritten duplicates are conflicts of the changed bytes (seeded)', () => {
    const historySizes = fc.constantFrom(0, 4096, 100_000, 256 << 10);
    fc.assert(fc.property(fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 1, max: 300_000 }), fc.integer({ min: 0, max: 64 }), historySizes, fc.boolean(), (seed, size, window, history, release) => {
      const rnd = prng(seed);
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = Math.floor(rnd() * 256);
      const segments = cut(size, rnd, 1 + Math.floor(rnd() * 4000));
      // Local reordering: each segment moves up to `window` places later.
      const order = segments.map((s, i) => ({ s, key: i + rnd() * window }));
      order.sort((a, b) => a.key - b.key);
      const pool = new StorePool();
      const stream = new DataStream(64 << 20, history, pool);
      // The session may close midway: the recent bytes are dropped (later copies are compared with waiting ones only).
      const releaseAt = release ? Math.floor(rnd() * order.length) : -1;
      let released = false;
      const got: Buffer[] = [];
      stream.sink = { data: (_o, bytes) => { got.push(Buffer.from(bytes)); }, gap: () => { throw new Error('no gap expected'); } };
      let conflictBytes = 0;
      let packet = 0;
      // Copies of earlier segments (retransmissions, reinjections), some with a few bytes rewritten, added
      // right away or up to 50 segments later: compared with the waiting original, with the ring of recent
      // bytes, or with a delivered piece kept as recent bytes.
      const later: { due: number; s: Segment; copy: Buffer; flipped: Set<number> }[] = [];
      const addCopy = (s: Segment, copy: Buffer, flipped: Set<number>): void => {
        const waiting = s.offset >= stream.next;
        for (const i of flipped) if (waiting || (!released && s.offset + i >= stream.next - history)) conflictBytes++;
        stream.add(s.offset, copy, s.length, packet, packet++, false);
      };
      for (const [k, { s }] of order.entries()) {
        if (k === releaseAt) { stream.releaseHistory(); released = true; }
        stream.add(s.offset, payload.subarray(s.offset, s.offset + s.length), s.length, packet, packet++, true);
        if (rnd() < 0.15) {
          const copy = Buffer.from(payload.subarray(s.offset, s.offset + s.length));
          const flips = rnd() < 0.5 ? 0 : 1 + Math.floor(rnd() * Math.min(3, s.length));
          const flipped = new Set<number>();
          for (let f = 0; f < flips; f++) flipped.add(Math.floor(rnd() * s.length));
          for (const i of flipped) copy[i] ^= 0x5a;
          if (rnd() < 0.5) addCopy(s, copy, flipped);
          else later.push({ due: k + 1 + Math.floor(rnd() * 50), s, copy, flipped });
        }
        for (let j = later.length - 1; j >= 0; j--) {
          if (later[j].due > k) continue;
          const c = later.splice(j, 1)[0];
          addCopy(c.s, c.copy, c.flipped);
        }
      }
      for (const c of later) addCopy(c.s, c.copy, c.flipped);
      stream.finish(true);
      const rebuilt = Buffer.concat(got);
      expect(rebuilt.length).toBe(size);
      expect(rebuilt.equals(payload)).toBe(true);
      expect(stream.digest()).toBe(createHash('sha256').update(payload).digest('hex'));
      expect(stream.conflictBytes).toBe(conflictBytes);
      expect(stream.buffered).toBe(0);
      expect(pool.used).toBe(0);
    }), { numRuns: 120, seed: 8675309 });
  });

  it('ByteChain: appends across blocks, reads any byte and range back, returns its blocks to the pool', () => {
    const pool = new StorePool();
    const first = Buffer.from('0123456789');
    const chain = new ByteChain(Buffer.from(first));
    const src = Buffer.alloc(3 * CHAIN_BLOCK_BYTES + 777);
    for (let i = 0; i < src.length; i++) src[i] = (i * 31 + 7) & 0xff;
    for (let s = 0; s < src.length;) {
      const e = Math.min(src.length, s + 1000 + (s % 5000));
      chain.append(src, s, e, pool);
      s = e;
    }
    const whole = Buffer.concat([first, src]);
    expect(chain.length).toBe(whole.length);
    expect(chain.blocks.length).toBe(1 + 4);
    for (const i of [0, 9, 10, 11, 10 + CHAIN_BLOCK_BYTES - 1, 10 + CHAIN_BLOCK_BYTES, whole.length - 1]) expect(chain.at(i)).toBe(whole[i]);
    expect(chain.slice(0, whole.length).equals(whole)).toBe(true);
    expect(chain.slice(5, 10 + 2 * CHAIN_BLOCK_BYTES + 3).equals(whole.subarray(5, 10 + 2 * CHAIN_BLOCK_BYTES + 3))).toBe(true);
    const blocks = chain.blocks.slice(1);
    chain.release(pool);
    // The same stores come back from the pool.
    const again = new Set([pool.take(CHAIN_BLOCK_BYTES), pool.take(CHAIN_BLOCK_BYTES), pool.take(CHAIN_BLOCK_BYTES), pool.take(CHAIN_BLOCK_BYTES)]);
    for (const b of blocks) expect(again.has(b)).toBe(true);
  });
});
