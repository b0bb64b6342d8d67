/** Applies the rules to one analysis report: one result per rule, with the violations that decide it. */
import type { AnalysisReport, Finding, SessionReport, Severity } from '../report-types.js';
import { endpointMatches } from './endpoint-match.js';
import type { PacketRuleMatches } from './packet-rules.js';
import { RULES, SESSION_RULE_KEYS, type RuleDef, type RuleSeverity, type Rules, type SessionRuleValues } from './rules.js';

export interface Violation {
  /** Effective severity (after overrides and --strict). */
  severity: Severity;
  message: string;
  /** Packet numbers (1-based) where it shows; may be empty. */
  packets: number[];
  session?: number;
  subflow?: number;
}

/** fail: an error violation; warning/info: only such violations; skipped: the rule is ignored. */
export type RuleStatus = 'pass' | 'fail' | 'warning' | 'info' | 'skipped';

export interface RuleResult {
  id: string;
  title: string;
  status: RuleStatus;
  violations: Violation[];
}

export interface CaptureResult {
  file: string;
  /** error: the capture could not be analyzed (`error` says why). */
  status: 'pass' | 'fail' | 'error';
  error?: string;
  sessions: number;
  packets: number;
  /** Analysis time in seconds. */
  time: number;
  rules: RuleResult[];
}

export interface EvaluateOptions {
  /** Warnings fail the check too. */
  strict?: boolean;
}

/** Per-session view of the rules: values and severities after the matching scopes. */
interface SessionRules {
  values: SessionRuleValues;
  severity: (id: string) => RuleSeverity;
}

function baseSeverity(rules: Rules, def: RuleDef | undefined, id: string, reported: Severity | undefined): RuleSeverity {
  return rules.severity[id] ?? def?.severity ?? reported ?? 'warning';
}

function sessionRules(rules: Rules, s: SessionReport | undefined, defs: Map<string, RuleDef>): SessionRules {
  const values: SessionRuleValues = { ...rules.sessions };
  const severities: Record<string, RuleSeverity> = {};
  if (s) {
    const first = s.subflows[0];
    const endpoints = first ? [first.client, first.server] : [];
    for (const scope of rules.scopes) {
      if (!endpoints.some((e) => endpointMatches(e, scope.match))) continue;
      Object.assign(values, scope.sessions ?? {});
      Object.assign(severities, scope.severity ?? {});
    }
  }
  return { values, severity: (id) => severities[id] ?? baseSeverity(rules, defs.get(id), id, undefined) };
}

/** Subflows that count: handshake complete, or data carried (a fallback subflow). */
function establishedSubflows(s: SessionReport): number {
  return s.subflows.filter((f) => f.handshake === 'complete' || f.dataBytes.c2s + f.dataBytes.s2c > 0).length;
}

const where = (s: SessionReport | undefined, subflow?: number): string =>
  s === undefined ? '' : subflow === undefined ? `session ${s.id}: ` : `session ${s.id} subflow ${subflow}: `;

const fmtNum = (v: number): string => String(Math.round(v * 1000) / 1000);

