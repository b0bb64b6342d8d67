// `mptcpscope check`: rules applied to real kernel captures through the built CLI (exit status, text, JSON,
// JUnit XML read back with a real XML parser, GitHub annotations), rules files in YAML and JSON with their
// one-line errors, severity overrides, --strict and scopes; evaluation and escaping checked in-process too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ensureBuilt, lines, runCli } from './helpers/cli.js';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';
import type { AnalysisReport } from '../analyze/report-types.js';
import { evaluateReport, type CaptureResult } from '../analyze/check/evaluate.js';
import { RULE_IDS, RULES, defaultRules, type Rules } from '../analyze/check/rules.js';
import { loadRulesFile, parseRulesText, rulesFromValue, endpointMatches, RulesError } from '../analyze/check/load-rules.js';
import { formatJunit, xmlEscape } from '../analyze/check/format-junit.js';
import { formatGithub } from '../analyze/check/format-github.js';

const TWO = 'captures/v1-two-subflows.pcap';
const FOUR = 'captures/v1-four-subflows-addaddr.pcap';
const IPV6 = 'captures/v1-ipv6.pcap';
const CSUM = 'captures/checksum-rewrite.pcap';
const FASTCLOSE = 'captures/fastclose.pcap';
const FALLBACK = 'captures/fallback.pcap';

let dir: string;
const reports = new Map<string, AnalysisReport>();

/** The analysis report of a capture, computed in-process (the same engine and report the CLI uses). */
async function reportOf(file: string): Promise<AnalysisReport> {
  let r = reports.get(file);
  if (!r) {
    const res = await analyzeFile(file);
    r = JSON.parse(JSON.stringify(buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: '0.0.0' }))) as AnalysisReport;
    reports.set(file, r);
  }
  return r;
}

/** Writes a rules file in the temporary directory and returns its path. */
function rulesFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'failure', 'property'].includes(name) });

interface JTestcase { name: string; classname: string; failure?: Array<{ message: string; type: string; '#text'?: string }>; skipped?: unknown; 'system-out'?: string; error?: { message: string } }
interface JSuite { name: string; tests: string; failures: string; errors: string; skipped: string; testcase: JTestcase[] }

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mptcpscope-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check on the shipped captures', () => {
  it('passes clean kernel traces with exit 0', async () => {
    const r = await runCli(['check', TWO, FOUR, IPV6]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([`PASS ${TWO}`, `PASS ${FOUR}`, `PASS ${IPV6}`]);
  });

  it('fails checksum-rewrite.pcap with exit 1, naming the rules and their packets', async () => {
    const rep = await reportOf(CSUM);
    const mismatch = rep.findings.find((f) => f.code === 'DSS_CHECKSUM_MISMATCH')!;
    const mpFail = rep.findings.find((f) => f.code === 'MP_FAIL')!;
    expect(mismatch).toBeDefined();
    expect(mpFail).toBeDefined();
    const r = await runCli(['check', CSUM]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    const pk = (ps: number[]): string => `${ps.length === 1 ? 'packet' : 'packets'} ${[...ps].sort((a, b) => a - b).join(', ')}`;
    expect(out[0]).toBe(`FAIL ${CSUM}: DSS_CHECKSUM_MISMATCH (${pk(mismatch.packets)}), MP_FAIL (${pk(mpFail.packets)})`);
    // One indented line per failing rule, then the warnings.
    expect(out[1]).toMatch(/^ {2}DSS_CHECKSUM_MISMATCH: session 0: DSS checksum mismatch on subflow \d+ .*\(packets? [\d, ]+\)$/);
    expect(out[2]).toMatch(/^ {2}MP_FAIL: session 0: MP_FAIL on subflow \d+: the receiver detected corrupted (c2s|s2c) data at relative DSN \d+ \(DSN \d+\)/);
    expect(out.slice(3).every((l) => l.startsWith('  warning '))).toBe(true);
  });

  it('fails a fallback by default and passes it with allowFallback', async () => {
    const allow = rulesFile('allow-fallback.yaml', 'sessions:\n  allowFallback: true\n');
    const [r, ok] = await Promise.all([runCli(['check', FALLBACK]), runCli(['check', '--rules', allow, FALLBACK])]);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)[0]).toMatch(new RegExp(`^FAIL ${FALLBACK}: FALLBACK \\(packets? \\d+`));
    expect(ok.code).toBe(0);
    expect(lines(ok.stdout)[0]).toMatch(new RegExp(`^PASS ${FALLBACK}`));
  });

  it('keeps warnings from failing the check, unless --strict', async () => {
    const [r, strict] = await Promise.all([runCli(['check', FASTCLOSE]), runCli(['check', '--strict', FASTCLOSE])]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)[0]).toMatch(/^PASS captures\/fastclose\.pcap \(\d+ warnings?\)$/);
    expect(r.stdout).toMatch(/^ {2}warning MP_FASTCLOSE: /m);
    expect(strict.code).toBe(1);
    expect(lines(strict.stdout)[0]).toMatch(/^FAIL captures\/fastclose\.pcap: .*MP_FASTCLOSE \(packets? \d/);
  });
});

