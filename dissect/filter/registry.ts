/**
 * The display-filter field registry: Wireshark's field names and types (as `tshark -G fields` lists them for
 * tshark 4.0) for everything mptcpscope decodes, plus the `mptcpscope.*` analysis fields. Each field reads its
 * values straight from the packet bytes into a reused sink; a field with no value in a packet is absent.
 * docs/filters.md is generated from this table (scripts/filters-doc.mjs via `fieldDocs`).
 */
import { createHash } from 'node:crypto';
import { be16, be32 } from '../bytes.js';
import { ipv6Text } from '../address.js';
import { decodeMptcpOption, type MptcpOption } from '../mptcp.js';
import { newDssFields, readDss, type DssFields } from '../dss-fields.js';
import type { FilterRuntime } from './runtime.js';
import type { Kind, Value } from './values.js';

/** Values of one field in one packet, in order of appearance (a reused array and a count). */
export interface Sink {
  n: number;
  v: Value[];
}

export type Display = 'dec' | 'hex' | 'bool' | 'ipv4' | 'ipv6' | 'ether' | 'bytes' | 'string' | 'reltime' | 'epoch' | 'abstime' | 'none';

export interface FieldDef {
  name: string;
  /** Wireshark's type name (FT_UINT8, FT_IPv4, ...), as `tshark -G fields` prints it. */
  ftype: string;
  kind: Kind;
  display: Display;
  /** For hex display: digits after 0x. */
  hexDigits: number;
  description: string;
  /** Needs the per-connection state pass (tcp.stream, relative sequence numbers, ...). */
  stateful: boolean;
  /** Needs the analysis engine (mptcpscope.*, mptcp.stream). */
  analysis: boolean;
  /** Protocol or label: a bare name tests presence; its value is the bytes it spans. */
  read: (rt: FilterRuntime, out: Sink) => void;
}

const FT_KIND: Record<string, Kind> = {
  FT_UINT8: 'uint', FT_UINT16: 'uint', FT_UINT24: 'uint', FT_UINT32: 'uint', FT_UINT64: 'u64', FT_INT32: 'int',
  FT_BOOLEAN: 'bool', FT_FRAMENUM: 'framenum', FT_IPv4: 'ipv4', FT_IPv6: 'ipv6', FT_ETHER: 'ether', FT_BYTES: 'bytes',
  FT_STRING: 'string', FT_RELATIVE_TIME: 'reltime', FT_ABSOLUTE_TIME: 'abstime', FT_NONE: 'none', FT_PROTOCOL: 'none',
};
const FT_DIGITS: Record<string, number> = { FT_UINT8: 2, FT_UINT16: 4, FT_UINT24: 6, FT_UINT32: 8, FT_UINT64: 16 };

const push = (out: Sink, v: Value): void => { out.v[out.n++] = v; };

const FIELDS: FieldDef[] = [];
const BY_NAME = new Map<string, FieldDef>();

interface Opts { base?: 'dec' | 'hex'; stateful?: boolean; analysis?: boolean; display?: Display }

function def(name: string, ftype: string, description: string, read: FieldDef['read'], o: Opts = {}): void {
  const kind = FT_KIND[ftype];
  let display: Display = o.display ?? 'dec';
  if (!o.display) {
    switch (kind) {
      case 'uint': case 'u64': case 'int': case 'framenum': display = o.base === 'hex' ? 'hex' : 'dec'; break;
      case 'bool': display = 'bool'; break;
      case 'ipv4': display = 'ipv4'; break;
      case 'ipv6': display = 'ipv6'; break;
      case 'ether': display = 'ether'; break;
      case 'bytes': case 'none': display = 'bytes'; break;
      case 'string': display = 'string'; break;
      case 'reltime': display = 'reltime'; break;
      case 'abstime': display = 'abstime'; break;
    }
  }
  const f: FieldDef = {
    name, ftype, kind, display, hexDigits: FT_DIGITS[ftype] ?? 0, description,
    stateful: o.stateful === true, analysis: o.analysis === true, read,
  };
  FIELDS.push(f);
  BY_NAME.set(name, f);
}

export function lookupField(name: string): FieldDef | undefined {
  return BY_NAME.get(name);
}

export function allFields(): readonly FieldDef[] {
  return FIELDS;
}

// ---------------------------------------------------------------------------------------------- helpers

/** Link-layer view of the current packet: where Ethernet / SLL headers and VLAN tags are. */
const LINK_ETHERNET = 1;
const LINK_SLL = 113;
const LINK_SLL2 = 276;

const isEth = (rt: FilterRuntime): boolean => rt.rec.linktype === LINK_ETHERNET && rt.p.end - rt.p.start >= 14;
const isSll = (rt: FilterRuntime): boolean => rt.rec.linktype === LINK_SLL && rt.p.end - rt.p.start >= 16;
const isSll2 = (rt: FilterRuntime): boolean => rt.rec.linktype === LINK_SLL2 && rt.p.end - rt.p.start >= 20;
const ip4 = (rt: FilterRuntime): boolean => rt.p.ipVersion === 4 && rt.p.l3Offset >= 0;
const ip6 = (rt: FilterRuntime): boolean => rt.p.ipVersion === 6 && rt.p.l3Offset >= 0;
const tcp = (rt: FilterRuntime): boolean => rt.p.isTcp;
const view = (rt: FilterRuntime, s: number, e: number): Buffer => rt.p.data.subarray(s, e);

function u8(get: (rt: FilterRuntime) => number, when: (rt: FilterRuntime) => boolean) {
  return (rt: FilterRuntime, out: Sink): void => { if (when(rt)) push(out, get(rt)); };
}

/**
 * 802.1Q tags of an Ethernet frame: calls `fn` with the offset of each tag's TCI. Like tshark 4.0, only tags
 * with TPID 0x8100 are `vlan` (an 802.1ad 0x88a8 outer tag is another protocol there); both are skipped.
 */
