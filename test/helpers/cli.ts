/**
 * Shared helpers for tests that run the built CLI (dist/bin/mptcpscope.js) as a child process.
 *
 *   beforeAll(() => ensureBuilt());
 *   const r = await runCli(['dissect', '--json', file]);          // { code, signal, stdout, stderr }
 *   const s = await runShell(`${cliCommand()} dissect ${q(file)} | head -1`);
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI entry point. */
export const BIN = join(ROOT, 'dist', 'bin', 'mptcpscope.js');

export interface CliResult {
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Bytes or text to feed on stdin (stdin is closed after it); default: empty stdin. */
  stdin?: Buffer | string;
  /** Extra environment variables; undefined values remove a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the child after this many ms (default 15000). */
  timeoutMs?: number;
}

/**
 * The environment for children: the test's own, minus variables that would change colour or Node
 * behaviour behind a test's back (vitest sets FORCE_COLOR, for example).
 */
function childEnv(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'NODE_OPTIONS', 'NODE_DISABLE_COLORS']) delete env[k];
  if (extra) {
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  }
  return env;
}

function collect(
  command: string,
  args: string[],
  opts: RunOptions,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd ?? ROOT, env: childEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // The child may exit before reading all of stdin (e.g. on a usage error): ignore EPIPE there.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Runs `node dist/bin/mptcpscope.js ...args`. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return collect(process.execPath, [BIN, ...args], opts);
}

/** Runs a command line with bash (for pipelines); `set -o pipefail` is NOT set. */
export function runShell(script: string, opts: RunOptions = {}): Promise<CliResult> {
  return collect('bash', ['-c', script], opts);
}

/** Shell-quotes one word. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The CLI as a shell command prefix: `'/path/to/node' '/repo/dist/bin/mptcpscope.js'`. */
export function cliCommand(): string {
  return `${q(process.execPath)} ${q(BIN)}`;
}

/** Lines of a command's output, without the final empty string after the last newline. */
export function lines(text: string): string[] {
  if (text === '') return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** True when dist is missing, or when a TypeScript file under one of `staleDirs` is newer than it. */
function needsBuild(staleDirs: string[]): boolean {
  if (!existsSync(BIN)) return true;
  const built = statSync(BIN).mtimeMs;
  return staleDirs.some((d) => newestSource(join(ROOT, d)) > built);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let checked = false;

export interface EnsureBuiltOptions {
  /**
   * Also rebuild when a .ts file under one of these directories (relative to the repository root) is
   * newer than dist/bin/mptcpscope.js, e.g. ['bin', 'dissect'] for tests of the dissect verb. Default:
   * none, i.e. build only when dist is missing (`npm test` builds before running the tests anyway).
   */
  staleDirs?: string[];
}

/**
 * Runs `npm run build` when dist/ is missing (or older than the given sources), at most once per test
 * process; a lock directory keeps parallel test files from building at the same time. A failed build
 * throws when there is no dist to test; with an older dist it warns and the tests use that.
 */
export function ensureBuilt(opts: EnsureBuiltOptions = {}): void {
  if (checked) return;
  const staleDirs = opts.staleDirs ?? [];
  if (!needsBuild(staleDirs)) { checked = true; return; }
  const lock = join(tmpdir(), `mptcpscope-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else is building: wait for them. A lock left by a killed process goes stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Error(`ensureBuilt: ${lock} has been held for 3 minutes`);
      sleep(200);
    }
  }
  try {
    // Re-check under the lock: a parallel test file may have just built.
    if (!needsBuild(staleDirs)) { checked = true; return; }
    const missing = !existsSync(BIN);
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', env: childEnv() });
    if (r.status !== 0) {
      const msg = `npm run build failed (status ${r.status}):\n${r.stdout}${r.stderr}`;
      if (missing) throw new Error(msg);
      process.stderr.write(`ensureBuilt: ${msg}\nensureBuilt: testing the existing, older dist/\n`);
    }
    checked = true;
  } finally {
    rmdirSync(lock);
  }
}
