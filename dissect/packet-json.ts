import type { CaptureRecord } from './record.js';
import type { DecodedPacket } from './packet.js';
import { tcpFlagsText } from './packet.js';
import { ipText } from './address.js';
import { timestampText } from './timestamp.js';
import { mptcpOptionsOf } from './tcp-options.js';
import { decodeMptcpOption, type MptcpOption } from './mptcp.js';
import { newDssFields, readDss, type DssFields } from './dss-fields.js';
import { u64ToDecimal } from './u64-text.js';
import { TCPOPT_MPTCP } from './tcp.js';

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

/** Tag added by `dissect --sessions`. */
export interface PacketTagJson {
  session: number;
  subflow: number;
  dir: 'c2s' | 's2c';
}

const dssLine = newDssFields();
const DSS_FLAG_LETTERS = ['F', 'm', 'M', 'a', 'A'];

/** The DSS option object's JSON text, straight from the in-place fields (same keys and order as decodeDss). */
function dssJson(len: number, f: DssFields): string {
  let flags = '';
  for (let i = 0; i < 5; i++) if (f.flags & (0x10 >> i)) flags += DSS_FLAG_LETTERS[i];
  let s = `{"subtype":"DSS","length":${len},"flags":"${flags}"`;
  if (f.hasAck) s += `,"dataAck64":${f.ack64},"dataAck":"${f.ack64 ? u64ToDecimal(f.ackHi, f.ackLo) : f.ackLo}"`;
  if (f.hasMap) {
    s += `,"dsn64":${f.dsn64},"dsn":"${f.dsn64 ? u64ToDecimal(f.dsnHi, f.dsnLo) : f.dsnLo}","subflowSeq":${f.ssn},"dataLevelLength":${f.dataLevelLength}`;
    if (f.checksum >= 0) s += `,"checksum":"${f.checksum.toString(16).padStart(4, '0')}"`;
  }
  return `${s},"dataFin":${f.dataFin}}`;
}

/**
 * The `dissect --json` line of a packet, written directly as text: identical to
 * JSON.stringify(packetJson(...)) (a test checks it on every capture), without building objects for the
 * common DSS option. Options that are irregular in any way go through the full decoder.
 */
export function packetJsonLine(rec: CaptureRecord, p: DecodedPacket, tag: PacketTagJson | null): string {
  let s = `{"n":${rec.n},"ts":"${timestampText(rec.tsSec, rec.tsNsec, rec.tsDigits)}","iface":${rec.iface},"linktype":${rec.linktype},"caplen":${rec.caplen},"len":${rec.len}`;
  if (p.ipVersion !== 0 && p.l3Offset >= 0 && (p.isTcp || p.protocol >= 0)) {
    s += `,"src":"${ipText(p.ipVersion, p.data, p.srcOffset)}","dst":"${ipText(p.ipVersion, p.data, p.dstOffset)}"`;
  }
  if (p.isTcp) {
    s += `,"sport":${p.sport},"dport":${p.dport},"seq":${p.seq},"ack":${p.ack},"flags":"${tcpFlagsText(p.flags)}","win":${p.win},"payload":${p.payloadLength}`;
    const opts = mptcpOptionsText(p);
    if (opts) s += `,"mptcp":[${opts}]`;
  }
  if (p.note) s += `,"note":${JSON.stringify(p.note)}`;
  if (tag) s += `,"session":${tag.session},"subflow":${tag.subflow},"dir":"${tag.dir}"`;
  return s + '}';
}

function mptcpOptionsText(p: DecodedPacket): string {
  const buf = p.data;
  const end = p.tcpOffset + p.tcpHeaderLength;
  let off = p.tcpOffset + 20;
  let out = '';
  while (off < end && off < p.end) {
    const kind = buf[off];
    if (kind === 0) break;
    if (kind === 1) { off++; continue; }
    const len = off + 1 < p.end ? buf[off + 1] : 0;
    if (len < 2 || off + len > end || off + len > p.end) return irregularOptionsText(p);
    if (kind === TCPOPT_MPTCP) {
      if (out) out += ',';
      if (len >= 4 && buf[off + 2] >> 4 === 2 && readDss(buf, off, len, dssLine)) out += dssJson(len, dssLine);
      else out += JSON.stringify(mptcpOptionJson(decodeMptcpOption(buf, off, len)));
    }
    off += len;
  }
  return out;
}

function irregularOptionsText(p: DecodedPacket): string {
  return mptcpOptionsOf(p).map((o) => JSON.stringify(mptcpOptionJson(o))).join(',');
}
