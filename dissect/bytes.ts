/**
 * Big-endian reads straight from the bytes, for the per-packet hot path: Buffer.readUInt*BE validate their
 * arguments on every call. Callers have checked the bounds.
 */
export function be16(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function be32(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