describe('rules files', () => {
  it('a YAML rules file that demands three subflows fails a two-subflow trace', async () => {
    const f = rulesFile('three.yaml', '# three paths expected\nsessions:\n  minSubflows: 3\n');
    const r = await runCli(['check', '--rules', f, TWO, FOUR]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(new RegExp(`^FAIL ${TWO}: MIN_SUBFLOWS \\(packets \\d+, \\d+\\)$`));
    expect(out[1]).toBe('  MIN_SUBFLOWS: session 0: 2 subflow(s) established, at least 3 required' + out[1].slice(out[1].indexOf(' (packets')));
    expect(out).toContain(`PASS ${FOUR}`);
  });

  it('the same rules load from JSON', async () => {
    const f = rulesFile('three.json', JSON.stringify({ sessions: { minSubflows: 3 } }));
    const r = await runCli(['check', '--rules', f, TWO]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL .*MIN_SUBFLOWS/);
    const two = rulesFile('two.json', JSON.stringify({ sessions: { minSubflows: 2, maxSubflows: 2, mptcpVersion: 1 } }));
    expect((await runCli(['check', '--rules', two, TWO])).code).toBe(0);
  });

  it('YAML and JSON with the same content give the same rules', () => {
    const text = { sessions: { minSubflows: 2, maxReorderDelayMs: { p95: 50 } }, severity: { MP_TCPRST: 'error' }, scopes: [{ match: { port: [443, 8443] }, sessions: { allowFallback: true } }] };
    const yaml = 'sessions:\n  minSubflows: 2\n  maxReorderDelayMs: {p95: 50}\nseverity:\n  MP_TCPRST: error\nscopes:\n  - match: {port: [443, 8443]}\n    sessions: {allowFallback: true}\n';
    expect(rulesFromValue(parseRulesText(yaml, 'r.yaml'), 'r.yaml')).toEqual(rulesFromValue(text, 'r.json'));
    expect(loadRulesFile(rulesFile('same.json', JSON.stringify(text)))).toEqual(loadRulesFile(rulesFile('same.yml', yaml)));
  });

  it('a severity override turns a warning into a failure', async () => {
    const f = rulesFile('fastclose-error.yaml', 'severity:\n  MP_FASTCLOSE: error\n');
    const r = await runCli(['check', '--rules', f, FASTCLOSE]);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)[0]).toMatch(/^FAIL captures\/fastclose\.pcap: MP_FASTCLOSE \(packets? [\d, ]+\)$/);
  });

  it('a severity override turns an error into ignore', async () => {
    const f = rulesFile('ignore.yaml', 'severity:\n  DSS_CHECKSUM_MISMATCH: ignore\n  MP_FAIL: ignore\n');
    const r = await runCli(['check', '--rules', f, CSUM]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)[0]).toMatch(new RegExp(`^PASS ${CSUM}`));
    expect(r.stdout).not.toMatch(/DSS_CHECKSUM_MISMATCH|MP_FAIL:/);
    // Ignored rules are JUnit <skipped/> test cases.
    const j = await runCli(['check', '--rules', f, '--format', 'junit', CSUM]);
    const suites = (xml.parse(j.stdout) as { testsuites: { testsuite: JSuite[] } }).testsuites.testsuite;
    const skipped = suites[0].testcase.filter((t) => t.skipped !== undefined).map((t) => t.name.split(':')[0]);
    expect(skipped.sort()).toEqual(['DSS_CHECKSUM_MISMATCH', 'MP_FAIL']);
    expect(suites[0].skipped).toBe('2');
  });

  it('a scope by port applies only to sessions with that port', async () => {
    const on = rulesFile('scope-5201.yaml', 'scopes:\n  - name: iperf\n    match: { port: 5201 }\n    sessions: { minSubflows: 3 }\n');
    const off = rulesFile('scope-443.yaml', 'scopes:\n  - match: { port: 443 }\n    sessions: { minSubflows: 3 }\n');
    const byAddr = rulesFile('scope-addr.yaml', 'scopes:\n  - match: { address: 10.0.1.0/24, port: 5201 }\n    sessions: { minSubflows: 3 }\n');
    const [a, b, c, d] = await Promise.all([
      runCli(['check', '--rules', on, TWO]),
      runCli(['check', '--rules', off, TWO]),
      runCli(['check', '--rules', byAddr, TWO]),
      // v1-ipv6 has no 10.0.1.0/24 endpoint: the address scope does not apply to it.
      runCli(['check', '--rules', byAddr, IPV6]),
    ]);
    expect([a.code, b.code, c.code, d.code]).toEqual([1, 0, 1, 0]);
  });

  it('scopes apply per session within one capture', async () => {
    const base = await reportOf(TWO);
    // The same session twice, the second one on another server port.
    const other = JSON.parse(JSON.stringify(base.sessions[0])) as AnalysisReport['sessions'][number];
    other.id = 1;
    for (const f of other.subflows) f.server = f.server.replace(/:5201$/, ':8080');
    const report: AnalysisReport = { ...base, sessions: [base.sessions[0], other] };
    const rules: Rules = { ...defaultRules(), scopes: [{ match: { port: 8080 }, sessions: { minSubflows: 3 }, severity: { MIN_SUBFLOWS: 'warning' } }, { match: { port: 5201 }, sessions: { maxSubflows: 1 } }] };
    const res = evaluateReport(report, rules);
    const min = res.rules.find((r) => r.id === 'MIN_SUBFLOWS')!;
    const max = res.rules.find((r) => r.id === 'MAX_SUBFLOWS')!;
    expect(min.violations.map((v) => [v.session, v.severity])).toEqual([[1, 'warning']]);
    expect(min.status).toBe('warning');
    expect(max.violations.map((v) => [v.session, v.severity])).toEqual([[0, 'error']]);
    expect(res.status).toBe('fail');
    // Rules not asked for are not test cases; the default ones always are.
    expect(res.rules.map((r) => r.id)).not.toContain('REORDER_DELAY');
    expect(res.rules.map((r) => r.id)).toContain('DSS_CHECKSUM_MISMATCH');
  });

  it('checks reinjection ratio, reordering delay, checksums and version from the report figures', async () => {
    const rep = await reportOf(TWO);
    const s = rep.sessions[0];
    const res = evaluateReport(rep, { ...defaultRules(), sessions: { maxReorderDelayMs: { max: 0 }, requireChecksum: true, mptcpVersion: 0, maxReinjectionRatio: 0 } });
    const byId = new Map(res.rules.map((r) => [r.id, r]));
    const delayed = (['c2s', 's2c'] as const).filter((d) => s.data[d].reorderDelay.samples > 0 && s.data[d].reorderDelay.maxMs > 0);
    expect(byId.get('REORDER_DELAY')!.violations.length).toBe(delayed.length);
    expect(byId.get('CHECKSUM_REQUIRED')!.status).toBe(s.checksum ? 'pass' : 'fail');
    expect(byId.get('MPTCP_VERSION')!.violations[0].message).toBe('session 0: MPTCP v1, v0 required');
    const reinjecting = (['c2s', 's2c'] as const).filter((d) => s.data[d].reinjectedBytes > 0).length;
    expect(byId.get('REINJECTION_RATIO')!.violations.length).toBe(reinjecting);
  });

  it('endpoints match ports, addresses and CIDR prefixes, IPv4 and IPv6', () => {
    expect(endpointMatches('10.0.1.1:44358', { port: 44358 })).toBe(true);
    expect(endpointMatches('10.0.1.1:44358', { port: [1, 2] })).toBe(false);
    expect(endpointMatches('10.0.1.1:44358', { address: '10.0.0.0/8' })).toBe(true);
    expect(endpointMatches('10.0.1.1:44358', { address: '10.0.1.1', port: 1 })).toBe(false);
    expect(endpointMatches('[fd00:1::2]:5201', { address: ['fd00::/8'], port: 5201 })).toBe(true);
    expect(endpointMatches('[fd00:1::2]:5201', { address: '10.0.0.0/8' })).toBe(false);
  });

  it('docs/rules.schema.json knows exactly the rule ids', () => {
    const schema = JSON.parse(readFileSync('docs/rules.schema.json', 'utf8')) as { $defs: { severityOverrides: { properties: Record<string, unknown> } } };
    expect(Object.keys(schema.$defs.severityOverrides.properties).sort()).toEqual([...RULE_IDS].sort());
    expect(new Set(RULE_IDS).size).toBe(RULES.length);
  });

  it('bad rules give one line that points at the bad key', () => {
    const bad = (text: string, name = 'rules.yaml'): string => {
      try {
        rulesFromValue(parseRulesText(text, name), name);
      } catch (err) {
        expect(err).toBeInstanceOf(RulesError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('sessions:\n  minSubflows: two\n')).toBe('rules.yaml: /sessions/minSubflows: must be integer');
    expect(bad('sessions:\n  minSubflows: 2.5\n')).toBe('rules.yaml: /sessions/minSubflows: must be integer');
    expect(bad('sessions:\n  minSubflow: 2\n')).toBe('rules.yaml: /sessions/minSubflow: unknown key');
    expect(bad('severity:\n  MP_FAIL: fatal\n')).toBe('rules.yaml: /severity/MP_FAIL: must be one of error, warning, info, ignore');
    expect(bad('severity:\n  NOT_A_RULE: error\n')).toBe('rules.yaml: /severity/NOT_A_RULE: unknown key');
    expect(bad('scopes:\n  - sessions: {}\n')).toBe('rules.yaml: /scopes/0/match: required');
    expect(bad('scopes:\n  - match: {}\n')).toBe('rules.yaml: /scopes/0/match: must not be empty');
    expect(bad('scopes:\n  - match: { address: [10.0.0.1, 10.0.0.300] }\n')).toBe('rules.yaml: /scopes/0/match/address/1: not an IP address or CIDR prefix: "10.0.0.300"');
    expect(bad('sessions: { minSubflows: 3, maxSubflows: 2 }\n')).toBe('rules.yaml: /sessions/minSubflows: must not exceed maxSubflows (2)');
    expect(bad('- 1\n')).toBe('rules.yaml: (top level): must be object');
    expect(bad('sessions: [\n')).toMatch(/^rules\.yaml: invalid YAML: line \d+, column \d+: /);
    expect(bad('{"sessions": }', 'rules.json')).toMatch(/^rules\.json: invalid JSON: /);
    expect(bad('a: 1\na: 2\n')).toMatch(/^rules\.yaml: invalid YAML: .*(unique|duplicate)/i);
    // An empty file means the default rules.
    expect(rulesFromValue(parseRulesText('', 'empty.yaml'), 'empty.yaml')).toEqual(defaultRules());
  });
});

