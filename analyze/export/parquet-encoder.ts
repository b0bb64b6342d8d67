/**
 * The Parquet encoder thread, as seen from the analysis: one worker thread per process (started at the first
 * export, kept for the next captures of a fleet worker, so the WebAssembly module is compiled and warmed up
 * once), which writes every table file of an export (encoder-thread.ts). Rows go over in chunks of typed arrays
 * whose buffers are transferred, not copied; the encoding runs on the other core beside the analysis. The
 * caller waits (Atomics.wait) while more than a few chunks are queued, so memory holds a few chunks whatever
 * the capture's size.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { encoderThreadMain } from './encoder-thread.js';
import { chunkBuffers, type ColumnDef, type RawChunk } from './raw-columns.js';

export interface ParquetFileConfig {
  path: string;
  createdBy: string;
  /** Rows per Parquet row group (chunks are gathered into row groups of this size). */
  rowGroupRows: number;
  columns: readonly ColumnDef[];
}

/** Largest row group: the encoder holds a row group's encoded pages until it is complete. */
const MAX_ROW_GROUP_ROWS = 1 << 20;
/** Chunks handed over but not yet taken by the encoder thread, beyond which add() waits. */
const MAX_QUEUED = 4;
const STALL_MS = 60_000;

interface Pending { resolve: (v?: string) => void; reject: (e: Error) => void }

class EncoderThread {
  private readonly queued = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  /** Where the buffers of a file's chunks go back to once the encoder has read them. */
  readonly recyclers = new Map<number, (b: ArrayBuffer) => void>();
  private nextFile = 0;
  private dead: Error | null = null;

  constructor(private readonly onGone: () => void) {
    const req = createRequire(import.meta.url);
    const workerData = { arrow: req.resolve('apache-arrow'), parquetWasm: req.resolve('parquet-wasm/node'), state: this.queued.buffer };
    this.worker = new Worker(`(${encoderThreadMain.toString()})(require)`, { eval: true, workerData });
    this.worker.unref();
    this.worker.on('message', (m: { file: number; done?: boolean; error?: string; sha256?: string; recycle?: ArrayBuffer }) => {
      if (m.recycle !== undefined) { this.recyclers.get(m.file)?.(m.recycle); return; }
      const p = this.pending.get(m.file);
      if (p === undefined) return;
      this.pending.delete(m.file);
      this.recyclers.delete(m.file);
      if (this.pending.size === 0) this.worker.unref();
      if (m.done) p.resolve(m.sha256);
      else p.reject(Object.assign(new Error(m.error), { code: m.error && /^E[A-Z]+$/.test(m.error) ? m.error : undefined }));
    });
    const gone = (err: Error): void => {
      this.dead ??= err;
      this.onGone();
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', gone);
    this.worker.on('exit', (code) => gone(new Error(`the Parquet encoder thread exited with status ${code}`)));
  }

  open(config: ParquetFileConfig): number {
    if (this.dead) throw this.dead;
    const file = this.nextFile++;
    this.worker.ref();
    this.worker.postMessage({ op: 'open', file, ...config, rowGroupRows: Math.min(config.rowGroupRows, MAX_ROW_GROUP_ROWS) });
    return file;
  }

  /** Resolves when the file is complete on disk (after close) or rejects with the encoder's error. */
  result(file: number): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      if (this.dead) reject(this.dead);
      else this.pending.set(file, { resolve, reject });
    });
  }

  /** The sha256 of a file, read and hashed on the encoder thread (off the analysis thread). */
  sha256(path: string): Promise<string> {
    if (this.dead) return Promise.reject(this.dead);
    const file = this.nextFile++;
    this.worker.ref();
    const r = this.result(file);
    this.worker.postMessage({ op: 'sha256', file, path });
    return r as Promise<string>;
  }

  add(file: number, chunk: RawChunk): void {
    if (this.dead) throw this.dead;
    Atomics.add(this.queued, 0, 1);
    this.worker.postMessage({ op: 'chunk', file, chunk }, chunkBuffers(chunk));
    // The encoder takes a chunk in milliseconds; one that makes no progress for a minute is gone (its exit
    // event cannot arrive while this thread waits), and the export fails instead of hanging.
    let last = Atomics.load(this.queued, 0);
    let since = Date.now();
    for (let q = last; q > MAX_QUEUED; q = Atomics.load(this.queued, 0)) {
      if (q !== last) { last = q; since = Date.now(); }
      if (Date.now() - since > STALL_MS) throw new Error('the Parquet encoder thread stopped taking rows');
      Atomics.wait(this.queued, 0, q, 1000);
    }
  }

  close(file: number): void { this.worker.postMessage({ op: 'close', file }); }
  abort(file: number): void { this.worker.postMessage({ op: 'abort', file }); }
}

let thread: EncoderThread | null = null;
const encoderThread = (): EncoderThread => (thread ??= new EncoderThread(() => { thread = null; }));

/** The sha256 of a file's bytes (hex), computed on the encoder thread. */
export function fileSha256(path: string): Promise<string> {
  return encoderThread().sha256(path);
}

/** One Parquet file written by the encoder thread. */
export class ParquetFileWriter {
  private readonly thread: EncoderThread;
  private readonly file: number;
  private readonly done: Promise<void>;
  private closed = false;
  /** Receives the buffer of each chunk handed over with `recycle`, once the encoder has read it. */
  onRecycle: ((b: ArrayBuffer) => void) | null = null;

  constructor(config: ParquetFileConfig) {
    this.thread = encoderThread();
    this.file = this.thread.open(config);
    this.thread.recyclers.set(this.file, (b) => this.onRecycle?.(b));
    this.done = this.thread.result(this.file).then(() => undefined);
    this.done.catch(() => undefined); // reported by finish()
  }

  /** Hands a chunk of rows over (its buffers are transferred: the caller must not touch them again). */
  add(chunk: RawChunk): void { this.thread.add(this.file, chunk); }

  /** Writes what is left and the footer; resolves when the file is complete. */
  finish(): Promise<void> {
    this.closed = true;
    this.thread.close(this.file);
    return this.done;
  }

  /** Stops writing; resolves once the encoder has closed the file (it can then be removed). */
  async abort(): Promise<void> {
    if (!this.closed) { this.closed = true; this.thread.abort(this.file); }
    await this.done.catch(() => undefined);
  }
}
