/** Link-layer decoding: finds the network-layer header inside a frame. */
import { be16 } from './bytes.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_RAW_ALIAS12 = 12;
export const LINKTYPE_RAW_ALIAS14 = 14;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const LINKTYPE_NAMES: Record<number, string> = {
  [LINKTYPE_NULL]: 'null', [LINKTYPE_ETHERNET]: 'ether', [LINKTYPE_PPP]: 'ppp', [LINKTYPE_RAW_ALIAS12]: 'raw',
  [LINKTYPE_RAW_ALIAS14]: 'raw', [LINKTYPE_PPP_HDLC]: 'ppp-hdlc', [LINKTYPE_RAW]: 'raw', [LINKTYPE_LOOP]: 'loop',
  [LINKTYPE_LINUX_SLL]: 'linux-sll', [LINKTYPE_IPV4]: 'ipv4', [LINKTYPE_IPV6]: 'ipv6', [LINKTYPE_LINUX_SLL2]: 'linux-sll2',
};

export function linktypeName(linktype: number): string {
  return LINKTYPE_NAMES[linktype] ?? `linktype-${linktype}`;
}

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;

/** Result of link decoding: IP version (4/6) and offset, or 0 with a reason. */
export interface LinkResult {
  ipVersion: number;
  offset: number;
  note: string;
}

function fromEthertype(r: LinkResult, ethertype: number, offset: number): LinkResult {
  r.offset = offset;
  if (ethertype === ETHERTYPE_IPV4) r.ipVersion = 4;
  else if (ethertype === ETHERTYPE_IPV6) r.ipVersion = 6;
  else { r.ipVersion = 0; r.note = `ethertype 0x${ethertype.toString(16).padStart(4, '0')} is not IP`; }
  return r;
}

function fromFirstNibble(r: LinkResult, buf: Buffer, offset: number, end: number): LinkResult {
  r.offset = offset;
  if (offset >= end) { r.ipVersion = 0; r.note = 'no network header captured'; return r; }
  const v = buf[offset] >> 4;
  if (v === 4 || v === 6) r.ipVersion = v;
  else { r.ipVersion = 0; r.note = `IP version ${v} unknown`; }
  return r;
}

/** BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 differs by OS (24, 28, 30; 10 on Linux). */
function fromAddressFamily(r: LinkResult, family: number, offset: number): LinkResult {
  r.offset = offset;
  if (family === 2) r.ipVersion = 4;
  else if (family === 24 || family === 28 || family === 30 || family === 10) r.ipVersion = 6;
  else { r.ipVersion = 0; r.note = `address family ${family} is not IP`; }
  return r;
}

function fromPppProtocol(r: LinkResult, protocol: number, offset: number): LinkResult {
  r.offset = offset;
  if (protocol === 0x0021) r.ipVersion = 4;
  else if (protocol === 0x0057) r.ipVersion = 6;
  else { r.ipVersion = 0; r.note = `PPP protocol 0x${protocol.toString(16).padStart(4, '0')} is not IP`; }
  return r;
}

/**
 * Decodes the link header for `linktype` of the frame `buf[start .. end)` (default: all of `buf`) into `r`
 * (reused). `r.offset` is absolute into `buf`.
 */
export function decodeLink(linktype: number, buf: Buffer, r: LinkResult, start = 0, end = buf.length): LinkResult {
  r.note = '';
  r.ipVersion = 0;
  r.offset = start;
  const len = end - start;
  const s = start;
  switch (linktype) {
    case LINKTYPE_ETHERNET: {
      if (len < 14) { r.note = 'Ethernet header truncated'; return r; }
      let off = 12;
      let ethertype = be16(buf, s + off);
      // 802.1Q, 802.1ad (QinQ) and the old 0x9100 tag: each adds 4 bytes before the real ethertype.
      while (ethertype === ETHERTYPE_VLAN || ethertype === ETHERTYPE_QINQ || ethertype === ETHERTYPE_QINQ_OLD) {
        off += 4;
        if (off + 2 > len) { r.note = 'VLAN tag truncated'; return r; }
        ethertype = be16(buf, s + off);
      }
      return fromEthertype(r, ethertype, s + off + 2);
    }
    case LINKTYPE_LINUX_SLL:
      if (len < 16) { r.note = 'Linux cooked header truncated'; return r; }
      return fromEthertype(r, be16(buf, s + 14), s + 16);
    case LINKTYPE_LINUX_SLL2:
      if (len < 20) { r.note = 'Linux cooked v2 header truncated'; return r; }
      return fromEthertype(r, be16(buf, s), s + 20);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_ALIAS12:
    case LINKTYPE_RAW_ALIAS14:
      return fromFirstNibble(r, buf, s, end);
    case LINKTYPE_IPV4:
      r.offset = s; r.ipVersion = 4; return r;
    case LINKTYPE_IPV6:
      r.offset = s; r.ipVersion = 6; return r;
    case LINKTYPE_NULL: {
      if (len < 4) { r.note = 'loopback header truncated'; return r; }
      // Host byte order of the capturing machine: a value above 0xffff means the other order.
      const le = buf.readUInt32LE(s);
      return fromAddressFamily(r, le > 0xffff ? buf.readUInt32BE(s) : le, s + 4);
    }
    case LINKTYPE_LOOP:
      if (len < 4) { r.note = 'loopback header truncated'; return r; }
      return fromAddressFamily(r, buf.readUInt32BE(s), s + 4);
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC: {
      let off = 0;
      if (len >= 2 && buf[s] === 0xff && buf[s + 1] === 0x03) off = 2; // HDLC address and control bytes
      if (off + 1 > len) { r.note = 'PPP header truncated'; return r; }
      // Protocol field compression: an odd first byte is a one-byte protocol.
      if (buf[s + off] & 1) return fromPppProtocol(r, buf[s + off], s + off + 1);
      if (off + 2 > len) { r.note = 'PPP header truncated'; return r; }
      return fromPppProtocol(r, be16(buf, s + off), s + off + 2);
    }
    default:
      r.note = `unsupported link type ${linktype}`;
      return r;
  }
}
