import type { DecodedPacket } from './packet.js';
import { be16, be32 } from './bytes.js';

/** TCP header at `off`; `segmentLength` is the IP payload length on the wire. Returns false if not decodable. */
export function decodeTcp(buf: Buffer, off: number, segmentLength: number, p: DecodedPacket): boolean {
  if (off + 20 > p.end) { p.note = 'TCP header truncated'; return false; }
  p.tcpOffset = off;
  p.sport = be16(buf, off);
  p.dport = be16(buf, off + 2);
  p.seq = be32(buf, off + 4);
  p.ack = be32(buf, off + 8);
  const hl = (buf[off + 12] >> 4) * 4;
  p.flags = buf[off + 13] | ((buf[off + 12] & 1) << 8);
  p.win = be16(buf, off + 14);
  if (hl < 20) {
    p.note = `TCP data offset ${hl} is below 20`;
    p.tcpHeaderLength = 20;
    p.isTcp = true;
    p.payloadLength = 0;
    p.payloadOffset = off + 20;
    p.payloadCaptured = 0;
    return true;
  }
  p.tcpHeaderLength = hl;
  p.isTcp = true;
  p.payloadLength = segmentLength > hl ? segmentLength - hl : 0;
  // A header cut by the snaplen leaves no payload in the captured bytes: the offset stops at their end.
  p.payloadOffset = off + hl < p.end ? off + hl : p.end;
  const captured = p.end - (off + hl);
  p.payloadCaptured = captured <= 0 ? 0 : captured < p.payloadLength ? captured : p.payloadLength;
  return true;
}

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERMITTED = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
export const TCPOPT_MPTCP = 30;

/**
 * Walks the TCP options of a decoded packet, calling `visit(kind, offset, length, status)` for every
 * option except NOP and EOL. `length` is the option's own length byte; `status` says whether the option is
 * whole ('ok'), runs past the TCP header ('overrun'), has a length below 2 ('badlen'; the walk stops there),
 * or was cut by the capture's snaplen ('cut').
 */
export type OptionStatus = 'ok' | 'overrun' | 'badlen' | 'cut';

export function walkTcpOptions(
  p: DecodedPacket,
  visit: (kind: number, off: number, length: number, status: OptionStatus) => void,
): void {
  const buf = p.data;
  const capEnd = p.end;
  const end = p.tcpOffset + p.tcpHeaderLength;
  let off = p.tcpOffset + 20;
  while (off < end) {
    if (off >= capEnd) return; // options not captured
    const kind = buf[off];
    if (kind === TCPOPT_EOL) return;
    if (kind === TCPOPT_NOP) { off++; continue; }
    if (off + 1 >= end) { visit(kind, off, 1, 'overrun'); return; }
    if (off + 1 >= capEnd) { visit(kind, off, 0, 'cut'); return; }
    const length = buf[off + 1];
    if (length < 2) { visit(kind, off, length, 'badlen'); return; }
    if (off + length > end) { visit(kind, off, length, 'overrun'); return; }
    if (off + length > capEnd) { visit(kind, off, length, 'cut'); return; }
    visit(kind, off, length, 'ok');
    off += length;
  }
}

/**
 * Offset in `p.data` of the first well-formed, captured option of `kind` (its kind byte), or -1. For per-packet
 * hot paths: the same walk as walkTcpOptions without a callback.
 */
export function tcpOptionOffset(p: DecodedPacket, kind: number): number {
  const buf = p.data;
  const end = Math.min(p.tcpOffset + p.tcpHeaderLength, p.end);
  let off = p.tcpOffset + 20;
  while (off < end) {
    const k = buf[off];
    if (k === TCPOPT_EOL) return -1;
    if (k === TCPOPT_NOP) { off++; continue; }
    const length = off + 1 < end ? buf[off + 1] : 0;
    if (length < 2 || off + length > end) return -1;
    if (k === kind) return off;
    off += length;
  }
  return -1;
}
