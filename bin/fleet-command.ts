/**
 * Several captures (or directories) on one command line: expand them, run one task per capture on --jobs
 * workers, print the results in input order. A capture that cannot be read gets its own `FILE: reason` line
 * and the others still run. Exit status: 2 when every capture failed; otherwise the verb decides (analyze and
 * report: 1 when some failed; check: its worst status, and 1 when any failed).
 */
import { availableParallelism } from 'node:os';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expandInputs } from '../analyze/fleet/inputs.js';
import { runFleet, type PoolMode } from '../analyze/fleet/pool.js';
import type { FleetResult, FleetTask } from '../analyze/fleet/tasks.js';
import { CliError } from '../common/cli-error.js';
import { fleetProgress } from './fleet-progress.js';

export interface FleetRunOptions {
  jobs?: number;
  /** How workers run (measured: BENCHMARKS.md); MPTCPSCOPE_POOL=thread|process overrides, for the benchmark. */
  mode?: PoolMode;
  maxHeapMb?: number;
}

/** The default pool mode: child processes, measured faster than worker threads (BENCHMARKS.md "Fleet"). */
export function poolMode(): PoolMode {
  return process.env.MPTCPSCOPE_POOL === 'thread' ? 'thread' : 'process';
}

export const defaultJobs = (): number => availableParallelism();

/** Expands the arguments into capture files; a directory without captures is an input error of its own. */
export function captureFiles(args: string[]): string[] {
  const { files, emptyDirs } = expandInputs(args);
  for (const d of emptyDirs) process.stderr.write(`mptcpscope: ${d}: no .pcap, .pcapng or .cap files (or their .gz forms) in this directory\n`);
  if (files.length === 0) throw new CliError('no captures to read');
  // Workers cannot share this process's standard input, and one capture from it runs on its own anyway.
  if (files.length > 1 && files.includes('-')) throw new CliError('- (standard input) cannot be read together with other captures');
  return files;
}

/** One capture's failure as one line: `FILE: reason` (the reader's messages mostly name the file already). */
export function failureLine(r: FleetResult): string {
  const reason = r.error ?? 'failed';
  if (reason.startsWith(r.file)) return reason;
  // "cannot open FILE: no such file" -> "FILE: cannot open: no such file"
  return `${r.file}: ${reason.replace(` ${r.file}`, '')}`;
}

/**
 * Runs the tasks and calls `emit` per result in input order (after the progress line is cleared). Warnings are
 * printed before their capture's output, prefixed with the file. Returns how many captures failed.
 */
export async function runFleetTasks(tasks: FleetTask[], opts: FleetRunOptions, emit: (r: FleetResult, index: number) => void): Promise<number> {
  const progress = fleetProgress();
  let failed = 0;
  let entry = process.argv[1];
  try { entry = realpathSync(entry); } catch { /* as given */ }
  // Workers start from the small worker entry beside the command line's, where it was built.
  const workerEntry = join(dirname(entry), 'fleet-worker.js');
  if (existsSync(workerEntry)) entry = workerEntry;
  try {
    await runFleet(tasks, {
      jobs: opts.jobs ?? defaultJobs(),
      mode: opts.mode ?? poolMode(),
      entry,
      maxHeapMb: opts.maxHeapMb ?? 1024,
      onProgress: progress.update,
      onResult: (index, r) => {
        progress.clear();
        for (const w of r.warnings) process.stderr.write(`warning: ${r.file}: ${w}\n`);
        if (r.error !== undefined) {
          failed++;
          process.stderr.write(`mptcpscope: ${failureLine(r)}\n`);
        }
        emit(r, index);
      },
    });
  } finally {
    progress.clear();
  }
  return failed;
}

/** Exit status of analyze and report over several captures. */
export function fleetExitCode(failed: number, total: number): number {
  if (failed === 0) return 0;
  return failed === total ? 2 : 1;
}