function eachVlan(rt: FilterRuntime, fn: (tci: number) => void): void {
  if (!isEth(rt)) return;
  const b = rt.p.data;
  let off = rt.p.start + 12;
  while (off + 6 <= rt.p.end) {
    const t = be16(b, off);
    if (t !== 0x8100 && t !== 0x88a8 && t !== 0x9100) return;
    if (t === 0x8100) fn(off + 2);
    off += 4;
  }
}

// ---------------------------------------------------------------------------------------------- frame

def('frame', 'FT_PROTOCOL', 'The frame: all captured bytes', (rt, o) => push(o, view(rt, rt.p.start, rt.p.end)));
def('frame.number', 'FT_UINT32', 'Frame number (1-based)', (rt, o) => push(o, rt.rec.n));
def('frame.time', 'FT_ABSOLUTE_TIME', 'Arrival time (printed in UTC)', (rt, o) => push(o, rt.time));
def('frame.time_epoch', 'FT_RELATIVE_TIME', 'Arrival time as seconds since the epoch', (rt, o) => push(o, rt.time), { display: 'epoch' });
def('frame.time_relative', 'FT_RELATIVE_TIME', 'Seconds since the first frame', (rt, o) => push(o, rt.frameTimeRel), { stateful: true });
def('frame.time_delta', 'FT_RELATIVE_TIME', 'Seconds since the previous captured frame', (rt, o) => push(o, rt.frameTimeDelta), { stateful: true });
def('frame.len', 'FT_UINT32', 'Frame length on the wire', (rt, o) => push(o, rt.rec.len));
def('frame.cap_len', 'FT_UINT32', 'Frame length stored in the capture file', (rt, o) => push(o, rt.rec.caplen));
def('frame.interface_id', 'FT_UINT32', 'Capture interface index (pcapng files only, as tshark)', (rt, o) => { if (rt.interfaceIds) push(o, rt.rec.iface); });

// ---------------------------------------------------------------------------------------------- eth, vlan, sll

def('eth', 'FT_PROTOCOL', 'Ethernet header', (rt, o) => { if (isEth(rt)) push(o, view(rt, rt.p.start, rt.p.start + 14)); });
def('eth.dst', 'FT_ETHER', 'Destination MAC address', (rt, o) => { if (isEth(rt)) push(o, view(rt, rt.p.start, rt.p.start + 6)); });
def('eth.src', 'FT_ETHER', 'Source MAC address', (rt, o) => { if (isEth(rt)) push(o, view(rt, rt.p.start + 6, rt.p.start + 12)); });
def('eth.addr', 'FT_ETHER', 'Source or destination MAC address', (rt, o) => {
  if (!isEth(rt)) return;
  push(o, view(rt, rt.p.start, rt.p.start + 6));
  push(o, view(rt, rt.p.start + 6, rt.p.start + 12));
});
def('eth.type', 'FT_UINT16', 'EtherType of the Ethernet header (0x8100 before a VLAN tag)', (rt, o) => { if (isEth(rt)) push(o, be16(rt.p.data, rt.p.start + 12)); }, { base: 'hex' });
def('vlan', 'FT_PROTOCOL', '802.1Q VLAN tag', (rt, o) => eachVlan(rt, (t) => push(o, view(rt, t, t + 4))));
def('vlan.id', 'FT_UINT16', 'VLAN identifier', (rt, o) => eachVlan(rt, (t) => push(o, be16(rt.p.data, t) & 0x0fff)));
def('vlan.priority', 'FT_UINT16', 'VLAN priority code point', (rt, o) => eachVlan(rt, (t) => push(o, be16(rt.p.data, t) >> 13)));
def('vlan.dei', 'FT_BOOLEAN', 'Drop eligible indicator', (rt, o) => eachVlan(rt, (t) => push(o, (be16(rt.p.data, t) >> 12) & 1)));
def('vlan.etype', 'FT_UINT16', 'EtherType after the tag', (rt, o) => eachVlan(rt, (t) => push(o, be16(rt.p.data, t + 2))), { base: 'hex' });

def('sll', 'FT_PROTOCOL', 'Linux cooked capture header (v1 or v2)', (rt, o) => {
  if (isSll(rt)) push(o, view(rt, rt.p.start, rt.p.start + 16));
  else if (isSll2(rt)) push(o, view(rt, rt.p.start, rt.p.start + 20));
});
def('sll.pkttype', 'FT_UINT16', 'Packet type (0 to us, 4 sent by us, ...)', (rt, o) => {
  if (isSll(rt)) push(o, be16(rt.p.data, rt.p.start));
  else if (isSll2(rt)) push(o, rt.p.data[rt.p.start + 10]);
});
def('sll.hatype', 'FT_UINT16', 'Link-layer address type (ARPHRD_*)', (rt, o) => {
  if (isSll(rt)) push(o, be16(rt.p.data, rt.p.start + 2));
  else if (isSll2(rt)) push(o, be16(rt.p.data, rt.p.start + 8));
});
def('sll.halen', 'FT_UINT16', 'Link-layer address length', (rt, o) => {
  if (isSll(rt)) push(o, be16(rt.p.data, rt.p.start + 4));
  else if (isSll2(rt)) push(o, rt.p.data[rt.p.start + 11]);
});
def('sll.src.eth', 'FT_ETHER', 'Source MAC address (Ethernet-like devices)', (rt, o) => {
  const s = rt.p.start;
  if (isSll(rt) && be16(rt.p.data, s + 2) === 1 && be16(rt.p.data, s + 4) === 6) push(o, view(rt, s + 6, s + 12));
  else if (isSll2(rt) && be16(rt.p.data, s + 8) === 1 && rt.p.data[s + 11] === 6) push(o, view(rt, s + 12, s + 18));
});
def('sll.etype', 'FT_UINT16', 'Protocol (EtherType)', (rt, o) => {
  if (isSll(rt)) push(o, be16(rt.p.data, rt.p.start + 14));
  else if (isSll2(rt)) push(o, be16(rt.p.data, rt.p.start));
}, { base: 'hex' });
def('sll.ifindex', 'FT_UINT32', 'Interface index (SLL v2)', (rt, o) => { if (isSll2(rt)) push(o, be32(rt.p.data, rt.p.start + 4)); });

