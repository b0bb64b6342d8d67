/**
 * MPTCP option (TCP kind 30) decoding for protocol v0 (RFC 6824) and v1 (RFC 8684).
 * One function per subtype; each picks its layout from the option length and flags only.
 * Field names are the NDJSON contract of `dissect --json` (docs/dissect-json.md).
 */

import { ipv4Text, ipv6Text } from './address.js';
import { DSS_M, dssBaseLength, newDssFields, readDss } from './dss-fields.js';
import { u64ToDecimal } from './u64-text.js';

export { dssBaseLength };

export type MptcpSubtypeName =
  | 'MP_CAPABLE' | 'MP_JOIN' | 'DSS' | 'ADD_ADDR' | 'REMOVE_ADDR' | 'MP_PRIO' | 'MP_FAIL'
  | 'MP_FASTCLOSE' | 'MP_TCPRST' | 'MP_EXPERIMENTAL' | 'UNKNOWN';

export const SUBTYPE_NAMES: readonly MptcpSubtypeName[] = [
  'MP_CAPABLE', 'MP_JOIN', 'DSS', 'ADD_ADDR', 'REMOVE_ADDR', 'MP_PRIO', 'MP_FAIL', 'MP_FASTCLOSE', 'MP_TCPRST',
];

export const MP_CAPABLE = 0;
export const MP_JOIN = 1;
export const DSS = 2;
export const ADD_ADDR = 3;
export const REMOVE_ADDR = 4;
export const MP_PRIO = 5;
export const MP_FAIL = 6;
export const MP_FASTCLOSE = 7;
export const MP_TCPRST = 8;
export const MP_EXPERIMENTAL = 0xf;

export interface MptcpOption {
  subtype: MptcpSubtypeName;
  /** The 4-bit subtype value from the wire. */
  subtypeValue: number;
  /** The option's length byte. */
  length: number;
  /** Why the option is malformed; fields are then absent. */
  malformed?: string;
  /** The option was cut by the capture's snaplen; fields are then absent. */
  truncated?: boolean;
  // MP_CAPABLE
  version?: number;
  flags?: string;
  senderKey?: string;
  receiverKey?: string;
  dataLevelLength?: number;
  checksum?: string;
  // MP_JOIN
  phase?: 'SYN' | 'SYN/ACK' | 'ACK';
  backup?: boolean;
  addressId?: number;
  receiverToken?: string;
  senderNonce?: string;
  senderHmac?: string;
  // DSS
  dataAck?: string;
  dataAck64?: boolean;
  dsn?: string;
  dsn64?: boolean;
  subflowSeq?: number;
  dataFin?: boolean;
  // ADD_ADDR
  echo?: boolean;
  ipVersion?: number;
  address?: string;
  port?: number;
  hmac?: string;
  // REMOVE_ADDR
  addressIds?: number[];
  // MP_TCPRST
  reason?: number;
  reasonName?: string;
  /** Option bytes after kind and length (subtype byte included), for MP_EXPERIMENTAL and unknown subtypes. */
  raw?: string;
}

function hex(buf: Buffer, off: number, len: number): string {
  return buf.toString('hex', off, off + len);
}

function u64dec(buf: Buffer, off: number): string {
  return u64ToDecimal(buf.readUInt32BE(off), buf.readUInt32BE(off + 4));
}

function flagLetters(byte: number, letters: string, firstBit: number): string {
  let s = '';
  for (let i = 0; i < letters.length; i++) if (byte & (firstBit >> i)) s += letters[i];
  return s;
}

function malformed(o: MptcpOption, reason: string): MptcpOption {
  o.malformed = reason;
  return o;
}

/** MP_CAPABLE, RFC 8684 §3.1 / RFC 6824 §3.1: lengths 4 (v1 SYN), 12, 20, 22 (+data length), 24 (+checksum). */
function decodeMpCapable(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  if (len < 4) return malformed(o, `MP_CAPABLE length ${len} is below 4`);
  o.version = buf[off + 2] & 0x0f;
  o.flags = flagLetters(buf[off + 3], 'ABCDEFGH', 0x80);
  switch (len) {
    case 4:
      if (o.version === 0) return malformed(o, 'MP_CAPABLE v0 needs a key (length 12 or 20), not length 4');
      return o;
    case 12:
      o.senderKey = hex(buf, off + 4, 8);
      return o;
    case 20:
    case 22:
    case 24:
      o.senderKey = hex(buf, off + 4, 8);
      o.receiverKey = hex(buf, off + 12, 8);
      if (len >= 22) {
        if (o.version === 0) return malformed(o, `MP_CAPABLE v0 length ${len} is not 12 or 20`);
        o.dataLevelLength = buf.readUInt16BE(off + 20);
      }
      if (len === 24) o.checksum = hex(buf, off + 22, 2);
      return o;
    default:
      return malformed(o, `MP_CAPABLE length ${len} is not 4, 12, 20, 22 or 24`);
  }
}

