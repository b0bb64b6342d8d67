/**
 * A chunk of rows of the `packets` table as plain typed arrays, one per column, filled by packet-rows.ts with
 * one store per value at one row index (no builder objects on the per-packet path), then handed to the encoder
 * thread as raw columns (raw-columns.ts). Columns that are null together share one presence array.
 */
import { SUBTYPE_NAMES, MP_EXPERIMENTAL } from '../../dissect/mptcp.js';
import type { RawColumn } from './raw-columns.js';
import { TABLES } from './tables.js';

/** Subtype names by subtype value (0..15), for `mptcp_subtypes`; index 16 is UNKNOWN. */
export const SUBTYPE_WORDS: readonly string[] = [
  ...Array.from({ length: 16 }, (_, v) => (v < SUBTYPE_NAMES.length ? SUBTYPE_NAMES[v] : v === MP_EXPERIMENTAL ? 'MP_EXPERIMENTAL' : 'UNKNOWN')),
  'UNKNOWN',
];
export const SUBTYPE_UNKNOWN = 16;

/** A growable list of int32 ids (the items of a list column). */
class IdList {
  ids = new Int32Array(1024);
  length = 0;
  push(id: number): void {
    if (this.length === this.ids.length) { const g = new Int32Array(this.ids.length * 2); g.set(this.ids); this.ids = g; }
    this.ids[this.length++] = id;
  }
}

export class PacketChunk {
  rows = 0;
  readonly number: Uint32Array;
  readonly time: Uint32Array; // halves
  readonly ipVersion: Uint8Array;
  readonly src: Int32Array;
  readonly sport: Uint16Array;
  readonly dst: Int32Array;
  readonly dport: Uint16Array;
  readonly flags: Int32Array;
  readonly seq: Uint32Array;
  readonly ack: Uint32Array;
  readonly window: Uint16Array;
  readonly frameLength: Uint32Array;
  readonly capturedLength: Uint32Array;
  readonly tcpHeaderLength: Uint8Array;
  readonly payloadLength: Uint32Array;
  readonly connection: Uint32Array;
  /** session, subflow and direction are present together. */
  readonly inSession: Uint8Array;
  readonly session: Uint32Array;
  readonly subflow: Uint32Array;
  readonly direction: Int32Array; // 0 c2s, 1 s2c
  readonly retransmission: Uint8Array;
  readonly hasReinjection: Uint8Array;
  readonly reinjectionOf: Uint32Array;
  readonly hasConflict: Uint8Array;
  readonly conflictWith: Uint32Array;
  readonly hasDataSeq: Uint8Array;
  readonly dataSeq: Uint32Array; // halves
  readonly hasDataAckRel: Uint8Array;
  readonly dataAckRel: Uint32Array; // halves
  readonly hasChecksumVerdict: Uint8Array;
  readonly checksumValid: Uint8Array;
  readonly findingOffsets: Int32Array;
  readonly findingIds = new IdList();
  readonly subtypeOffsets: Int32Array;
  readonly subtypeIds = new IdList();
  /** dss_data_ack and dss_data_ack_64. */
  readonly hasAck: Uint8Array;
  readonly dataAck: Uint32Array; // halves
  readonly dataAck64: Uint8Array;
  /** dss_dsn, dss_dsn_64, dss_ssn, dss_data_length. */
  readonly hasMap: Uint8Array;
  readonly dsn: Uint32Array; // halves
  readonly dsn64: Uint8Array;
  readonly ssn: Uint32Array;
  readonly dataLength: Uint16Array;
  readonly hasChecksum: Uint8Array;
  readonly checksum: Uint16Array;
  readonly hasDss: Uint8Array;
  readonly dataFin: Uint8Array;

  /** Distinct addresses (src and dst share it), flags texts and finding codes of this chunk. */
  readonly addresses: string[] = [];
  readonly flagTexts: string[] = [];
  readonly findingCodes: string[] = [];