// ---------------------------------------------------------------------------------------------- ip

const L3 = (rt: FilterRuntime): number => rt.p.l3Offset;
const ipByte = (i: number) => (rt: FilterRuntime): number => rt.p.data[L3(rt) + i];
def('ip', 'FT_PROTOCOL', 'IPv4 header', (rt, o) => { if (ip4(rt)) push(o, view(rt, L3(rt), Math.min(rt.p.end, L3(rt) + (rt.p.data[L3(rt)] & 0x0f) * 4))); });
def('ip.version', 'FT_UINT8', 'IP version: 4, and 6 in IPv6 headers too (tshark shows it for both)', u8((rt) => rt.p.ipVersion, (rt) => rt.p.l3Offset >= 0 && rt.p.ipVersion !== 0));
def('ip.hdr_len', 'FT_UINT8', 'Header length in bytes', u8((rt) => (rt.p.data[L3(rt)] & 0x0f) * 4, ip4));
def('ip.dsfield', 'FT_UINT8', 'Differentiated services field', u8(ipByte(1), ip4), { base: 'hex' });
def('ip.dsfield.dscp', 'FT_UINT8', 'Differentiated services codepoint', u8((rt) => rt.p.data[L3(rt) + 1] >> 2, ip4));
def('ip.dsfield.ecn', 'FT_UINT8', 'Explicit congestion notification', u8((rt) => rt.p.data[L3(rt) + 1] & 3, ip4));
def('ip.len', 'FT_UINT16', 'Total length', u8((rt) => be16(rt.p.data, L3(rt) + 2), ip4));
def('ip.id', 'FT_UINT16', 'Identification', u8((rt) => be16(rt.p.data, L3(rt) + 4), ip4), { base: 'hex' });
def('ip.flags', 'FT_UINT8', 'Flags (reserved, DF, MF)', u8((rt) => rt.p.data[L3(rt) + 6] >> 5, ip4), { base: 'hex' });
def('ip.flags.rb', 'FT_BOOLEAN', 'Reserved bit', u8((rt) => (rt.p.data[L3(rt) + 6] >> 7) & 1, ip4));
def('ip.flags.df', 'FT_BOOLEAN', "Don't fragment", u8((rt) => (rt.p.data[L3(rt) + 6] >> 6) & 1, ip4));
def('ip.flags.mf', 'FT_BOOLEAN', 'More fragments', u8((rt) => (rt.p.data[L3(rt) + 6] >> 5) & 1, ip4));
def('ip.frag_offset', 'FT_UINT16', 'Fragment offset in bytes', u8((rt) => (be16(rt.p.data, L3(rt) + 6) & 0x1fff) * 8, ip4));
def('ip.ttl', 'FT_UINT8', 'Time to live', u8(ipByte(8), ip4));
def('ip.proto', 'FT_UINT8', 'Protocol of the payload (6 = TCP)', u8(ipByte(9), ip4));
def('ip.checksum', 'FT_UINT16', 'Header checksum', u8((rt) => be16(rt.p.data, L3(rt) + 10), ip4), { base: 'hex' });
const v4src = (rt: FilterRuntime): number => be32(rt.p.data, rt.p.srcOffset);
const v4dst = (rt: FilterRuntime): number => be32(rt.p.data, rt.p.dstOffset);
def('ip.src', 'FT_IPv4', 'Source address', u8(v4src, ip4));
def('ip.dst', 'FT_IPv4', 'Destination address', u8(v4dst, ip4));
def('ip.addr', 'FT_IPv4', 'Source or destination address', (rt, o) => { if (ip4(rt)) { push(o, v4src(rt)); push(o, v4dst(rt)); } });
const v4text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
def('ip.src_host', 'FT_STRING', 'Source host (the address as text: names are not resolved)', (rt, o) => { if (ip4(rt)) push(o, v4text(v4src(rt))); });
def('ip.dst_host', 'FT_STRING', 'Destination host (the address as text)', (rt, o) => { if (ip4(rt)) push(o, v4text(v4dst(rt))); });
def('ip.host', 'FT_STRING', 'Source or destination host (the addresses as text)', (rt, o) => { if (ip4(rt)) { push(o, v4text(v4src(rt))); push(o, v4text(v4dst(rt))); } });

// ---------------------------------------------------------------------------------------------- ipv6

