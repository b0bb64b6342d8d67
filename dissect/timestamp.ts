/** Timestamp text helpers: full-resolution absolute times and relative seconds. */

const ZEROS = '000000000';

/** `1700000000.123456` (µs captures) or `1700000000.123456789` (ns captures): as many digits as the capture has. */
export function timestampText(sec: number, nsec: number, digits: number): string {
  if (digits <= 0) return String(sec);
  const frac = String(nsec);
  const padded = ZEROS.slice(frac.length) + frac;
  return `${sec}.${padded.slice(0, Math.min(digits, 9))}`;
}

/** Seconds between two timestamps as a number (for display; sub-ns precision is not needed). */
export function secondsBetween(sec0: number, nsec0: number, sec: number, nsec: number): number {
  return sec - sec0 + (nsec - nsec0) / 1e9;
}
