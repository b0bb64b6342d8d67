/** `check --format text`: one line per capture (PASS/FAIL and the failing rules), then one indented line per rule. */
import type { CaptureResult, RuleResult, Violation } from './evaluate.js';

const MAX_PACKETS = 10;

/** "packet 17", "packets 16, 18", "packets 1, 2, … (25)"; empty without packets. */
export function packetList(packets: number[]): string {
  const uniq = [...new Set(packets)].sort((a, b) => a - b);
  if (uniq.length === 0) return '';
  const shown = uniq.slice(0, MAX_PACKETS).join(', ');
  const more = uniq.length > MAX_PACKETS ? `, … (${uniq.length} packets)` : '';
  return `${uniq.length === 1 ? 'packet' : 'packets'} ${shown}${more}`;
}

export function violationText(v: Violation): string {
  const p = packetList(v.packets);
  return p ? `${v.message} (${p})` : v.message;
}

/** The rule with its packets, for the capture's line: `MP_FAIL (packet 17)`. */
function ruleHead(r: RuleResult): string {
  const p = packetList(r.violations.filter((v) => v.severity === 'error').flatMap((v) => v.packets));
  return p ? `${r.id} (${p})` : r.id;
}

function ruleLine(r: RuleResult, severity: Violation['severity']): string {
  const vs = r.violations.filter((v) => v.severity === severity);
  const label = severity === 'error' ? r.id : `${severity} ${r.id}`;
  return `  ${label}: ${vs.map(violationText).join('; ')}`;
}

export function formatText(results: CaptureResult[]): string {
  const out: string[] = [];
  for (const c of results) {
    if (c.status === 'error') continue; // said on stderr, one line
    const failing = c.rules.filter((r) => r.status === 'fail');
    const warnings = c.rules.filter((r) => r.violations.some((v) => v.severity === 'warning'));
    if (c.status === 'fail') {
      out.push(`FAIL ${c.file}: ${failing.map(ruleHead).join(', ')}`);
    } else {
      const w = warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : '';
      out.push(`PASS ${c.file}${w}`);
    }
    for (const r of failing) out.push(ruleLine(r, 'error'));
    for (const r of warnings) out.push(ruleLine(r, 'warning'));
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