/** Violations of a 'session' rule by one session, with the rule value that applies to it. */
function sessionViolations(id: string, s: SessionReport, v: SessionRuleValues): Array<Omit<Violation, 'severity'>> {
  const out: Array<Omit<Violation, 'severity'>> = [];
  const capable = s.events.find((e) => e.type === 'MP_CAPABLE');
  const firstPackets = s.subflows.map((f) => f.firstPacket);
  switch (id) {
    case 'MIN_SUBFLOWS': {
      const n = establishedSubflows(s);
      if (v.minSubflows !== undefined && n < v.minSubflows) out.push({ message: `${n} subflow(s) established, at least ${v.minSubflows} required`, packets: firstPackets });
      break;
    }
    case 'MAX_SUBFLOWS': {
      const n = establishedSubflows(s);
      if (v.maxSubflows !== undefined && n > v.maxSubflows) out.push({ message: `${n} subflow(s) established, at most ${v.maxSubflows} allowed`, packets: firstPackets });
      break;
    }
    case 'CHECKSUM_REQUIRED':
      if (v.requireChecksum && !s.checksum) out.push({ message: 'DSS checksums are not in use (requireChecksum)', packets: capable ? [capable.n] : [] });
      break;
    case 'MPTCP_VERSION':
      if (v.mptcpVersion !== undefined && s.version !== v.mptcpVersion) out.push({ message: `MPTCP v${s.version}, v${v.mptcpVersion} required`, packets: capable ? [capable.n] : [] });
      break;
    case 'REINJECTION_RATIO':
      if (v.maxReinjectionRatio === undefined) break;
      for (const dir of ['c2s', 's2c'] as const) {
        const d = s.data[dir];
        if (d.bytes === 0) continue;
        const ratio = d.reinjectedBytes / d.bytes;
        if (ratio > v.maxReinjectionRatio) out.push({ message: `${dir} reinjection ratio ${fmtNum(ratio)} (${d.reinjectedBytes} of ${d.bytes} bytes) exceeds ${v.maxReinjectionRatio}`, packets: [] });
      }
      break;
    case 'REORDER_DELAY': {
      const lim = v.maxReorderDelayMs;
      if (!lim) break;
      for (const dir of ['c2s', 's2c'] as const) {
        const d = s.data[dir].reorderDelay;
        if (d.samples === 0) continue;
        if (lim.p95 !== undefined && d.p95Ms > lim.p95) out.push({ message: `${dir} reordering delay p95 ${fmtNum(d.p95Ms)} ms exceeds ${lim.p95} ms`, packets: [] });
        if (lim.max !== undefined && d.maxMs > lim.max) out.push({ message: `${dir} reordering delay max ${fmtNum(d.maxMs)} ms exceeds ${lim.max} ms`, packets: [] });
      }
      break;
    }
    default:
      break;
  }
  return out;
}

function ruleStatus(violations: Violation[], skipped: boolean): RuleStatus {
  if (violations.some((x) => x.severity === 'error')) return 'fail';
  if (violations.some((x) => x.severity === 'warning')) return 'warning';
  if (violations.length > 0) return 'info';
  return skipped ? 'skipped' : 'pass';
}

