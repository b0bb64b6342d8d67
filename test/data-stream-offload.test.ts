// The sha256 worker path of DataStream (analyzeFile hashes on a worker thread) must give the same digest,
// duplicate, reinjection and conflict figures as hashing on the main thread, across batches, reordering,
// release and gaps, with several streams sharing one worker; the digest must be the payload's.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DataStream } from '../analyze/data-stream.js';
import { HashOffload, OFFLOAD_BATCH } from '../analyze/hash-offload.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

interface Op { offset: number; bytes: Buffer; time: number }

/** Segments covering `total` bytes, some reordered, some sent twice (a few with altered content). */
function ops(seed: number, total: number): { data: Buffer; list: Op[] } {
  const r = rng(seed);
  const data = Buffer.alloc(total);
  for (let i = 0; i < total; i++) data[i] = (r() * 256) | 0;
  const list: Op[] = [];
  let t = 0;
  for (let off = 0; off < total;) {
    const len = Math.min(total - off, 1 + ((r() * (r() < 0.05 ? 300000 : 3000)) | 0));
    list.push({ offset: off, bytes: data.subarray(off, off + len), time: t++ });
    off += len;
  }
  for (let i = 0; i + 1 < list.length; i++) if (r() < 0.2) [list[i], list[i + 1]] = [list[i + 1], list[i]];
  for (let i = 0; i < list.length; i += 1 + ((r() * 40) | 0)) {
    const o = list[i];
    let copy = o.bytes;
    if (r() < 0.3) { copy = Buffer.from(o.bytes); copy[(r() * copy.length) | 0] ^= 0x55; }
    list.splice(Math.min(list.length, i + 1 + ((r() * 200) | 0)), 0, { offset: o.offset, bytes: copy, time: t++ });
  }
  return { data, list };
}

async function run(list: Op[], pool: HashOffload | null, opts: { history: number; releaseAt?: number; cutAt?: number }
  /* releaseAt, cutAt: fractions of the segment list */) {
  const st = new DataStream(64 << 20, opts.history, undefined, pool);
  const cut = opts.cutAt === undefined ? -1 : list[Math.floor(list.length * opts.cutAt)].offset;
  const releaseAt = opts.releaseAt === undefined ? -1 : Math.floor(list.length * opts.releaseAt);
  list.forEach((o, i) => {
    if (i === releaseAt) st.releaseHistory();
    if (o.offset === cut) return; // a segment never seen (nor its copies): a gap
    st.add(o.offset, o.bytes, o.bytes.length, o.time, i, i % 7 === 0);
  });
  st.finish(true);
  await st.settle();
  return { digest: st.complete ? st.digest() : undefined, delivered: st.delivered, missing: st.missing, dup: st.duplicateBytes, reinj: st.reinjectedBytes, conflictBytes: st.conflictBytes, conflicts: st.conflicts };
}

describe('DataStream with the sha256 worker (HashOffload)', () => {
  for (const [name, total, history, extra] of [
    ['large stream, default history', 6_000_000, 256 << 10, {}],
    ['large stream, history released midway', 5_000_000, 256 << 10, { releaseAt: 0.4 }],
    ['large stream with a gap', 4_000_000, 256 << 10, { cutAt: 0.5 }],
    ['no history', 3_000_000, 0, {}],
    ['history larger than a batch', 4_000_000, 3 << 20, {}],
    ['small stream (one partial batch)', 200_000, 256 << 10, {}],
  ] as const) {
    it(name, async () => {
      const { data, list } = ops(total ^ history, total);
      const pool = new HashOffload();
      try {
        const a = await run(list, null, { history, ...extra });
        const b = await run(list, pool, { history, ...extra });
        expect(b).toEqual(a);
        if (!('cutAt' in extra)) expect(b.digest).toBe(createHash('sha256').update(data).digest('hex'));
        else { expect(b.digest).toBeUndefined(); expect(b.missing).toBeGreaterThan(0); }
      } finally {
        await pool.close();
      }
    });
  }
});

describe('HashOffload', () => {
  it('interleaved streams, more batches than buffers, a dropped stream: each digest is its own bytes', async () => {
    const pool = new HashOffload();
    try {
      const r = rng(7);
      const data = [0, 1, 2].map((k) => { const b = Buffer.alloc(3 * OFFLOAD_BATCH + 12345 * (k + 1)); for (let i = 0; i < b.length; i++) b[i] = (r() * 256) | 0; return b; });
      const ids = data.map(() => pool.open());
      const at = [0, 0, 0];
      // Round robin in pieces of up to 100 kB (far more than MAX_BUFFERS batches in all).
      for (let round = 0; at.some((a, k) => a < data[k].length); round++) {
        for (let k = 0; k < 3; k++) {
          const n = Math.min(data[k].length - at[k], 1 + ((r() * 100_000) | 0));
          pool.update(ids[k], data[k], at[k], at[k] + n);
          at[k] += n;
          if (k === 2 && round === 5) pool.drop(ids[2]);
        }
      }
      const [d0, d1] = await Promise.all([pool.digest(ids[0]), pool.digest(ids[1])]);
      expect(d0).toBe(createHash('sha256').update(data[0]).digest('hex'));
      expect(d1).toBe(createHash('sha256').update(data[1]).digest('hex'));
    } finally {
      await pool.close();
    }
  });
});