def('ipv6', 'FT_PROTOCOL', 'IPv6 header (fixed part)', (rt, o) => { if (ip6(rt)) push(o, view(rt, L3(rt), L3(rt) + 40)); });
def('ipv6.version', 'FT_UINT8', 'IP version (6)', u8(() => 6, ip6));
def('ipv6.tclass', 'FT_UINT32', 'Traffic class', u8((rt) => (be16(rt.p.data, L3(rt)) >> 4) & 0xff, ip6), { base: 'hex' });
def('ipv6.tclass.dscp', 'FT_UINT32', 'Differentiated services codepoint', u8((rt) => (be16(rt.p.data, L3(rt)) >> 6) & 0x3f, ip6));
def('ipv6.tclass.ecn', 'FT_UINT32', 'Explicit congestion notification', u8((rt) => (be16(rt.p.data, L3(rt)) >> 4) & 3, ip6));
def('ipv6.flow', 'FT_UINT24', 'Flow label', u8((rt) => be32(rt.p.data, L3(rt)) & 0xfffff, ip6), { base: 'hex' });
def('ipv6.plen', 'FT_UINT16', 'Payload length', u8((rt) => be16(rt.p.data, L3(rt) + 4), ip6));
def('ipv6.nxt', 'FT_UINT8', 'Next header of the fixed header', u8((rt) => rt.p.data[L3(rt) + 6], ip6));
def('ipv6.hlim', 'FT_UINT8', 'Hop limit', u8((rt) => rt.p.data[L3(rt) + 7], ip6));
const v6 = (rt: FilterRuntime, off: number): Buffer => view(rt, off, off + 16);
def('ipv6.src', 'FT_IPv6', 'Source address', (rt, o) => { if (ip6(rt)) push(o, v6(rt, rt.p.srcOffset)); });
def('ipv6.dst', 'FT_IPv6', 'Destination address', (rt, o) => { if (ip6(rt)) push(o, v6(rt, rt.p.dstOffset)); });
def('ipv6.addr', 'FT_IPv6', 'Source or destination address', (rt, o) => { if (ip6(rt)) { push(o, v6(rt, rt.p.srcOffset)); push(o, v6(rt, rt.p.dstOffset)); } });
def('ipv6.src_host', 'FT_STRING', 'Source host (the address as text: names are not resolved)', (rt, o) => { if (ip6(rt)) push(o, ipv6Text(rt.p.data, rt.p.srcOffset)); });
def('ipv6.dst_host', 'FT_STRING', 'Destination host (the address as text)', (rt, o) => { if (ip6(rt)) push(o, ipv6Text(rt.p.data, rt.p.dstOffset)); });
def('ipv6.host', 'FT_STRING', 'Source or destination host (the addresses as text)', (rt, o) => { if (ip6(rt)) { push(o, ipv6Text(rt.p.data, rt.p.srcOffset)); push(o, ipv6Text(rt.p.data, rt.p.dstOffset)); } });

// ---------------------------------------------------------------------------------------------- tcp

const T = (rt: FilterRuntime): number => rt.p.tcpOffset;
const tcpU = (get: (rt: FilterRuntime) => number) => u8(get, tcp);
const flagBit = (bit: number) => tcpU((rt) => ((rt.p.flags & bit) !== 0 ? 1 : 0));

def('tcp', 'FT_PROTOCOL', 'TCP segment (header and captured payload)', (rt, o) => { if (tcp(rt)) push(o, view(rt, T(rt), rt.p.payloadOffset + rt.p.payloadCaptured)); });
def('tcp.srcport', 'FT_UINT16', 'Source port', tcpU((rt) => rt.p.sport));
def('tcp.dstport', 'FT_UINT16', 'Destination port', tcpU((rt) => rt.p.dport));
def('tcp.port', 'FT_UINT16', 'Source or destination port', (rt, o) => { if (tcp(rt)) { push(o, rt.p.sport); push(o, rt.p.dport); } });
def('tcp.stream', 'FT_UINT32', "mptcpscope's TCP connection index: 0, 1, ... in order of first packet (a new SYN on a closed 4-tuple starts a new one)", (rt, o) => { if (tcp(rt) && rt.stream >= 0) push(o, rt.stream); }, { stateful: true });
def('tcp.len', 'FT_UINT32', 'Segment payload length (from the IP length)', tcpU((rt) => rt.p.payloadLength));
def('tcp.seq', 'FT_UINT32', 'Sequence number relative to the ISN (tshark default)', tcpU((rt) => rt.relSeq), { stateful: true });
def('tcp.seq_raw', 'FT_UINT32', 'Sequence number as on the wire', tcpU((rt) => rt.p.seq));
def('tcp.nxtseq', 'FT_UINT32', 'Next relative sequence number (seq + len, +1 for SYN and FIN)', tcpU((rt) => (rt.relSeq + rt.p.payloadLength + (rt.p.flags & 0x02 ? 1 : 0) + (rt.p.flags & 0x01 ? 1 : 0)) >>> 0), { stateful: true });
def('tcp.ack', 'FT_UINT32', 'Acknowledgment number relative to the peer ISN (raw when the ACK flag is not set)', tcpU((rt) => (rt.p.flags & 0x10 ? rt.relAck : rt.p.ack)), { stateful: true });
def('tcp.ack_raw', 'FT_UINT32', 'Acknowledgment number as on the wire', tcpU((rt) => rt.p.ack));
def('tcp.hdr_len', 'FT_UINT8', 'Header length in bytes', tcpU((rt) => (rt.p.data[T(rt) + 12] >> 4) * 4));
def('tcp.flags', 'FT_UINT16', 'Flags (12 bits)', tcpU((rt) => be16(rt.p.data, T(rt) + 12) & 0x0fff), { base: 'hex' });
def('tcp.flags.res', 'FT_BOOLEAN', 'Reserved bits', tcpU((rt) => ((rt.p.data[T(rt) + 12] & 0x0e) !== 0 ? 1 : 0)));
def('tcp.flags.ae', 'FT_BOOLEAN', 'Accurate ECN (formerly NS)', flagBit(0x100));
def('tcp.flags.cwr', 'FT_BOOLEAN', 'Congestion window reduced', flagBit(0x80));
def('tcp.flags.ece', 'FT_BOOLEAN', 'ECN-Echo', flagBit(0x40));
def('tcp.flags.urg', 'FT_BOOLEAN', 'Urgent', flagBit(0x20));
def('tcp.flags.ack', 'FT_BOOLEAN', 'Acknowledgment', flagBit(0x10));
def('tcp.flags.push', 'FT_BOOLEAN', 'Push', flagBit(0x08));
def('tcp.flags.reset', 'FT_BOOLEAN', 'Reset', flagBit(0x04));
def('tcp.flags.syn', 'FT_BOOLEAN', 'Syn', flagBit(0x02));
def('tcp.flags.fin', 'FT_BOOLEAN', 'Fin', flagBit(0x01));
const FLAG_STR_LETTERS = 'RRRACEUAPRSF';
def('tcp.flags.str', 'FT_STRING', 'Flags as tshark writes them, e.g. "·······A··S·"', (rt, o) => {
  if (!tcp(rt)) return;
  const f = be16(rt.p.data, T(rt) + 12) & 0x0fff;
  let s = '';
  for (let i = 0; i < 12; i++) s += f & (1 << (11 - i)) ? FLAG_STR_LETTERS[i] : '\u00b7';
  push(o, s);
});
def('tcp.window_size_value', 'FT_UINT16', 'Window field as on the wire', tcpU((rt) => rt.p.win));
def('tcp.window_size', 'FT_UINT32', 'Window scaled by the shift its sender announced in its SYN (as tshark: unscaled when unknown or when either SYN had none)', tcpU((rt) => rt.window), { stateful: true });
def('tcp.window_size_scalefactor', 'FT_INT32', 'Window multiplier; -1 unknown, -2 no scaling; absent on SYN', (rt, o) => { if (tcp(rt) && !Number.isNaN(rt.scaleFactor)) push(o, rt.scaleFactor); }, { stateful: true });
def('tcp.checksum', 'FT_UINT16', 'Checksum (not verified)', tcpU((rt) => be16(rt.p.data, T(rt) + 16)), { base: 'hex' });
def('tcp.urgent_pointer', 'FT_UINT16', 'Urgent pointer', tcpU((rt) => be16(rt.p.data, T(rt) + 18)));
def('tcp.payload', 'FT_BYTES', 'Captured payload bytes (absent when none)', (rt, o) => { if (tcp(rt) && rt.p.payloadCaptured > 0) push(o, view(rt, rt.p.payloadOffset, rt.p.payloadOffset + rt.p.payloadCaptured)); });
def('tcp.time_relative', 'FT_RELATIVE_TIME', 'Seconds since the first frame of this TCP connection', tcpU((rt) => rt.streamTimeRel), { stateful: true });
def('tcp.time_delta', 'FT_RELATIVE_TIME', 'Seconds since the previous frame of this TCP connection', tcpU((rt) => rt.streamTimeDelta), { stateful: true });

