#!/usr/bin/env node
import { Command, InvalidArgumentError, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { CliError } from './cli-error.js';
import { CaptureInputError } from '../dissect/record.js';
import { runDissect } from './dissect-command.js';
import { runAnalyze } from './analyze-command.js';
import { runFollow, type FollowDir, type FollowMode } from './follow-command.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

let debug = process.argv.includes('--debug');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Runs a verb's action, turning every expected failure into one line and an exit status. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      fail(err);
    }
  };
}

function fail(err: unknown): never {
  if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (err instanceof CliError) { process.stderr.write(`mptcpscope: ${err.message}\n`); process.exit(err.exitCode); }
  if (err instanceof CaptureInputError) { process.stderr.write(`mptcpscope: ${err.message}\n`); process.exit(2); }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`mptcpscope: internal error: ${message}${debug ? '' : ' (run with --debug for details)'}\n`);
  process.exit(70);
}

const program = new Command();
program
  .name('mptcpscope')
  .description('Multipath TCP (v0/v1) dissector and analyzer')
  .version(version, '--version', 'print the version')
  .option('--debug', 'show stack traces for errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

program
  .command('dissect')
  .description('decode every packet of a capture: one line per packet, a full tree (-V) or NDJSON (--json)')
  .argument('<file>', 'pcap or pcapng capture (gzip allowed), or - for stdin')
  .option('--json', 'write NDJSON, one object per packet (docs/dissect-json.md)')
  .option('-V, --verbose', 'print the full decoded tree of each packet')
  .option('-c, --count <n>', 'stop after N packets are shown', positiveInt)
  .option('--mptcp', 'show only packets that carry MPTCP options')
  .option('--absolute', 'print absolute timestamps instead of seconds since the first packet')
  .option('--color', 'force colours (default: only on a terminal)')
  .option('--no-color', 'never use colours')
  .action(action(async (file: string, opts: { json?: boolean; verbose?: boolean; count?: number; mptcp?: boolean; absolute?: boolean; color?: boolean }) => {
    const color = opts.color ?? Boolean(process.stdout.isTTY);
    await runDissect(file, { ...opts, color });
  }));

function sizeArg(value: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected a size like 65536, 512k or 64M');
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

program
  .command('analyze')
  .description('group subflows into MPTCP sessions, verify HMACs and DSS checksums, rebuild data-level streams')
  .argument('<file>', 'pcap or pcapng capture (gzip allowed), or - for stdin')
  .option('--json', 'write the JSON report (docs/analyze-json.md)')
  .option('-o, --output <file>', 'write the summary or report to FILE (atomically) instead of stdout')
  .option('--max-buffer <size>', 'out-of-order data buffered per direction before a gap is declared', sizeArg, 64 * 1024 * 1024)
  .option('--max-connections <n>', 'TCP connections tracked at once', positiveInt, 1_000_000)
  .option('--max-events <n>', 'events kept per session', positiveInt, 10_000)
  .option('--color', 'force colours (default: only on a terminal)')
  .option('--no-color', 'never use colours')
  .action(action(async (file: string, opts: { json?: boolean; output?: string; maxBuffer: number; maxConnections: number; maxEvents: number; color?: boolean }) => {
    await runAnalyze(file, {
      json: opts.json, output: opts.output, version,
      color: opts.color ?? (Boolean(process.stdout.isTTY) && !opts.output),
      engine: { maxBuffer: opts.maxBuffer, maxConnections: opts.maxConnections, maxEvents: opts.maxEvents },
    });
  }));

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a session id (0, 1, ...)');
  return n;
}

program
  .command('follow')
  .description("print a session's data-level byte stream (Follow TCP Stream at the MPTCP level), or export streams")
  .argument('<file>', 'pcap or pcapng capture (gzip allowed), or - for stdin')
  .option('--session <id>', 'session id as listed by analyze', nonNegativeInt)
  .option('--dir <dir>', 'c2s, s2c or both', 'both')
  .option('--ascii', 'printable text, other bytes as dots (default)')
  .option('--hex', 'hex dump with data-level offsets')
  .option('--raw', 'the bytes themselves (one direction)')
  .option('--export <dir>', 'write every complete direction of every session to DIR/session-ID-DIR.bin')
  .action(action(async (file: string, opts: { session?: number; dir: string; ascii?: boolean; hex?: boolean; raw?: boolean; export?: string }) => {
    if (!['c2s', 's2c', 'both'].includes(opts.dir)) throw new CliError(`--dir must be c2s, s2c or both, not ${opts.dir}`);
    if ([opts.ascii, opts.hex, opts.raw].filter(Boolean).length > 1) throw new CliError('choose one of --ascii, --hex, --raw');
    const mode: FollowMode = opts.hex ? 'hex' : opts.raw ? 'raw' : 'ascii';
    await runFollow(file, { session: opts.session, dir: opts.dir as FollowDir, mode, exportDir: opts.export });
  }));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  fail(err);
}
debug = false;
