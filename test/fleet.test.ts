// Several captures on one command line (issue 18): directories walked, results in input order on --jobs
// workers (threads and child processes), a capture that fails has its own `FILE: reason` line and the exit
// status says so; one capture behaves exactly as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, lines, runCli } from './helpers/cli.js';
import { expandInputs } from '../analyze/fleet/inputs.js';

const TWO = 'captures/v1-two-subflows.pcap';
const CSUM = 'captures/checksum-rewrite.pcap';
const LOSSY = 'captures/lossy.pcap';
const PUBLIC = 'captures/public';

/** This machine is shared: a fleet of captures may take longer than runCli's default 15 s. */
const LONG = { timeoutMs: 180_000 };
let dir: string;
beforeAll(() => { ensureBuilt(); dir = mkdtempSync(join(tmpdir(), 'mptcpscope-fleet-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Capture files below a directory, in the order a sorted recursive walk meets them (written here independently). */
function walkSorted(d: string): string[] {
  return readdirSync(d).sort().flatMap((name) => {
    const p = join(d, name);
    if (statSync(p).isDirectory()) return walkSorted(p);
    return /\.(pcap|pcapng|cap)(\.gz)?$/i.test(name) ? [p] : [];
  });
}

describe('inputs', () => {
  it('walks directories in name order for .pcap, .pcapng, .cap and .gz forms, files kept as given', () => {
    const walk = join(dir, 'walk');
    mkdirSync(join(walk, 'sub'), { recursive: true });
    for (const f of ['b.pcap', 'a.pcapng.gz', 'c.cap', 'notes.txt', 'x.pcap.bak', 'sub/d.PCAP']) writeFileSync(join(walk, f), '');
    const got = expandInputs([TWO, PUBLIC]);
    expect(got.files[0]).toBe(TWO);
    expect(got.files.slice(1)).toEqual(walkSorted(PUBLIC));
    expect(got.files.length).toBeGreaterThan(5);
    expect(expandInputs([walk]).files.map((f) => f.slice(walk.length + 1))).toEqual(['a.pcapng.gz', 'b.pcap', 'c.cap', join('sub', 'd.PCAP')]);
    const missing = join(dir, 'missing');
    expect(expandInputs([missing]).files).toEqual([missing]); // reported when read
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(expandInputs([empty])).toEqual({ files: [], emptyDirs: [empty] });
  });
});

describe('analyze over several captures', () => {
  const files = [TWO, CSUM, LOSSY];

  it('--json writes NDJSON in input order, each line the single-capture report', async () => {
    for (const jobs of ['1', '2']) {
      const r = await runCli(['analyze', '--json', '--jobs', jobs, ...files], LONG);
      expect(r.code).toBe(0);
      const got = lines(r.stdout);
      expect(got).toHaveLength(3);
      for (let i = 0; i < files.length; i++) {
        const single = await runCli(['analyze', '--json', files[i]]);
        expect(JSON.parse(got[i])).toEqual(JSON.parse(single.stdout));
        // the one-capture output is the pretty form of the same report, byte for byte
        expect(single.stdout).toBe(`${JSON.stringify(JSON.parse(got[i]), null, 2)}\n`);
      }
    }
  });

  it('worker threads and child processes give the same output', async () => {
    const t = await runCli(['analyze', '--json', '--jobs', '2', PUBLIC], { ...LONG, env: { MPTCPSCOPE_POOL: 'thread' } });
    const p = await runCli(['analyze', '--json', '--jobs', '2', PUBLIC], { ...LONG, env: { MPTCPSCOPE_POOL: 'process' } });
    expect(t.code).toBe(0);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe(t.stdout);
    expect(lines(t.stdout).map((l) => (JSON.parse(l) as { capture: { file: string } }).capture.file)).toEqual(walkSorted(PUBLIC));
  });

  it('text: one block per capture, then a one-line total', async () => {
    const r = await runCli(['analyze', '--jobs', '2', ...files], LONG);
    expect(r.code).toBe(0);
    const heads = lines(r.stdout).filter((l) => /^captures\//.test(l));
    expect(heads.map((l) => l.split(':')[0])).toEqual(files);
    const single = await Promise.all(files.map((f) => runCli(['analyze', f], LONG)));
    expect(r.stdout).toBe(`${single.map((s) => s.stdout).join('\n')}\n${lines(r.stdout).at(-1)}\n`);
    const packets = single.map((s) => Number(/: (\d+) packets/.exec(s.stdout)![1])).reduce((a, b) => a + b, 0);
    expect(lines(r.stdout).at(-1)).toBe(`total: 3 captures, ${packets} packets, 3 MPTCP session(s)`);
  });

  it('a capture that fails: its own FILE: reason line, the others still run, exit 1; all failing: exit 2', async () => {
    const missing = join(dir, 'gone.pcap');
    const r = await runCli(['analyze', '--json', '--jobs', '2', TWO, missing, 'README.md', CSUM], LONG);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([`mptcpscope: ${missing}: cannot open: no such file`, expect.stringMatching(/^mptcpscope: README\.md is not a pcap or pcapng capture/)]);
    expect(lines(r.stdout).map((l) => (JSON.parse(l) as { capture: { file: string } }).capture.file)).toEqual([TWO, CSUM]);
    const all = await runCli(['analyze', missing, 'README.md'], LONG);
    expect(all.code).toBe(2);
    expect(lines(all.stderr)).toHaveLength(2);
    expect(lines(all.stdout)).toEqual(['total: 2 captures, 2 failed, 0 packets, 0 MPTCP session(s)']);
  });

  it('standard input only on its own', async () => {
    const r = await runCli(['analyze', '-', TWO], LONG);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('mptcpscope: - (standard input) cannot be read together with other captures\n');
  });

  it('one capture behaves as before: its errors and exit status unchanged', async () => {
    const r = await runCli(['analyze', join(dir, 'none.pcap')], LONG);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mptcpscope: cannot open ${join(dir, 'none.pcap')}: no such file\n`);
  });
});

describe('check and report over several captures', () => {
  it('check: the same verdicts with --jobs 2 as with --jobs 1, worst status', async () => {
    const one = await runCli(['check', '--jobs', '1', TWO, CSUM, LOSSY], LONG);
    const two = await runCli(['check', '--jobs', '2', TWO, CSUM, LOSSY], LONG);
    expect(two.stdout).toBe(one.stdout);
    expect(two.code).toBe(1); // checksum-rewrite fails its DSS checksums
    expect(lines(two.stdout).filter((l) => !l.startsWith(' ')).map((l) => l.split(' ')[0])).toEqual(['PASS', 'FAIL', 'PASS']);
  });

  it('check --format junit: one testsuite per capture in input order, with --jobs 2', async () => {
    const r = await runCli(['check', '--format', 'junit', '--jobs', '2', PUBLIC], LONG);
    const names = [...r.stdout.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(walkSorted(PUBLIC));
  });

  it('report: --json and --html name directories, one file per capture, each as the single-capture report', async () => {
    const out = join(dir, 'reports');
    const r = await runCli(['report', '--jobs', '2', '--json', out, TWO, CSUM], LONG);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['checksum-rewrite.json', 'v1-two-subflows.json']);
    const single = join(dir, 'single.json');
    await runCli(['report', '--json', single, TWO], LONG);
    expect(readFileSync(join(out, 'v1-two-subflows.json'), 'utf8')).toBe(readFileSync(single, 'utf8'));
  });
});
