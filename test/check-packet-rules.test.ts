// `check` rules that select packets with a display filter (rules file `packets:`): the packets named are those
// tshark -Y selects (test/oracles/filters/selected.tsv), the verdict follows `max`, a bad filter is an input error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, runCli, ROOT } from './helpers/cli.js';

let dir = '';
const rulesFile = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** Frames tshark selected for `expr` on capture `name`. */
function tsharkFrames(expr: string, name: string): number[] {
  for (const line of readFileSync(join(ROOT, 'test/oracles/filters/selected.tsv'), 'utf8').split('\n')) {
    const [e, c, frames] = line.split('\t');
    if (e === expr && c === name) return frames === '-' ? [] : frames.split(',').map(Number);
  }
  throw new Error(`no oracle for ${expr} on ${name}`);
}

describe('check: packet rules with display filters', () => {
  beforeAll(() => { ensureBuilt(); dir = mkdtempSync(join(tmpdir(), 'mptcpscope-h16-rules-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails when a packet matches, naming the packets tshark selects', async () => {
    const rules = rulesFile('r.yaml', 'packets:\n  - id: NO_MP_FAIL\n    filter: tcp.options.mptcp.subtype == 6\n  - id: FEW_TCPRST\n    filter: tcp.options.mptcp.subtype == 8\n    max: 5\n    severity: warning\n');
    const r = await runCli(['check', '--rules', rules, '--format', 'json', join(ROOT, 'captures/checksum-rewrite.pcap')]);
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout) as { captures: Array<{ rules: Array<{ id: string; status: string; violations: Array<{ packets: number[]; message: string }> }> }> };
    const rule = res.captures[0].rules.find((x) => x.id === 'NO_MP_FAIL')!;
    expect(rule.status).toBe('fail');
    const want = tsharkFrames('tcp.options.mptcp.subtype == 6', 'checksum-rewrite');
    expect(want.length).toBeGreaterThan(0);
    expect(rule.violations[0].packets).toEqual(want);
    expect(rule.violations[0].message).toBe(`${want.length} packet(s) match \`tcp.options.mptcp.subtype == 6\``);
    expect(res.captures[0].rules.find((x) => x.id === 'FEW_TCPRST')!.status).toBe('pass');
  });

  it('passes where no packet matches', async () => {
    expect(tsharkFrames('tcp.options.mptcp.subtype == 6', 'v1-two-subflows')).toEqual([]);
    const rules = rulesFile('r2.yaml', 'packets:\n  - id: NO_MP_FAIL\n    filter: tcp.options.mptcp.subtype == 6\n');
    const r = await runCli(['check', '--rules', rules, '--format', 'json', join(ROOT, 'captures/v1-two-subflows.pcap')]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { captures: Array<{ rules: Array<{ id: string; status: string; title: string }> }> };
    expect(res.captures[0].rules.find((x) => x.id === 'NO_MP_FAIL')).toMatchObject({ status: 'pass', title: 'no packet matches `tcp.options.mptcp.subtype == 6`' });
  });

  it('a bad filter is a rules-file error (exit 2) pointing at the key and column', async () => {
    const rules = rulesFile('bad.yaml', 'packets:\n  - id: X\n    filter: tcp.options.mptcp.subtyp == 6\n');
    const r = await runCli(['check', '--rules', rules, join(ROOT, 'captures/v1-two-subflows.pcap')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: \/packets\/0\/filter: "tcp\.options\.mptcp\.subtyp" is not a known field .* \(at column 1 of "tcp\.options\.mptcp\.subtyp == 6"\)/);
    const dup = rulesFile('dup.yaml', 'packets:\n  - id: MP_FAIL\n    filter: tcp\n');
    const d = await runCli(['check', '--rules', dup, join(ROOT, 'captures/v1-two-subflows.pcap')]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/\/packets\/0\/id: MP_FAIL is already a rule id/);
  });
});
