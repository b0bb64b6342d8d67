/**
 * One walk over a packet's TCP options for the engine: the timestamp, the window scale and the DSS are read in
 * place; other MPTCP options are decoded as objects (they are rare). Anything irregular (bad lengths, options
 * cut by the snaplen) goes through the full option decoder, which explains it.
 */
import type { DecodedPacket } from '../dissect/packet.js';
import { mptcpOptionsOf } from '../dissect/tcp-options.js';
import { decodeMptcpOption, type MptcpOption } from '../dissect/mptcp.js';
import { TCPOPT_MPTCP, TCPOPT_SACK, TCPOPT_TIMESTAMP, TCPOPT_WSCALE } from '../dissect/tcp.js';
import { newDssFields, readDss, type DssFields } from '../dissect/dss-fields.js';
import { u64FromBigInt } from './u64.js';

export class OptionScan {
  /** The first DSS, read in place (valid when `hasDss`). */
  readonly dss: DssFields = newDssFields();
  hasDss = false;
  /** MPTCP options other than the first DSS, decoded as objects. */
  others: MptcpOption[] = [];
  /** MPTCP options in the packet. */
  mptcpCount = 0;
  /** TSval/TSecr (-1: no timestamp option). */
  tsval = -1;
  tsecr = -1;
  /** Window scale shift count (-1: no window scale option). */
  wscale = -1;
  /** Right edge of the first SACK block (sequence number), when `hasSack`. */
  hasSack = false;
  sackRight = 0;
  /**
   * Offsets of the first timestamp and the first SACK option, whatever their length (-1: none before the walk
   * stopped), as `tcpOptionOffset` finds them: observers read them instead of walking the options again.
   */
  tsOffset = -1;
  sackOffset = -1;

  scan(p: DecodedPacket): void {
    const buf = p.data;
    const end = p.tcpOffset + p.tcpHeaderLength;
    const capEnd = p.end;
    this.hasDss = false;
    this.mptcpCount = 0;
    this.tsval = -1;
    this.wscale = -1;
    this.hasSack = false;
    this.tsOffset = -1;
    this.sackOffset = -1;
    if (this.others.length > 0) this.others = [];
    let off = p.tcpOffset + 20;
    while (off < end) {
      if (off >= capEnd) return;
      const kind = buf[off];
      if (kind === 0) return;
      if (kind === 1) { off++; continue; }
      const len = off + 1 < capEnd ? buf[off + 1] : 0;
      if (len < 2 || off + len > end || off + len > capEnd) { this.slow(p); return; }
      if (kind === TCPOPT_TIMESTAMP && this.tsOffset < 0) this.tsOffset = off;
      else if (kind === TCPOPT_SACK && this.sackOffset < 0) this.sackOffset = off;
      if (kind === TCPOPT_TIMESTAMP && len === 10) {
        // Read in line: a call returning a value above 2^31 boxes it when it is not inlined (this loop is large).
        this.tsval = ((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0;
        this.tsecr = ((buf[off + 6] << 24) | (buf[off + 7] << 16) | (buf[off + 8] << 8) | buf[off + 9]) >>> 0;
      } else if (kind === TCPOPT_MPTCP) {
        this.mptcpCount++;
        if (len >= 4 && buf[off + 2] >> 4 === 2 && !this.hasDss && readDss(buf, off, len, this.dss)) this.hasDss = true;
        else this.others.push(decodeMptcpOption(buf, off, len));
      } else if (kind === TCPOPT_WSCALE && len === 3) {
        this.wscale = buf[off + 2];
      } else if (kind === TCPOPT_SACK && len >= 10 && (len - 2) % 8 === 0) {
        // The highest right edge of the blocks (they may come in any order).
        for (let b = off + 2; b < off + len; b += 8) {
          const right = ((buf[b + 4] << 24) | (buf[b + 5] << 16) | (buf[b + 6] << 8) | buf[b + 7]) >>> 0;
          if (!this.hasSack || ((right - this.sackRight) | 0) > 0) this.sackRight = right;
          this.hasSack = true;
        }
      }
      off += len;
    }
  }

  private slow(p: DecodedPacket): void {
    this.hasDss = false;
    const all = mptcpOptionsOf(p);
    this.mptcpCount = all.length;
    this.others = [];
    for (const o of all) {
      if (o.subtype === 'DSS' && !o.malformed && !o.truncated && !this.hasDss) { dssFromOption(o, this.dss); this.hasDss = true; }
      else this.others.push(o);
    }
  }
}

/** The in-place DSS fields of a DSS decoded as an object (the slow path for irregular packets). */
export function dssFromOption(o: MptcpOption, out: DssFields): void {
  out.hasAck = o.dataAck !== undefined;
  out.ack64 = o.dataAck64 ?? false;
  [out.ackHi, out.ackLo] = out.hasAck ? u64FromBigInt(BigInt(o.dataAck!)) : [0, 0];
  out.hasMap = o.dsn !== undefined;
  out.dsn64 = o.dsn64 ?? false;
  [out.dsnHi, out.dsnLo] = out.hasMap ? u64FromBigInt(BigInt(o.dsn!)) : [0, 0];
  out.ssn = o.subflowSeq ?? 0;
  out.dataLevelLength = o.dataLevelLength ?? 0;
  out.checksum = o.checksum !== undefined ? parseInt(o.checksum, 16) : -1;
  out.dataFin = o.dataFin ?? false;
}
