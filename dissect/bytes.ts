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

/**
 * Copies `src[s .. e)` to `dst` at `at` (callers have checked the bounds). Buffer#copy validates every
 * argument and wraps the source range in a view on each call; this makes the one view TypedArray#set needs.
 */
export function copyBytes(src: Uint8Array, s: number, e: number, dst: Uint8Array, at: number): void {
  // A few bytes (the payload left by a small snaplen) are copied one by one: no view object to make and collect.
  if (e - s <= 64) {
    for (let i = s; i < e; i++) dst[at++] = src[i];
    return;
  }
  dst.set(new Uint8Array(src.buffer, src.byteOffset + s, e - s), at);
}

export function le16(b: Buffer, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

export function le32(b: Buffer, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
