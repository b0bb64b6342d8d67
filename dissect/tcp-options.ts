import type { DecodedPacket } from './packet.js';
import {
  walkTcpOptions, TCPOPT_MPTCP, TCPOPT_MSS, TCPOPT_WSCALE, TCPOPT_SACK_PERMITTED, TCPOPT_SACK, TCPOPT_TIMESTAMP,
  type OptionStatus,
} from './tcp.js';
import { decodeMptcpOption, SUBTYPE_NAMES, MP_EXPERIMENTAL, type MptcpOption, type MptcpSubtypeName } from './mptcp.js';

/** A TCP option decoded for display. MPTCP options carry their decoded form in `mptcp`. */
export interface TcpOption {
  kind: number;
  name: string;
  length: number;
  mss?: number;
  wscale?: number;
  sack?: Array<[number, number]>;
  tsval?: number;
  tsecr?: number;
  mptcp?: MptcpOption;
  /** Why the option could not be decoded. */
  problem?: string;
}

const NAMES: Record<number, string> = {
  [TCPOPT_MSS]: 'MSS', [TCPOPT_WSCALE]: 'WS', [TCPOPT_SACK_PERMITTED]: 'SACK_PERM', [TCPOPT_SACK]: 'SACK',
  [TCPOPT_TIMESTAMP]: 'TS', [TCPOPT_MPTCP]: 'MPTCP',
};

function subtypeNameAt(buf: Buffer, capEnd: number, off: number, len: number): { name: MptcpSubtypeName; value: number } {
  if (len < 3 || off + 2 >= capEnd) return { name: 'UNKNOWN', value: -1 };
  const value = buf[off + 2] >> 4;
  const name = value < SUBTYPE_NAMES.length ? SUBTYPE_NAMES[value] : value === MP_EXPERIMENTAL ? 'MP_EXPERIMENTAL' : 'UNKNOWN';
  return { name, value };
}

/** An MPTCP option that could not be decoded in full: malformed on the wire, or cut by the snaplen. */
function unusableMptcp(buf: Buffer, capEnd: number, off: number, len: number, status: OptionStatus): MptcpOption {
  const { name, value } = subtypeNameAt(buf, capEnd, off, len);
  const o: MptcpOption = { subtype: name, subtypeValue: value, length: len };
  if (status === 'cut') o.truncated = true;
  else if (status === 'badlen') o.malformed = `MPTCP option length ${len} is below 2`;
  else o.malformed = `option length ${len} runs past the end of the TCP header`;
  return o;
}

function decodeOne(buf: Buffer, capEnd: number, kind: number, off: number, len: number, status: OptionStatus): TcpOption {
  const opt: TcpOption = { kind, name: NAMES[kind] ?? `kind-${kind}`, length: len };
  if (kind === TCPOPT_MPTCP) {
    opt.mptcp = status === 'ok' ? decodeMptcpOption(buf, off, len) : unusableMptcp(buf, capEnd, off, len, status);
    return opt;
  }
  if (status !== 'ok') {
    opt.problem = status === 'cut' ? 'cut by the capture' : status === 'badlen' ? `length ${len} is below 2` : 'runs past the TCP header';
    return opt;
  }
  switch (kind) {
    case TCPOPT_MSS: if (len === 4) opt.mss = buf.readUInt16BE(off + 2); else opt.problem = `length ${len} is not 4`; break;
    case TCPOPT_WSCALE: if (len === 3) opt.wscale = buf[off + 2]; else opt.problem = `length ${len} is not 3`; break;
    case TCPOPT_SACK_PERMITTED: if (len !== 2) opt.problem = `length ${len} is not 2`; break;
    case TCPOPT_SACK:
      if ((len - 2) % 8 !== 0) { opt.problem = `length ${len} is not 2 + 8n`; break; }
      opt.sack = [];
      for (let p = off + 2; p + 8 <= off + len; p += 8) opt.sack.push([buf.readUInt32BE(p), buf.readUInt32BE(p + 4)]);
      break;
    case TCPOPT_TIMESTAMP:
      if (len === 10) { opt.tsval = buf.readUInt32BE(off + 2); opt.tsecr = buf.readUInt32BE(off + 6); }
      else opt.problem = `length ${len} is not 10`;
      break;
    default:
      break;
  }
  return opt;
}

/** All TCP options of a decoded TCP packet, in wire order (NOP and EOL left out). */
export function tcpOptionsOf(p: DecodedPacket): TcpOption[] {
  const out: TcpOption[] = [];
  if (!p.isTcp) return out;
  const buf = p.data;
  walkTcpOptions(p, (kind, off, len, status) => { out.push(decodeOne(buf, p.end, kind, off, len, status)); });
  return out;
}

/** Only the MPTCP options of a decoded TCP packet. */
export function mptcpOptionsOf(p: DecodedPacket): MptcpOption[] {
  const out: MptcpOption[] = [];
  if (!p.isTcp) return out;
  const buf = p.data;
  walkTcpOptions(p, (kind, off, len, status) => {
    if (kind === TCPOPT_MPTCP) out.push(status === 'ok' ? decodeMptcpOption(buf, off, len) : unusableMptcp(buf, p.end, off, len, status));
  });
  return out;
}
