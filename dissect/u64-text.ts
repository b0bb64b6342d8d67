/**
 * Decimal text of a 64-bit unsigned value given as two 32-bit halves, without BigInt (the NDJSON writer
 * prints a 64-bit DSN for nearly every packet). Works in base 10^8 with exact Number arithmetic:
 * value = a·2^48 + b·2^32 + lo with a, b the 16-bit halves of hi.
 */
const E8 = 100_000_000;

export function u64ToDecimal(hi: number, lo: number): string {
  if (hi === 0) return String(lo >>> 0);
  const a = hi >>> 16;
  const b = hi & 0xffff;
  // 2^48 = 2814749·10^8 + 76710656 and 2^32 = 42·10^8 + 94967296.
  let low = a * 76_710_656 + b * 94_967_296 + (lo >>> 0);
  const carry = Math.floor(low / E8);
  low -= carry * E8;
  const high = a * 2_814_749 + b * 42 + carry;
  if (high === 0) return String(low);
  const lowText = String(low);
  return String(high) + '00000000'.slice(lowText.length) + lowText;
}
