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
import type { PacketAnalysis } from '../packet-analysis.js';
import type { Cell, ParquetTable } from './parquet-table.js';
import type { BoolBuilder, ColumnBuilder, Int64Builder, NumberBuilder, StringBuilder, StringListBuilder } from './column-builders.js';
import { TABLES } from './tables.js';

const hexU64 = (hex: string | undefined): bigint | null => (hex === undefined ? null : BigInt(`0x${hex}`));
const hexU32 = (hex: string | undefined): number | null => (hex === undefined ? null : parseInt(hex, 16));
const decU64 = (dec: string | undefined): bigint | null => (dec === undefined ? null : BigInt(dec));
const subtypeName = (v: number): string => (v < 0 ? 'UNKNOWN' : v < SUBTYPE_NAMES.length ? SUBTYPE_NAMES[v] : v === MP_EXPERIMENTAL ? 'MP_EXPERIMENTAL' : 'UNKNOWN');
const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function packetColumns(cols: readonly ColumnBuilder[]) {
  const names = TABLES.packets.map((d) => d.name);
  const at = <T extends ColumnBuilder>(name: string): T => {
    const i = names.indexOf(name as (typeof names)[number]);
    if (i < 0) throw new Error(`packets table has no column ${name}`);
    return cols[i] as T;
  };
  return {
    capture: at<StringBuilder>('capture_id'), number: at<NumberBuilder>('number'), time: at<Int64Builder>('time'),
    ipVersion: at<NumberBuilder>('ip_version'), src: at<StringBuilder>('src'), sport: at<NumberBuilder>('sport'),
    dst: at<StringBuilder>('dst'), dport: at<NumberBuilder>('dport'), flags: at<StringBuilder>('flags'),
    seq: at<NumberBuilder>('seq'), ack: at<NumberBuilder>('ack'), window: at<NumberBuilder>('window'),
    frameLength: at<NumberBuilder>('frame_length'), capturedLength: at<NumberBuilder>('captured_length'),
    tcpHeaderLength: at<NumberBuilder>('tcp_header_length'), payloadLength: at<NumberBuilder>('payload_length'),
    connection: at<NumberBuilder>('connection'), session: at<NumberBuilder>('session'), subflow: at<NumberBuilder>('subflow'),
    direction: at<StringBuilder>('direction'), retransmission: at<BoolBuilder>('retransmission'),
    reinjectionOf: at<NumberBuilder>('reinjection_of'), conflictWith: at<NumberBuilder>('conflict_with'),
    dataSeq: at<Int64Builder>('data_seq'), dataAckRel: at<Int64Builder>('data_ack_rel'),
    checksumValid: at<BoolBuilder>('checksum_valid'), findings: at<StringListBuilder>('findings'),
    subtypes: at<StringListBuilder>('mptcp_subtypes'), dataAck: at<Int64Builder>('dss_data_ack'), dataAck64: at<BoolBuilder>('dss_data_ack_64'),
    dsn: at<Int64Builder>('dss_dsn'), dsn64: at<BoolBuilder>('dss_dsn_64'), ssn: at<NumberBuilder>('dss_ssn'),
    dataLength: at<NumberBuilder>('dss_data_length'), checksum: at<NumberBuilder>('dss_checksum'), dataFin: at<BoolBuilder>('dss_data_fin'),
  };
}

/** IPv4 address texts by address, so the common case makes no string per packet. */
const V4_CACHE_LIMIT = 4096;

export class PacketRows {
  private readonly v4 = new Map<number, string>();
  private readonly dss = newDssFields();
  private hasDss = false;
  private readonly subtypes: string[] = [];
  private readonly others: Array<{ off: number; len: number; status: string }> = [];
  private p: DecodedPacket | null = null;

  /** The packets table's builders by column (the order of TABLES.packets). */
  private readonly c: ReturnType<typeof packetColumns>;

  constructor(private readonly captureId: string, private readonly packets: ParquetTable, private readonly options: ParquetTable) {
    this.c = packetColumns(packets.cols);
  }

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

  add(rec: CaptureRecord, p: DecodedPacket, a: PacketAnalysis): void {
    if (!p.isTcp) return;
    this.p = p;
    this.hasDss = false;
    this.subtypes.length = 0;
    this.others.length = 0;
    walkTcpOptions(p, this.visit);
    const c = this.c;
    c.capture.pushString(this.captureId);
    c.number.pushNumber(rec.n);
    c.time.pushNumber(rec.tsSec * 1_000_000 + Math.floor(rec.tsNsec / 1000));
    c.ipVersion.pushNumber(p.ipVersion);
    c.src.pushString(this.address(p, p.srcOffset));
    c.sport.pushNumber(p.sport);
    c.dst.pushString(this.address(p, p.dstOffset));
    c.dport.pushNumber(p.dport);
    c.flags.pushString(tcpFlagsText(p.flags));
    c.seq.pushNumber(p.seq >>> 0);
    c.ack.pushNumber(p.ack >>> 0);
    c.window.pushNumber(p.win);
    c.frameLength.pushNumber(rec.len);
    c.capturedLength.pushNumber(rec.caplen);
    c.tcpHeaderLength.pushNumber(p.tcpHeaderLength);
    c.payloadLength.pushNumber(p.payloadLength);
    c.connection.pushNumber(a.connection);
    if (a.session >= 0) {
      c.session.pushNumber(a.session);
      c.subflow.pushNumber(a.subflow);
      c.direction.pushString(a.dir ?? 'c2s');
    } else { c.session.pushNull(); c.subflow.pushNull(); c.direction.pushNull(); }
    c.retransmission.pushBool(a.retransmission);
    if (a.reinjectionOf >= 0) c.reinjectionOf.pushNumber(a.reinjectionOf); else c.reinjectionOf.pushNull();
    if (a.conflictWith >= 0) c.conflictWith.pushNumber(a.conflictWith); else c.conflictWith.pushNull();
    if (a.dsn !== null && a.dsn >= 0) c.dataSeq.pushNumber(a.dsn); else c.dataSeq.pushNull();
    if (a.dataAck !== null && a.dataAck >= 0) c.dataAckRel.pushNumber(a.dataAck); else c.dataAckRel.pushNull();
    if (a.checksum !== null) c.checksumValid.pushBool(a.checksum); else c.checksumValid.pushNull();
    c.findings.pushList(a.findings);
    c.subtypes.pushList(this.subtypes);
    const d = this.dss;
    if (this.hasDss && d.hasAck) { c.dataAck.pushHiLo(d.ackHi, d.ackLo); c.dataAck64.pushBool(d.ack64); } else { c.dataAck.pushNull(); c.dataAck64.pushNull(); }
    if (this.hasDss && d.hasMap) {
      c.dsn.pushHiLo(d.dsnHi, d.dsnLo);
      c.dsn64.pushBool(d.dsn64);
      c.ssn.pushNumber(d.ssn >>> 0);
      c.dataLength.pushNumber(d.dataLevelLength);
    } else { c.dsn.pushNull(); c.dsn64.pushNull(); c.ssn.pushNull(); c.dataLength.pushNull(); }
    if (this.hasDss && d.checksum >= 0) c.checksum.pushNumber(d.checksum); else c.checksum.pushNull();
    if (this.hasDss) c.dataFin.pushBool(d.dataFin); else c.dataFin.pushNull();
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
