/**
 * sha256 of data-level streams on a worker thread.
 *
 * Streams hand their delivered bytes over in order (`update`); they are copied into one batch buffer shared by
 * all streams, with a list of (stream, length) entries. A full batch is transferred to the worker, which hashes
 * each entry into its stream's hash and transfers the buffer back on a second channel, so a few buffers
 * circulate and nothing is allocated per batch. Until the first batch is full no worker is started: a small
 * capture is hashed on the main thread when its digests are asked for. The main thread takes returned buffers synchronously
 * (receiveMessageOnPort) when it needs one, and waits for the worker only when every buffer is out.
 *
 * Earlier designs were measured slower and are described in BENCHMARKS.md: a SharedArrayBuffer ring read by
 * the worker (copies into shared memory are several times slower than plain ones, and the main thread waited
 * on shared counters), and a fresh ArrayBuffer per batch (allocation and page faults cost more than hashing).
 */
import { copyBytes } from '../dissect/bytes.js';
import { createHash } from 'node:crypto';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { BatchBuffers } from './batch-buffers.js';

/** Bytes per batch. */
export const OFFLOAD_BATCH = 1 << 20;
/** Batch buffers in circulation at most (then the main thread waits for the worker). */
const MAX_BUFFERS = 8;
/**
 * Batch buffers of closed offloads, for the next capture in this thread: a fleet analyzes hundreds of small
 * captures one after the other, and a fresh zeroed 1 MiB buffer per capture made V8 collect garbage for the
 * external memory each time.
 */
const spareBuffers: ArrayBuffer[] = [];

// Plain script run with `eval: true`, so it works from the compiled files and from the TypeScript sources.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const back = workerData.back;
// Linux nice values are per thread: the hashing has slack, the analysis on the main thread has none.
try { require('node:os').setPriority(10); } catch {}
const hashes = new Map();
function hashOf(id) {
  let h = hashes.get(id);
  if (h === undefined) hashes.set(id, (h = createHash('sha256')));
  return h;
}
parentPort.on('message', (m) => {
  if (m.t === 0) {
    const entries = m.e;
    let off = 0;
    for (let i = 0; i < entries.length; i += 2) {
      const len = entries[i + 1];
      if (entries[i] !== 0) hashOf(entries[i]).update(new Uint8Array(m.b, off, len));
      off += len;
    }
    back.postMessage(m.b, [m.b]);
  } else if (m.t === 1) {
    const h = hashOf(m.id);
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: h.digest('hex') });
  } else if (m.t === 2) {
    hashes.delete(m.id);
  }
});
`;

export class HashOffload {
  private worker: Worker | null = null;
  /** Returned batch buffers arrive here (read synchronously). */
  private backPort: MessagePort | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  private readonly buffers = new BatchBuffers(OFFLOAD_BATCH, MAX_BUFFERS, 0, spareBuffers);
  /** The worker has started running (booting a worker takes tens of milliseconds). */
  private online = false;
  private batch: Uint8Array | null = null;
  private batchUsed = 0;
  /** (stream id, length) pairs of the current batch, in order; id 0 marks bytes of a dropped stream. */
  private entries: number[] = [];

  private start(): Worker {
    if (this.worker) return this.worker;
    const { port1, port2 } = new MessageChannel();
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { back: port2 }, transferList: [port2] });
    this.backPort = port1;
    w.unref();
    w.on('online', () => { this.online = true; });
    w.on('message', (m: { id: number; hex: string }) => {
      const p = this.waiting.get(m.id);
      if (!p) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) w.unref();
      p.resolve(m.hex);
    });
    const fail = (e: Error): void => {
      this.failure ??= e;
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => { if (this.waiting.size > 0) fail(new Error(`hash worker exited (code ${code})`)); });
    this.worker = w;
    return w;
  }

  /** A new stream's id. */
  open(): number {
    return this.nextId++;
  }

  /** Hashes `src[s .. e)` next for stream `id` (copied: `src` may change as soon as this returns). */
  update(id: number, src: Uint8Array, s: number, e: number): void {
    if (this.failure) throw this.failure;
    while (s < e) {
      if (this.batch === null || this.batchUsed === OFFLOAD_BATCH) this.nextBatch();
      const n = Math.min(e - s, OFFLOAD_BATCH - this.batchUsed);
      copyBytes(src, s, s + n, this.batch!, this.batchUsed);
      const last = this.entries.length - 2;
      if (last >= 0 && this.entries[last] === id) this.entries[last + 1] += n;
      else this.entries.push(id, n);
      this.batchUsed += n;
      s += n;
    }
  }

  /** The digest of everything given for stream `id`. */
  digest(id: number): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    // Everything so far fits in the first batch (a small capture): hash here, without starting a worker.
    if (this.worker === null) return Promise.resolve(this.digestHere(id));
    this.send();
    const w = this.start();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ t: 1, id });
    });
  }

  /** The digest of stream `id` from the bytes of the current batch, which holds all it was given. */
  private digestHere(id: number): string {
    const hash = createHash('sha256');
    let off = 0;
    for (let i = 0; i < this.entries.length; i += 2) {
      const len = this.entries[i + 1];
      if (this.entries[i] === id) {
        hash.update(this.batch!.subarray(off, off + len));
        this.entries[i] = 0;
      }
      off += len;
    }
    return hash.digest('hex');
  }

  /** Forgets stream `id` (its hash is no longer wanted). */
  drop(id: number): void {
    // Bytes of the stream still in the batch are skipped by the worker.
    for (let i = 0; i < this.entries.length; i += 2) if (this.entries[i] === id) this.entries[i] = 0;
    this.worker?.postMessage({ t: 2, id });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.buffers.retire(this.backPort, this.batch === null ? null : (this.batch.buffer as ArrayBuffer));
    this.batch = null;
    this.entries = [];
    this.backPort?.close();
    if (w) await w.terminate();
  }

  /** Sends the current batch (if any) and takes an empty one. */
  private nextBatch(): void {
    this.send();
    this.batch = new Uint8Array(this.takeBuffer());
    this.batchUsed = 0;
  }

  private send(): void {
    if (this.batch === null || this.batchUsed === 0) return;
    const buf = this.batch.buffer as ArrayBuffer;
    this.start().postMessage({ t: 0, b: buf, e: this.entries }, [buf]);
    this.batch = null;
    this.batchUsed = 0;
    this.entries = [];
  }

  private takeBuffer(): ArrayBuffer {
    return this.buffers.take(this.backPort, this.worker === null || !this.online, () => this.failure);
  }
}

