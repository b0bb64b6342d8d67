/**
 * `check --format junit`: JUnit XML as CI servers read it (Jenkins, GitLab, GitHub test reporters):
 * one <testsuite> per capture, one <testcase> per rule, a <failure> per failing rule.
 */
import { summarize, type CaptureResult, type RuleResult } from './evaluate.js';
import { violationText } from './format-text.js';

/** Characters XML 1.0 cannot carry at all (controls other than tab, newline, carriage return; lone surrogates). */
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes text for an XML attribute value or element content. */
export function xmlEscape(s: string): string {
  return s
    .replace(INVALID_XML, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
}

/** Element content keeps its newlines. */
const xmlText = (s: string): string => xmlEscape(s).replace(/&#10;/g, '\n');

const attrs = (a: Record<string, string | number>): string =>
  Object.entries(a).map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`).join('');

function testcase(c: CaptureResult, r: RuleResult): string {
  const head = `    <testcase${attrs({ classname: c.file, name: `${r.id}: ${r.title}`, time: 0 })}`;
  if (r.status === 'skipped') return `${head}>\n      <skipped${attrs({ message: 'ignored by the rules' })}/>\n    </testcase>`;
  if (r.status === 'fail') {
    const errs = r.violations.filter((v) => v.severity === 'error');
    const body = r.violations.map((v) => `${v.severity}: ${violationText(v)}`).join('\n');
    return `${head}>\n      <failure${attrs({ type: r.id, message: violationText(errs[0]) })}>${xmlText(body)}</failure>\n    </testcase>`;
  }
  if (r.violations.length > 0) {
    const body = r.violations.map((v) => `${v.severity}: ${violationText(v)}`).join('\n');
    return `${head}>\n      <system-out>${xmlText(body)}</system-out>\n    </testcase>`;
  }
  return `${head}/>`;
}

function testsuite(c: CaptureResult, timestamp: string): string {
  if (c.status === 'error') {
    const a = attrs({ name: c.file, tests: 1, failures: 0, errors: 1, skipped: 0, time: 0, timestamp });
    return `  <testsuite${a}>\n    <testcase${attrs({ classname: c.file, name: 'analyze: the capture can be read', time: 0 })}>\n` +
      `      <error${attrs({ type: 'INPUT_ERROR', message: c.error ?? 'cannot analyze' })}/>\n    </testcase>\n  </testsuite>`;
  }
  const failures = c.rules.filter((r) => r.status === 'fail').length;
  const skipped = c.rules.filter((r) => r.status === 'skipped').length;
  const a = attrs({ name: c.file, tests: c.rules.length, failures, errors: 0, skipped, time: c.time.toFixed(3), timestamp });
  const props = `    <properties>\n      <property${attrs({ name: 'sessions', value: c.sessions })}/>\n      <property${attrs({ name: 'packets', value: c.packets })}/>\n    </properties>`;
  return `  <testsuite${a}>\n${props}\n${c.rules.map((r) => testcase(c, r)).join('\n')}\n  </testsuite>`;
}

export function formatJunit(results: CaptureResult[], now: Date = new Date()): string {
  const timestamp = now.toISOString().replace(/\.\d+Z$/, '');
  const sum = summarize(results);
  const tests = results.reduce((n, c) => n + (c.status === 'error' ? 1 : c.rules.length), 0);
  const failures = results.reduce((n, c) => n + c.rules.filter((r) => r.status === 'fail').length, 0);
  const skipped = results.reduce((n, c) => n + c.rules.filter((r) => r.status === 'skipped').length, 0);
  const time = results.reduce((t, c) => t + c.time, 0);
  const a = attrs({ name: 'mptcpscope check', tests, failures, errors: sum.errors, skipped, time: time.toFixed(3) });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${a}>\n${results.map((c) => testsuite(c, timestamp)).join('\n')}\n</testsuites>\n`;
}
