/**
 * Output write failures (issue 13, fault 7): every output a command writes (-o, --html, --json, --export, -w,
 * standard output) that cannot be written ends the command with status 74 and one readable line, e.g.
 * "mptcpscope: cannot write /dev/full: no space left on device", and leaves no half-written file behind.
 * A closed pipe on standard output still ends quietly. The failures are real ones: /dev/full (ENOSPC),
 * missing directories (ENOENT), a directory as target (EISDIR), a file as parent (ENOTDIR), sysfs refusing
 * new files even to root (EACCES), `ulimit -f` (EFBIG).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCommand, ensureBuilt, lines, q, runCli, runShell, type CliResult } from './helpers/cli.js';
import { writeErrorText } from '../common/write-error.js';

const TWO = 'captures/v1-two-subflows.pcap';
const FULL = '/dev/full';
const hasFull = existsSync(FULL);

let dir: string;
beforeAll(() => {
  ensureBuilt({ staleDirs: ['bin', 'common', 'analyze', 'live'] });
  dir = mkdtempSync(join(tmpdir(), 'mptcpscope-writefail-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Status 74, exactly one stderr line (the expected one), no stack trace. */
function expectWriteFailure(r: CliResult, line: string | RegExp): void {
  expect(r.code, r.stderr).toBe(74);
  const l = lines(r.stderr);
  expect(l, r.stderr).toHaveLength(1);
  if (typeof line === 'string') expect(l[0]).toBe(line);
  else expect(l[0]).toMatch(line);
  expect(r.stderr).not.toMatch(/\n\s+at |ENOSPC|ENOENT|EISDIR|ENOTDIR|EFBIG|EACCES/);
}

/** A fresh empty folder under the test's temporary folder. */
function freshDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

describe('write failures exit 74 with a readable line', () => {
  it.skipIf(!hasFull)('analyze -o /dev/full and analyze > /dev/full: no space left on device', async () => {
    expectWriteFailure(await runCli(['analyze', TWO, '-o', FULL]), 'mptcpscope: cannot write /dev/full: no space left on device');
    expectWriteFailure(await runCli(['analyze', '--json', TWO, '-o', FULL]), 'mptcpscope: cannot write /dev/full: no space left on device');
    expectWriteFailure(await runShell(`${cliCommand()} analyze ${q(TWO)} > ${FULL}`), 'mptcpscope: cannot write standard output: no space left on device');
  });

  it('analyze -o into a missing folder, onto a folder, below a file: one line each, nothing created', async () => {
    const d = freshDir('analyze');
    const missing = join(d, 'no', 'such', 'out.txt');
    expectWriteFailure(await runCli(['analyze', TWO, '-o', missing]), `mptcpscope: cannot write ${missing}: no such directory`);
    expectWriteFailure(await runCli(['analyze', TWO, '-o', d]), `mptcpscope: cannot write ${d}: is a directory`);
    const file = join(d, 'a-file');
    writeFileSync(file, 'x');
    expectWriteFailure(await runCli(['analyze', TWO, '-o', join(file, 'out.txt')]), `mptcpscope: cannot write ${join(file, 'out.txt')}: a component of the path is not a directory`);
    expect(readdirSync(d)).toEqual(['a-file']);
  });

  it.skipIf(!existsSync('/sys/kernel'))('a folder that refuses new files (sysfs, even to root): permission denied', async () => {
    const target = '/sys/kernel/mptcpscope-test.txt';
    expectWriteFailure(await runCli(['analyze', TWO, '-o', target]), `mptcpscope: cannot write ${target}: permission denied`);
  });

  it('report --html into a missing folder: 74 and one line; --json and --html that work say what they wrote', async () => {
    const missing = join(dir, 'nope', 'r.html');
    expectWriteFailure(await runCli(['report', TWO, '--html', missing]), `mptcpscope: cannot write ${missing}: no such directory`);
    const d = freshDir('report');
    const html = join(d, 'r.html');
    const json = join(d, 'r.json');
    const ok = await runCli(['report', TWO, '--html', html, '--json', json]);
    expect(ok.code, ok.stderr).toBe(0);
    const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
    expect(lines(ok.stderr)).toEqual([
      `wrote ${json}: ${statSync(json).size} bytes (${kib(statSync(json).size)})`,
      `wrote ${html}: ${statSync(html).size} bytes (${kib(statSync(html).size)})`,
    ]);
    expect(readdirSync(d).sort()).toEqual(['r.html', 'r.json']);
  });

  it.skipIf(!hasFull)('report --json /dev/full, check -o /dev/full, check > /dev/full', async () => {
    expectWriteFailure(await runCli(['report', TWO, '--json', FULL]), 'mptcpscope: cannot write /dev/full: no space left on device');
    expectWriteFailure(await runCli(['check', TWO, '-o', FULL]), 'mptcpscope: cannot write /dev/full: no space left on device');
    expectWriteFailure(await runCli(['check', '--format', 'junit', TWO, '-o', FULL]), 'mptcpscope: cannot write /dev/full: no space left on device');
    expectWriteFailure(await runShell(`${cliCommand()} check ${q(TWO)} > ${FULL}`), 'mptcpscope: cannot write standard output: no space left on device');
  });

  it('follow --export below a file: cannot create the folder', async () => {
    const file = join(dir, 'export-parent');
    writeFileSync(file, 'x');
    const target = join(file, 'streams');
    expectWriteFailure(await runCli(['follow', TWO, '--export', target]), `mptcpscope: cannot create ${target}: a component of the path is not a directory`);
  });

  it('follow --export past the file size limit (ulimit -f): file too large, no file left behind', async () => {
    const d = freshDir('export');
    // 8 KiB per file; the capture's streams are 250000 and 220000 bytes.
    const r = await runShell(`ulimit -f 16; ${cliCommand()} follow ${q(TWO)} --export ${q(d)}`);
    expectWriteFailure(r, new RegExp(`^mptcpscope: cannot write ${d}/session-0-(c2s|s2c)\\.bin: file too large$`));
    expect(readdirSync(d)).toEqual([]);
  });

  it.skipIf(!hasFull)('follow and dissect to a full standard output', async () => {
    expectWriteFailure(await runShell(`${cliCommand()} follow ${q(TWO)} --session 0 --hex > ${FULL}`), 'mptcpscope: cannot write standard output: no space left on device');
    expectWriteFailure(await runShell(`${cliCommand()} follow ${q(TWO)} --session 0 --dir c2s --raw > ${FULL}`), 'mptcpscope: cannot write standard output: no space left on device');
    expectWriteFailure(await runShell(`${cliCommand()} dissect ${q(TWO)} > ${FULL}`), 'mptcpscope: cannot write standard output: no space left on device');
  });

  it('a closed pipe still ends quietly with status 0', async () => {
    for (const verb of [`dissect -V ${q(TWO)}`, `follow ${q(TWO)} --session 0 --hex`]) {
      const r = await runShell(`${cliCommand()} ${verb} | head -1 > /dev/null; echo "status=\${PIPESTATUS[0]}" >&2`);
      expect(r.stderr, verb).toBe('status=0\n');
    }
  });
});

