/**
 * Encoders that turn Arrow IPC record batches into one Parquet file with parquet-wasm (Snappy, one row group
 * per batch). Small tables are encoded on the calling thread when they are complete; a large table (the
 * packets of a long capture) gets its own worker thread as soon as its first row group is full, so Parquet
 * encoding runs beside the analysis, and the caller waits (Atomics.wait) while two batches are still queued:
 * memory stays at a few row groups whatever the capture's size.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as pw from 'parquet-wasm/node';

export interface EncoderConfig {
  path: string;
  createdBy: string;
  rowGroupRows: number;
  /** Columns without dictionary and statistics (nearly distinct values). */
  plain: string[];
}

export interface ParquetEncoder {
  /** Takes one IPC stream of one record batch (a row group). */
  add(ipc: Uint8Array): void;
  /** Completes the file. */
  finish(): Promise<void>;
}

function properties(pwm: typeof pw, c: EncoderConfig): pw.WriterProperties {
  let b = new pwm.WriterPropertiesBuilder().setCompression(pwm.Compression.SNAPPY).setCreatedBy(c.createdBy).setMaxRowGroupSize(c.rowGroupRows);
  for (const name of c.plain) b = b.setColumnDictionaryEnabled(name, false).setColumnStatisticsEnabled(name, pwm.EnabledStatistics.None);
  return b.build();
}

/** Encodes on this thread at finish() (for tables of a few row groups at most). */
export class InThreadEncoder implements ParquetEncoder {
  private readonly batches: Uint8Array[] = [];
  constructor(private readonly config: EncoderConfig) {}
  add(ipc: Uint8Array): void { this.batches.push(ipc); }
  async finish(): Promise<void> {
    const batches = this.batches;
    const input = new ReadableStream({
      pull: (ctrl) => {
        const ipc = batches.shift();
        if (!ipc) { ctrl.close(); return; }
        for (const rb of pw.Table.fromIPCStream(ipc).recordBatches()) ctrl.enqueue(rb);
      },
    });
    const fd = openSync(this.config.path, 'w');
    try {
      const out = await pw.transformParquetStream(input as ReadableStream, properties(pw, this.config));
      for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
  }
}

/** Batches handed over but not yet taken by the encoder, beyond which add() waits. */
const MAX_QUEUED = 2;
const STALL_MS = 60_000;

// A plain script run with `eval: true` (works from the compiled files and from the bundle alike).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const pw = require(workerData.parquetWasm);
const state = new Int32Array(workerData.state); // [batches queued, failed]
const c = workerData.config;
let b = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy(c.createdBy).setMaxRowGroupSize(c.rowGroupRows);
for (const name of c.plain) b = b.setColumnDictionaryEnabled(name, false).setColumnStatisticsEnabled(name, pw.EnabledStatistics.None);
const queue = [];
let closed = false;
let wake = null;
parentPort.on('message', (m) => {
  if (m.ipc) queue.push(new Uint8Array(m.ipc)); else closed = true;
  if (wake) { const w = wake; wake = null; w(); }
});
const input = new ReadableStream({
  pull: (ctrl) => new Promise((resolve) => {
    const go = () => {
      if (queue.length > 0) {
        const ipc = queue.shift();
        for (const rb of pw.Table.fromIPCStream(ipc).recordBatches()) ctrl.enqueue(rb);
        Atomics.sub(state, 0, 1);
        Atomics.notify(state, 0);
        resolve();
      } else if (closed) { ctrl.close(); resolve(); }
      else wake = go;
    };
    go();
  }),
});
(async () => {
  const fd = fs.openSync(c.path, 'w');
  try {
    const out = await pw.transformParquetStream(input, b.build());
    for await (const chunk of out) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    parentPort.postMessage({ done: true });
  } catch (e) {
    try { fs.closeSync(fd); } catch {}
    Atomics.store(state, 1, 1);
    Atomics.store(state, 0, 0);
    Atomics.notify(state, 0);
    parentPort.postMessage({ error: String((e && e.code) || (e && e.message) || e) });
  }
})();
`;

export class WorkerEncoder implements ParquetEncoder {
  private readonly state = new Int32Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private readonly result: Promise<void>;

  constructor(config: EncoderConfig) {
    const parquetWasm = createRequire(import.meta.url).resolve('parquet-wasm/node');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { config, parquetWasm, state: this.state.buffer } });
    this.result = new Promise((resolve, reject) => {
      this.worker.on('message', (m: { done?: boolean; error?: string }) => {
        if (m.done) resolve();
        else reject(Object.assign(new Error(`cannot write ${config.path}: ${m.error}`), { code: m.error && /^E[A-Z]+$/.test(m.error) ? m.error : undefined }));
      });
      this.worker.on('error', reject);
      this.worker.on('exit', (code) => reject(new Error(`Parquet encoder thread exited with status ${code}`)));
    });
    this.result.catch(() => undefined); // reported by finish()
  }

  add(ipc: Uint8Array): void {
    if (Atomics.load(this.state, 1) !== 0) return; // failed: finish() reports it
    const own = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength ? ipc : ipc.slice();
    Atomics.add(this.state, 0, 1);
    this.worker.postMessage({ ipc: own.buffer }, [own.buffer as ArrayBuffer]);
    // The encoder thread takes a row group in well under a second; one that makes no progress for a minute
    // is gone (its exit event cannot arrive while this thread waits), and the export fails instead of hanging.
    let last = Atomics.load(this.state, 0);
    let since = Date.now();
    for (let queued = last; queued > MAX_QUEUED; queued = Atomics.load(this.state, 0)) {
      if (queued !== last) { last = queued; since = Date.now(); }
      if (Date.now() - since > STALL_MS) throw new Error('the Parquet encoder thread stopped taking row groups');
      Atomics.wait(this.state, 0, queued, 1000);
    }
  }

  async finish(): Promise<void> {
    this.worker.postMessage({ close: true });
    try {
      await this.result;
    } finally {
      void this.worker.terminate();
    }
  }
}
