/**
 * Compact per-packet index for the packet list: numbers in typed arrays and a copy of each packet's headers
 * (up to the start of the TCP payload) in large shared byte slabs. A row's text is decoded from those bytes
 * only when it is on screen; no per-packet object or string is kept.
 */
import type { CaptureRecord } from '../dissect/record.js';
import type { DecodedPacket } from '../dissect/packet.js';
import { walkTcpOptions, TCPOPT_MPTCP } from '../dissect/tcp.js';
import type { PacketAnalysis } from '../analyze/packet-analysis.js';

/** Subtype bits (bit = the 4-bit MPTCP subtype value, 0..8), plus these. */
export const BIT_OTHER_SUBTYPE = 1 << 9;
export const BIT_MALFORMED = 1 << 10;
export const BIT_ANY_MPTCP = 1 << 15;

/** Session tag values besides a session id (>= 0). */
export const TAG_NONE = -1;
/** Unmatched connection k is stored as -2 - k. */
export const unmatchedTag = (k: number): number => -2 - k;

export const DIR_C2S = 0;
export const DIR_S2C = 1;
export const DIR_NONE = 255;

/** Bits of PacketIndex.verdicts. */
export const V_RETRANSMISSION = 1;
export const V_CHECKSUM_OK = 2;
export const V_CHECKSUM_BAD = 4;
export const V_HMAC_VALID = 8;
export const V_HMAC_INVALID = 16;
export const V_HMAC_UNVERIFIABLE = 32;

/** Headers kept per packet: link + IP + TCP with options fits; longer headers are cut (and decoded as cut). */
const MAX_HEADER_COPY = 320;
/** Bytes kept of a packet that is not TCP (enough for the link and IP headers). */
const NON_TCP_COPY = 96;
const SLAB = 4 * 1024 * 1024;

function grow<T extends Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float64Array>(a: T, size: number): T {
  const next = new (a.constructor as new (n: number) => T)(size);
  next.set(a);
  return next;
}

export class PacketIndex {
  count = 0;
  private cap: number;
  n: Uint32Array;
  tsSec: Float64Array;
  tsNsec: Uint32Array;
  wireLen: Uint32Array;
  capLen: Uint32Array;
  linktype: Uint16Array;
  iface: Uint16Array;
  tsDigits: Uint8Array;
  /** Session id, TAG_NONE, or unmatchedTag(k). */
  session: Int32Array;
  subflow: Int16Array;
  /** DIR_C2S / DIR_S2C at the session level, DIR_NONE. */
  dir: Uint8Array;
  subtypes: Uint16Array;
  payloadLen: Uint32Array;
  /** Header bytes: slab number * SLAB + offset, and length. */
  hdrPos: Float64Array;
  hdrLen: Uint16Array;
  /** Offset of the packet's captured bytes in the capture file (the reader's `pos`), or -1. */
  pos: Float64Array;
  /** The engine's per-packet verdicts (its observer API): TCP connection id (-1 non-TCP), first copy of
   * reinjected data and earlier conflicting copy (packet numbers, -1 none), relative DSN and DATA_ACK (NaN
   * unknown), and VERDICT_* bits. */
  connection: Int32Array;
  reinjectionOf: Int32Array;
  conflictWith: Int32Array;
  dsnRel: Float64Array;
  ackRel: Float64Array;
  verdicts: Uint8Array;
  private readonly slabs: Buffer[] = [];
  private slabUsed = SLAB;

  constructor(initial = 1 << 14) {
    this.cap = initial;
    this.n = new Uint32Array(initial);
    this.tsSec = new Float64Array(initial);
    this.tsNsec = new Uint32Array(initial);
    this.wireLen = new Uint32Array(initial);
    this.capLen = new Uint32Array(initial);
    this.linktype = new Uint16Array(initial);
    this.iface = new Uint16Array(initial);
    this.tsDigits = new Uint8Array(initial);
    this.session = new Int32Array(initial);
    this.subflow = new Int16Array(initial);
    this.dir = new Uint8Array(initial);
    this.subtypes = new Uint16Array(initial);
    this.payloadLen = new Uint32Array(initial);
    this.hdrPos = new Float64Array(initial);
    this.hdrLen = new Uint16Array(initial);
    this.pos = new Float64Array(initial);
    this.connection = new Int32Array(initial);
    this.reinjectionOf = new Int32Array(initial);
    this.conflictWith = new Int32Array(initial);
    this.dsnRel = new Float64Array(initial);
    this.ackRel = new Float64Array(initial);
    this.verdicts = new Uint8Array(initial);
  }

  /** Bytes held by the index (arrays and header slabs). */
  get memoryBytes(): number {
    return this.cap * 89 + this.slabs.length * SLAB;
  }

