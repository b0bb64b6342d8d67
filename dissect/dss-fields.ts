/**
 * In-place reader of the DSS option (RFC 8684 §3.3) into a reused struct of Numbers: the analysis hot path
 * reads every data packet's DSS this way, without objects, strings or BigInt. 64-bit values are kept as
 * two 32-bit halves.
 */
import { be16, be32 } from './bytes.js';

export const DSS_A = 0x01; // data ACK present
export const DSS_a = 0x02; // data ACK is 8 octets
export const DSS_M = 0x04; // mapping present
export const DSS_m = 0x08; // DSN is 8 octets
export const DSS_F = 0x10; // DATA_FIN

export interface DssFields {
  flags: number;
  hasAck: boolean;
  ack64: boolean;
  ackHi: number;
  ackLo: number;
  hasMap: boolean;
  dsn64: boolean;
  dsnHi: number;
  dsnLo: number;
  ssn: number;
  dataLevelLength: number;
  /** The checksum field, or -1 when the option carries none. */
  checksum: number;
  dataFin: boolean;
}

export function newDssFields(): DssFields {
  return { flags: 0, hasAck: false, ack64: false, ackHi: 0, ackLo: 0, hasMap: false, dsn64: false, dsnHi: 0, dsnLo: 0, ssn: 0, dataLevelLength: 0, checksum: -1, dataFin: false };
}

/** The DSS length without checksum implied by its flags. */
export function dssBaseLength(flagsByte: number): number {
  let n = 4;
  if (flagsByte & DSS_A) n += flagsByte & DSS_a ? 8 : 4;
  if (flagsByte & DSS_M) n += (flagsByte & DSS_m ? 8 : 4) + 4 + 2;
  return n;
}

/**
 * Reads the DSS option at `off` (its kind byte) of length `len`, already known to lie inside the captured
 * TCP header. Each width comes from its own flag; the checksum is there when the length has 2 more bytes.
 * Returns false when the length does not fit the flags.
 */
export function readDss(buf: Buffer, off: number, len: number, out: DssFields): boolean {
  if (len < 4) return false;
  const f = buf[off + 3];
  const base = dssBaseLength(f);
  const hasMap = (f & DSS_M) !== 0;
  const withChecksum = hasMap && len === base + 2;
  if (len !== base && !withChecksum) return false;
  out.flags = f;
  out.hasAck = (f & DSS_A) !== 0;
  out.hasMap = hasMap;
  out.dataFin = (f & DSS_F) !== 0;
  let p = off + 4;
  if (out.hasAck) {
    out.ack64 = (f & DSS_a) !== 0;
    if (out.ack64) { out.ackHi = be32(buf, p); out.ackLo = be32(buf, p + 4); p += 8; }
    else { out.ackHi = 0; out.ackLo = be32(buf, p); p += 4; }
  }
  out.checksum = -1;
  if (hasMap) {
    out.dsn64 = (f & DSS_m) !== 0;
    if (out.dsn64) { out.dsnHi = be32(buf, p); out.dsnLo = be32(buf, p + 4); p += 8; }
    else { out.dsnHi = 0; out.dsnLo = be32(buf, p); p += 4; }
    out.ssn = be32(buf, p);
    out.dataLevelLength = be16(buf, p + 4);
    p += 6;
    if (withChecksum) out.checksum = be16(buf, p);
  }
  return true;
}
