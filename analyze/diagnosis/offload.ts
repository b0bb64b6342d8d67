/**
 * The diagnosis on a worker thread, beside the analysis: the feed writes its observations and control events
 * as records (replay.ts) into a batch; a full batch is transferred to the worker, which replays it into the
 * session diagnosers and transfers the buffer back on a second channel, so a few buffers circulate (the same
 * scheme as the hash offload, hash-offload.ts). At the end the worker summarizes every session.
 *
 * Until the first batch is full no worker is started: a small capture is replayed on the main thread. When
 * every buffer is with the worker, the main thread waits for one, so memory stays bounded whatever the speeds.
 */
import { existsSync } from 'node:fs';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { BatchBuffers } from '../batch-buffers.js';
import type { ControlKind, PacketObservation } from './observation.js';
import { DiagnosisReplay, RECORD_SLOTS, writeControl, writeObservation, type SessionMeta } from './replay.js';
import type { DiagnosisResult } from './summarize.js';

/** Records per batch (1 MiB). */
export const OFFLOAD_RECORDS = 8192;
/** Batch buffers in circulation at most. */
const MAX_BUFFERS = 8;
/** Initial (and, under the command line's heap policy, final) size of a semi-space of the worker's young generation. */
const WORKER_SEMI_SPACE_MB = 8;

/**
 * The worker's module: beside this file in the compiled tree (dist/analyze/diagnosis/), or two levels up from a
 * chunk of the bundled command line (dist/bin/chunks/). Null when neither exists (e.g. run from the sources).
 */
function workerModule(): URL | null {
  for (const rel of ['./offload-worker.js', '../../analyze/diagnosis/offload-worker.js']) {
    const u = new URL(rel, import.meta.url);
    if (u.protocol === 'file:' && existsSync(fileURLToPath(u))) return u;
  }
  return null;
}

export class DiagnosisOffload {
  private worker: Worker | null = null;
  private backPort: MessagePort | null = null;
  private online = false;
  private failure: Error | null = null;
  private readonly buffers: BatchBuffers;
  private batch: Float64Array;
  private used = 0;

  private constructor(private readonly module: URL, private readonly records: number) {
    this.batch = new Float64Array(records * RECORD_SLOTS);
    this.buffers = new BatchBuffers(this.batch.byteLength, MAX_BUFFERS, 1);
  }

  /**
   * An offload with `records` records per batch, or null when the worker's module cannot be found (then
   * diagnose in place).
   */
  static create(records = OFFLOAD_RECORDS): DiagnosisOffload | null {
    const m = workerModule();
    return m === null ? null : new DiagnosisOffload(m, Math.max(1, Math.floor(records)));
  }

  observation(session: number, o: PacketObservation): void {
    if (this.used === this.records) this.send();
    writeObservation(this.batch, this.used++, session, o);
  }

  control(session: number, kind: ControlKind, subflow: number, t: number, n: number): void {
    if (this.used === this.records) this.send();
    writeControl(this.batch, this.used++, session, kind, subflow, t, n);
  }

  /** After the last record: the result of each session of `metas` (null when none of its packets was observed). */
  async results(metas: SessionMeta[]): Promise<Array<DiagnosisResult | null>> {
    if (this.failure) throw this.failure;
    if (this.worker === null) {
      // Everything fit in the first batch: replay it here.
      const replay = new DiagnosisReplay();
      replay.apply(this.batch, this.used);
      return replay.results(metas);
    }
    const w = this.worker;
    const buf = this.batch.buffer as ArrayBuffer;
    const count = this.used;
    this.used = 0;
    return new Promise((resolve, reject) => {
      w.once('message', (m: { results: Array<DiagnosisResult | null> }) => { w.unref(); resolve(m.results); });
      w.once('error', reject);
      w.ref();
      w.postMessage({ t: 1, b: buf, n: count, metas }, [buf]);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.backPort?.close();
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { port1, port2 } = new MessageChannel();
    // The worker's young generation starts at WORKER_SEMI_SPACE_MB instead of 1 MiB: its heap is sized when its
    // isolate is created, from this flag, which is set back once the worker runs. The diagnosis keeps state
    // that survives a few collections (series, samples), and a young generation that cannot grow (the heap
    // policy of the command line, bin/heap-policy.ts, stops its growth for every thread) collected it once per
    // MiB: a third of the worker's time. Bounded: the generation stays at this size.
    v8.setFlagsFromString(`--min-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
    const w = new Worker(this.module, { workerData: { back: port2 }, transferList: [port2] });
    this.backPort = port1;
    w.unref();
    w.on('online', () => { this.online = true; v8.setFlagsFromString('--min-semi-space-size=0'); });
    w.on('error', (e: Error) => { this.failure ??= e; });
    this.worker = w;
    return w;
  }

  /** Transfers the full batch to the worker and takes an empty one. */
  private send(): void {
    const buf = this.batch.buffer as ArrayBuffer;
    this.start().postMessage({ t: 0, b: buf, n: this.used }, [buf]);
    this.batch = new Float64Array(this.takeBuffer());
    this.used = 0;
  }

  private takeBuffer(): ArrayBuffer {
    if (this.failure) throw this.failure;
    return this.buffers.take(this.backPort!, !this.online, () => this.failure);
  }
}