// TCP options.

def('tcp.options', 'FT_BYTES', 'All option bytes of the header', (rt, o) => {
  const p = rt.p;
  if (!tcp(rt) || p.tcpHeaderLength <= 20) return;
  const s = p.tcpOffset + 20;
  const e = Math.min(p.end, p.tcpOffset + p.tcpHeaderLength);
  if (e > s) push(o, view(rt, s, e));
});
/** Kind of every option in order, NOP and EOL included (as tshark lists them). */
function rawOptions(rt: FilterRuntime, fn: (kind: number, off: number, len: number) => void): void {
  const p = rt.p;
  if (!p.isTcp) return;
  const end = Math.min(p.tcpOffset + p.tcpHeaderLength, p.end);
  const b = p.data;
  let off = p.tcpOffset + 20;
  while (off < end) {
    const kind = b[off];
    if (kind === 0 || kind === 1) { fn(kind, off, 1); if (kind === 0) return; off++; continue; }
    if (off + 1 >= end) return;
    const len = b[off + 1];
    if (len < 2 || off + len > end) { fn(kind, off, -1); return; }
    fn(kind, off, len);
    // tshark's DSS dissector reads the flags byte past a 3-byte option and stops with "Malformed Packet".
    if (kind === 30 && len === 3 && b[off + 2] >> 4 === 2) return;
    off += len;
  }
}
def('tcp.option_kind', 'FT_UINT8', 'Kind of each option (NOP and EOL included)', (rt, o) => rawOptions(rt, (k) => push(o, k)));
def('tcp.option_len', 'FT_UINT8', 'Length of each option that has a length byte', (rt, o) => rawOptions(rt, (k, _off, len) => { if (k > 1 && len >= 0) push(o, len); }));

function eachOpt(rt: FilterRuntime, kind: number, fn: (off: number, len: number) => void): void {
  const n = rt.options();
  for (let i = 0; i < n; i++) if (rt.optKind[i] === kind) fn(rt.optOff[i], rt.optLen[i]);
}
def('tcp.options.mss_val', 'FT_UINT16', 'MSS option value', (rt, o) => eachOpt(rt, 2, (off, len) => { if (len === 4) push(o, be16(rt.p.data, off + 2)); }));
def('tcp.options.wscale.shift', 'FT_UINT8', 'Window scale shift count', (rt, o) => eachOpt(rt, 3, (off, len) => { if (len === 3) push(o, rt.p.data[off + 2]); }));
def('tcp.options.wscale.multiplier', 'FT_UINT16', 'Window scale multiplier (2^shift, shift capped at 14)', (rt, o) => eachOpt(rt, 3, (off, len) => { if (len === 3) push(o, 2 ** Math.min(14, rt.p.data[off + 2])); }));
def('tcp.options.sack_perm', 'FT_NONE', 'SACK permitted option', (rt, o) => eachOpt(rt, 4, (off, len) => push(o, view(rt, off, off + len))));
def('tcp.options.sack.count', 'FT_UINT8', 'Number of SACK blocks', (rt, o) => eachOpt(rt, 5, (_off, len) => push(o, (len - 2) >> 3)));
def('tcp.options.sack_le', 'FT_UINT32', 'SACK left edge, relative to the peer ISN', (rt, o) => eachOpt(rt, 5, (off, len) => {
  for (let q = off + 2; q + 8 <= off + len; q += 8) push(o, (be32(rt.p.data, q) - (rt.p.ack - rt.relAck)) >>> 0);
}), { stateful: true });
def('tcp.options.sack_re', 'FT_UINT32', 'SACK right edge, relative to the peer ISN', (rt, o) => eachOpt(rt, 5, (off, len) => {
  for (let q = off + 2; q + 8 <= off + len; q += 8) push(o, (be32(rt.p.data, q + 4) - (rt.p.ack - rt.relAck)) >>> 0);
}), { stateful: true });
def('tcp.options.timestamp.tsval', 'FT_UINT32', 'Timestamp value', (rt, o) => eachOpt(rt, 8, (off, len) => { if (len === 10) push(o, be32(rt.p.data, off + 2)); }));
def('tcp.options.timestamp.tsecr', 'FT_UINT32', 'Timestamp echo reply', (rt, o) => eachOpt(rt, 8, (off, len) => { if (len === 10) push(o, be32(rt.p.data, off + 6)); }));

