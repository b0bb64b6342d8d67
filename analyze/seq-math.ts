/** Wrap-safe widening of 32-bit sequence numbers to Numbers (exact while below 2^53). */

const TWO32 = 0x1_0000_0000;

/** The value congruent to `low32` modulo 2^32 that is closest to `reference`. */
export function widen32(low32: number, reference: number): number {
  // Below 2^32 (nearly always) the base is 0: no floating-point modulo on the hot path.
  const base = reference < TWO32 ? 0 : reference - (reference % TWO32);
  let v = base + (low32 >>> 0);
  if (v - reference > TWO32 / 2) v -= TWO32;
  else if (reference - v > TWO32 / 2) v += TWO32;
  return v;
}
