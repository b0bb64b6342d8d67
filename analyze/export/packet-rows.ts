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

  /** Chunk buffers the encoder thread gave back, to fill again (no allocation, no garbage per chunk). */
  private readonly spare: ArrayBuffer[] = [];

  constructor(private readonly captureId: string, private readonly packets: ParquetFileWriter, private readonly options: ParquetTable, private readonly chunkRows: number) {
    this.chunk = new PacketChunk(chunkRows);
    packets.onRecycle = (b) => { if (this.spare.length < 8) this.spare.push(b); };
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

  add(rec: CaptureRecord, p: DecodedPacket, pa: PacketAnalysis): void {
    if (!p.isTcp) return;
    const c = this.chunk;
    const a = c.a;
    const i = c.rows;
    this.p = p;
    this.hasDss = false;
    this.others.length = 0;
    walkTcpOptions(p, this.visit);
    a.subtypeOffsets[i + 1] = c.subtypeIds.length;
    a.number[i] = rec.n;
    const us = rec.tsSec * 1_000_000 + Math.floor(rec.tsNsec / 1000);
    const usHi = Math.floor(us / TWO32);
    a.time[2 * i] = us - usHi * TWO32;
    a.time[2 * i + 1] = usHi;
    a.ipVersion[i] = p.ipVersion;
    a.src[i] = this.address(p, p.srcOffset);
    a.sport[i] = p.sport;
    a.dst[i] = this.address(p, p.dstOffset);
    a.dport[i] = p.dport;
    const f = p.flags & 0x1ff;
    let flagId = this.flagIds[f];
    if (flagId < 0) { flagId = this.flagIds[f] = c.flagTexts.length; c.flagTexts.push(tcpFlagsText(f)); }
    a.flags[i] = flagId;
    a.seq[i] = p.seq;
    a.ack[i] = p.ack;
    a.window[i] = p.win;
    a.frameLength[i] = rec.len;
    a.capturedLength[i] = rec.caplen;
    a.tcpHeaderLength[i] = p.tcpHeaderLength;
    a.payloadLength[i] = p.payloadLength;
    a.connection[i] = pa.connection;
    if (pa.session >= 0) {
      a.inSession[i] = 1;
      a.session[i] = pa.session;
      a.subflow[i] = pa.subflow;
      a.direction[i] = pa.dir === 's2c' ? 1 : 0;
    }
    a.retransmission[i] = pa.retransmission ? 1 : 0;
    if (pa.reinjectionOf >= 0) { a.hasReinjection[i] = 1; a.reinjectionOf[i] = pa.reinjectionOf; }
    if (pa.conflictWith >= 0) { a.hasConflict[i] = 1; a.conflictWith[i] = pa.conflictWith; }
    if (pa.dsn !== null && pa.dsn >= 0) { a.hasDataSeq[i] = 1; const hi = Math.floor(pa.dsn / TWO32); a.dataSeq[2 * i] = pa.dsn - hi * TWO32; a.dataSeq[2 * i + 1] = hi; }
    if (pa.dataAck !== null && pa.dataAck >= 0) { a.hasDataAckRel[i] = 1; const hi = Math.floor(pa.dataAck / TWO32); a.dataAckRel[2 * i] = pa.dataAck - hi * TWO32; a.dataAckRel[2 * i + 1] = hi; }
    if (pa.checksum !== null) { a.hasChecksumVerdict[i] = 1; a.checksumValid[i] = pa.checksum ? 1 : 0; }
    for (let k = 0; k < pa.findings.length; k++) c.findingIds.push(this.codeId(pa.findings[k]));
    a.findingOffsets[i + 1] = c.findingIds.length;
    if (this.hasDss) {
      const d = this.dss;
      a.hasDss[i] = 1;
      a.dataFin[i] = d.dataFin ? 1 : 0;
      if (d.hasAck) { a.hasAck[i] = 1; a.dataAck[2 * i] = d.ackLo; a.dataAck[2 * i + 1] = d.ackHi; a.dataAck64[i] = d.ack64 ? 1 : 0; }
      if (d.hasMap) {
        a.hasMap[i] = 1;
        a.dsn[2 * i] = d.dsnLo;
        a.dsn[2 * i + 1] = d.dsnHi;
        a.dsn64[i] = d.dsn64 ? 1 : 0;
        a.ssn[i] = d.ssn;
        a.dataLength[i] = d.dataLevelLength;
      }
      if (d.checksum >= 0) { a.hasChecksum[i] = 1; a.checksum[i] = d.checksum; }
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
    this.packets.add({ rows: c.rows, columns: c.columns(this.captureId), recycle: c.buffer });
    this.chunk = new PacketChunk(this.chunkRows, this.spare.pop());
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
