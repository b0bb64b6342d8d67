import type { DecodedPacket } from './packet.js';
import { be16 } from './bytes.js';

/** IPv4 header at `off`: fills addresses, protocol, payload length; returns the transport offset or -1. */
export function decodeIpv4(buf: Buffer, off: number, p: DecodedPacket): number {
  if (off + 20 > p.end) { p.note = 'IPv4 header truncated'; return -1; }
  const ihl = (buf[off] & 0x0f) * 4;
  if (ihl < 20) { p.note = `IPv4 header length ${ihl} is below 20`; return -1; }
  if (off + ihl > p.end) { p.note = 'IPv4 options truncated'; return -1; }
  const totalLength = be16(buf, off + 2);
  const fragField = be16(buf, off + 6);
  p.ipVersion = 4;
  p.protocol = buf[off + 9];
  p.srcOffset = off + 12;
  p.dstOffset = off + 16;
  // TSO captures show a total length of 0; fall back to what was captured.
  p.ipPayloadLength = totalLength >= ihl ? totalLength - ihl : p.end - off - ihl;
  // Only the first fragment (offset 0) carries the transport header.
  if ((fragField & 0x1fff) !== 0) { p.fragment = true; p.note = 'IPv4 non-first fragment'; return -1; }
  return off + ihl;
}

const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
const IPV6_DEST_OPTS = 60;

/** IPv6 header and extension headers at `off`; returns the transport offset or -1. */
export function decodeIpv6(buf: Buffer, off: number, p: DecodedPacket): number {
  if (off + 40 > p.end) { p.note = 'IPv6 header truncated'; return -1; }
  p.ipVersion = 6;
  p.srcOffset = off + 8;
  p.dstOffset = off + 24;
  let remaining = be16(buf, off + 4);
  let next = buf[off + 6];
  let cur = off + 40;
  for (;;) {
    if (next === IPV6_HOP_BY_HOP || next === IPV6_ROUTING || next === IPV6_DEST_OPTS || next === IPV6_AH) {
      if (cur + 2 > p.end) { p.note = 'IPv6 extension header truncated'; p.protocol = next; return -1; }
      // AH counts its length in 4-byte units minus 2; the others in 8-byte units minus 1.
      const extLen = next === IPV6_AH ? (buf[cur + 1] + 2) * 4 : (buf[cur + 1] + 1) * 8;
      next = buf[cur];
      cur += extLen;
      remaining -= extLen;
    } else if (next === IPV6_FRAGMENT) {
      if (cur + 8 > p.end) { p.note = 'IPv6 fragment header truncated'; p.protocol = next; return -1; }
      const fragOffset = be16(buf, cur + 2) >> 3;
      next = buf[cur];
      cur += 8;
      remaining -= 8;
      if (fragOffset !== 0) { p.protocol = next; p.fragment = true; p.note = 'IPv6 non-first fragment'; return -1; }
    } else break;
  }
  p.protocol = next;
  p.ipPayloadLength = remaining >= 0 ? remaining : 0;
  if (cur > p.end) { p.note = 'IPv6 extension headers truncated'; return -1; }
  return cur;
}
