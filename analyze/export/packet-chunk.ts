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

const align8 = (n: number): number => (n + 7) & ~7;

type ArrayType<T> = { new (buffer: ArrayBuffer, offset: number, length: number): T; new (length: number): T; readonly BYTES_PER_ELEMENT: number };

/** Cuts consecutive 8-byte-aligned arrays out of one buffer (or, without a buffer, only counts the bytes). */
class Carver {
  offset = 0;
  constructor(private readonly buffer: ArrayBuffer | null, private readonly rows: number) {}
  take<T>(Type: ArrayType<T>, perRow: number, extra = 0): T {
    const count = perRow * this.rows + extra;
    const view = this.buffer === null ? new Type(0) : new Type(this.buffer, this.offset, count);
    this.offset += align8(count * Type.BYTES_PER_ELEMENT);
    return view;
  }
}

/**
 * The chunk's typed arrays, all carved out of one ArrayBuffer (so a chunk is one allocation, one transfer and
 * one buffer to recycle). 64-bit values are [lo, hi] halves; the has… arrays are presence bytes. A class with
 * fixed fields, so that the per-packet stores are fast property accesses.
 */
export class PacketArrays {
  readonly number: Uint32Array;
  readonly time: Uint32Array;
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
  /** 0 c2s, 1 s2c. */
  readonly direction: Int32Array;
  readonly retransmission: Uint8Array;
  readonly hasReinjection: Uint8Array;
  readonly reinjectionOf: Uint32Array;
  readonly hasConflict: Uint8Array;
  readonly conflictWith: Uint32Array;
  readonly hasDataSeq: Uint8Array;
  readonly dataSeq: Uint32Array;
  readonly hasDataAckRel: Uint8Array;
  readonly dataAckRel: Uint32Array;
  readonly hasChecksumVerdict: Uint8Array;
  readonly checksumValid: Uint8Array;
  readonly findingOffsets: Int32Array;
  readonly subtypeOffsets: Int32Array;
  /** dss_data_ack and dss_data_ack_64. */
  readonly hasAck: Uint8Array;
  readonly dataAck: Uint32Array;
  readonly dataAck64: Uint8Array;
  /** dss_dsn, dss_dsn_64, dss_ssn, dss_data_length. */
  readonly hasMap: Uint8Array;
  readonly dsn: Uint32Array;
  readonly dsn64: Uint8Array;
  readonly ssn: Uint32Array;
  readonly dataLength: Uint16Array;
  readonly hasChecksum: Uint8Array;
  readonly checksum: Uint16Array;
  readonly hasDss: Uint8Array;
  readonly dataFin: Uint8Array;

  constructor(c: Carver) {
    this.number = c.take(Uint32Array, 1);
    this.time = c.take(Uint32Array, 2);
    this.ipVersion = c.take(Uint8Array, 1);
    this.src = c.take(Int32Array, 1);
    this.sport = c.take(Uint16Array, 1);
    this.dst = c.take(Int32Array, 1);
    this.dport = c.take(Uint16Array, 1);
    this.flags = c.take(Int32Array, 1);
    this.seq = c.take(Uint32Array, 1);
    this.ack = c.take(Uint32Array, 1);
    this.window = c.take(Uint16Array, 1);
    this.frameLength = c.take(Uint32Array, 1);
    this.capturedLength = c.take(Uint32Array, 1);
    this.tcpHeaderLength = c.take(Uint8Array, 1);
    this.payloadLength = c.take(Uint32Array, 1);
    this.connection = c.take(Uint32Array, 1);
    this.inSession = c.take(Uint8Array, 1);
    this.session = c.take(Uint32Array, 1);
    this.subflow = c.take(Uint32Array, 1);
    this.direction = c.take(Int32Array, 1);
    this.retransmission = c.take(Uint8Array, 1);
    this.hasReinjection = c.take(Uint8Array, 1);
    this.reinjectionOf = c.take(Uint32Array, 1);
    this.hasConflict = c.take(Uint8Array, 1);
    this.conflictWith = c.take(Uint32Array, 1);
    this.hasDataSeq = c.take(Uint8Array, 1);
    this.dataSeq = c.take(Uint32Array, 2);
    this.hasDataAckRel = c.take(Uint8Array, 1);
    this.dataAckRel = c.take(Uint32Array, 2);
    this.hasChecksumVerdict = c.take(Uint8Array, 1);
    this.checksumValid = c.take(Uint8Array, 1);
    this.findingOffsets = c.take(Int32Array, 1, 1);
    this.subtypeOffsets = c.take(Int32Array, 1, 1);
    this.hasAck = c.take(Uint8Array, 1);
    this.dataAck = c.take(Uint32Array, 2);
    this.dataAck64 = c.take(Uint8Array, 1);
    this.hasMap = c.take(Uint8Array, 1);
    this.dsn = c.take(Uint32Array, 2);
    this.dsn64 = c.take(Uint8Array, 1);
    this.ssn = c.take(Uint32Array, 1);
    this.dataLength = c.take(Uint16Array, 1);
    this.hasChecksum = c.take(Uint8Array, 1);
    this.checksum = c.take(Uint16Array, 1);
    this.hasDss = c.take(Uint8Array, 1);
    this.dataFin = c.take(Uint8Array, 1);
  }
}