/** MP_JOIN, RFC 8684 §3.2: SYN (12), SYN/ACK (16), third ACK (24). */
function decodeMpJoin(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  switch (len) {
    case 12:
      o.phase = 'SYN';
      o.backup = (buf[off + 2] & 0x01) !== 0;
      o.addressId = buf[off + 3];
      o.receiverToken = hex(buf, off + 4, 4);
      o.senderNonce = hex(buf, off + 8, 4);
      return o;
    case 16:
      o.phase = 'SYN/ACK';
      o.backup = (buf[off + 2] & 0x01) !== 0;
      o.addressId = buf[off + 3];
      o.senderHmac = hex(buf, off + 4, 8);
      o.senderNonce = hex(buf, off + 12, 4);
      return o;
    case 24:
      o.phase = 'ACK';
      o.senderHmac = hex(buf, off + 4, 20);
      return o;
    default:
      return malformed(o, `MP_JOIN length ${len} is not 12 (SYN), 16 (SYN/ACK) or 24 (ACK)`);
  }
}

const dssScratch = newDssFields();

/** DSS, RFC 8684 §3.3: read in place by readDss (each width from its own flag), then given text form. */
function decodeDss(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  if (len < 4) return malformed(o, `DSS length ${len} is below 4`);
  const f = buf[off + 3];
  o.flags = flagLetters(f, 'FmMaA', 0x10);
  const d = dssScratch;
  if (!readDss(buf, off, len, d)) {
    const base = dssBaseLength(f);
    return malformed(o, `DSS length ${len} does not match its flags (expected ${base}${f & DSS_M ? ` or ${base + 2}` : ''})`);
  }
  if (d.hasAck) {
    o.dataAck64 = d.ack64;
    o.dataAck = d.ack64 ? u64Text(d.ackHi, d.ackLo) : String(d.ackLo);
  }
  if (d.hasMap) {
    o.dsn64 = d.dsn64;
    o.dsn = d.dsn64 ? u64Text(d.dsnHi, d.dsnLo) : String(d.dsnLo);
    o.subflowSeq = d.ssn;
    o.dataLevelLength = d.dataLevelLength;
    if (d.checksum >= 0) o.checksum = d.checksum.toString(16).padStart(4, '0');
  }
  o.dataFin = d.dataFin;
  return o;
}

function u64Text(hi: number, lo: number): string {
  return u64ToDecimal(hi, lo);
}

/**
 * ADD_ADDR. v1 (RFC 8684 §3.4.1): low nibble is reserved bits + E (echo); truncated HMAC when not an echo.
 * v0 (RFC 6824 §3.4.1): low nibble is IPVer (4 or 6), no HMAC. Address family and HMAC follow from length.
 */
function decodeAddAddr(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  const nibble = buf[off + 2] & 0x0f;
  if (len < 4) return malformed(o, `ADD_ADDR length ${len} is below 4`);
  o.addressId = buf[off + 3];
  if (nibble === 4 || nibble === 6) {
    // v0 layout: the IP version is explicit.
    const addrLen = nibble === 4 ? 4 : 16;
    if (len !== 4 + addrLen && len !== 6 + addrLen) {
      return malformed(o, `ADD_ADDR (v0, IPv${nibble}) length ${len} is not ${4 + addrLen} or ${6 + addrLen}`);
    }
    o.ipVersion = nibble;
    o.address = addrText(buf, off + 4, addrLen);
    if (len === 6 + addrLen) o.port = buf.readUInt16BE(off + 4 + addrLen);
    return o;
  }
  if (nibble > 1) return malformed(o, `ADD_ADDR flags 0x${nibble.toString(16)} are neither v1 (E) nor v0 (IPVer 4 or 6)`);
  o.echo = nibble === 1;
  let addrLen: number;
  let hasPort: boolean;
  let hasHmac: boolean;
  switch (len) {
    case 8: addrLen = 4; hasPort = false; hasHmac = false; break;
    case 10: addrLen = 4; hasPort = true; hasHmac = false; break;
    case 16: addrLen = 4; hasPort = false; hasHmac = true; break;
    case 18: addrLen = 4; hasPort = true; hasHmac = true; break;
    case 20: addrLen = 16; hasPort = false; hasHmac = false; break;
    case 22: addrLen = 16; hasPort = true; hasHmac = false; break;
    case 28: addrLen = 16; hasPort = false; hasHmac = true; break;
    case 30: addrLen = 16; hasPort = true; hasHmac = true; break;
    default:
      return malformed(o, `ADD_ADDR length ${len} is not one of 8, 10, 16, 18 (IPv4) or 20, 22, 28, 30 (IPv6)`);
  }
  o.ipVersion = addrLen === 4 ? 4 : 6;
  o.address = addrText(buf, off + 4, addrLen);
  let p = off + 4 + addrLen;
  if (hasPort) { o.port = buf.readUInt16BE(p); p += 2; }
  if (hasHmac) o.hmac = hex(buf, p, 8);
  return o;
}