describe.concurrent('exit status 2: exactly one line on stderr', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a missing capture', () => ['check', join(dir, 'nope.pcap')], /^mptcpscope: cannot open .*nope\.pcap: no such file$/],
    ['a file that is not a capture', () => ['check', 'README.md'], /^mptcpscope: README\.md is not a pcap or pcapng capture/],
    ['a bad rules key', () => ['check', '--rules', rulesFile('bad-key.yaml', 'sessions:\n  minSubflows: two\n'), TWO], /^mptcpscope: .*bad-key\.yaml: \/sessions\/minSubflows: must be integer$/],
    ['a missing rules file', () => ['check', '--rules', join(dir, 'none.yaml'), TWO], /^mptcpscope: cannot read rules file .*none\.yaml: no such file$/],
    ['an unknown format', () => ['check', '--format', 'xml', TWO], /^mptcpscope: --format must be text, json, junit or github, not xml$/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await runCli(args());
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
  });

  it('with several files, reports the bad one on its own FILE: reason line and still checks the others (exit 1)', async () => {
    const missing = join(dir, 'gone.pcap');
    const r = await runCli(['check', CSUM, missing, TWO]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([`mptcpscope: ${missing}: cannot open: no such file`]);
    const out = lines(r.stdout).filter((l) => !l.startsWith(' '));
    expect(out).toEqual([expect.stringMatching(new RegExp(`^FAIL ${CSUM}`)), `PASS ${TWO}`]);
  });
});

