// analyze and follow as a user runs them: outputs, exit statuses, atomic files, quiet pipes.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, ensureBuilt, q, runCli, runShell } from './helpers/cli.js';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';

const CAP = 'captures/v1-two-subflows.pcap';
const meta = JSON.parse(readFileSync('captures/v1-two-subflows.meta.json', 'utf8'));
let tmp = '';

beforeAll(() => {
  ensureBuilt({ staleDirs: ['bin', 'dissect', 'analyze'] });
  tmp = mkdtempSync(join(tmpdir(), 'mptcpscope-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('analyze', () => {
  it('prints the session summary with the data-level sha256 the applications recorded', async () => {
    const r = await runCli(['analyze', CAP]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Session 0: MPTCP v1');
    expect(r.stdout).toContain(meta.server.received.sha256);
    expect(r.stdout).toContain(meta.client.received.sha256);
    expect(r.stdout).toMatch(/valid/);
  });

  it('-o writes the JSON report atomically and leaves no temporary file', async () => {
    const out = join(tmp, 'report.json');
    const r = await runCli(['analyze', '--json', '-o', out, CAP]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.sessions[0].data.c2s.sha256).toBe(meta.server.received.sha256);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a missing file or a non-capture leaves no output file and says one line, exit 2', async () => {
    const out = join(tmp, 'never.json');
    const r = await runCli(['analyze', '--json', '-o', out, 'captures/README.md']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('output to a closed pipe ends quietly', async () => {
    const r = await runShell(`${cliCommand()} analyze ${q(CAP)} | head -1`);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toContain(CAP);
  });

  it('buildReport can be called again (snapshots for the TUI and live)', async () => {
    const res = await analyzeFile(CAP);
    const a = buildReport(res.engine, { file: CAP, format: res.format, truncated: false, version: 't' });
    const b = buildReport(res.engine, { file: CAP, format: res.format, truncated: false, version: 't' });
    expect(b.sessions[0].data.c2s.sha256).toBe(a.sessions[0].data.c2s.sha256);
  });
});

describe('follow', () => {
  it('--raw reproduces each direction byte for byte', async () => {
    for (const [dir, want] of [['c2s', meta.server.received.sha256], ['s2c', meta.client.received.sha256]]) {
      const r = await runShell(`${cliCommand()} follow ${q(CAP)} --session 0 --dir ${dir} --raw | sha256sum`);
      expect(r.code).toBe(0);
      expect(r.stdout.split(' ')[0]).toBe(want);
    }
  });

  it('shows gaps instead of inventing bytes (snaplen capture)', async () => {
    const r = await runCli(['follow', 'captures/small-snaplen.pcap', '--session', '0', '--hex']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[gap in c2s: \d+ bytes missing at data offset \d+ \(snaplen, see packet \d+\)\]/);
  });

  it('--export writes complete directions only, named after the session', async () => {
    const dir = join(tmp, 'export');
    const r = await runCli(['follow', CAP, '--export', dir]);
    expect(r.code).toBe(0);
    const sha = (f: string) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
    expect(sha('session-0-c2s.bin')).toBe(meta.server.received.sha256);
    expect(sha('session-0-s2c.bin')).toBe(meta.client.received.sha256);
    const snap = join(tmp, 'export-snap');
    await runCli(['follow', 'captures/small-snaplen.pcap', '--export', snap]);
    expect(readdirSync(snap)).toEqual([]);
  });

  it('an unknown session is one line and exit 2', async () => {
    const r = await runCli(['follow', CAP, '--session', '7']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`mptcpscope: no session 7 in ${CAP} (it has 1 session: ids 0..0)`);
  });
});

describe('outputs to special files', () => {
  it('-o /dev/null writes into the device instead of renaming over it', async () => {
    const r = await runCli(['analyze', '--json', '-o', '/dev/null', CAP]);
    expect(r.code).toBe(0);
    const { statSync } = await import('node:fs');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});
