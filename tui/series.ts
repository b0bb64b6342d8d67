/**
 * Per-session time series for the charts, built incrementally as packets arrive: payload bytes per subflow and
 * the data-level in-order offset per direction, in time buckets. The number of buckets stays bounded: when it
 * would pass MAX_BUCKETS, neighbouring buckets are merged and the bucket width doubles.
 */
export const MAX_BUCKETS = 240;

export class SessionSeries {
  /** Bucket width in seconds. */
  width = 0.001;
  /** Buckets in use (the last one is still filling). */
  buckets = 0;
  /** Payload bytes (both directions) per subflow per bucket. */
  readonly subflowBytes: number[][] = [];
  /** Data-level in-order offset at the end of each bucket: [c2s, s2c]. */
  readonly progress: [number[], number[]] = [[], []];
  /** Highest data-level offset carried by each subflow by the end of each bucket, per direction: [c2s, s2c][subflow]. */
  readonly sequence: [number[][], number[][]] = [[], []];

  /** `t0`: seconds since the start of the capture at which the session's first packet was seen. */
  constructor(readonly t0: number) {}

  /** One packet at `t` (seconds since the capture start) on `subflow`, and the streams' offsets after it. */
  add(t: number, subflow: number, payload: number, c2sOffset: number, s2cOffset: number): void {
    let b = Math.floor(Math.max(0, t - this.t0) / this.width);
    while (b >= MAX_BUCKETS) {
      this.merge();
      b = Math.floor(Math.max(0, t - this.t0) / this.width);
    }
    this.extendTo(b + 1);
    while (this.subflowBytes.length <= subflow) this.subflowBytes.push(new Array<number>(this.buckets).fill(0));
    this.subflowBytes[subflow][b] += payload;
    if (c2sOffset > this.progress[0][b]) this.progress[0][b] = c2sOffset;
    if (s2cOffset > this.progress[1][b]) this.progress[1][b] = s2cOffset;
  }

  /** A data segment ending at data-level offset `end` on `subflow` in direction `dir` (0 c2s) at `t`. */
  addSequence(t: number, subflow: number, dir: 0 | 1, end: number): void {
    let b = Math.floor(Math.max(0, t - this.t0) / this.width);
    while (b >= MAX_BUCKETS) {
      this.merge();
      b = Math.floor(Math.max(0, t - this.t0) / this.width);
    }
    this.extendTo(b + 1);
    const per = this.sequence[dir];
    while (per.length <= subflow) per.push(new Array<number>(this.buckets).fill(0));
    const a = per[subflow];
    for (let k = b; k < a.length; k++) if (end > a[k]) a[k] = end;
  }

  private extendTo(n: number): void {
    while (this.buckets < n) {
      for (const d of this.sequence) for (const a of d) a.push(a.length > 0 ? a[a.length - 1] : 0);
      for (const a of this.subflowBytes) a.push(0);
      for (const p of this.progress) p.push(p.length > 0 ? p[p.length - 1] : 0);
      this.buckets++;
    }
  }

  private merge(): void {
    const half = Math.ceil(this.buckets / 2);
    for (const a of this.subflowBytes) {
      for (let k = 0; k < half; k++) a[k] = a[2 * k] + (2 * k + 1 < a.length ? a[2 * k + 1] : 0);
      a.length = half;
    }
    for (const p of [...this.progress, ...this.sequence[0], ...this.sequence[1]]) {
      for (let k = 0; k < half; k++) p[k] = Math.max(p[2 * k], 2 * k + 1 < p.length ? p[2 * k + 1] : 0);
      p.length = half;
    }
    this.buckets = half;
    this.width *= 2;
  }
}
