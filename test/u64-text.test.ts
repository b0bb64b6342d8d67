import { describe, expect, it } from 'vitest';
import { u64ToDecimal } from '../dissect/u64-text.js';

describe('u64ToDecimal', () => {
  it('agrees with BigInt on edge values and 20,000 pseudo-random ones', () => {
    const cases: Array<[number, number]> = [[0, 0], [0, 1], [0, 0xffffffff], [1, 0], [0xffffffff, 0xffffffff], [0x1fffff, 0xffffffff], [0x200000, 0], [0xffff, 0xffffffff], [0x10000, 0]];
    let x = 0x12345678;
    const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
    for (let i = 0; i < 20_000; i++) cases.push([next(), next()]);
    for (const [hi, lo] of cases) {
      expect(u64ToDecimal(hi, lo), `${hi}:${lo}`).toBe(((BigInt(hi) << 32n) | BigInt(lo)).toString());
    }
  });
});