/** Whether `live` can run here: root and the optional pcap module. */
function liveAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    createRequire(import.meta.url).resolve('pcap');
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!liveAvailable())('live -w / --json write failures (root, capturing on lo)', () => {
  it('-w and --json into a missing folder: 74 before capturing', async () => {
    const missing = join(dir, 'live-nope');
    expectWriteFailure(await runCli(['live', '-i', 'lo', '-w', join(missing, 'x.pcapng')]), `mptcpscope: cannot write ${missing}/x.pcapng: no such directory`);
    expectWriteFailure(await runCli(['live', '-i', 'lo', '--json', join(missing, 'x.json')]), `mptcpscope: cannot write ${missing}/x.json: no such directory`);
  });

  it.skipIf(!hasFull)('-w /dev/full: the capture stops and says no space left on device', async () => {
    const r = await runCli(['live', '-i', 'lo', '-w', FULL, '--duration', '1', 'tcp', 'port', '9'], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(74);
    expect(lines(r.stderr).filter((l) => l.startsWith('mptcpscope:'))).toEqual(['mptcpscope: cannot write /dev/full: no space left on device']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.skipIf(!hasFull)('standard output on a full disk: the capture stops, the outputs are written, then 74', async () => {
    const json = join(dir, 'live-stdout-full.json');
    const r = await runShell(`${cliCommand()} live -i lo --duration 1 --json ${q(json)} 'tcp port 9' > ${FULL}`, { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(74);
    expect(lines(r.stderr).filter((l) => l.startsWith('mptcpscope:'))).toEqual(['mptcpscope: cannot write standard output: no space left on device']);
    expect(statSync(json).size).toBeGreaterThan(0);
  });
});

describe('writeErrorText: errno codes in words', () => {
  it.each([
    ['ENOSPC', 'no space left on device'],
    ['EACCES', 'permission denied'],
    ['ENOENT', 'no such directory'],
    ['EISDIR', 'is a directory'],
    ['EROFS', 'read-only file system'],
    ['EIO', 'input/output error'],
    ['EDQUOT', 'disk quota exceeded'],
    ['EFBIG', 'file too large'],
  ])('%s -> %s', (code, text) => {
    const err = Object.assign(new Error(`${code}: something, write`), { code });
    expect(writeErrorText(err)).toBe(text);
  });

  it('an unlisted code keeps the words of its message, without the code', () => {
    const err = Object.assign(new Error("EXDEV: cross-device link not permitted, rename 'a' -> 'b'"), { code: 'EXDEV' });
    expect(writeErrorText(err)).toBe('cross-device link not permitted');
  });
});
