/**
 * The charts' view model for one session: per-subflow throughput over time and the data-level in-order offset
 * of each direction over time, as series ready for blessed-contrib's line chart.
 */
import type { TuiModel } from './model.js';

export interface ChartSeries {
  title: string;
  x: string[];
  y: number[];
}

export interface ChartData {
  session: number;
  /** Seconds per point. */
  bucketSeconds: number;
  /** KiB/s per subflow (both directions), one series per subflow. */
  throughput: ChartSeries[];
  /** Data-level bytes delivered in order (KiB), c2s and s2c. */
  progress: ChartSeries[];
  /** Per-subflow sequence: the highest data-level offset (KiB) each subflow carried, in `sequenceDir`. */
  sequence: ChartSeries[];
  sequenceDir: 'c2s' | 's2c';
  /** The diagnosis verdict lines, once the source has ended. */
  verdict: string[];
}

function labelDigits(width: number): number {
  if (width >= 1) return 0;
  if (width >= 0.1) return 1;
  if (width >= 0.01) return 2;
  return 3;
}

const round = (v: number): number => Math.round(v * 100) / 100;

export function chartData(model: TuiModel, session: number): ChartData | null {
  const ser = model.series.get(session);
  if (!ser || ser.buckets === 0) return null;
  const digits = labelDigits(ser.width);
  // A line needs two points: a session seen in a single bucket is drawn flat over two.
  const points = Math.max(2, ser.buckets);
  const x: string[] = [];
  for (let k = 0; k < points; k++) x.push((ser.t0 + k * ser.width).toFixed(digits));
  const pad = (a: number[]): number[] => (a.length < points ? [...a, ...new Array<number>(points - a.length).fill(a[a.length - 1] ?? 0)] : a.slice());
  const throughput = ser.subflowBytes.map((bytes, sf) => ({ title: `sf${sf}`, x, y: pad(bytes.map((b) => round(b / 1024 / ser.width))) }));
  const progress = ser.progress.map((p, d) => ({ title: d === 0 ? 'c2s' : 's2c', x, y: pad(p.map((v) => round(v / 1024))) }));
  // The direction that carried more data.
  const dir = (ser.progress[1][ser.progress[1].length - 1] ?? 0) > (ser.progress[0][ser.progress[0].length - 1] ?? 0) ? 1 : 0;
  const sequence = ser.sequence[dir].map((a, sf) => ({ title: `sf${sf}`, x, y: pad(a.map((v) => round(v / 1024))) }));
  const s = model.engine.sessions[session];
  const d = model.info.finished && s ? model.diagnosis.result(s)?.diagnosis : undefined;
  const verdict = d ? [d.c2s?.verdict, d.s2c?.verdict].filter((v): v is string => v !== undefined) : [];
  return { session, bucketSeconds: ser.width, throughput, progress, sequence, sequenceDir: dir === 0 ? 'c2s' : 's2c', verdict };
}
