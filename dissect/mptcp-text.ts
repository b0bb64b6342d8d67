import type { MptcpOption } from './mptcp.js';

/**
 * Data sequence numbers of an option as a text output shows them instead of the wire values: relative to
 * the IDSN (first data byte = 1, as Wireshark does), computed by the analysis (analyze/relative-dsn.ts).
 */
export interface RelativeDsns {
  /** The DSS mapping's DSN, or MP_FAIL's DSN. */
  dsn?: string;
  /** The DSS data ACK. */
  dataAck?: string;
}

/** Short one-line form of an MPTCP option, as in `dissect` packet lines; `rel` replaces wire DSNs. */
export function mptcpShort(o: MptcpOption, rel?: RelativeDsns | null): string {
  if (o.truncated) return `${o.subtype} [cut by snaplen]`;
  if (o.malformed) return `${o.subtype} [malformed: ${o.malformed}]`;
  const parts: string[] = [o.subtype];
  switch (o.subtype) {
    case 'MP_CAPABLE':
      parts.push(`v${o.version}`);
      if (o.flags) parts.push(`flags=${o.flags}`);
      if (o.senderKey) parts.push(`skey=${o.senderKey}`);
      if (o.receiverKey) parts.push(`rkey=${o.receiverKey}`);
      if (o.dataLevelLength !== undefined) parts.push(`len=${o.dataLevelLength}`);
      if (o.checksum) parts.push(`csum=${o.checksum}`);
      break;
    case 'MP_JOIN':
      parts.push(o.phase ?? '');
      if (o.phase !== 'ACK') parts.push(`id=${o.addressId}`);
      if (o.receiverToken) parts.push(`token=${o.receiverToken}`);
      if (o.senderHmac) parts.push(`hmac=${o.senderHmac}`);
      if (o.senderNonce) parts.push(`nonce=${o.senderNonce}`);
      if (o.backup) parts.push('backup');
      break;
    case 'DSS':
      if (o.dataAck !== undefined) parts.push(rel?.dataAck !== undefined ? `ack=${rel.dataAck}` : `ack=${o.dataAck}${o.dataAck64 ? '' : '/32'}`);
      if (o.dsn !== undefined) {
        parts.push(rel?.dsn !== undefined ? `dsn=${rel.dsn}` : `dsn=${o.dsn}${o.dsn64 ? '' : '/32'}`, `ssn=${o.subflowSeq}`, `len=${o.dataLevelLength}`);
      }
      if (o.checksum) parts.push(`csum=${o.checksum}`);
      if (o.dataFin) parts.push('DATA_FIN');
      break;
    case 'ADD_ADDR':
      parts.push(`id=${o.addressId}`, o.port !== undefined ? `${o.ipVersion === 6 ? `[${o.address}]` : o.address}:${o.port}` : `${o.address}`);
      if (o.hmac) parts.push(`hmac=${o.hmac}`);
      if (o.echo) parts.push('echo');
      if (o.echo === undefined) parts.push('v0');
      break;
    case 'REMOVE_ADDR':
      parts.push(`ids=${(o.addressIds ?? []).join(',')}`);
      break;
    case 'MP_PRIO':
      parts.push(o.backup ? 'backup' : 'nobackup');
      if (o.addressId !== undefined) parts.push(`id=${o.addressId}`);
      break;
    case 'MP_FAIL':
      parts.push(`dsn=${rel?.dsn ?? o.dsn}`);
      break;
    case 'MP_FASTCLOSE':
      parts.push(`key=${o.receiverKey}`);
      break;
    case 'MP_TCPRST':
      parts.push(`reason=${o.reason} (${o.reasonName})`);
      if (o.flags) parts.push(`flags=${o.flags}`);
      break;
    default:
      parts.push(`subtype=${o.subtypeValue}`, `raw=${o.raw ?? ''}`);
  }
  return parts.join(' ');
}

/** Field lines of an MPTCP option for the `-V` tree: [label, value] pairs with names as in the JSON contract. */
export function mptcpFields(o: MptcpOption): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const skip = new Set(['subtype', 'subtypeValue', 'length']);
  for (const [k, v] of Object.entries(o)) {
    if (skip.has(k) || v === undefined) continue;
    rows.push([k, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  return rows;
}
