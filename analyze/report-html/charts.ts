/**
 * The report's charts as Vega-Lite specs, rendered to static SVG in Node (no browser, no script in the page):
 * compile with vega-lite, then a headless vega View (`renderer: 'none'`) and `toSVG()`.
 */
import { parse, View, Error as VegaErrorLevel } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Dir, SessionSeries } from './series.js';

export interface Chart {
  title: string;
  /** Inline <svg> markup. */
  svg: string;
  /** What the chart shows, in words (also the figure caption). */
  caption: string;
}

const WIDTH = 760;
const HEIGHT = 260;

/** Evenly spaced points, at most `n` of them (keeps the first and the last). */
export function thin<T>(points: T[], n: number): T[] {
  if (points.length <= n) return points.slice();
  if (n < 2) return points.slice(0, Math.max(n, 0));
  const out: T[] = [];
  const step = (points.length - 1) / (n - 1);
  for (let i = 0; i < n; i++) out.push(points[Math.round(i * step)]);
  return out;
}

const silentLogger = {
  level(): number { return 0; },
  error(): unknown { return this; },
  warn(): unknown { return this; },
  info(): unknown { return this; },
  debug(): unknown { return this; },
};

let chartCounter = 0;

/** Renders a Vega-Lite spec to an SVG string with ids made unique in the page. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec, { logger: silentLogger as never }).spec;
  const view = new View(parse(vg), { renderer: 'none', logLevel: VegaErrorLevel });
  try {
    const svg = await view.toSVG();
    const prefix = `c${++chartCounter}-`;
    return svg
      .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
      .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
      // Float noise such as translate(378.86,130.39000000000001): two decimals are plenty on screen.
      .replace(/translate\(([-\d.]+),([-\d.]+)\)/g, (_m, x: string, y: string) => `translate(${+(+x).toFixed(2)},${+(+y).toFixed(2)})`);
  } finally {
    view.finalize();
  }
}

const subflowName = (id: number): string => `subflow ${id}`;

function subflowColor(subflows: number[]): { field: string; type: 'nominal'; title: string; scale: { domain: string[]; scheme: string } } {
  return { field: 'subflow', type: 'nominal', title: 'subflow', scale: { domain: subflows.map(subflowName), scheme: 'tableau10' } };
}

const base = { width: WIDTH, height: HEIGHT, background: 'white', config: { font: 'sans-serif', view: { stroke: '#ccc' } } } as const;

/** Data-level offset over time, one colour per subflow: the MPTCP form of the Stevens graph. */
export function stevensSpec(s: SessionSeries, dir: Dir, subflows: number[], maxPoints: number): TopLevelSpec {
  const values = thin(s.seq[dir], maxPoints).map((p) => ({ t: p.t, offset: p.offset, subflow: subflowName(p.subflow), n: p.n, len: p.len }));
  return {
    ...base,
    title: `Session ${s.session} ${dir}: data-level sequence over time`,
    data: { values },
    // No per-point aria-label: with thousands of points it would triple the page size.
    mark: { type: 'point', filled: true, size: 10, opacity: 0.8, aria: false },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time since the first packet (s)', scale: { zero: false } },
      y: { field: 'offset', type: 'quantitative', title: 'data-level offset (bytes)', axis: { format: '~s' } },
      color: subflowColor(subflows),
    },
  } as TopLevelSpec;
}

/** Payload bytes per subflow and direction over time, in Mbit/s. */
export function throughputSpec(s: SessionSeries, subflows: number[]): TopLevelSpec {
  const values: Array<{ t: number; mbps: number; subflow: string; dir: string }> = [];
  for (const series of s.throughput) {
    series.bins.forEach((bytes, i) => {
      values.push({ t: s.binStart + i * s.binWidth, mbps: (bytes * 8) / s.binWidth / 1e6, subflow: subflowName(series.subflow), dir: series.dir });
    });
  }
  return {
    ...base,
    title: `Session ${s.session}: throughput per subflow (${formatWidth(s.binWidth)} bins)`,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time since the first packet (s)', scale: { zero: false } },
      y: { field: 'mbps', type: 'quantitative', title: 'Mbit/s (TCP payload)' },
      color: subflowColor(subflows),
      strokeDash: { field: 'dir', type: 'nominal', title: 'direction', scale: { domain: ['c2s', 's2c'] } },
      detail: [{ field: 'subflow' }, { field: 'dir' }],
    },
  } as TopLevelSpec;
}

/** The distribution (CDF) of how long reordered data-level segments waited for earlier bytes. */
export function reorderSpec(s: SessionSeries): TopLevelSpec {
  const values: Array<{ ms: number; p: number; dir: string }> = [];
  for (const dir of ['c2s', 's2c'] as const) for (const pt of s.reorderCdf[dir]) values.push({ ms: pt.ms, p: pt.p, dir: `${dir} (${s.reorderSamples[dir]} segments)` });
  return {
    ...base,
    title: `Session ${s.session}: data-level reordering delay distribution`,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', point: { size: 12 } },
    encoding: {
      x: { field: 'ms', type: 'quantitative', title: 'delay waiting for earlier data (ms)' },
      y: { field: 'p', type: 'quantitative', title: '% of reordered segments', scale: { domain: [0, 100] } },
      color: { field: 'dir', type: 'nominal', title: 'direction' },
    },
  } as TopLevelSpec;
}

function formatWidth(w: number): string {
  return w >= 1 ? `${w} s` : `${Math.round(w * 1e6) / 1e3} ms`;
}

/** Every chart of a session (those with data). */
export async function sessionCharts(s: SessionSeries, subflows: number[], maxPoints: number): Promise<Chart[]> {
  const charts: Chart[] = [];
  for (const dir of ['c2s', 's2c'] as const) {
    if (s.seq[dir].length === 0) continue;
    const shown = Math.min(s.seq[dir].length, maxPoints);
    charts.push({
      title: `Data-level sequence (${dir})`,
      svg: await renderSvg(stevensSpec(s, dir, subflows, maxPoints)),
      caption: `Data-level offset of each ${dir} data segment over time, coloured by the subflow that carried it (${shown} of ${s.seqTotal[dir]} segments shown). Points below the rising line are retransmissions or reinjections.`,
    });
  }
  if (s.throughput.length > 0) {
    charts.push({
      title: 'Throughput per subflow',
      svg: await renderSvg(throughputSpec(s, subflows)),
      caption: `TCP payload per subflow and direction in ${formatWidth(s.binWidth)} bins (retransmissions included).`,
    });
  }
  if (s.reorderCdf.c2s.length + s.reorderCdf.s2c.length > 0) {
    charts.push({
      title: 'Reordering delay distribution',
      svg: await renderSvg(reorderSpec(s)),
      caption: 'Cumulative distribution of the time data-level segments waited for earlier bytes (from a sample of at most 4096 per direction).',
    });
  }
  return charts;
}