// ---------------------------------------------------------------------------------------------- MPTCP options

const MP = 'tcp.options.mptcp.';
const dss: DssFields = newDssFields();

/**
 * Calls `fn` for every MPTCP option of the packet with its decoded form: DSS options are read in place into
 * `dss` (o === null), the others decoded to an object. Malformed options give only their subtype (tshark
 * shows nothing else for them).
 */
function eachMptcp(rt: FilterRuntime, fn: (off: number, len: number, o: MptcpOption | null) => void): void {
  const n = rt.options();
  const b = rt.p.data;
  for (let i = 0; i < n; i++) {
    if (rt.optKind[i] !== 30) continue;
    const off = rt.optOff[i];
    const len = rt.optLen[i];
    if (len >= 4 && b[off + 2] >> 4 === 2 && readDss(b, off, len, dss)) fn(off, len, null);
    else fn(off, len, decodeMptcpOption(b, off, len));
  }
}

/** The subtype of each MPTCP option: read from the byte, nothing decoded (the hot path of `subtype == 2`). */
def(`${MP}subtype`, 'FT_UINT8', 'MPTCP option subtype (0 MP_CAPABLE, 1 MP_JOIN, 2 DSS, 3 ADD_ADDR, 4 REMOVE_ADDR, 5 MP_PRIO, 6 MP_FAIL, 7 MP_FASTCLOSE, 8 MP_TCPRST)', (rt, o) => {
  const n = rt.options();
  for (let i = 0; i < n; i++) if (rt.optKind[i] === 30 && rt.optLen[i] >= 3) push(o, rt.p.data[rt.optOff[i] + 2] >> 4);
});
def('mptcp', 'FT_PROTOCOL', 'MPTCP: the packet carries an MPTCP option (its value is the option bytes)', (rt, o) => eachOpt(rt, 30, (off, len) => push(o, view(rt, off, off + len))));

type MpRead = (b: Buffer, off: number, len: number, o: MptcpOption | null, out: Sink) => void;
function mp(name: string, ftype: string, description: string, read: MpRead, base: 'dec' | 'hex' = 'dec'): void {
  def(name, ftype, description, (rt, out) => eachMptcp(rt, (off, len, o) => read(rt.p.data, off, len, o, out)), { base });
}
const hexU64 = (h: string | undefined): bigint | undefined => (h === undefined ? undefined : BigInt(`0x${h}`));
const hexU32 = (h: string | undefined): number | undefined => (h === undefined ? undefined : parseInt(h, 16));
const pushIf = (out: Sink, v: Value | undefined): void => { if (v !== undefined) push(out, v); };
const ok = (o: MptcpOption | null): o is MptcpOption => o !== null && o.malformed === undefined && o.truncated !== true;

mp(`${MP}version`, 'FT_UINT8', 'MP_CAPABLE version', (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'MP_CAPABLE') pushIf(out, o.version); });
mp(`${MP}flags`, 'FT_UINT8', 'Flags byte: MP_CAPABLE and DSS flags; MP_JOIN, MP_PRIO and MP_TCPRST: the subtype byte', (b, off, _len, o, out) => {
  if (o === null) { push(out, b[off + 3]); return; }
  if (!ok(o)) return;
  switch (o.subtype) {
    case 'MP_CAPABLE': push(out, b[off + 3]); break;
    case 'MP_JOIN': if (o.phase !== 'ACK') push(out, b[off + 2]); break;
    case 'MP_PRIO': case 'MP_TCPRST': push(out, b[off + 2]); break;
    default: break;
  }
}, 'hex');
const capFlag = (name: string, desc: string, mask: number, shift: number, versions: number[]): void =>
  mp(`${MP}${name}`, 'FT_UINT8', desc, (b, off, _len, o, out) => {
    if (ok(o) && o.subtype === 'MP_CAPABLE' && versions.includes(o.version ?? -1)) push(out, (b[off + 3] & mask) >> shift);
  });
capFlag('checksumreq.flags', 'MP_CAPABLE A: checksum required', 0x80, 7, [0, 1]);
capFlag('extensibility.flag', 'MP_CAPABLE B: extensibility', 0x40, 6, [0, 1]);
capFlag('nomoresubflows.flag', 'MP_CAPABLE C (v1): do not open subflows to this address', 0x20, 5, [1]);
capFlag('sha256.flag', 'MP_CAPABLE H (v1): HMAC-SHA256', 0x01, 0, [1]);
capFlag('sha1.flag', 'MP_CAPABLE H (v0): HMAC-SHA1', 0x01, 0, [0]);
mp(`${MP}backup.flag`, 'FT_UINT8', 'MP_JOIN (SYN, SYN/ACK) and MP_PRIO backup bit', (b, off, _len, o, out) => {
  if (ok(o) && ((o.subtype === 'MP_JOIN' && o.phase !== 'ACK') || o.subtype === 'MP_PRIO')) push(out, b[off + 2] & 1);
});
const dssFlag = (name: string, desc: string, mask: number, shift: number): void =>
  mp(`${MP}${name}`, 'FT_UINT8', desc, (b, off, _len, o, out) => { if (o === null) push(out, (b[off + 3] & mask) >> shift); });
