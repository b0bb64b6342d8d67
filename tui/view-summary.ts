/**
 * The per-session summary view: what `analyze` prints for a session (bytes and sha256 per direction,
 * completeness, reinjection, reordering delay, per-subflow RTT, findings), with the finding counts at a
 * glance. The sha256 of a direction is known only once every byte went through it: until the capture has been
 * read (or a live capture stopped) the view says so and shows what is known.
 */
import { buildReport } from '../analyze/report.js';
import { formatSummary } from '../analyze/summary-text.js';
import type { AnalysisReport } from '../analyze/report-types.js';
import type { TuiModel } from './model.js';

export interface SummaryLine {
  text: string;
  severity?: 'error' | 'warning';
  heading?: boolean;
}

const reports = new WeakMap<TuiModel, AnalysisReport>();

/** The analysis report of a finished model (built once). */
export function finishedReport(model: TuiModel): AnalysisReport | null {
  if (!model.info.finished) return null;
  let r = reports.get(model);
  if (!r) {
    r = buildReport(model.engine, { file: model.info.label, format: model.info.format ?? 'pcap', truncated: model.info.truncated, version: '' });
    reports.set(model, r);
  }
  return r;
}

export function summaryLines(model: TuiModel, session: number | null): SummaryLine[] {
  const eng = model.engine;
  if (session === null || !eng.sessions[session]) return [{ text: 'No MPTCP session to summarize.' }];
  const s = eng.sessions[session];
  const count = (sev: string): number => s.findings.filter((f) => f.severity === sev).length;
  const out: SummaryLine[] = [];
  const e = count('error');
  const w = count('warning');
  const glance = `Findings: ${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}, ${count('info')} info`;
  out.push({ text: glance, heading: true, ...(e ? { severity: 'error' as const } : w ? { severity: 'warning' as const } : {}) });
  const report = finishedReport(model);
  if (!report) {
    out.push({ text: '' });
    out.push({ text: `Session ${s.id}: MPTCP v${s.version}, ${s.subflows.length} subflow(s), ${s.packets} packets so far` });
    for (let d = 0; d < 2; d++) out.push({ text: `  ${d === 0 ? 'c2s' : 's2c'}: ${s.streams[d].next} bytes delivered in order so far` });
    out.push({ text: '' });
    out.push({ text: 'The full summary (sha256 per direction, completeness, reinjection, reordering, RTT) appears once the capture has been read.' });
    return out;
  }
  const text = formatSummary(report, false).split('\n');
  // The session's block: from its "Session N:" line to the next blank line.
  const start = text.findIndex((l) => l.startsWith(`Session ${s.id}:`));
  out.push({ text: '' });
  for (let k = start; k >= 0 && k < text.length && text[k] !== ''; k++) {
    const l = text[k];
    const sev = /^\s+ERROR /.test(l) ? 'error' : /^\s+WARNING /.test(l) ? 'warning' : undefined;
    out.push({ text: l, ...(k === start ? { heading: true } : {}), ...(sev ? { severity: sev as 'error' | 'warning' } : {}) });
  }
  return out;
}
