import type { CaptureRecord } from './record.js';
import { decodeLink, type LinkResult } from './link.js';
import { decodeIpv4, decodeIpv6 } from './ip.js';
import { decodeTcp } from './tcp.js';
import type { DecodedPacket } from './packet.js';

const IPPROTO_TCP = 6;
const linkScratch: LinkResult = { ipVersion: 0, offset: 0, note: '' };

/**
 * Decodes link, IP and TCP headers of `rec` into the reused `p`. Never throws on any bytes.
 * `p.data` is `rec.data`: offsets start at 0 and `p.end` is the captured length.
 */
export function decodePacket(rec: CaptureRecord, p: DecodedPacket): DecodedPacket {
  const buf = rec.data;
  return decodeFrame(rec.linktype, buf, 0, buf.length, p);
}

/**
 * Same, but for the capture reader's own record decodes in place in the reader's chunk (`rec.buf`, from
 * `rec.off`) without creating the `data` view: `p.data` is then the whole chunk, every offset is absolute
 * into it and `p.end` bounds the captured bytes. Any other record (no `buf`) is decoded from `rec.data`.
 * Consumers must treat `p.data` only through the offsets and `p.end`, never through its length or index 0.
 */
export function decodePacketInChunk(rec: CaptureRecord, p: DecodedPacket): DecodedPacket {
  const chunk = rec.buf;
  if (chunk === undefined) {
    const buf = rec.data;
    return decodeFrame(rec.linktype, buf, 0, buf.length, p);
  }
  const start = rec.off!;
  return decodeFrame(rec.linktype, chunk, start, start + rec.caplen, p);
}

function decodeFrame(linktype: number, buf: Buffer, start: number, end: number, p: DecodedPacket): DecodedPacket {
  p.data = buf;
  p.start = start;
  p.end = end;
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
  const link = decodeLink(linktype, buf, linkScratch, start, end);
  if (link.ipVersion === 0) { p.note = link.note; return p; }
  p.l3Offset = link.offset;
  const l4 = link.ipVersion === 4 ? decodeIpv4(buf, link.offset, p) : decodeIpv6(buf, link.offset, p);
  if (l4 < 0) return p;
  if (p.protocol !== IPPROTO_TCP) { p.note = `IP protocol ${p.protocol}`; return p; }
  decodeTcp(buf, l4, p.ipPayloadLength, p);
  return p;
}
