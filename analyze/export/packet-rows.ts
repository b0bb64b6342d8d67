/**
 * Rows of the `packets` and `options` tables, one packet at a time as the engine analyzes it. The DSS (in
 * nearly every MPTCP packet, at most one per segment) is read in place into columns of `packets`; every other
 * MPTCP option, rare and of many shapes, becomes a row of `options` (docs/tables.md says why). Packet rows go
 * into typed arrays (packet-chunk.ts), handed to the encoder thread every `chunkRows` rows.
 */
import { ipText } from '../../dissect/address.js';
import { newDssFields, readDss } from '../../dissect/dss-fields.js';
import { decodeMptcpOption, DSS, type MptcpOption } from '../../dissect/mptcp.js';
import { tcpFlagsText, type DecodedPacket } from '../../dissect/packet.js';
import type { CaptureRecord } from '../../dissect/record.js';
import { TCPOPT_MPTCP, walkTcpOptions, type OptionStatus } from '../../dissect/tcp.js';
import type { PacketAnalysis } from '../packet-analysis.js';
import type { Cell, ParquetTable } from './parquet-table.js';
import type { ParquetFileWriter } from './parquet-encoder.js';
import { PacketChunk, SUBTYPE_UNKNOWN, SUBTYPE_WORDS } from './packet-chunk.js';

const hexU64 = (hex: string | undefined): bigint | null => (hex === undefined ? null : BigInt(`0x${hex}`));
const hexU32 = (hex: string | undefined): number | null => (hex === undefined ? null : parseInt(hex, 16));
const decU64 = (dec: string | undefined): bigint | null => (dec === undefined ? null : BigInt(dec));
const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const TWO32 = 0x1_0000_0000;

interface OtherOption { off: number; len: number; status: OptionStatus }

export class PacketRows {
  private chunk: PacketChunk;
  /** Dictionary ids of this chunk: IPv4 addresses by value, other address texts, flags by bits, finding codes. */
  private v4 = new Map<number, number>();
  private texts = new Map<string, number>();
  private flagIds = new Int32Array(512).fill(-1);
  private codes = new Map<string, number>();

  private readonly dss = newDssFields();
  private hasDss = false;
  private readonly others: OtherOption[] = [];
  private p: DecodedPacket | null = null;
  private chunks = 0;

  constructor(private readonly captureId: string, private readonly packets: ParquetFileWriter, private readonly options: ParquetTable, private readonly chunkRows: number) {
    this.chunk = new PacketChunk(chunkRows);
  }

  private readonly visit = (kind: number, off: number, len: number, status: OptionStatus): void => {
    if (kind !== TCPOPT_MPTCP) return;
    const p = this.p as DecodedPacket;
    const subtype = len >= 3 && off + 2 < p.end ? p.data[off + 2] >> 4 : -1;
    this.chunk.subtypeIds.push(subtype < 0 ? SUBTYPE_UNKNOWN : subtype);
    if (subtype === DSS && status === 'ok' && !this.hasDss && readDss(p.data, off, len, this.dss)) { this.hasDss = true; return; }
    this.others.push({ off, len, status });
  };

  private address(p: DecodedPacket, off: number): number {
    const c = this.chunk;
    if (p.ipVersion === 4) {
      const key = p.data.readUInt32BE(off);
      let id = this.v4.get(key);
      if (id === undefined) { id = c.addresses.length; c.addresses.push(ipText(4, p.data, off)); this.v4.set(key, id); }
      return id;
    }
    const text = ipText(p.ipVersion, p.data, off);
    let id = this.texts.get(text);
    if (id === undefined) { id = c.addresses.length; c.addresses.push(text); this.texts.set(text, id); }
    return id;
  }

