/**
 * Rows of the `packets` and `options` tables, one packet at a time as the engine analyzes it. The DSS (in
 * nearly every MPTCP packet, at most one per segment) is read in place into columns of `packets`; every other
 * MPTCP option, rare and of many shapes, becomes a row of `options` (docs/tables.md says why).
 */
import { ipText } from '../../dissect/address.js';
import { newDssFields, readDss } from '../../dissect/dss-fields.js';
import { decodeMptcpOption, SUBTYPE_NAMES, DSS, MP_EXPERIMENTAL, type MptcpOption } from '../../dissect/mptcp.js';
import { tcpFlagsText, type DecodedPacket } from '../../dissect/packet.js';
import type { CaptureRecord } from '../../dissect/record.js';
import { TCPOPT_MPTCP, walkTcpOptions } from '../../dissect/tcp.js';
import type { PacketTag } from '../engine.js';
import type { Cell, ParquetTable } from './parquet-table.js';

const u64 = (hi: number, lo: number): number | bigint => (hi < 0x200000 ? hi * 0x1_0000_0000 + lo : (BigInt(hi) << 32n) | BigInt(lo));
const hexU64 = (hex: string | undefined): bigint | null => (hex === undefined ? null : BigInt(`0x${hex}`));
const hexU32 = (hex: string | undefined): number | null => (hex === undefined ? null : parseInt(hex, 16));
const decU64 = (dec: string | undefined): bigint | null => (dec === undefined ? null : BigInt(dec));
const subtypeName = (v: number): string => (v < 0 ? 'UNKNOWN' : v < SUBTYPE_NAMES.length ? SUBTYPE_NAMES[v] : v === MP_EXPERIMENTAL ? 'MP_EXPERIMENTAL' : 'UNKNOWN');
const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** IPv4 address texts by address, so the common case makes no string per packet. */
const V4_CACHE_LIMIT = 4096;

export class PacketRows {
  private readonly v4 = new Map<number, string>();
  private readonly dss = newDssFields();
  private hasDss = false;
  private subtypes: string[] = [];
  private readonly others: Array<{ off: number; len: number; status: string }> = [];
  private p: DecodedPacket | null = null;

  constructor(private readonly captureId: string, private readonly packets: ParquetTable, private readonly options: ParquetTable) {}

  private readonly visit = (kind: number, off: number, len: number, status: string): void => {
    if (kind !== TCPOPT_MPTCP) return;
    const buf = (this.p as DecodedPacket).data;
    const subtype = len >= 3 && off + 2 < (this.p as DecodedPacket).end ? buf[off + 2] >> 4 : -1;
    this.subtypes.push(subtypeName(subtype));
    if (subtype === DSS && status === 'ok' && !this.hasDss && readDss(buf, off, len, this.dss)) { this.hasDss = true; return; }
    this.others.push({ off, len, status });
  };

  private address(p: DecodedPacket, off: number): string {
    if (p.ipVersion !== 4) return ipText(p.ipVersion, p.data, off);
    const key = p.data.readUInt32BE(off);
    let text = this.v4.get(key);
    if (text === undefined) {
      if (this.v4.size >= V4_CACHE_LIMIT) this.v4.clear();
      text = ipText(4, p.data, off);
      this.v4.set(key, text);
    }
    return text;
  }

  add(rec: CaptureRecord, p: DecodedPacket, tag: PacketTag | null): void {
    if (!p.isTcp) return;
    this.p = p;
    this.hasDss = false;
    this.subtypes = [];
    this.others.length = 0;
    walkTcpOptions(p, this.visit);
    const c = this.packets.cols;
    c[0].push(this.captureId);
    c[1].push(rec.n);
    c[2].push(rec.tsSec * 1_000_000 + Math.floor(rec.tsNsec / 1000));
    c[3].push(p.ipVersion);
    c[4].push(this.address(p, p.srcOffset));
    c[5].push(p.sport);
    c[6].push(this.address(p, p.dstOffset));
    c[7].push(p.dport);
    c[8].push(tcpFlagsText(p.flags));
    c[9].push(p.seq >>> 0);
    c[10].push(p.ack >>> 0);
    c[11].push(p.win);
    c[12].push(rec.len);
    c[13].push(rec.caplen);
    c[14].push(p.tcpHeaderLength);
    c[15].push(p.payloadLength);
    c[16].push(tag ? tag.session : null);
    c[17].push(tag ? tag.subflow : null);
    c[18].push(tag ? tag.dir : null);
    c[19].push(this.subtypes);
    const d = this.dss;
    if (this.hasDss) {
      c[20].push(d.hasAck ? u64(d.ackHi, d.ackLo) : null);
      c[21].push(d.hasAck ? d.ack64 : null);
      c[22].push(d.hasMap ? u64(d.dsnHi, d.dsnLo) : null);
      c[23].push(d.hasMap ? d.dsn64 : null);
      c[24].push(d.hasMap ? d.ssn >>> 0 : null);
      c[25].push(d.hasMap ? d.dataLevelLength : null);
      c[26].push(d.checksum >= 0 ? d.checksum : null);
      c[27].push(d.dataFin);
    } else for (let i = 20; i <= 27; i++) c[i].push(null);
    this.packets.endRow();
    for (let i = 0; i < this.others.length; i++) this.optionRow(rec.n, i, this.others[i], p);
  }

  private optionRow(n: number, index: number, at: { off: number; len: number; status: string }, p: DecodedPacket): void {
    let o: MptcpOption;
    if (at.status === 'ok') o = decodeMptcpOption(p.data, at.off, at.len);
    else {
      const sub = at.len >= 3 && at.off + 2 < p.end ? p.data[at.off + 2] >> 4 : -1;
      o = { subtype: subtypeName(sub) as MptcpOption['subtype'], subtypeValue: sub, length: at.len };
      if (at.status === 'cut') o.truncated = true;
      else o.malformed = at.status === 'badlen' ? `MPTCP option length ${at.len} is below 2` : 'MPTCP option runs past the TCP header';
    }
    const row: Cell[] = [
      this.captureId, n, index, o.subtype, o.length & 0xff, opt(o.malformed), Boolean(o.truncated), opt(o.version), opt(o.flags),
      hexU64(o.senderKey), hexU64(o.receiverKey), opt(o.dataLevelLength), hexU32(o.checksum),
      opt(o.phase), opt(o.backup), opt(o.addressId), hexU32(o.receiverToken),
      hexU32(o.senderNonce), opt(o.senderHmac), decU64(o.dataAck), decU64(o.dsn),
      opt(o.subflowSeq), opt(o.dataFin), opt(o.echo), opt(o.ipVersion),
      opt(o.address), opt(o.port), opt(o.hmac), o.addressIds ? [...o.addressIds] : null,
      opt(o.reason), opt(o.reasonName), opt(o.raw),
    ];
    this.options.row(row);
  }
}
