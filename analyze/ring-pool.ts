/**
 * Recent-bytes rings of finished streams, kept for the next ones (sizes are powers of two, at most a few per
 * size). A fleet analyzes hundreds of small captures in one thread: a fresh zeroed buffer for every ring and
 * every doubling made V8 collect garbage for the external memory again and again. A ring's bytes are read only
 * where they were written (DataStream tracks the valid range), so a reused ring need not be cleared.
 */
const spare = new Map<number, Buffer[]>();
const PER_SIZE = 4;

export function takeRing(size: number): Buffer {
  return spare.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
}

export function giveRing(ring: Buffer): void {
  if (ring.length === 0) return;
  let list = spare.get(ring.length);
  if (list === undefined) spare.set(ring.length, (list = []));
  if (list.length < PER_SIZE) list.push(ring);
}