function addrText(buf: Buffer, off: number, len: number): string {
  return len === 4 ? ipv4Text(buf, off) : ipv6Text(buf, off);
}

/** REMOVE_ADDR, RFC 8684 §3.4.2: one or more address IDs. */
function decodeRemoveAddr(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  if (len < 4) return malformed(o, `REMOVE_ADDR length ${len} lists no address ID`);
  o.addressIds = [];
  for (let i = 3; i < len; i++) o.addressIds.push(buf[off + i]);
  return o;
}

/** MP_PRIO, RFC 8684 §3.3.8 (length 3) and RFC 6824 §3.3.8 (length 3 or 4 with address ID). */
function decodeMpPrio(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  if (len !== 3 && len !== 4) return malformed(o, `MP_PRIO length ${len} is not 3 or 4`);
  o.backup = (buf[off + 2] & 0x01) !== 0;
  if (len === 4) o.addressId = buf[off + 3];
  return o;
}

/** MP_FAIL, RFC 8684 §3.7: 64-bit DSN. */
function decodeMpFail(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  if (len !== 12) return malformed(o, `MP_FAIL length ${len} is not 12`);
  o.dsn = u64dec(buf, off + 4);
  return o;
}

/** MP_FASTCLOSE, RFC 8684 §3.5: the receiver's key. */
function decodeMpFastclose(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  if (len !== 12) return malformed(o, `MP_FASTCLOSE length ${len} is not 12`);
  o.receiverKey = hex(buf, off + 4, 8);
  return o;
}

/** MP_TCPRST reason codes, RFC 8684 §3.6 (IANA "MPTCP TCPRST Reason Codes"). */
export const TCPRST_REASONS: Record<number, string> = {
  0: 'Unspecified error',
  1: 'MPTCP-specific error',
  2: 'Lack of resources',
  3: 'Administratively prohibited',
  4: 'Too much outstanding data',
  5: 'Unacceptable performance',
  6: 'Middlebox interference',
};

/** MP_TCPRST, RFC 8684 §3.6: flags U V W T and a reason code. */
function decodeMpTcpRst(buf: Buffer, off: number, len: number, o: MptcpOption): MptcpOption {
  if (len !== 4) return malformed(o, `MP_TCPRST length ${len} is not 4`);
  o.flags = flagLetters(buf[off + 2], 'UVWT', 0x08);
  o.reason = buf[off + 3];
  o.reasonName = TCPRST_REASONS[o.reason] ?? `Unassigned (${o.reason})`;
  return o;
}

/**
 * Decodes the MPTCP option whose kind byte is at `off` with length byte `len`; the caller has checked
 * that `len` bytes from `off` lie inside the TCP header and inside the captured bytes.
 */
export function decodeMptcpOption(buf: Buffer, off: number, len: number): MptcpOption {
  if (len < 3) {
    return { subtype: 'UNKNOWN', subtypeValue: -1, length: len, malformed: `MPTCP option length ${len} is below 3` };
  }
  const value = buf[off + 2] >> 4;
  const name: MptcpSubtypeName =
    value < SUBTYPE_NAMES.length ? SUBTYPE_NAMES[value] : value === MP_EXPERIMENTAL ? 'MP_EXPERIMENTAL' : 'UNKNOWN';
  const o: MptcpOption = { subtype: name, subtypeValue: value, length: len };
  switch (value) {
    case MP_CAPABLE: return decodeMpCapable(buf, off, len, o);
    case MP_JOIN: return decodeMpJoin(buf, off, len, o);
    case DSS: return decodeDss(buf, off, len, o);
    case ADD_ADDR: return decodeAddAddr(buf, off, len, o);
    case REMOVE_ADDR: return decodeRemoveAddr(buf, off, len, o);
    case MP_PRIO: return decodeMpPrio(buf, off, len, o);
    case MP_FAIL: return decodeMpFail(buf, off, len, o);
    case MP_FASTCLOSE: return decodeMpFastclose(buf, off, len, o);
    case MP_TCPRST: return decodeMpTcpRst(buf, off, len, o);
    default:
      o.raw = hex(buf, off + 2, len - 2);
      return o;
  }
}

