/**
 * Data sequence numbers as Wireshark shows them by default (`mptcp.relative_sequence_numbers`): relative to
 * the sender's IDSN, so the first data byte is 1 and a DATA_FIN after N bytes is N + 1 (RFC 8684 §3.3: the
 * DATA_FIN takes one DSN after the data). DATA_ACKs are relative to the IDSN of the side they acknowledge.
 */
import type { SessionEvent } from './report-types.js';
import type { Session } from './model.js';
import { offsetBetween, u64FromBigInt } from './u64.js';
import { widen32 } from './seq-math.js';

const MOD64 = 1n << 64n;

/** (dsn - idsn) mod 2^64. */
export function relativeDsn(dsn: bigint, idsn: bigint): bigint {
  return (((dsn - idsn) % MOD64) + MOD64) % MOD64;
}

/**
 * Events whose DSN numbers the data their sender received, not sent: an MP_FAIL names the DSN at which the
 * receiver found the corruption (RFC 8684 §3.7), which lies in the peer's sequence space.
 */
const DSN_OF_PEER_DATA = new Set(['MP_FAIL']);

/** A session's IDSNs: from the report (decimal text) or the engine's model (bigint). */
interface IdsnSides {
  client: { idsn?: string | bigint };
  server: { idsn?: string | bigint };
}

/** The IDSN of the sequence space an event's DSN lies in, when the keys were captured. */
function idsnOfEvent(s: IdsnSides, e: SessionEvent): string | bigint | undefined {
  if (e.dir === undefined) return undefined;
  const senderIsClient = e.dir === 'c2s';
  const ownerIsClient = DSN_OF_PEER_DATA.has(e.type) ? !senderIsClient : senderIsClient;
  return (ownerIsClient ? s.client : s.server).idsn;
}

/** An event's DSN (decimal wire value) as relative text; the wire value, marked, when the IDSN is unknown. */
export function relativeDsnText(s: IdsnSides, e: SessionEvent, dsn: string): string {
  const idsn = idsnOfEvent(s, e);
  if (idsn === undefined || !/^\d+$/.test(dsn)) return `${dsn} (wire value: no IDSN)`;
  return relativeDsn(BigInt(dsn), BigInt(idsn)).toString();
}

/** The data-level base of direction `sdir` as [hi, lo]: IDSN + 1, or the first 64-bit DSN seen when the keys were not captured. */
function baseOf(s: Session, sdir: 0 | 1): [number, number] | undefined {
  return s.side(sdir).basePair ?? s.fallbackBase[sdir];
}

/**
 * The relative DSN (first data byte = 1) of a wire DSN or DATA_ACK (decimal text) in the sequence space of
 * direction `sdir`; null when that space's start is unknown or the value lies before it. A 32-bit value is
 * widened to the relative DSN closest to `near`.
 */
export function relativeOfWire(s: Session, sdir: 0 | 1, wire: string, is64: boolean, near: number): number | null {
  const base = baseOf(s, sdir);
  if (base === undefined || !/^\d+$/.test(wire)) return null;
  if (is64) {
    const [hi, lo] = u64FromBigInt(BigInt(wire));
    const off = offsetBetween(hi, lo, base[0], base[1]);
    return off < 0 ? null : off + 1;
  }
  const off = widen32((Number(wire) - base[1]) >>> 0, Math.max(0, near - 1));
  return off < 0 ? null : off + 1;
}