dssFlag('datafin.flag', 'DSS F: DATA_FIN', 0x10, 4);
dssFlag('dseqn8.flag', 'DSS m: DSN is 8 octets', 0x08, 3);
dssFlag('dseqnpresent.flag', 'DSS M: mapping present', 0x04, 2);
dssFlag('dataack8.flag', 'DSS a: Data ACK is 8 octets', 0x02, 1);
dssFlag('dataackpresent.flag', 'DSS A: Data ACK present', 0x01, 0);
const rstFlag = (name: string, desc: string, mask: number): void =>
  def(`${MP}${name}`, 'FT_BOOLEAN', desc, (rt, out) => eachMptcp(rt, (off, _len, o) => { if (ok(o) && o.subtype === 'MP_TCPRST') push(out, rt.p.data[off + 2] & mask ? 1 : 0); }));
rstFlag('flag_U.flag', 'MP_TCPRST U flag', 0x08);
rstFlag('flag_V.flag', 'MP_TCPRST V flag', 0x04);
rstFlag('flag_W.flag', 'MP_TCPRST W flag', 0x02);
rstFlag('flag_T.flag', 'MP_TCPRST T flag: transient error', 0x01);
mp(`${MP}rst_reason`, 'FT_UINT8', 'MP_TCPRST reason code', (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'MP_TCPRST') pushIf(out, o.reason); }, 'hex');
mp(`${MP}addrid`, 'FT_UINT8', 'Address ID (MP_JOIN SYN and SYN/ACK, ADD_ADDR, each of REMOVE_ADDR, MP_PRIO with ID)', (_b, _off, _len, o, out) => {
  if (!ok(o)) return;
  if (o.subtype === 'REMOVE_ADDR') { for (const id of o.addressIds ?? []) push(out, id); return; }
  if (o.subtype === 'MP_JOIN' || o.subtype === 'ADD_ADDR' || o.subtype === 'MP_PRIO') pushIf(out, o.addressId);
});
mp(`${MP}sendkey`, 'FT_UINT64', "MP_CAPABLE sender's key", (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'MP_CAPABLE') pushIf(out, hexU64(o.senderKey)); });
mp(`${MP}recvkey`, 'FT_UINT64', "MP_CAPABLE receiver's key; MP_FASTCLOSE key", (_b, _off, _len, o, out) => {
  if (ok(o) && (o.subtype === 'MP_CAPABLE' || o.subtype === 'MP_FASTCLOSE')) pushIf(out, hexU64(o.receiverKey));
});
mp(`${MP}recvtok`, 'FT_UINT32', "MP_JOIN SYN receiver's token", (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'MP_JOIN') pushIf(out, hexU32(o.receiverToken)); });
mp(`${MP}sendrand`, 'FT_UINT32', "MP_JOIN SYN and SYN/ACK sender's nonce", (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'MP_JOIN') pushIf(out, hexU32(o.senderNonce)); });
mp(`${MP}sendtrunchmac`, 'FT_UINT64', "MP_JOIN SYN/ACK sender's truncated HMAC", (_b, _off, _len, o, out) => {
  if (ok(o) && o.subtype === 'MP_JOIN' && o.phase === 'SYN/ACK') pushIf(out, hexU64(o.senderHmac));
});
mp(`${MP}sendhmac`, 'FT_BYTES', "MP_JOIN third ACK sender's HMAC (20 bytes)", (b, off, _len, o, out) => {
  if (ok(o) && o.subtype === 'MP_JOIN' && o.phase === 'ACK') push(out, b.subarray(off + 4, off + 24));
});
const dsnValue = (hi: number, lo: number, wide: boolean): bigint => (wide ? (BigInt(hi) << 32n) | BigInt(lo) : BigInt(lo));
mp(`${MP}rawdataack`, 'FT_UINT64', 'DSS Data ACK as on the wire (4 or 8 bytes)', (_b, _off, _len, o, out) => { if (o === null && dss.hasAck) push(out, dsnValue(dss.ackHi, dss.ackLo, dss.ack64)); });
mp(`${MP}rawdataseqno`, 'FT_UINT64', 'DSS data sequence number as on the wire (4 or 8 bytes); MP_FAIL DSN', (_b, _off, _len, o, out) => {
  if (o === null) { if (dss.hasMap) push(out, dsnValue(dss.dsnHi, dss.dsnLo, dss.dsn64)); return; }
  if (ok(o) && o.subtype === 'MP_FAIL' && o.dsn !== undefined) push(out, BigInt(o.dsn));
});
mp(`${MP}subflowseqno`, 'FT_UINT32', 'DSS subflow sequence number (relative to the subflow ISN, as sent)', (_b, _off, _len, o, out) => { if (o === null && dss.hasMap) push(out, dss.ssn); });
mp(`${MP}datalvllen`, 'FT_UINT16', 'Data-level length (DSS mapping; MP_CAPABLE with data)', (_b, _off, _len, o, out) => {
  if (o === null) { if (dss.hasMap) push(out, dss.dataLevelLength); return; }
  if (ok(o) && o.subtype === 'MP_CAPABLE') pushIf(out, o.dataLevelLength);
});
mp(`${MP}checksum`, 'FT_UINT16', 'DSS or MP_CAPABLE checksum (see "Differences": tshark 4.0 never shows the DSS one)', (_b, _off, _len, o, out) => {
  if (o === null) { if (dss.hasMap && dss.checksum >= 0) push(out, dss.checksum); return; }
  if (ok(o) && o.subtype === 'MP_CAPABLE' && o.checksum !== undefined) push(out, parseInt(o.checksum, 16));
}, 'hex');
mp(`${MP}ipver`, 'FT_UINT8', 'ADD_ADDR IP version (v0 layout)', (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'ADD_ADDR' && o.echo === undefined) pushIf(out, o.ipVersion); });
mp(`${MP}echo`, 'FT_UINT8', 'ADD_ADDR E flag (v1)', (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'ADD_ADDR' && o.echo !== undefined) push(out, o.echo ? 1 : 0); });
mp(`${MP}ipv4`, 'FT_IPv4', 'ADD_ADDR IPv4 address', (b, off, _len, o, out) => { if (ok(o) && o.subtype === 'ADD_ADDR' && o.ipVersion === 4) push(out, be32(b, off + 4)); });
mp(`${MP}ipv6`, 'FT_IPv6', 'ADD_ADDR IPv6 address', (b, off, _len, o, out) => { if (ok(o) && o.subtype === 'ADD_ADDR' && o.ipVersion === 6) push(out, b.subarray(off + 4, off + 20)); });
mp(`${MP}port`, 'FT_UINT16', 'ADD_ADDR port', (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'ADD_ADDR') pushIf(out, o.port); });
mp(`${MP}addaddrtrunchmac`, 'FT_UINT64', 'ADD_ADDR truncated HMAC', (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'ADD_ADDR') pushIf(out, hexU64(o.hmac)); });
mp('mptcp.rm_addr.count', 'FT_UINT8', 'REMOVE_ADDR: number of address IDs', (_b, _off, _len, o, out) => { if (ok(o) && o.subtype === 'REMOVE_ADDR') push(out, o.addressIds?.length ?? 0); });