  private ensure(): void {
    if (this.count < this.cap) return;
    const c = this.cap * 2;
    this.n = grow(this.n, c);
    this.tsSec = grow(this.tsSec, c);
    this.tsNsec = grow(this.tsNsec, c);
    this.wireLen = grow(this.wireLen, c);
    this.capLen = grow(this.capLen, c);
    this.linktype = grow(this.linktype, c);
    this.iface = grow(this.iface, c);
    this.tsDigits = grow(this.tsDigits, c);
    this.session = grow(this.session, c);
    this.subflow = grow(this.subflow, c);
    this.dir = grow(this.dir, c);
    this.subtypes = grow(this.subtypes, c);
    this.payloadLen = grow(this.payloadLen, c);
    this.hdrPos = grow(this.hdrPos, c);
    this.hdrLen = grow(this.hdrLen, c);
    this.pos = grow(this.pos, c);
    this.connection = grow(this.connection, c);
    this.reinjectionOf = grow(this.reinjectionOf, c);
    this.conflictWith = grow(this.conflictWith, c);
    this.dsnRel = grow(this.dsnRel, c);
    this.ackRel = grow(this.ackRel, c);
    this.verdicts = grow(this.verdicts, c);
    this.cap = c;
  }

  /** Adds one packet; `p` is its decoding (from the same record), `a` the engine's verdicts on it. Returns its index. */
  add(rec: CaptureRecord, p: DecodedPacket, session: number, subflow: number, dir: number, a: PacketAnalysis | null = null): number {
    this.ensure();
    const i = this.count++;
    if (a) {
      this.connection[i] = a.connection;
      this.reinjectionOf[i] = a.reinjectionOf;
      this.conflictWith[i] = a.conflictWith;
      this.dsnRel[i] = a.dsn ?? NaN;
      this.ackRel[i] = a.dataAck ?? NaN;
      this.verdicts[i] = (a.retransmission ? V_RETRANSMISSION : 0) | (a.checksum === true ? V_CHECKSUM_OK : a.checksum === false ? V_CHECKSUM_BAD : 0)
        | (a.hmac === 'valid' ? V_HMAC_VALID : a.hmac === 'invalid' ? V_HMAC_INVALID : a.hmac === 'unverifiable' ? V_HMAC_UNVERIFIABLE : 0);
    } else {
      this.connection[i] = -1; this.reinjectionOf[i] = -1; this.conflictWith[i] = -1;
      this.dsnRel[i] = NaN; this.ackRel[i] = NaN; this.verdicts[i] = 0;
    }
    this.n[i] = rec.n;
    this.tsSec[i] = rec.tsSec;
    this.tsNsec[i] = rec.tsNsec;
    this.wireLen[i] = rec.len;
    this.capLen[i] = rec.caplen;
    this.linktype[i] = rec.linktype;
    this.iface[i] = rec.iface;
    this.tsDigits[i] = rec.tsDigits;
    this.pos[i] = rec.pos ?? -1;
    this.session[i] = session;
    this.subflow[i] = subflow;
    this.dir[i] = dir;
    this.payloadLen[i] = p.isTcp ? p.payloadLength : 0;
    let bits = 0;
    if (p.isTcp) {
      const buf = p.data;
      walkTcpOptions(p, (kind, off, len, status) => {
        if (kind !== TCPOPT_MPTCP) return;
        bits |= BIT_ANY_MPTCP;
        if (status !== 'ok') { bits |= BIT_MALFORMED; return; }
        const st = len >= 3 ? buf[off + 2] >> 4 : 15;
        bits |= st <= 8 ? 1 << st : BIT_OTHER_SUBTYPE;
      });
    }
    this.subtypes[i] = bits;
    // The headers: everything before the TCP payload (or the start of a packet that is not TCP).
    const keep = Math.min(rec.data.length, p.isTcp ? Math.min(p.tcpOffset + p.tcpHeaderLength, MAX_HEADER_COPY) : NON_TCP_COPY);
    if (this.slabUsed + keep > SLAB) {
      this.slabs.push(Buffer.allocUnsafe(SLAB));
      this.slabUsed = 0;
    }
    const slab = this.slabs.length - 1;
    rec.data.copy(this.slabs[slab], this.slabUsed, 0, keep);
    this.hdrPos[i] = slab * SLAB + this.slabUsed;
    this.hdrLen[i] = keep;
    this.slabUsed += keep;
    return i;
  }

  /** The header bytes kept for packet i (a view: do not keep it past the next add()). */
  headers(i: number): Buffer {
    const pos = this.hdrPos[i];
    const slab = Math.floor(pos / SLAB);
    const off = pos - slab * SLAB;
    return this.slabs[slab].subarray(off, off + this.hdrLen[i]);
  }

  /** A capture record for packet i whose data is its kept headers (caplen and len as captured). */
  record(i: number): CaptureRecord {
    return {
      n: this.n[i], iface: this.iface[i], linktype: this.linktype[i], tsSec: this.tsSec[i], tsNsec: this.tsNsec[i],
      tsDigits: this.tsDigits[i], caplen: this.capLen[i], len: this.wireLen[i], data: this.headers(i),
    };
  }

  /** Seconds since the first packet. */
  relTime(i: number): number {
    if (this.count === 0) return 0;
    return this.tsSec[i] - this.tsSec[0] + (this.tsNsec[i] - this.tsNsec[0]) / 1e9;
  }

  /** Index of packet number n (binary search: numbers only grow), or -1. */
  indexOf(n: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.n[mid];
      if (v === n) return mid;
      if (v < n) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
