// `mptcpscope tui` errors come before the screen is taken over: one line on stderr, exit status 2.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, runCli, lines } from './helpers/cli.js';

const CAP = 'captures/v1-two-subflows.pcap';

describe('tui: errors before the screen', () => {
  beforeAll(() => ensureBuilt());

  it('stdout not a terminal: exit 2, one line, nothing on stdout', async () => {
    const r = await runCli(['tui', CAP]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['mptcpscope: tui needs a terminal: standard output is not a terminal']);
  });

  it('a missing file: exit 2, one line (checked before the terminal)', async () => {
    const r = await runCli(['tui', 'no-such-capture.pcap']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['mptcpscope: cannot open no-such-capture.pcap: no such file']);
  });

  it('a file that is not a capture, a directory, stdin: exit 2, one line each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mptcpscope-tui-'));
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'these are not packets\n');
    for (const arg of [text, dir, '-']) {
      const r = await runCli(['tui', arg]);
      expect(r.code, arg).toBe(2);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr), arg).toHaveLength(1);
      expect(r.stderr).toMatch(/^mptcpscope: /);
    }
  });

  it('-Y with a bad display filter: exit 2 before the screen, the reason and a caret under the problem', async () => {
    const r = await runCli(['tui', CAP, '-Y', 'tcp.options.mptcp.subtyp == 1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mptcpscope: bad display filter: .*tcp\.options\.mptcp\.subtyp/);
    expect(r.stderr).toMatch(/\n {4}\^~+\n?$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--help describes the verb and exits 0', async () => {
    const r = await runCli(['tui', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: mptcpscope tui [options] <file>');
    expect(r.stdout).toContain('docs/tui.md');
    expect(r.stdout).toContain('-Y, --display-filter <expr>');
  });
});