/** Evaluates every rule on a report. `time` is the analysis time in seconds (for JUnit). */
export function evaluateReport(report: AnalysisReport, rules: Rules, opts: EvaluateOptions = {}, time = 0, packetMatches: readonly PacketRuleMatches[] = []): CaptureResult {
  const defs = new Map(RULES.map((d) => [d.id, d]));
  const bySession = new Map(report.sessions.map((s) => [s.id, s]));
  const perSession = new Map(report.sessions.map((s) => [s.id, sessionRules(rules, s, defs)]));
  const global = sessionRules(rules, undefined, defs);
  const rulesOf = (sid: number | undefined): SessionRules => (sid === undefined ? undefined : perSession.get(sid)) ?? global;

  // Rules: the known ones, then any finding code this version does not know (with the report's severity).
  const extra = new Map<string, Severity>();
  for (const f of report.findings) if (!defs.has(f.code) && !extra.has(f.code)) extra.set(f.code, f.severity);
  const all: RuleDef[] = [...RULES, ...[...extra].map(([id, sev]) => ({ id, title: `no ${id}`, severity: sev, kind: 'finding' as const }))];
  for (const [id, sev] of extra) defs.set(id, { id, title: `no ${id}`, severity: sev, kind: 'finding' });

  const results: RuleResult[] = [];
  for (const def of all) {
    if (def.kind === 'pair') continue; // rules of check --pair (compare/check-pair.ts)
    const scopesSet = rules.scopes.some((sc) => sc.severity?.[def.id] !== undefined && sc.severity[def.id] !== 'ignore');
    const skipped = global.severity(def.id) === 'ignore' && !scopesSet;
    if (def.kind === 'session') {
      const key = SESSION_RULE_KEYS[def.id];
      const configured = rules.sessions[key] !== undefined || rules.scopes.some((sc) => sc.sessions?.[key] !== undefined);
      if (!configured) continue; // not asked for: not a rule of this check
    }
    const violations: Violation[] = [];
    const add = (sev: RuleSeverity, v: Omit<Violation, 'severity'>): void => {
      if (sev === 'ignore') return;
      violations.push({ ...v, severity: sev === 'warning' && opts.strict ? 'error' : sev });
    };
    if (def.kind === 'finding') {
      const findings: Finding[] = report.findings.filter((f) => f.code === def.id);
      if (def.id === 'FALLBACK') {
        // A session that fell back fails unless allowFallback applies to it.
        for (const s of report.sessions) {
          if (!s.fallback) continue;
          const r = rulesOf(s.id);
          if (r.values.allowFallback) continue;
          const f = findings.find((x) => x.session === s.id);
          const ev = s.events.find((e) => e.type === 'FALLBACK');
          add(r.severity(def.id), {
            message: `${where(s)}${f?.message ?? `fell back to plain TCP${s.fallbackReason ? `: ${s.fallbackReason}` : ''}`}`,
            packets: f?.packets ?? (ev ? [ev.n] : []),
            session: s.id,
          });
        }
      } else {
        for (const f of findings) {
          const s = f.session === undefined ? undefined : bySession.get(f.session);
          const count = f.count && f.count > 1 ? ` (${f.count} times)` : '';
          const sub = f.subflow !== undefined && !f.message.includes(`subflow ${f.subflow}`) ? f.subflow : undefined;
          const v: Omit<Violation, 'severity'> = { message: `${where(s, sub)}${f.message}${count}`, packets: f.packets };
          if (f.session !== undefined) v.session = f.session;
          if (f.subflow !== undefined) v.subflow = f.subflow;
          add(rulesOf(f.session).severity(def.id), v);
        }
      }
    } else if (def.kind === 'capture') {
      if (def.id === 'CAPTURE_TRUNCATED' && report.capture.truncated) {
        add(global.severity(def.id), { message: `the capture file ends inside a packet record (read up to packet ${report.capture.packets})`, packets: [report.capture.packets] });
      }
      if (def.id === 'NO_SESSION' && report.sessions.length === 0) {
        add(global.severity(def.id), { message: `no MPTCP session in the capture (${report.capture.tcpConnections} TCP connection(s))`, packets: [] });
      }
    } else {
      for (const s of report.sessions) {
        const r = rulesOf(s.id);
        for (const v of sessionViolations(def.id, s, r.values)) add(r.severity(def.id), { ...v, message: `${where(s)}${v.message}`, session: s.id });
      }
    }
    results.push({ id: def.id, title: def.title, status: ruleStatus(violations, skipped), violations });
  }
  // Packet rules (rules file `packets:`): more matches than `max` is one violation naming the packets.
  for (const m of packetMatches) {
    const r = m.rule;
    const max = r.max ?? 0;
    const sev = r.severity ?? 'error';
    const violations: Violation[] = [];
    if (m.count > max && sev !== 'ignore') {
      violations.push({
        severity: sev === 'warning' && opts.strict ? 'error' : sev,
        message: `${m.count} packet(s) match \`${r.filter}\`${max > 0 ? `, at most ${max} allowed` : ''}`,
        packets: m.packets,
      });
    }
    results.push({ id: r.id, title: r.title ?? (max > 0 ? `at most ${max} packet(s) match \`${r.filter}\`` : `no packet matches \`${r.filter}\``), status: ruleStatus(violations, sev === 'ignore'), violations });
  }
  return {
    file: report.capture.file,
    status: results.some((r) => r.status === 'fail') ? 'fail' : 'pass',
    sessions: report.sessions.length,
    packets: report.capture.packets,
    time,
    rules: results,
  };
}

/** The result for a capture that could not be analyzed. */
export function inputErrorResult(file: string, message: string): CaptureResult {
  return { file, status: 'error', error: message, sessions: 0, packets: 0, time: 0, rules: [] };
}

export interface CheckSummary {
  captures: number;
  passed: number;
  failed: number;
  errors: number;
}

export function summarize(results: CaptureResult[]): CheckSummary {
  return {
    captures: results.length,
    passed: results.filter((r) => r.status === 'pass').length,
    failed: results.filter((r) => r.status === 'fail').length,
    errors: results.filter((r) => r.status === 'error').length,
  };
}

/** 2 when a capture could not be analyzed, else 1 when a rule failed, else 0. */
/** 2 when every capture failed to read; else 1 when a rule failed or some capture failed to read; else 0. */
export function exitCodeOf(results: CaptureResult[]): number {
  if (results.length > 0 && results.every((r) => r.status === 'error')) return 2;
  return results.some((r) => r.status === 'fail' || r.status === 'error') ? 1 : 0;
}
