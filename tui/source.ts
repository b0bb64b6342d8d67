/**
 * Where the TUI's packets come from. A source hands capture records to `record()` one at a time (each record
 * and its bytes are valid only during that call, as with readCapture), calls `batch()` after every batch so the
 * UI can redraw, and `end()` once. Between batches it yields to the event loop, so keys and redraws are handled
 * while a large capture is still being read.
 *
 * The file source is implemented here; a live source (`live -i IFACE --tui`) implements the same interface
 * and feeds the same model.
 */
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { readCaptureStream } from '../dissect/capture-reader.js';
import type { CaptureRecord } from '../dissect/record.js';

export interface SourceProgress {
  /** Records delivered so far. */
  packets: number;
  /** Input bytes consumed so far (of the file as stored: compressed bytes for a gzip file). */
  bytes: number;
  /** Size of the input when known (a file); undefined for live capture. */
  totalBytes?: number;
  done: boolean;
}

export interface SourceEnd {
  progress: SourceProgress;
  /** 'pcap' | 'pcapng' when known. */
  format?: string;
  /** The capture ended inside a record. */
  truncated: boolean;
  /** Reading stopped on an error (the records before it were delivered). */
  error?: Error;
  /** stop() was called. */
  stopped: boolean;
}

export interface SourceHandlers {
  /** One record; valid only during the call: copy what you keep. */
  record(rec: CaptureRecord): void;
  /** After each batch of records (and at least every `maxBatchMs`). */
  batch(progress: SourceProgress): void;
  /** Once, at the end. */
  end(result: SourceEnd): void;
  warning?(message: string): void;
}

export interface CaptureSource {
  /** What the status bar names: the file, or the interface. */
  readonly label: string;
  /** A live source never ends by itself. */
  readonly live: boolean;
  start(handlers: SourceHandlers): void;
  stop(): void;
}

export interface FileSourceOptions {
  /** Records per batch before yielding to the event loop. */
  batchPackets?: number;
  /** Longest time spent on one batch before yielding, in ms. */
  maxBatchMs?: number;
  /** Bytes read from the file at a time. */
  chunkBytes?: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Reads a pcap/pcapng file (gzip or not) in slices. */
export class FileSource implements CaptureSource {
  readonly live = false;
  private stopped = false;
  private readonly batchPackets: number;
  private readonly maxBatchMs: number;
  private readonly chunkBytes: number;

  constructor(readonly path: string, opts: FileSourceOptions = {}) {
    this.batchPackets = opts.batchPackets ?? 20_000;
    this.maxBatchMs = opts.maxBatchMs ?? 40;
    this.chunkBytes = opts.chunkBytes ?? 64 * 1024;
  }

  get label(): string {
    return this.path;
  }

  stop(): void {
    this.stopped = true;
  }

  start(h: SourceHandlers): void {
    void this.run(h);
  }

  private async run(h: SourceHandlers): Promise<void> {
    const progress: SourceProgress = { packets: 0, bytes: 0, done: false };
    let sinceYield = 0;
    let batchStart = Date.now();
    const self = this;
    let format: string | undefined;
    let truncated = false;
    let error: Error | undefined;
    try {
      const fh = await open(this.path, 'r');
      try {
        progress.totalBytes = (await stat(this.path)).size;
        batchStart = Date.now();
        const chunkBytes = this.chunkBytes;
        // The file's bytes as a stream of slices; between slices, once a batch is full, the UI gets its turn.
        const slices = async function* (): AsyncGenerator<Buffer> {
          for (;;) {
            if (self.stopped) return;
            if (sinceYield >= self.batchPackets || Date.now() - batchStart >= self.maxBatchMs) {
              h.batch({ ...progress });
              await yieldToEventLoop();
              sinceYield = 0;
              batchStart = Date.now();
              if (self.stopped) return;
            }
            const buf = Buffer.allocUnsafe(chunkBytes);
            const { bytesRead } = await fh.read(buf, 0, chunkBytes, null);
            if (bytesRead === 0) return;
            progress.bytes += bytesRead;
            yield bytesRead === chunkBytes ? buf : buf.subarray(0, bytesRead);
          }
        };
        const summary = await readCaptureStream(Readable.from(slices(), { highWaterMark: 1 }), (rec) => {
          if (self.stopped) return false;
          progress.packets++;
          sinceYield++;
          h.record(rec);
          return true;
        }, { onWarning: (m) => h.warning?.(m) });
        format = summary.format;
        truncated = summary.truncated;
      } finally {
        await fh.close().catch(() => undefined);
      }
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    progress.done = true;
    h.batch({ ...progress });
    h.end({ progress: { ...progress }, format, truncated, error, stopped: this.stopped });
  }
}
