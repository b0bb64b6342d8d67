/** Shared pieces of the command line: argument parsers, the error-to-exit-status mapping, the version. */
import { InvalidArgumentError } from 'commander';
import { createRequire } from 'node:module';
import { CliError } from '../common/cli-error.js';
import { CaptureInputError } from '../dissect/record.js';

const require = createRequire(import.meta.url);
export const VERSION = (require('../../package.json') as { version: string }).version;

export const debugEnabled = (): boolean => process.argv.includes('--debug');

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** Sizes like 65536, 512k, 64M, 1G. */
export function sizeArg(value: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected a size like 65536, 512k or 64M');
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

/** Colours: forced by --color/--no-color, else only when stdout is a terminal and NO_COLOR is not set. */
export function useColor(flag: boolean | undefined): boolean {
  return flag ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
}

/** Prints one line for an error and exits: 2 for usage and input, the CliError's own status, 70 for bugs. */
export function fail(err: unknown): never {
  const debug = debugEnabled();
  if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (err instanceof CliError) { process.stderr.write(`mptcpscope: ${err.message}\n`); process.exit(err.exitCode); }
  if (err instanceof CaptureInputError) { process.stderr.write(`mptcpscope: ${err.message}\n`); process.exit(2); }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`mptcpscope: internal error: ${message}${debug ? '' : ' (run with --debug for details)'}\n`);
  process.exit(70);
}

/** Wraps a verb's action so every failure becomes one line and an exit status. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      fail(err);
    }
  };
}
