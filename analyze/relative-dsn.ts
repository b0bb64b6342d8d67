/**
 * Data sequence numbers as Wireshark shows them by default (`mptcp.relative_sequence_numbers`): relative to
 * the sender's IDSN, so the first data byte is 1 and a DATA_FIN after N bytes is N + 1 (RFC 8684 §3.3: the
 * DATA_FIN takes one DSN after the data). DATA_ACKs are relative to the IDSN of the side they acknowledge.
 */
import type { SessionEvent, SessionReport } from './report-types.js';

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

/** The IDSN (decimal text) of the sequence space an event's DSN lies in, when the keys were captured. */
function idsnOfEvent(s: SessionReport, e: SessionEvent): string | undefined {
  if (e.dir === undefined) return undefined;
  const senderIsClient = e.dir === 'c2s';
  const ownerIsClient = DSN_OF_PEER_DATA.has(e.type) ? !senderIsClient : senderIsClient;
  return (ownerIsClient ? s.client : s.server).idsn;
}

/** An event's DSN (decimal wire value) as relative text; the wire value, marked, when the IDSN is unknown. */
export function relativeDsnText(s: SessionReport, e: SessionEvent, dsn: string): string {
  const idsn = idsnOfEvent(s, e);
  if (idsn === undefined || !/^\d+$/.test(dsn)) return `${dsn} (wire value: no IDSN)`;
  return relativeDsn(BigInt(dsn), BigInt(idsn)).toString();
}
