/**
 * `check --pair A B`: the comparison of two captures judged by rules. The result has the shape of a single
 * capture's check result, so every output format of `check` (text, JSON, JUnit, GitHub) serves it.
 */
import type { CaptureResult, RuleResult, RuleStatus, Violation } from '../analyze/check/evaluate.js';
import { RULES, type RuleSeverity, type Rules } from '../analyze/check/rules.js';
import type { Severity } from '../analyze/report-types.js';
import type { CompareReport } from './report-types.js';

const DIRS = ['c2s', 's2c'] as const;

function status(violations: Violation[], skipped: boolean): RuleStatus {
  if (violations.some((x) => x.severity === 'error')) return 'fail';
  if (violations.some((x) => x.severity === 'warning')) return 'warning';
  if (violations.length > 0) return 'info';
  return skipped ? 'skipped' : 'pass';
}

export function evaluatePair(report: CompareReport, rules: Rules, opts: { strict?: boolean } = {}, time = 0): CaptureResult {
  const pair = rules.pair ?? {};
  const results: RuleResult[] = [];
  for (const def of RULES) {
    if (def.kind !== 'pair') continue;
    const sev: RuleSeverity = rules.severity[def.id] ?? def.severity;
    const violations: Violation[] = [];
    const add = (v: Omit<Violation, 'severity'>): void => {
      if (sev === 'ignore') return;
      violations.push({ ...v, severity: (sev === 'warning' && opts.strict ? 'error' : sev) as Severity });
    };
    switch (def.id) {
      case 'ONE_WAY_DELAY': {
        const lim = pair.maxOneWayDelayMs;
        if (!lim) continue; // not asked for
        forEachDirection(report, (where, f, dir) => {
          const d = f.owdMs[dir];
          if (d.samples === 0) return;
          for (const k of ['min', 'p50', 'p95'] as const) {
            const value = k === 'min' ? d.minMs : k === 'p50' ? d.p50Ms : d.p95Ms;
            const max = lim[k];
            if (max !== undefined && value > max) add({ message: `${where} ${dir}: one-way delay ${k} ${value} ms exceeds ${max} ms`, packets: [f.a.firstPacket] });
          }
        });
        break;
      }
      case 'LOST_BETWEEN': {
        const max = pair.maxLostBetween;
        if (max === undefined) continue;
        forEachDirection(report, (where, f, dir) => {
          if (f.lostBetween[dir] > max) add({ message: `${where} ${dir}: ${f.lostBetween[dir]} packets lost between the captures, at most ${max} allowed`, packets: [f.a.firstPacket] });
        });
        break;
      }
      case 'INTERFERENCE': {
        const kinds = pair.forbidInterference;
        if (!kinds) continue;
        for (const x of report.interference) {
          if (kinds.includes(x.kind)) add({ message: `${x.kind}: ${x.message} (B packets ${x.packets.b.join(' ') || '-'})`, packets: x.packets.a, session: x.session, subflow: x.subflow });
        }
        break;
      }
      default:
        for (const f of report.findings) {
          if (f.code !== def.id) continue;
          const v: Omit<Violation, 'severity'> = { message: f.message + (f.count && f.count > 1 ? ` (${f.count} times)` : ''), packets: f.packets };
          if (f.session !== undefined) v.session = f.session;
          if (f.subflow !== undefined) v.subflow = f.subflow;
          add(v);
        }
    }
    results.push({ id: def.id, title: def.title, status: status(violations, sev === 'ignore'), violations });
  }
  return {
    file: `${report.a.file} + ${report.b.file}`,
    status: results.some((r) => r.status === 'fail') ? 'fail' : 'pass',
    sessions: report.sessions.length,
    packets: report.a.packets + report.b.packets,
    time,
    rules: results,
  };
}

function forEachDirection(report: CompareReport, fn: (where: string, f: CompareReport['sessions'][number]['subflows'][number], dir: 'c2s' | 's2c') => void): void {
  report.sessions.forEach((s, sid) => s.subflows.forEach((f, fid) => {
    for (const dir of DIRS) fn(`session ${sid} subflow ${fid} (${f.a.client} → ${f.a.server})`, f, dir);
  }));
}
