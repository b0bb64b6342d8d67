/**
 * 64-bit sequence arithmetic on (hi, lo) pairs of 32-bit Numbers, for DSNs and data ACKs on the hot path
 * (no BigInt). Offsets are exact Numbers below 2^53.
 */

const TWO32 = 0x1_0000_0000;
const MAX_SAFE_HI = 0x1f_ffff; // hi part of 2^53 - 1

/** (a - b) mod 2^64 as a Number, or -1 when it is 2^53 or more (not a plausible offset). */
export function offsetBetween(aHi: number, aLo: number, bHi: number, bLo: number): number {
  let lo = aLo - bLo;
  let borrow = 0;
  if (lo < 0) { lo += TWO32; borrow = 1; }
  const hi = (aHi - bHi - borrow) >>> 0;
  return hi > MAX_SAFE_HI ? -1 : hi * TWO32 + lo;
}

/** Writes (base + offset) mod 2^64 into `out` as [hi, lo]. */
export function addOffset(baseHi: number, baseLo: number, offset: number, out: [number, number]): [number, number] {
  const offLo = offset % TWO32;
  const offHi = Math.floor(offset / TWO32);
  let lo = baseLo + offLo;
  let carry = 0;
  if (lo >= TWO32) { lo -= TWO32; carry = 1; }
  out[0] = (baseHi + offHi + carry) >>> 0;
  out[1] = lo;
  return out;
}

export function u64Decimal(hi: number, lo: number): string {
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

export function u64FromBigInt(v: bigint): [number, number] {
  return [Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}
