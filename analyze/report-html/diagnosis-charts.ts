/**
 * The diagnosis charts of the HTML report (Vega-Lite, rendered to static SVG like charts.ts): the data-level
 * time-sequence graph with DATA_ACK and receive-window lines, repair marks, stalls shaded by cause and handovers;
 * the in-flow RTT of each subflow over time; throughput per subflow and in all with a moving average.
 * Every mark names its packet in an SVG <title>.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { DiagnosisSeries, DirectionDiagnosis, Handover } from '../diagnosis/types.js';
import type { SessionReport } from '../report-types.js';
import { renderSvg, thin, type Chart } from './charts.js';
import type { SessionSeries } from './series.js';

const WIDTH = 760;
const HEIGHT = 300;
const SEQ_POINTS = 1500;
const ACK_POINTS = 800;
/** Bins averaged by the throughput's moving average. */
const MOVING_AVERAGE_BINS = 5;
const CAUSE_COLORS: Record<string, string> = {
  'path-failure': '#d62728', 'loss-recovery': '#ff7f0e', 'head-of-line': '#9467bd', 'receive-window': '#8c564b', 'sender-idle': '#7f7f7f', unknown: '#bcbd22',
};
const base = { width: WIDTH, height: HEIGHT, background: 'white', config: { font: 'sans-serif', view: { stroke: '#ccc' } } } as const;
const xTime = { field: 't', type: 'quantitative', title: 'time since the first packet (s)', scale: { zero: false } } as const;
const subflowName = (id: number): string => `subflow ${id}`;

/** Vega writes a mark's description as aria-label; the packet links become SVG <title> elements (hover text). */
export function packetTitles(svg: string): string {
  return svg.replace(/<(path|line|rect)([^>]*?) aria-label="(packet[^"]*)"([^>]*?)\/>/g, (_m, tag: string, a: string, label: string, b: string) => `<${tag}${a}${b}><title>${label}</title></${tag}>`);
}

function subflowColor(subflows: number[]) {
  return { field: 'subflow', type: 'nominal', title: 'subflow', scale: { domain: subflows.map(subflowName), scheme: 'tableau10' } } as const;
}

export function timeSequenceSpec(session: number, dir: 'c2s' | 's2c', series: DiagnosisSeries, dd: DirectionDiagnosis, handovers: Handover[], subflows: number[]): TopLevelSpec {
  const seq = series.seq[dir];
  const segments = thin(seq.filter((m) => m.kind === 'new'), SEQ_POINTS).map((m) => ({ t: m.t, y: m.start, y2: m.end, subflow: subflowName(m.subflow), d: `packet ${m.n}: ${subflowName(m.subflow)}, data ${m.start}-${m.end}` }));
  const repairs = seq.filter((m) => m.kind !== 'new').map((m) => ({ t: m.t, y: m.start, kind: m.kind, d: `packet ${m.n}: ${m.kind} on ${subflowName(m.subflow)}, data ${m.start}-${m.end}` }));
  const lines: Array<{ t: number; y: number; line: string; d: string }> = [];
  for (const a of thin(series.ack[dir], ACK_POINTS)) {
    lines.push({ t: a.t, y: a.ack, line: 'DATA_ACK', d: `packet ${a.n}: DATA_ACK ${a.ack}` });
    if (a.edge !== null) lines.push({ t: a.t, y: a.edge, line: 'DATA_ACK + receive window', d: `packet ${a.n}: window edge ${a.edge}` });
  }
  const stalls = dd.stalls.map((s) => ({ start: s.start, end: s.end, cause: s.cause, d: `packet ${s.packets.join(', ')}: ${s.cause} stall ${s.durationMs} ms${s.subflow !== null ? ` (subflow ${s.subflow})` : ''}` }));
  const marks = handovers.flatMap((h) => [
    { t: h.failedAt, what: `subflow ${h.from} last progress`, d: `packet ${h.packets[0] ?? ''}: subflow ${h.from} last progress (${h.trigger})` },
    ...(h.resumedAt !== null ? [{ t: h.resumedAt, what: `resumed on subflow ${h.to}`, d: `packet ${h.packets[h.packets.length - 1] ?? ''}: resumed on subflow ${h.to}` }] : []),
  ]);
  const layers: unknown[] = [];
  if (stalls.length) {
    layers.push({
      data: { values: stalls },
      mark: { type: 'rect', opacity: 0.22, aria: true },
      encoding: {
        x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' },
        fill: { field: 'cause', type: 'nominal', title: 'stall cause', scale: { domain: Object.keys(CAUSE_COLORS), range: Object.values(CAUSE_COLORS) } },
        description: { field: 'd' },
      },
    });
  }
  layers.push({
    data: { values: segments },
    mark: { type: 'rule', strokeWidth: 2, aria: true },
    encoding: { x: xTime, y: { field: 'y', type: 'quantitative', title: 'data-level offset (bytes)', axis: { format: '~s' } }, y2: { field: 'y2' }, color: subflowColor(subflows), description: { field: 'd' } },
  });
  if (lines.length) {
    layers.push({
      data: { values: lines },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1, color: '#222', aria: false },
      encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, strokeDash: { field: 'line', type: 'nominal', title: 'line', scale: { domain: ['DATA_ACK', 'DATA_ACK + receive window'], range: [[1, 0], [4, 3]] } } },
    });
  }
  if (repairs.length) {
    layers.push({
      data: { values: repairs },
      mark: { type: 'point', filled: false, size: 40, color: '#d62728', aria: true },
      encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, shape: { field: 'kind', type: 'nominal', title: 'mark', scale: { domain: ['retransmission', 'reinjection', 'conflict'], range: ['cross', 'triangle-up', 'diamond'] } }, description: { field: 'd' } },
    });
  }
  if (marks.length) {
    layers.push({
      data: { values: marks },
      mark: { type: 'rule', strokeDash: [6, 3], color: '#d62728', aria: true },
      encoding: { x: { field: 't', type: 'quantitative' }, description: { field: 'd' } },
    });
  }
  return { ...base, title: `Session ${session} ${dir}: data-level time-sequence`, layer: layers, resolve: { scale: { color: 'independent' } } } as unknown as TopLevelSpec;
}

