/**
 * The findings and timeline view of one session (or of the whole capture): findings first, worst first, then
 * the session's events in packet order. A line that names a packet can be followed to it.
 */
import type { Finding, SessionEvent, Severity } from '../analyze/report-types.js';
import type { TuiModel } from './model.js';

export interface TimelineLine {
  text: string;
  severity?: Severity;
  /** Packet number the line refers to. */
  packet?: number;
  /** A heading line. */
  heading?: boolean;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function findingLine(f: Finding): TimelineLine {
  const where = [f.session !== undefined ? `session ${f.session}` : '', f.subflow !== undefined ? `sf ${f.subflow}` : ''].filter(Boolean).join(' ');
  const pk = f.packets.length ? `  packets ${f.packets.slice(0, 8).map((n) => `#${n}`).join(' ')}${f.packets.length > 8 ? ' ...' : ''}` : '';
  const count = f.count && f.count > 1 ? ` (x${f.count})` : '';
  const line: TimelineLine = { text: `${f.severity.padEnd(7)} ${f.code}${count}${where ? ` [${where}]` : ''}: ${f.message}${pk}`, severity: f.severity };
  if (f.packets.length) line.packet = f.packets[0];
  return line;
}

const SKIP = new Set(['n', 'time', 'type', 'subflow', 'dir']);

function eventLine(e: SessionEvent): TimelineLine {
  const details = Object.entries(e).filter(([k, v]) => !SKIP.has(k) && v !== undefined).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ');
  const sf = e.subflow !== undefined ? `sf${e.subflow}` : '';
  const sev: Severity | undefined = e.type === 'DSS_CHECKSUM_MISMATCH' || e.type === 'MP_FAIL' ? 'error'
    : e.type === 'MP_FASTCLOSE' || e.type === 'MP_TCPRST' || e.type === 'RST' || e.type === 'FALLBACK' ? 'warning' : undefined;
  const line: TimelineLine = { text: `${e.time.toFixed(6).padStart(11)}  #${String(e.n).padEnd(7)} ${sf.padEnd(4)} ${(e.dir ?? '').padEnd(3)}  ${e.type.padEnd(20)} ${details}`, packet: e.n };
  if (sev) line.severity = sev;
  return line;
}

/** Lines for one session, or for the whole capture when `session` is null. */
export function timelineLines(model: TuiModel, session: number | null): TimelineLine[] {
  const eng = model.engine;
  const sessions = session === null ? eng.sessions : eng.sessions.filter((s) => s.id === session);
  const findings = [...(session === null ? eng.findings : []), ...sessions.flatMap((s) => s.findings)];
  findings.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  // The diagnosis (once the source has ended): its findings among the others, its verdicts after them.
  const verdicts: TimelineLine[] = [];
  if (model.info.finished) {
    for (const s of sessions) {
      const d = model.diagnosis.result(s)?.diagnosis;
      if (!d) continue;
      findings.push(...d.findings);
      verdicts.push({ text: '', heading: true }, { text: `Verdict of session ${s.id}`, heading: true });
      for (const v of [d.c2s?.verdict, d.s2c?.verdict]) if (v) verdicts.push({ text: `  ${v}` });
    }
    findings.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  }
  const out: TimelineLine[] = [];
  out.push({ text: `Findings (${findings.length})`, heading: true });
  if (findings.length === 0) out.push({ text: '  none' });
  for (const f of findings) out.push(findingLine(f));
  out.push(...verdicts);
  for (const s of sessions) {
    out.push({ text: '', heading: true });
    out.push({ text: `Timeline of session ${s.id} (${s.events.length} events${s.eventsDropped ? `, ${s.eventsDropped} more not kept` : ''})`, heading: true });
    for (const e of s.events) out.push(eventLine(e));
  }
  return out;
}