/** Token (first 32 bits) and IDSN (last 64 bits) of the hash of a key: SHA-256 for v1, SHA-1 for v0. */
function keyHash(keyHex: string, version: number): Buffer {
  return createHash(version === 0 ? 'sha1' : 'sha256').update(Buffer.from(keyHex, 'hex')).digest();
}
mp('mptcp.expected_token', 'FT_UINT32', "Token of the MP_CAPABLE sender's key (first 32 bits of its hash)", (_b, _off, _len, o, out) => {
  if (ok(o) && o.subtype === 'MP_CAPABLE' && o.senderKey !== undefined) push(out, keyHash(o.senderKey, o.version ?? 1).readUInt32BE(0));
});
mp('mptcp.expected_idsn', 'FT_UINT64', "IDSN of the MP_CAPABLE sender's key (last 64 bits of its hash)", (_b, _off, _len, o, out) => {
  if (ok(o) && o.subtype === 'MP_CAPABLE' && o.senderKey !== undefined) { const h = keyHash(o.senderKey, o.version ?? 1); push(out, h.readBigUInt64BE(h.length - 8)); }
});

// ---------------------------------------------------------------------------------------------- analysis

const A = { analysis: true };
def('mptcp.stream', 'FT_UINT32', "mptcpscope's MPTCP session id of the packet (same as mptcpscope.session)", (rt, o) => { const a = rt.a; if (a && a.session >= 0) push(o, a.session); }, A);
def('mptcp.master', 'FT_BOOLEAN', 'The packet is on the initial subflow of its session', (rt, o) => { const a = rt.a; if (a && a.session >= 0) push(o, a.subflow === 0 ? 1 : 0); }, A);
def('mptcpscope.session', 'FT_UINT32', 'MPTCP session id', (rt, o) => { const a = rt.a; if (a && a.session >= 0) push(o, a.session); }, A);
def('mptcpscope.subflow', 'FT_UINT32', 'Subflow index within the session (0 = initial subflow)', (rt, o) => { const a = rt.a; if (a && a.session >= 0 && a.subflow >= 0) push(o, a.subflow); }, A);
def('mptcpscope.dir', 'FT_STRING', 'Data-level direction: "c2s" or "s2c"', (rt, o) => { const a = rt.a; if (a && a.dir !== null) push(o, a.dir); }, A);
def('mptcpscope.dsn_rel', 'FT_UINT64', 'Data sequence number of the packet (its first payload byte, else its mapping), relative to the IDSN (first byte = 1)', (rt, o) => { const v = rt.a?.dsn; if (v !== undefined && v !== null) push(o, BigInt(v)); }, A);
def('mptcpscope.ack_rel', 'FT_UINT64', 'DATA_ACK relative to the peer IDSN (1 = nothing received yet)', (rt, o) => { const v = rt.a?.dataAck; if (v !== undefined && v !== null) push(o, BigInt(v)); }, A);
def('mptcpscope.retransmission', 'FT_BOOLEAN', 'The segment repeats subflow bytes already seen on its subflow (TCP packets of an analyzed connection)', (rt, o) => { const a = rt.a; if (a && a.connection >= 0) push(o, a.retransmission ? 1 : 0); }, A);
def('mptcpscope.reinjection', 'FT_BOOLEAN', 'The segment carries data-level bytes first sent on another subflow (packets of a session)', (rt, o) => { const a = rt.a; if (a && a.session >= 0) push(o, a.reinjectionOf >= 0 ? 1 : 0); }, A);
def('mptcpscope.reinjection_of', 'FT_FRAMENUM', 'Frame that first carried the reinjected data-level bytes', (rt, o) => { const a = rt.a; if (a && a.reinjectionOf >= 0) push(o, a.reinjectionOf); }, A);
def('mptcpscope.conflict', 'FT_BOOLEAN', 'The data-level bytes differ from an earlier copy (packets of a session)', (rt, o) => { const a = rt.a; if (a && a.session >= 0) push(o, a.conflictWith >= 0 ? 1 : 0); }, A);
def('mptcpscope.finding', 'FT_STRING', 'Code of each finding raised at this packet that names it, e.g. "DSS_CHECKSUM_MISMATCH"', (rt, o) => { const a = rt.a; if (a) for (const f of a.findings) push(o, f); }, A);
def('mptcpscope.hmac', 'FT_STRING', 'HMAC verdict decided at this packet (MP_JOIN SYN/ACK or third ACK, ADD_ADDR): "valid", "invalid" or "unverifiable"', (rt, o) => { const v = rt.a?.hmac; if (v) push(o, v); }, A);
def('mptcpscope.checksum_ok', 'FT_BOOLEAN', 'DSS checksum verdict of a mapping completed at this packet', (rt, o) => { const v = rt.a?.checksum; if (v !== undefined && v !== null) push(o, v ? 1 : 0); }, A);

/** Names of every field, for suggestions. */
export function fieldNames(): string[] {
  return FIELDS.map((f) => f.name);
}
