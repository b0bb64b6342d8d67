/**
 * Per-packet time series for the HTML report's charts, collected while the engine analyzes the capture
 * (the `onRecord` hook of analyzeFile): data-level offsets of data segments (the Stevens graph), payload
 * bytes per subflow over time (throughput), and afterwards the reordering delay distribution.
 *
 * Everything is read from what the engine exposes after each push: `lastTag` names the session, subflow and
 * direction; the subflow's ISN and DSS mapping table give the data-level offset of the segment.
 */
import { decodePacket } from '../../dissect/decode.js';
import { newDecodedPacket, TCP_SYN } from '../../dissect/packet.js';
import type { CaptureRecord } from '../../dissect/record.js';
import type { AnalysisEngine } from '../engine.js';
import { widen32 } from '../seq-math.js';

export type Dir = 'c2s' | 's2c';

export interface SeqPoint {
  /** Seconds since the first packet of the capture. */
  t: number;
  /** Data-level offset of the segment's first byte (0 = first data byte). */
  offset: number;
  len: number;
  subflow: number;
  /** Packet number. */
  n: number;
}

export interface ThroughputSeries {
  subflow: number;
  dir: Dir;
  /** Payload bytes per bin; bin i starts at `start + i * width` (seconds since the capture's first packet). */
  bins: number[];
}

export interface DelayCdfPoint {
  /** Percentile (0..100). */
  p: number;
  ms: number;
}

export interface SessionSeries {
  session: number;
  /** Down-sampled data segments per direction. */
  seq: Record<Dir, SeqPoint[]>;
  /** Data segments seen per direction, before down-sampling. */
  seqTotal: Record<Dir, number>;
  /** Bin layout shared by every throughput series of the session. */
  binStart: number;
  binWidth: number;
  throughput: ThroughputSeries[];
  /** Reordering delay distribution per direction (empty when nothing waited). */
  reorderCdf: Record<Dir, DelayCdfPoint[]>;
  reorderSamples: Record<Dir, number>;
}

export interface CollectedSeries {
  sessions: SessionSeries[];
  /** The per-series point limit used. */
  maxPoints: number;
}

/** Keeps every stride-th point, doubling the stride (and dropping every other kept point) when full. */
class Decimator {
  points: SeqPoint[] = [];
  total = 0;
  private stride = 1;

  constructor(private readonly limit: number) {}

  push(p: SeqPoint): void {
    if (this.total++ % this.stride !== 0) return;
    this.points.push(p);
    if (this.points.length > this.limit) {
      this.points = this.points.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }
}

const MAX_BINS = 240;
/** Bins per series in the chart, at most: finer bins of a short capture are merged down to this. */
const CHART_BINS = 60;
const FIRST_BIN_WIDTH = 0.001;

class SessionCollector {
  readonly seq: Map<string, Decimator> = new Map();
  readonly seqTotal: Record<Dir, number> = { c2s: 0, s2c: 0 };
  start = -1;
  width = FIRST_BIN_WIDTH;
  readonly bins = new Map<string, { subflow: number; dir: Dir; bins: number[] }>();

  constructor(readonly id: number, private readonly limit: number) {}

  addSeq(dir: Dir, p: SeqPoint): void {
    const key = `${dir}|${p.subflow}`;
    let d = this.seq.get(key);
    if (!d) this.seq.set(key, (d = new Decimator(this.limit)));
    d.push(p);
    this.seqTotal[dir]++;
  }

  /** Coarser bins: merge pairs in every series of the session. */
  private coarsen(): void {
    this.width *= 2;
    for (const s of this.bins.values()) {
      const merged: number[] = [];
      for (let k = 0; k < s.bins.length; k += 2) merged.push(s.bins[k] + (s.bins[k + 1] ?? 0));
      s.bins = merged;
    }
  }

  /** Merges bins until every series has at most `n`. */
  coarsenTo(n: number): void {
    while ([...this.bins.values()].some((s) => s.bins.length > n)) this.coarsen();
  }

