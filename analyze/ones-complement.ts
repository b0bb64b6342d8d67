/**
 * Internet (ones' complement) checksum arithmetic, RFC 1071, for the DSS checksum (RFC 8684 §3.3.1).
 * Sums are kept unfolded as Numbers and folded at the end; a chunk that starts at an odd byte offset of
 * the checksummed data contributes with its bytes swapped, so chunks can be added in any order.
 */

/** Sum of 16-bit big-endian words of buf[start, end), the last odd byte padded with zero. */
export function sum16(buf: Buffer, start: number, end: number): number {
  let s = 0;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < end) s += buf[i] << 8;
  return s;
}

export function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

export function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >> 8);
}

/** Contribution of a chunk that sits at byte offset `offset` of the checksummed data. */
export function chunkSum(buf: Buffer, start: number, end: number, offset: number): number {
  const folded = fold16(sum16(buf, start, end));
  return offset & 1 ? swap16(folded) : folded;
}

/** Sum of the DSS pseudo-header: 64-bit DSN, 32-bit relative subflow sequence, 16-bit length, 16-bit checksum. */
export function dssPseudoHeaderSum(dsnHi: number, dsnLo: number, subflowSeq: number, length: number, checksum: number): number {
  const hdr = Buffer.alloc(16);
  hdr.writeUInt32BE(dsnHi >>> 0, 0);
  hdr.writeUInt32BE(dsnLo >>> 0, 4);
  hdr.writeUInt32BE(subflowSeq >>> 0, 8);
  hdr.writeUInt16BE(length, 12);
  hdr.writeUInt16BE(checksum, 14);
  return sum16(hdr, 0, 16);
}
