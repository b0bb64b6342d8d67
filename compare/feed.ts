/**
 * Reads one capture into a bounded queue of observations. The file is read chunk by chunk only while the
 * queue is short, so two captures can be merged in time order while the one ahead in time waits: memory is
 * bounded by the queue and the matching window, not by the files.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { readCaptureStream } from '../dissect/capture-reader.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import { CaptureInputError, type CaptureRecord } from '../dissect/record.js';
import { TimeOrderer } from '../dissect/time-order.js';
import type { CaptureSideState, Obs } from './side.js';

/** Bytes read from the file at a time. */
export const READ_CHUNK = 256 * 1024;
/** Observations queued before the reader pauses (it resumes at a quarter of that). */
export const QUEUE_HIGH = 8192;

export class Feed {
  /** Most observations queued at once (for tests of the memory bound). */
  maxQueued = 0;
  private readonly low: number;
  private readonly q: Obs[] = [];
  private head = 0;
  done = false;
  error: unknown = undefined;
  private wakeMerger: (() => void) | null = null;
  private wakeReader: (() => void) | null = null;

  constructor(private readonly high = QUEUE_HIGH, readonly chunkBytes = READ_CHUNK) {
    this.low = Math.max(1, high >> 2);
  }

  get size(): number {
    return this.q.length - this.head;
  }

  /** The comparison stopped (the other capture failed): the reader stops at its next chunk. */
  abandoned = false;

  abandon(): void {
    this.abandoned = true;
    this.q.length = this.head = 0;
    if (this.wakeReader) { const w = this.wakeReader; this.wakeReader = null; w(); }
  }

  push(o: Obs): void {
    if (this.abandoned) return;
    this.q.push(o);
    if (this.size > this.maxQueued) this.maxQueued = this.size;
    this.signalMerger();
  }

  end(error?: unknown): void {
    this.done = true;
    if (error !== undefined) this.error = error;
    this.signalMerger();
  }

  peek(): Obs | undefined {
    return this.head < this.q.length ? this.q[this.head] : undefined;
  }

  shift(): Obs {
    const o = this.q[this.head++];
    if (this.head > 4096 && this.head * 2 > this.q.length) { this.q.splice(0, this.head); this.head = 0; }
    if (this.wakeReader && this.size < this.low) { const w = this.wakeReader; this.wakeReader = null; w(); }
    return o;
  }

  /** Resolves once an observation is queued or the capture has ended. */
  async ready(): Promise<void> {
    if (this.size > 0 || this.done) return;
    await new Promise<void>((resolve) => { this.wakeMerger = resolve; });
  }

  /** The reader waits here before each chunk while the queue is long. */
  async gate(): Promise<void> {
    if (this.size < this.high) return;
    await new Promise<void>((resolve) => { this.wakeReader = resolve; });
  }

  private signalMerger(): void {
    if (this.wakeMerger) { const w = this.wakeMerger; this.wakeMerger = null; w(); }
  }
}

/** Opens a capture file for reading, with the one-line errors of the capture reader. */
export async function openCapture(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CaptureInputError(`cannot open ${file}: no such file`);
    if (code === 'EACCES' || code === 'EPERM') throw new CaptureInputError(`cannot open ${file}: permission denied`);
    if (code === 'EISDIR') throw new CaptureInputError(`cannot read ${file}: is a directory`);
    throw new CaptureInputError(`cannot open ${file}: ${(e as Error).message}`);
  }
}

async function* chunks(fh: FileHandle, feed: Feed, file: string): AsyncGenerator<Buffer> {
  for (;;) {
    await feed.gate();
    if (feed.abandoned) return;
    const buf = Buffer.allocUnsafe(feed.chunkBytes);
    let got: number;
    try {
      got = (await fh.read(buf, 0, feed.chunkBytes, null)).bytesRead;
    } catch (e) {
      throw new CaptureInputError(`cannot read ${file}: ${(e as Error).message}`);
    }
    if (got === 0) return;
    yield buf.subarray(0, got);
  }
}

/** Reads `fh` through `side`'s engine into `feed`; never rejects (errors end the feed). */
export async function runFeed(fh: FileHandle, side: CaptureSideState, feed: Feed, onWarning: (m: string) => void): Promise<void> {
  const p = newDecodedPacket();
  const analyze = (rec: CaptureRecord): void => {
    const o = side.push(rec, decodePacket(rec, p));
    if (o) feed.push(o);
  };
  let orderer: TimeOrderer | null = null;
  try {
    const summary = await readCaptureStream(Readable.from(chunks(fh, feed, side.file), { objectMode: true, highWaterMark: 1 }), (rec) => {
      if (orderer) orderer.push(rec);
      else analyze(rec);
    }, {
      onWarning: (m) => onWarning(`${side.file}: ${m}`),
      onInterface: (index) => { if (index >= 1 && !orderer) orderer = new TimeOrderer(analyze); },
    });
    (orderer as TimeOrderer | null)?.flush();
    side.format = summary.format;
    side.truncated = summary.truncated;
    side.engine.finish();
    feed.end();
  } catch (e) {
    // The reader names a stream "input": name the file instead.
    if (e instanceof CaptureInputError) e.message = e.message.replace(/^(cannot read )?input\b/, `$1${side.file}`);
    feed.end(e);
  } finally {
    await fh.close().catch(() => undefined);
  }
}