const chunkBytes = new Map<number, number>();
/** Bytes of the one buffer of a chunk of `rows` rows. */
export function packetChunkBytes(rows: number): number {
  let bytes = chunkBytes.get(rows);
  if (bytes === undefined) {
    const c = new Carver(null, rows);
    new PacketArrays(c);
    chunkBytes.set(rows, (bytes = c.offset));
  }
  return bytes;
}

export class PacketChunk {
  rows = 0;
  /** The typed arrays, 64-bit values as [lo, hi] halves; has… arrays are the presence bytes. */
  readonly a: PacketArrays;
  /** The one buffer of all the arrays. */
  readonly buffer: ArrayBuffer;
  readonly findingIds = new IdList();
  readonly subtypeIds = new IdList();
  /** Distinct addresses (src and dst share it), flags texts and finding codes of this chunk. */
  readonly addresses: string[] = [];
  readonly flagTexts: string[] = [];
  readonly findingCodes: string[] = [];

  /** `recycled`: the buffer of an earlier chunk of the same capacity, zeroed here; without it a new one. */
  constructor(readonly capacity: number, recycled?: ArrayBuffer) {
    const bytes = packetChunkBytes(capacity);
    if (recycled !== undefined && recycled.byteLength === bytes) new Uint8Array(recycled).fill(0);
    else recycled = undefined;
    this.buffer = recycled ?? new ArrayBuffer(bytes);
    this.a = new PacketArrays(new Carver(this.buffer, capacity));
  }

  /** The chunk's columns in the order of TABLES.packets. */
  columns(captureId: string): RawColumn[] {
    const n = this.rows;
    const a = this.a;
    const num = (values: Extract<RawColumn, { kind: 'number' }>['values'], present?: Uint8Array): RawColumn => ({ kind: 'number', values, present });
    const i64 = (halves: Uint32Array, present?: Uint8Array): RawColumn => ({ kind: 'int64', halves, present });
    const bool = (values: Uint8Array, present?: Uint8Array): RawColumn => ({ kind: 'bool', values, present });
    const str = (ids: Int32Array, words: string[], present?: Uint8Array): RawColumn => ({ kind: 'string', ids, words, present });
    const list = (offsets: Int32Array, items: IdList, words: string[]): RawColumn =>
      ({ kind: 'list', offsets, child: { kind: 'string', ids: items.ids.subarray(0, items.length), words } });
    const byName: Record<(typeof TABLES.packets)[number]['name'], RawColumn> = {
      capture_id: str(new Int32Array(n), [captureId]), number: num(a.number), time: i64(a.time),
      ip_version: num(a.ipVersion), src: str(a.src, this.addresses), sport: num(a.sport),
      dst: str(a.dst, this.addresses), dport: num(a.dport), flags: str(a.flags, this.flagTexts),
      seq: num(a.seq), ack: num(a.ack), window: num(a.window), frame_length: num(a.frameLength),
      captured_length: num(a.capturedLength), tcp_header_length: num(a.tcpHeaderLength),
      payload_length: num(a.payloadLength), connection: num(a.connection),
      session: num(a.session, a.inSession), subflow: num(a.subflow, a.inSession),
      direction: str(a.direction, ['c2s', 's2c'], a.inSession), retransmission: bool(a.retransmission),
      reinjection_of: num(a.reinjectionOf, a.hasReinjection), conflict_with: num(a.conflictWith, a.hasConflict),
      data_seq: i64(a.dataSeq, a.hasDataSeq), data_ack_rel: i64(a.dataAckRel, a.hasDataAckRel),
      checksum_valid: bool(a.checksumValid, a.hasChecksumVerdict),
      findings: list(a.findingOffsets, this.findingIds, this.findingCodes),
      mptcp_subtypes: list(a.subtypeOffsets, this.subtypeIds, SUBTYPE_WORDS as string[]),
      dss_data_ack: i64(a.dataAck, a.hasAck), dss_data_ack_64: bool(a.dataAck64, a.hasAck),
      dss_dsn: i64(a.dsn, a.hasMap), dss_dsn_64: bool(a.dsn64, a.hasMap), dss_ssn: num(a.ssn, a.hasMap),
      dss_data_length: num(a.dataLength, a.hasMap), dss_checksum: num(a.checksum, a.hasChecksum),
      dss_data_fin: bool(a.dataFin, a.hasDss),
    };
    return TABLES.packets.map((c) => byName[c.name]);
  }
}
