import type { CaptureRecord } from './record.js';
import type { DecodedPacket } from './packet.js';
import { tcpFlagsText } from './packet.js';
import { ipText } from './address.js';
import { timestampText } from './timestamp.js';
import { mptcpOptionsOf } from './tcp-options.js';
import type { MptcpOption } from './mptcp.js';

/** One packet as written by `dissect --json` (docs/dissect-json.md). */
export interface PacketJson {
  n: number;
  ts: string;
  iface: number;
  linktype: number;
  caplen: number;
  len: number;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags?: string;
  win?: number;
  payload?: number;
  mptcp?: MptcpOption[];
  note?: string;
  /** With `dissect --sessions`: the packet's MPTCP session, subflow and data-level direction. */
  session?: number;
  subflow?: number;
  dir?: 'c2s' | 's2c';
}

/** Drops the internal `subtypeValue` from an option for output, keeping field order stable. */
export function mptcpOptionJson(o: MptcpOption): Omit<MptcpOption, 'subtypeValue'> {
  const { subtypeValue: _value, ...rest } = o;
  return rest;
}

export function packetJson(rec: CaptureRecord, p: DecodedPacket): PacketJson {
  const out: PacketJson = {
    n: rec.n, ts: timestampText(rec.tsSec, rec.tsNsec, rec.tsDigits), iface: rec.iface, linktype: rec.linktype,
    caplen: rec.caplen, len: rec.len,
  };
  if (p.ipVersion !== 0 && p.l3Offset >= 0 && (p.isTcp || p.protocol >= 0)) {
    out.src = ipText(p.ipVersion, p.data, p.srcOffset);
    out.dst = ipText(p.ipVersion, p.data, p.dstOffset);
  }
  if (p.isTcp) {
    out.sport = p.sport;
    out.dport = p.dport;
    out.seq = p.seq;
    out.ack = p.ack;
    out.flags = tcpFlagsText(p.flags);
    out.win = p.win;
    out.payload = p.payloadLength;
    const opts = mptcpOptionsOf(p);
    if (opts.length > 0) out.mptcp = opts.map(mptcpOptionJson) as MptcpOption[];
  }
  if (p.note) out.note = p.note;
  return out;
}