  add(rec: CaptureRecord, p: DecodedPacket, a: PacketAnalysis): void {
    if (!p.isTcp) return;
    const c = this.chunk;
    const i = c.rows;
    this.p = p;
    this.hasDss = false;
    this.others.length = 0;
    walkTcpOptions(p, this.visit);
    c.subtypeOffsets[i + 1] = c.subtypeIds.length;
    c.number[i] = rec.n;
    const us = rec.tsSec * 1_000_000 + Math.floor(rec.tsNsec / 1000);
    const usHi = Math.floor(us / TWO32);
    c.time[2 * i] = us - usHi * TWO32;
    c.time[2 * i + 1] = usHi;
    c.ipVersion[i] = p.ipVersion;
    c.src[i] = this.address(p, p.srcOffset);
    c.sport[i] = p.sport;
    c.dst[i] = this.address(p, p.dstOffset);
    c.dport[i] = p.dport;
    const f = p.flags & 0x1ff;
    let flagId = this.flagIds[f];
    if (flagId < 0) { flagId = this.flagIds[f] = c.flagTexts.length; c.flagTexts.push(tcpFlagsText(f)); }
    c.flags[i] = flagId;
    c.seq[i] = p.seq;
    c.ack[i] = p.ack;
    c.window[i] = p.win;
    c.frameLength[i] = rec.len;
    c.capturedLength[i] = rec.caplen;
    c.tcpHeaderLength[i] = p.tcpHeaderLength;
    c.payloadLength[i] = p.payloadLength;
    c.connection[i] = a.connection;
    if (a.session >= 0) {
      c.inSession[i] = 1;
      c.session[i] = a.session;
      c.subflow[i] = a.subflow;
      c.direction[i] = a.dir === 's2c' ? 1 : 0;
    }
    c.retransmission[i] = a.retransmission ? 1 : 0;
    if (a.reinjectionOf >= 0) { c.hasReinjection[i] = 1; c.reinjectionOf[i] = a.reinjectionOf; }
    if (a.conflictWith >= 0) { c.hasConflict[i] = 1; c.conflictWith[i] = a.conflictWith; }
    if (a.dsn !== null && a.dsn >= 0) { c.hasDataSeq[i] = 1; const hi = Math.floor(a.dsn / TWO32); c.dataSeq[2 * i] = a.dsn - hi * TWO32; c.dataSeq[2 * i + 1] = hi; }
    if (a.dataAck !== null && a.dataAck >= 0) { c.hasDataAckRel[i] = 1; const hi = Math.floor(a.dataAck / TWO32); c.dataAckRel[2 * i] = a.dataAck - hi * TWO32; c.dataAckRel[2 * i + 1] = hi; }
    if (a.checksum !== null) { c.hasChecksumVerdict[i] = 1; c.checksumValid[i] = a.checksum ? 1 : 0; }
    for (let k = 0; k < a.findings.length; k++) c.findingIds.push(this.codeId(a.findings[k]));
    c.findingOffsets[i + 1] = c.findingIds.length;
    if (this.hasDss) {
      const d = this.dss;
      c.hasDss[i] = 1;
      c.dataFin[i] = d.dataFin ? 1 : 0;
      if (d.hasAck) { c.hasAck[i] = 1; c.dataAck[2 * i] = d.ackLo; c.dataAck[2 * i + 1] = d.ackHi; c.dataAck64[i] = d.ack64 ? 1 : 0; }
      if (d.hasMap) {
        c.hasMap[i] = 1;
        c.dsn[2 * i] = d.dsnLo;
        c.dsn[2 * i + 1] = d.dsnHi;
        c.dsn64[i] = d.dsn64 ? 1 : 0;
        c.ssn[i] = d.ssn;
        c.dataLength[i] = d.dataLevelLength;
      }
      if (d.checksum >= 0) { c.hasChecksum[i] = 1; c.checksum[i] = d.checksum; }
    }
    c.rows = i + 1;
    if (c.rows === c.capacity) this.flush();
    for (let k = 0; k < this.others.length; k++) this.optionRow(rec.n, k, this.others[k], p);
  }

  private codeId(code: string): number {
    let id = this.codes.get(code);
    if (id === undefined) { id = this.chunk.findingCodes.length; this.chunk.findingCodes.push(code); this.codes.set(code, id); }
    return id;
  }

  /** Hands the chunk over to the encoder thread (its arrays go with it) and starts a new one. */
  private flush(): void {
    const c = this.chunk;
    this.chunks++;
    this.packets.add({ rows: c.rows, columns: c.columns(this.captureId) });
    this.chunk = new PacketChunk(this.chunkRows);
    this.v4.clear();
    this.texts.clear();
    this.flagIds.fill(-1);
    this.codes.clear();
  }

  /** Hands over the last rows (an empty table still gets its schema). */
  finish(): void {
    if (this.chunk.rows > 0 || this.chunks === 0) this.flush();
  }

  private optionRow(n: number, index: number, at: OtherOption, p: DecodedPacket): void {
    let o: MptcpOption;
    if (at.status === 'ok') o = decodeMptcpOption(p.data, at.off, at.len);
    else {
      const sub = at.len >= 3 && at.off + 2 < p.end ? p.data[at.off + 2] >> 4 : -1;
      o = { subtype: SUBTYPE_WORDS[sub < 0 ? SUBTYPE_UNKNOWN : sub] as MptcpOption['subtype'], subtypeValue: sub, length: at.len };
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
