/**
 * `mptcpscope compare A B`: two captures of the same traffic taken at two points. Each is analyzed by its own
 * analysis engine; both are read at once and merged in time order, and the matcher pairs their connections and
 * packets. The result: one-way delays, loss and reordering between the points, and what the network changed.
 */
import { stat } from 'node:fs/promises';
import { CaptureInputError } from '../dissect/record.js';
import { buildCompareReport, type DelaySeries } from './build-report.js';
import { Feed, openCapture, runFeed } from './feed.js';
import { Matcher } from './matcher.js';
import type { CompareReport } from './report-types.js';
import { CaptureSideState } from './side.js';

export interface CompareOptions {
  /** Milliseconds B's clock is ahead of A's: subtracted from B's timestamps. */
  clockOffsetMs: number;
  /** Accept the same file as A and B. */
  allowSame: boolean;
  /** Capture time a packet waits for its copy in the other capture (seconds). */
  windowSeconds: number;
  /** Points kept per subflow direction for the delay chart. */
  maxPoints: number;
  version: string;
  onWarning: (m: string) => void;
  /** Observations queued per capture before its reader pauses, and bytes read at a time (tests lower them). */
  queueHigh?: number;
  readChunkBytes?: number;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  clockOffsetMs: 0, allowSame: false, windowSeconds: 2, maxPoints: 2000, version: '0', onWarning: () => undefined,
};

export interface CompareResult {
  report: CompareReport;
  series: DelaySeries[];
  /** What was held at most: observations queued per capture, and waiting for their copy. */
  held: { queued: [number, number]; pending: number };
}

export async function compareCaptures(fileA: string, fileB: string, options: Partial<CompareOptions> = {}): Promise<CompareResult> {
  const opts = { ...DEFAULT_COMPARE_OPTIONS, ...options };
  if (fileA === '-' || fileB === '-') throw new CaptureInputError('compare reads two capture files, not stdin');
  const fhA = await openCapture(fileA);
  const fhB = await openCapture(fileB).catch(async (e: unknown) => { await fhA.close(); throw e; });
  if (!opts.allowSame) {
    const [sa, sb] = await Promise.all([stat(fileA), stat(fileB)]);
    if (sa.dev === sb.dev && sa.ino === sb.ino) {
      await Promise.all([fhA.close(), fhB.close()]);
      throw new CaptureInputError(`${fileA} and ${fileB} are the same file: compare needs captures taken at two points (--allow-same to compare a capture with itself)`);
    }
  }
  const a = new CaptureSideState(0, fileA, 0);
  const b = new CaptureSideState(1, fileB, opts.clockOffsetMs / 1000);
  const feeds = [new Feed(opts.queueHigh, opts.readChunkBytes), new Feed(opts.queueHigh, opts.readChunkBytes)] as const;
  const readers = [runFeed(fhA, a, feeds[0], opts.onWarning), runFeed(fhB, b, feeds[1], opts.onWarning)];
  const matcher = new Matcher({ windowSeconds: opts.windowSeconds, maxPoints: opts.maxPoints });
  const [fa, fb] = feeds;
  for (;;) {
    if (fa.size === 0 && !fa.done) await fa.ready();
    if (fb.size === 0 && !fb.done) await fb.ready();
    if (fa.error !== undefined || fb.error !== undefined) break;
    const ha = fa.peek();
    const hb = fb.peek();
    if (!ha && !hb) break;
    if (ha && (!hb || ha.t <= hb.t)) matcher.add(fa.shift());
    else matcher.add(fb.shift());
  }
  const failed = fa.error ?? fb.error;
  if (failed !== undefined) {
    // Stop the other reader too, then report the first failure.
    fa.abandon();
    fb.abandon();
    await Promise.all(readers);
    throw failed;
  }
  await Promise.all(readers);
  matcher.finish();
  if (matcher.pairs.length === 0) {
    throw new CaptureInputError(`${fileA} and ${fileB} have no connection in common (no matching MPTCP keys, MP_JOIN tokens, initial sequence numbers or SYN timestamps)`);
  }
  const built = buildCompareReport({ a, b, pairs: matcher.pairs, clockOffsetMs: opts.clockOffsetMs, version: opts.version });
  return { ...built, held: { queued: [fa.maxQueued, fb.maxQueued], pending: matcher.maxPending } };
}