  addBytes(t: number, subflow: number, dir: Dir, bytes: number): void {
    if (this.start < 0) this.start = t;
    let i = Math.floor((t - this.start) / this.width);
    while (i >= MAX_BINS) {
      this.coarsen();
      i = Math.floor((t - this.start) / this.width);
    }
    const key = `${dir}|${subflow}`;
    let s = this.bins.get(key);
    if (!s) this.bins.set(key, (s = { subflow, dir, bins: [] }));
    while (s.bins.length <= i) s.bins.push(0);
    s.bins[i] += bytes;
  }
}

export class SeriesCollector {
  private readonly sessions: SessionCollector[] = [];
  private readonly p = newDecodedPacket();

  /** `maxPoints`: data segments kept per (session, direction, subflow) series. */
  constructor(readonly maxPoints = 2000) {}

  /** The analyzeFile `onRecord` hook. */
  readonly onRecord = (rec: CaptureRecord, engine: AnalysisEngine): void => {
    const tag = engine.lastTag;
    if (!tag) return;
    const p = decodePacket(rec, this.p);
    if (!p.isTcp || p.payloadLength === 0 || p.flags & TCP_SYN) return;
    const s = engine.sessions[tag.session];
    const conn = s?.subflows[tag.subflow];
    if (!conn) return;
    let sc = this.sessions[tag.session];
    if (!sc) sc = this.sessions[tag.session] = new SessionCollector(tag.session, this.maxPoints);
    const t = rec.tsSec + rec.tsNsec / 1e9 - engine.firstTime;
    sc.addBytes(t, tag.subflow, tag.dir, p.payloadLength);
    // The data-level offset of the segment's first byte, through the subflow's DSS mappings.
    const d = (tag.dir === 'c2s' ? 0 : 1) ^ conn.sessionDirOfDir0;
    const dir = conn.dirs[d];
    if (dir.isn < 0) return;
    const rel = widen32((p.seq - dir.isn) >>> 0, dir.highestEnd);
    let offset: number;
    const m = dir.mappings.covering(rel);
    if (m) offset = m.offset + (rel - m.ssn);
    else if (s.fallback && conn.kind === 'initial' && dir.mappings.list.length === 0) offset = rel - 1;
    else return;
    sc.addSeq(tag.dir, { t, offset, len: p.payloadLength, subflow: tag.subflow, n: rec.n });
  };

  /** The series, with the reordering delay distributions read from the finished engine. */
  result(engine: AnalysisEngine): CollectedSeries {
    const out: SessionSeries[] = [];
    for (const s of engine.sessions) {
      const sc = this.sessions[s.id] ?? new SessionCollector(s.id, this.maxPoints);
      sc.coarsenTo(CHART_BINS);
      const seq: Record<Dir, SeqPoint[]> = { c2s: [], s2c: [] };
      for (const [key, dec] of [...sc.seq].sort(([a], [b]) => a.localeCompare(b))) seq[key.split('|')[0] as Dir].push(...dec.points);
      for (const dir of ['c2s', 's2c'] as const) seq[dir].sort((a, b) => a.t - b.t || a.n - b.n);
      const reorderCdf: Record<Dir, DelayCdfPoint[]> = { c2s: [], s2c: [] };
      const reorderSamples: Record<Dir, number> = { c2s: 0, s2c: 0 };
      (['c2s', 's2c'] as const).forEach((dir, i) => {
        const res = s.streams[i].delays;
        reorderSamples[dir] = res.count;
        if (res.count === 0) return;
        for (let p = 0; p <= 100; p++) reorderCdf[dir].push({ p, ms: Math.round(res.percentile(p) * 1e6) / 1e3 });
      });
      out.push({
        session: s.id,
        seq,
        seqTotal: { ...sc.seqTotal },
        binStart: Math.max(0, sc.start),
        binWidth: sc.width,
        throughput: [...sc.bins.values()].sort((a, b) => a.subflow - b.subflow || a.dir.localeCompare(b.dir)),
        reorderCdf,
        reorderSamples,
      });
    }
    return { sessions: out, maxPoints: this.maxPoints };
  }
}