export function rttSpec(session: number, series: DiagnosisSeries, subflows: number[]): TopLevelSpec {
  const values = series.rtt.flatMap((r) => r.points.map((p) => ({ t: p.t, ms: p.ms, subflow: subflowName(r.subflow), d: `packet ${p.n}: ${subflowName(r.subflow)} RTT ${p.ms} ms` })));
  return {
    ...base,
    height: 220,
    title: `Session ${session}: in-flow RTT per subflow`,
    data: { values },
    mark: { type: 'line', point: { size: 14 }, strokeWidth: 1, aria: true },
    encoding: { x: xTime, y: { field: 'ms', type: 'quantitative', title: 'RTT (ms)' }, color: subflowColor(subflows), description: { field: 'd' } },
  } as unknown as TopLevelSpec;
}

/** Throughput per subflow (both directions) and in all, with a moving average over MOVING_AVERAGE_BINS bins. */
export function throughputAggregateSpec(s: SessionSeries, subflows: number[]): TopLevelSpec {
  const bins = Math.max(0, ...s.throughput.map((x) => x.bins.length));
  const per = new Map<number, number[]>();
  for (const x of s.throughput) {
    const a = per.get(x.subflow) ?? new Array<number>(bins).fill(0);
    x.bins.forEach((b, i) => { a[i] += b; });
    per.set(x.subflow, a);
  }
  const mbps = (bytes: number): number => Math.round(((bytes * 8) / s.binWidth / 1e6) * 1000) / 1000;
  const total = new Array<number>(bins).fill(0);
  for (const a of per.values()) a.forEach((b, i) => { total[i] += b; });
  const values: Array<{ t: number; mbps: number; series: string }> = [];
  for (const [id, a] of [...per].sort((x, y) => x[0] - y[0])) a.forEach((b, i) => values.push({ t: s.binStart + i * s.binWidth, mbps: mbps(b), series: subflowName(id) }));
  total.forEach((b, i) => values.push({ t: s.binStart + i * s.binWidth, mbps: mbps(b), series: 'all subflows' }));
  const half = Math.floor(MOVING_AVERAGE_BINS / 2);
  total.forEach((_b, i) => {
    const lo = Math.max(0, i - half), hi = Math.min(bins - 1, i + half);
    let sum = 0;
    for (let k = lo; k <= hi; k++) sum += total[k];
    values.push({ t: s.binStart + (i + 0.5) * s.binWidth, mbps: mbps(sum / (hi - lo + 1)), series: `all, moving average (${MOVING_AVERAGE_BINS} bins)` });
  });
  const domain = [...subflows.map(subflowName), 'all subflows', `all, moving average (${MOVING_AVERAGE_BINS} bins)`];
  return {
    ...base,
    height: 220,
    title: `Session ${s.session}: throughput per subflow and in all (${s.binWidth >= 1 ? `${s.binWidth} s` : `${Math.round(s.binWidth * 1e6) / 1e3} ms`} bins)`,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      x: xTime,
      y: { field: 'mbps', type: 'quantitative', title: 'Mbit/s (TCP payload, both directions)' },
      color: { field: 'series', type: 'nominal', title: 'series', scale: { domain, scheme: 'tableau10' } },
    },
  } as unknown as TopLevelSpec;
}

/** The diagnosis charts of one session. */
export async function diagnosisCharts(s: SessionReport, series: DiagnosisSeries | null, tput: SessionSeries | undefined): Promise<Chart[]> {
  const d = s.diagnosis;
  const out: Chart[] = [];
  const subflows = s.subflows.map((f) => f.id);
  if (d && series) {
    for (const dir of ['c2s', 's2c'] as const) {
      const dd = d[dir];
      if (!dd || series.seq[dir].length === 0) continue;
      out.push({
        title: `Data-level time-sequence (${dir})`,
        svg: packetTitles(await renderSvg(timeSequenceSpec(s.id, dir, series, dd, d.handovers.filter((h) => h.dir === dir), subflows))),
        caption: `Each ${dir} data segment as a vertical line from its first to its last data-level byte, coloured by subflow; the solid line is DATA_ACK (delivered in order), the dashed one DATA_ACK + the receiver's window; red marks are retransmissions (x), reinjections (triangle) and conflicting data (diamond); shaded bands are stalls by cause; dashed red rules are handovers (last progress of the failing subflow, then resumption). Hover a mark for its packet number. ${dd.verdict}`,
      });
    }
    if (series.rtt.some((r) => r.points.length > 0)) {
      out.push({ title: 'In-flow RTT per subflow', svg: packetTitles(await renderSvg(rttSpec(s.id, series, subflows))), caption: 'RTT samples from TCP timestamps (or data/ACK pairs by Karn\'s rule), both halves as seen from the capture point.' });
    }
  }
  if (tput && tput.throughput.length > 0) {
    out.push({ title: 'Throughput per subflow and in all', svg: await renderSvg(throughputAggregateSpec(tput, subflows)), caption: `TCP payload per subflow (both directions) and of all subflows, with a moving average over ${MOVING_AVERAGE_BINS} bins (bins are wide enough that a single packet makes no spike).` });
  }
  return out;
}
