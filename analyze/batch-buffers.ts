/**
 * Batch buffers that circulate between this thread and a worker: a full batch is transferred to the worker,
 * which transfers the buffer back on a port of its own, so a few buffers are reused and nothing is allocated
 * per batch. Shared by the sha256 offload (hash-offload.ts) and the diagnosis offload (diagnosis/offload.ts).
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';

const SLEEP = new Int32Array(new SharedArrayBuffer(4));

export class BatchBuffers {
  private readonly free: ArrayBuffer[] = [];

  /**
   * `bytes` per buffer, at most `max` made (then take() waits for the worker); `made` counts buffers already in
   * use; `spares`, when given, is a list shared beyond this user (buffers of finished offloads, for the next).
   */
  constructor(private readonly bytes: number, private readonly max: number, private made = 0, private readonly spares: ArrayBuffer[] | null = null) {}

  /** Takes the buffers the worker has sent back on `port` so far (without waiting). */
  collect(port: MessagePort | null): void {
    if (port === null) return;
    for (let r = receiveMessageOnPort(port); r !== undefined; r = receiveMessageOnPort(port)) this.free.push(r.message as ArrayBuffer);
  }

  /**
   * An empty buffer. While the worker cannot send any back yet (no `port`, or `booting`) one is made rather than
   * waited for (they are reused later); once `max` are out, waits on `port` for one, throwing `failure()`.
   */
  take(port: MessagePort | null, booting: boolean, failure: () => Error | null): ArrayBuffer {
    this.collect(port);
    const ready = this.free.pop();
    if (ready) return ready;
    const spare = this.spares?.pop();
    if (spare) {
      this.made++;
      return spare;
    }
    if (this.made < this.max || port === null || booting) {
      this.made++;
      return new ArrayBuffer(this.bytes);
    }
    for (;;) {
      const r = receiveMessageOnPort(port);
      if (r !== undefined) return r.message as ArrayBuffer;
      const f = failure();
      if (f) throw f;
      Atomics.wait(SLEEP, 0, 0, 1);
    }
  }

  /** Hands the free buffers (with `current`, the one being filled) to the shared spares, up to `max` there. */
  retire(port: MessagePort | null, current: ArrayBuffer | null): void {
    this.collect(port);
    if (current !== null) this.free.push(current);
    if (this.spares) for (const b of this.free) if (this.spares.length < this.max && b.byteLength === this.bytes) this.spares.push(b);
    this.free.length = 0;
  }
}
