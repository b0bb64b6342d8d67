/**
 * Small deterministic PRNG (sfc32 seeded through splitmix32) for the mutation fuzzer: every case is a pure
 * function of (seed, case index), so a crash found by any worker can be regenerated from its index alone.
 */

function splitmix32(state: number): [number, number] {
  let z = (state + 0x9e3779b9) >>> 0;
  const next = z;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [(z ^ (z >>> 16)) >>> 0, next];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator for case `index` of run `seed`. */
  constructor(seed: number, index = 0) {
    let s = (seed ^ Math.imul(index >>> 0, 0x27d4eb2d)) >>> 0;
    let v: number;
    [v, s] = splitmix32(s ^ Math.floor(index / 0x100000000));
    this.a = v;
    [v, s] = splitmix32(s);
    this.b = v;
    [v, s] = splitmix32(s);
    this.c = v;
    [v, s] = splitmix32(s);
    this.d = v | 1;
    for (let i = 0; i < 8; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (n <= 1) return 0;
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor(((this.u32() * 0x100000000 + this.u32()) / 2 ** 64) * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  byte(): number {
    return this.u32() & 0xff;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(items: ReadonlyArray<readonly [number, T]>): T {
    let total = 0;
    for (const [w] of items) total += w;
    let r = (this.u32() / 0x100000000) * total;
    for (const [w, v] of items) {
      if (r < w) return v;
      r -= w;
    }
    return items[items.length - 1][1];
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  /** A small count, biased toward 1: 1 + geometric(p). */
  small(max: number, p = 0.5): number {
    let n = 1;
    while (n < max && this.chance(p)) n++;
    return n;
  }
}

/** FNV-1a over up to the first and last 64 bytes and the length: a cheap, content-derived 32-bit hash. */
export function quickHash(buf: Buffer): number {
  let h = 0x811c9dc5 ^ buf.length;
  const n = buf.length;
  const head = Math.min(n, 64);
  for (let i = 0; i < head; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  for (let i = Math.max(head, n - 64); i < n; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}
