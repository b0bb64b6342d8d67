/**
 * `report` over several captures: --html and --json name directories, and each capture's page and report are
 * written there as NAME.html / NAME.json (NAME: the capture's file name without .pcap/.pcapng/.cap/.gz; a
 * name met twice gets -2, -3, ...).
 */
import { mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CliError } from '../common/cli-error.js';
import type { FleetTask } from '../analyze/fleet/tasks.js';
import { captureFiles, fleetExitCode, runFleetTasks } from './fleet-command.js';

interface ReportFleetOptions { html?: string; json?: string; maxPoints: number; maxBuffer: number; jobs?: number; version: string }

function outputDir(dir: string | undefined, flag: string): void {
  if (!dir) return;
  try {
    if (!statSync(dir).isDirectory()) throw new CliError(`${flag} ${dir}: with several captures, ${flag} names a directory`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    try { mkdirSync(dir, { recursive: true }); } catch (e) { throw new CliError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 74); }
  }
}

/** Output names, one per capture, unique among themselves. */
export function reportNames(files: string[]): string[] {
  const used = new Map<string, number>();
  return files.map((f) => {
    const base = basename(f).replace(/\.(pcap|pcapng|cap)(\.gz)?$/i, '').replace(/\.gz$/i, '') || 'capture';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

export async function runReportFleet(inputs: string[], opts: ReportFleetOptions): Promise<void> {
  const files = captureFiles(inputs);
  outputDir(opts.html, '--html');
  outputDir(opts.json, '--json');
  const names = reportNames(files);
  const tasks: FleetTask[] = files.map((file, i) => ({
    kind: 'report', file, engine: { maxBuffer: opts.maxBuffer }, version: opts.version, maxPoints: opts.maxPoints,
    html: opts.html ? join(opts.html, `${names[i]}.html`) : undefined,
    json: opts.json ? join(opts.json, `${names[i]}.json`) : undefined,
  }));
  const failed = await runFleetTasks(tasks, { jobs: opts.jobs }, () => undefined);
  process.exitCode = fleetExitCode(failed, files.length);
}
