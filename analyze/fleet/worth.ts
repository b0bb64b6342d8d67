/**
 * When the fleet pool starts another worker: only when the work not yet started, shared among the jobs already
 * running, is worth the start-up of one more. A worker's start-up is not its boot (tens of ms) but its warm-up:
 * V8 compiles the same hot code again in every process (on the two cores of the benchmark machine, check of the
 * 714 MB fleet below took 2.6 s of CPU on one job and 3.2-3.6 s on two), so on the benchmark's fleet of 304
 * small captures (110 MB) `check --jobs 2` took 1.65 s against 1.31 s for `--jobs 1`, while on 200 captures of
 * 28k packets (714 MB) it won (BENCHMARKS.md).
 *
 * The work is estimated from the captures' sizes, in seconds of one job at reference speeds of `check` measured
 * on that machine (analyze and report took 1.1 to 1.2 times as long; export 4 to 10 times, but a second job did
 * not shorten export of the small fleet either: one weight for every verb). This thread's own measured speed cannot decide in time: in its first 0.3 s (the latest a worker
 * may start and still pay off on the big fleet) its warm-up makes both fleets look about 10 s long. Once it has
 * worked WARM_UP_SECONDS, its measured speed lowers the estimate where it is faster than the reference (faster
 * machine, cheaper bytes such as full-payload captures) for the later decisions.
 */
import { statSync } from 'node:fs';

/** Bytes per second of one job (check of the 28k-packet captures: 714 MB in 2.0 to 2.4 s; 420 MB/s once warm). */
const REFERENCE_BYTES_PER_SECOND = 300e6;
/** Seconds each capture costs besides its bytes (open, engine reset, report; about 1 ms for the small captures). */
const REFERENCE_SECONDS_PER_CAPTURE = 0.001;
/** A .gz capture's bytes cost about three times an uncompressed one's (decompression, and 2.5x fewer bytes). */
const GZIP_WEIGHT = 3;
/** This thread's busy seconds before its own speed is measured (the first ones are mostly V8 warm-up). */
const WARM_UP_SECONDS = 0.5;
/** Seconds of measuring after the warm-up before the measured speed replaces the reference (not one capture's). */
const MIN_MEASURED_SECONDS = 0.25;
/**
 * Estimated seconds of work per running job above which one more worker pays for its start-up. Chosen by
 * measurement on the benchmark machine (check --jobs 2 against --jobs 1, medians): the 304 small captures
 * estimate 0.67 s and a worker lost 0.3 to 0.5 s there; 100 of the 28k-packet captures estimate 1.29 s and it
 * gained 5 % (noise); 140 of them 1.80 s, gained 13 %; all 200, 2.58 s, gained 2 to 20 % (load). The gain crosses
 * zero between 1 and 1.3 s: 1.5 s keeps to the side where a worker never makes a run slower.
 */
export const DEFAULT_WORKER_WORTH_SECONDS = 1.5;

/** A capture's size in bytes of work: its file size, .gz counted GZIP_WEIGHT times; 0 when it cannot be read. */
export function captureWeight(file: string): number {
  let size = 0;
  try { size = statSync(file).size; } catch { /* missing or unreadable: fails at once when read */ }
  return /\.gz$/i.test(file) ? size * GZIP_WEIGHT : size;
}

/** Seconds one warm job takes for a capture of this weight, at the reference speeds. */
export function referenceSeconds(weight: number): number {
  return weight / REFERENCE_BYTES_PER_SECOND + REFERENCE_SECONDS_PER_CAPTURE;
}

/** The work of the captures not yet handed to a job, and this thread's measured speed against the reference. */
export class RemainingWork {
  private readonly seconds: number[];
  private remaining = 0;
  private busySeconds = 0;
  /** After the warm-up: this thread's seconds, and the reference seconds of the same captures. */
  private measuredSeconds = 0;
  private measuredReference = 0;

  constructor(weights: readonly number[]) {
    this.seconds = weights.map(referenceSeconds);
    for (const s of this.seconds) this.remaining += s;
  }

  /** Capture i was handed to a job (a capture handed again after its worker died is not added back). */
  started(i: number): void {
    this.remaining = Math.max(0, this.remaining - this.seconds[i]);
  }

  /** This thread analyzed capture i in `seconds`. */
  finishedHere(i: number, seconds: number): void {
    if (this.busySeconds >= WARM_UP_SECONDS) {
      this.measuredSeconds += seconds;
      this.measuredReference += this.seconds[i];
    }
    this.busySeconds += seconds;
  }

  /**
   * Estimated seconds of one job for the captures not yet started. This thread's measured speed only lowers
   * the estimate: it is slowed by the workers already running on the same cores (their warm-up above all), and
   * raising the estimate with it would start more workers the more crowded the cores are.
   */
  estimateSeconds(): number {
    const slowness = this.measuredSeconds >= MIN_MEASURED_SECONDS ? this.measuredSeconds / this.measuredReference : 1;
    return this.remaining * Math.min(1, slowness);
  }
}

/** One more worker is worth starting when the remaining work per running job exceeds the threshold. */
export function worthAnotherWorker(remainingSeconds: number, runningJobs: number, thresholdSeconds: number): boolean {
  return remainingSeconds / runningJobs > thresholdSeconds;
}
