/** Wrap-safe widening of 32-bit sequence numbers to Numbers (exact while below 2^53). */

const TWO32 = 0x1_0000_0000;

/** The value congruent to `low32` modulo 2^32 that is closest to `reference`. */
export function widen32(low32: number, reference: number): number {
  const base = reference - (reference % TWO32);
  let v = base + (low32 >>> 0);
  if (v - reference > TWO32 / 2) v -= TWO32;
  else if (reference - v > TWO32 / 2) v += TWO32;
  return v;
}

/** (a - b) mod 2^32 as an unsigned Number. */
export function diff32(a: number, b: number): number {
  return (a - b) >>> 0;
}

const MASK64 = (1n << 64n) - 1n;

/** (a - b) mod 2^64. */
export function diff64(a: bigint, b: bigint): bigint {
  return (a - b) & MASK64;
}

/**
 * Data-level offset of a DSN relative to `base` (the first data DSN, IDSN + 1).
 * A 64-bit DSN is exact; a 32-bit DSN is widened to the offset nearest `reference` (RFC 8684 §3.3.1:
 * the upper bits are implied by the data already exchanged).
 */
export function dsnToOffset(dsn: bigint, is64: boolean, base: bigint, reference: number): number {
  if (is64) {
    const d = diff64(dsn, base);
    return d <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : -1;
  }
  const low = Number((dsn - base) & 0xffffffffn);
  return widen32(low, reference);
}

/** The 64-bit DSN at a data-level offset. */
export function offsetToDsn(offset: number, base: bigint): bigint {
  return (base + BigInt(offset)) & MASK64;
}