describe('output formats', () => {
  it('junit: well-formed XML, one testsuite per capture, one testcase per rule, failures with messages', async () => {
    const out = join(dir, 'results.xml');
    const missing = join(dir, 'gone.pcap');
    const r = await runCli(['check', '--format', 'junit', '-o', out, CSUM, TWO, missing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = xml.parse(text) as { testsuites: { name: string; tests: string; failures: string; errors: string; testsuite: JSuite[] } };
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s.name)).toEqual([CSUM, TWO, missing]);
    const defaults = RULES.filter((d) => d.kind !== 'session' && d.kind !== 'pair').length;
    expect(suites[0].testcase).toHaveLength(defaults);
    expect(suites[1].testcase).toHaveLength(defaults);
    expect(suites[0].tests).toBe(String(defaults));
    const failed = suites[0].testcase.filter((t) => t.failure);
    expect(failed.map((t) => t.name.split(':')[0])).toEqual(['DSS_CHECKSUM_MISMATCH', 'MP_FAIL']);
    expect(suites[0].failures).toBe('2');
    expect(failed[0].failure![0].type).toBe('DSS_CHECKSUM_MISMATCH');
    expect(failed[0].failure![0].message).toMatch(/^session 0: DSS checksum mismatch .*\(packets? [\d, ]+\)$/);
    expect(failed[0].classname).toBe(CSUM);
    expect(suites[1].testcase.filter((t) => t.failure)).toHaveLength(0);
    expect(suites[1].failures).toBe('0');
    expect(suites[2].errors).toBe('1');
    expect(suites[2].testcase[0].error!.message).toBe(`cannot open ${missing}: no such file`);
    expect(doc.testsuites.failures).toBe('2');
    expect(doc.testsuites.errors).toBe('1');
  });

  it('junit escapes markup and characters XML cannot carry', () => {
    const evil = 'a<b>&"c\' \u0001 \ud800 ]]> é 😀';
    const result: CaptureResult = {
      file: `dir/<x>&"y".pcap`, status: 'fail', sessions: 1, packets: 3, time: 0.5,
      rules: [{ id: 'MP_FAIL', title: 'no MP_FAIL', status: 'fail', violations: [{ severity: 'error', message: evil, packets: [1, 2] }, { severity: 'warning', message: 'line1\nline2', packets: [] }] }],
    };
    const text = formatJunit([result]);
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = xml.parse(text) as { testsuites: { testsuite: JSuite[] } };
    const suite = doc.testsuites.testsuite[0];
    expect(suite.name).toBe(result.file);
    const failure = suite.testcase[0].failure![0];
    expect(failure.message).toBe('a<b>&"c\' \ufffd \ufffd ]]> é 😀 (packets 1, 2)');
    expect(failure['#text']).toContain('warning: line1\nline2');
    expect(xmlEscape('\t\n')).toBe('&#9;&#10;');
  });

  it('json: the results as one object', async () => {
    const r = await runCli(['check', '--format', 'json', CSUM, TWO]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { passed: boolean; exitCode: number; summary: Record<string, number>; captures: CaptureResult[] };
    expect(doc.passed).toBe(false);
    expect(doc.exitCode).toBe(1);
    expect(doc.summary).toEqual({ captures: 2, passed: 1, failed: 1, errors: 0 });
    expect(doc.captures.map((c) => c.status)).toEqual(['fail', 'pass']);
    const failing = doc.captures[0].rules.filter((x) => x.status === 'fail').map((x) => x.id);
    expect(failing).toEqual(['DSS_CHECKSUM_MISMATCH', 'MP_FAIL']);
  });

  it('github: one workflow annotation per violation', async () => {
    const r = await runCli(['check', '--format', 'github', CSUM, TWO]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(new RegExp(`^::error file=${CSUM},title=DSS_CHECKSUM_MISMATCH::session 0: DSS checksum mismatch .*\\(packets? [\\d, ]+\\)$`));
    expect(out).toContainEqual(expect.stringMatching(/^::error file=captures\/checksum-rewrite\.pcap,title=MP_FAIL::/));
    expect(out.every((l) => /^::(error|warning|notice) file=[^,]+,title=[A-Z_]+::/.test(l))).toBe(true);
    expect(out.some((l) => l.includes(TWO))).toBe(false);
    // Property values and messages are escaped as the runner expects.
    const g = formatGithub([{ file: 'a,b:c.pcap', status: 'error', error: '50% done\nnext', sessions: 0, packets: 0, time: 0, rules: [] }]);
    expect(g).toBe('::error file=a%2Cb%3Ac.pcap,title=INPUT_ERROR::50%25 done%0Anext\n');
  });
});