  constructor(readonly capacity: number) {
    const n = capacity;
    this.number = new Uint32Array(n); this.time = new Uint32Array(2 * n); this.ipVersion = new Uint8Array(n);
    this.src = new Int32Array(n); this.sport = new Uint16Array(n); this.dst = new Int32Array(n); this.dport = new Uint16Array(n);
    this.flags = new Int32Array(n); this.seq = new Uint32Array(n); this.ack = new Uint32Array(n); this.window = new Uint16Array(n);
    this.frameLength = new Uint32Array(n); this.capturedLength = new Uint32Array(n); this.tcpHeaderLength = new Uint8Array(n);
    this.payloadLength = new Uint32Array(n); this.connection = new Uint32Array(n);
    this.inSession = new Uint8Array(n); this.session = new Uint32Array(n); this.subflow = new Uint32Array(n); this.direction = new Int32Array(n);
    this.retransmission = new Uint8Array(n);
    this.hasReinjection = new Uint8Array(n); this.reinjectionOf = new Uint32Array(n);
    this.hasConflict = new Uint8Array(n); this.conflictWith = new Uint32Array(n);
    this.hasDataSeq = new Uint8Array(n); this.dataSeq = new Uint32Array(2 * n);
    this.hasDataAckRel = new Uint8Array(n); this.dataAckRel = new Uint32Array(2 * n);
    this.hasChecksumVerdict = new Uint8Array(n); this.checksumValid = new Uint8Array(n);
    this.findingOffsets = new Int32Array(n + 1); this.subtypeOffsets = new Int32Array(n + 1);
    this.hasAck = new Uint8Array(n); this.dataAck = new Uint32Array(2 * n); this.dataAck64 = new Uint8Array(n);
    this.hasMap = new Uint8Array(n); this.dsn = new Uint32Array(2 * n); this.dsn64 = new Uint8Array(n);
    this.ssn = new Uint32Array(n); this.dataLength = new Uint16Array(n);
    this.hasChecksum = new Uint8Array(n); this.checksum = new Uint16Array(n);
    this.hasDss = new Uint8Array(n); this.dataFin = new Uint8Array(n);
  }

  /** The chunk's columns in the order of TABLES.packets. */
  columns(captureId: string): RawColumn[] {
    const n = this.rows;
    const num = (values: Extract<RawColumn, { kind: 'number' }>['values'], present?: Uint8Array): RawColumn => ({ kind: 'number', values, present });
    const i64 = (halves: Uint32Array, present?: Uint8Array): RawColumn => ({ kind: 'int64', halves, present });
    const bool = (values: Uint8Array, present?: Uint8Array): RawColumn => ({ kind: 'bool', values, present });
    const str = (ids: Int32Array, words: string[], present?: Uint8Array): RawColumn => ({ kind: 'string', ids, words, present });
    const list = (offsets: Int32Array, items: IdList, words: string[]): RawColumn =>
      ({ kind: 'list', offsets, child: { kind: 'string', ids: items.ids.subarray(0, items.length), words } });
    const byName: Record<(typeof TABLES.packets)[number]['name'], RawColumn> = {
      capture_id: str(new Int32Array(n), [captureId]), number: num(this.number), time: i64(this.time),
      ip_version: num(this.ipVersion), src: str(this.src, this.addresses), sport: num(this.sport),
      dst: str(this.dst, this.addresses), dport: num(this.dport), flags: str(this.flags, this.flagTexts),
      seq: num(this.seq), ack: num(this.ack), window: num(this.window), frame_length: num(this.frameLength),
      captured_length: num(this.capturedLength), tcp_header_length: num(this.tcpHeaderLength),
      payload_length: num(this.payloadLength), connection: num(this.connection),
      session: num(this.session, this.inSession), subflow: num(this.subflow, this.inSession),
      direction: str(this.direction, ['c2s', 's2c'], this.inSession), retransmission: bool(this.retransmission),
      reinjection_of: num(this.reinjectionOf, this.hasReinjection), conflict_with: num(this.conflictWith, this.hasConflict),
      data_seq: i64(this.dataSeq, this.hasDataSeq), data_ack_rel: i64(this.dataAckRel, this.hasDataAckRel),
      checksum_valid: bool(this.checksumValid, this.hasChecksumVerdict),
      findings: list(this.findingOffsets, this.findingIds, this.findingCodes),
      mptcp_subtypes: list(this.subtypeOffsets, this.subtypeIds, SUBTYPE_WORDS as string[]),
      dss_data_ack: i64(this.dataAck, this.hasAck), dss_data_ack_64: bool(this.dataAck64, this.hasAck),
      dss_dsn: i64(this.dsn, this.hasMap), dss_dsn_64: bool(this.dsn64, this.hasMap), dss_ssn: num(this.ssn, this.hasMap),
      dss_data_length: num(this.dataLength, this.hasMap), dss_checksum: num(this.checksum, this.hasChecksum),
      dss_data_fin: bool(this.dataFin, this.hasDss),
    };
    return TABLES.packets.map((c) => byName[c.name]);
  }
}
