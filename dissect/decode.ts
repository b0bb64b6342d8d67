import type { CaptureRecord } from './record.js';
import { decodeLink, type LinkResult } from './link.js';
import { decodeIpv4, decodeIpv6 } from './ip.js';
import { decodeTcp } from './tcp.js';
import type { DecodedPacket } from './packet.js';

const IPPROTO_TCP = 6;
const linkScratch: LinkResult = { ipVersion: 0, offset: 0, note: '' };

/** Decodes link, IP and TCP headers of `rec` into the reused `p`. Never throws on any bytes. */
export function decodePacket(rec: CaptureRecord, p: DecodedPacket): DecodedPacket {
  const buf = rec.data;
  p.data = buf;
  p.note = '';
  p.l3Offset = -1;
  p.ipVersion = 0;
  p.protocol = -1;
  p.fragment = false;
  p.isTcp = false;
  p.payloadLength = 0;
  p.payloadCaptured = 0;
  p.tcpHeaderLength = 0;
  p.ipPayloadLength = 0;
  const link = decodeLink(rec.linktype, buf, linkScratch);
  if (link.ipVersion === 0) { p.note = link.note; return p; }
  p.l3Offset = link.offset;
  const l4 = link.ipVersion === 4 ? decodeIpv4(buf, link.offset, p) : decodeIpv6(buf, link.offset, p);
  if (l4 < 0) return p;
  if (p.protocol !== IPPROTO_TCP) { p.note = `IP protocol ${p.protocol}`; return p; }
  decodeTcp(buf, l4, p.ipPayloadLength, p);
  return p;
}
