/**
 * Recycles the backing stores of out-of-order data, shared by all streams of one engine.
 *
 * A store is written once and read until its piece is delivered. Fresh multi-megabyte allocations are
 * mapped lazily by the kernel, so every first write to a page faults; on full-payload captures that cost
 * more than the copies themselves. Stores come in power-of-two sizes and go back here when their piece is
 * delivered, so the same warm memory is reused. What the pool keeps is bounded by `maxIdleBytes`.
 */
export class StorePool {
  /** Bytes of out-of-order data held by all streams (their budget is checked against `limit`). */
  used = 0;
  limit = Infinity;
  private readonly idle = new Map<number, Buffer[]>();
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes = 32 << 20) {}

  /** A store of at least `size` bytes (a power of two, at least 4 KiB); its contents are unspecified. */
  take(size: number): Buffer {
    let cls = 4 << 10;
    while (cls < size) cls *= 2;
    const list = this.idle.get(cls);
    const store = list?.pop();
    if (store) {
      this.idleBytes -= cls;
      return store;
    }
    return Buffer.allocUnsafeSlow(cls);
  }

  /** Returns a store from `take`; nothing may read or write it afterwards. */
  give(store: Buffer): void {
    const cls = store.length;
    if (this.idleBytes + cls > this.maxIdleBytes) return;
    let list = this.idle.get(cls);
    if (!list) this.idle.set(cls, (list = []));
    list.push(store);
    this.idleBytes += cls;
  }

  /** Drops the idle stores (the engine finished). */
  clear(): void {
    this.idle.clear();
    this.idleBytes = 0;
  }
}
