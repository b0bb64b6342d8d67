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

const pad2 = (v: number): string => (v < 10 ? `0${v}` : String(v));

/**
 * Local date and time with the capture's resolution, as `tshark -t ad` prints it:
 * `2026-11-23 15:10:45.577055` (µs captures) or `... .577055123` (ns captures). Times that a Date cannot
 * hold (pcapng allows 64-bit timestamps) fall back to epoch seconds.
 */
export function dateTimeText(sec: number, nsec: number, digits: number): string {
  const d = new Date(sec * 1000);
  if (!Number.isFinite(d.getTime()) || d.getFullYear() > 9999) return timestampText(sec, nsec, digits);
  const date = `${String(d.getFullYear()).padStart(4, '0')}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  if (digits <= 0) return `${date} ${time}`;
  const frac = String(nsec);
  return `${date} ${time}.${(ZEROS.slice(frac.length) + frac).slice(0, Math.min(digits, 9))}`;
}

/** The same for a time in (fractional) epoch seconds, at microsecond resolution (analysis reports keep floats). */
export function dateTimeOfSeconds(t: number): string {
  const us = Math.round(t * 1e6);
  const sec = Math.floor(us / 1e6);
  return dateTimeText(sec, (us - sec * 1e6) * 1000, 6);
}
