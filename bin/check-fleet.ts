/** `check` over several captures on --jobs workers: the rules' verdicts per capture, in input order. */
import type { CaptureResult } from '../analyze/check/evaluate.js';
import { inputErrorResult } from '../analyze/check/evaluate.js';
import type { Rules } from '../analyze/check/rules.js';
import type { FleetTask } from '../analyze/fleet/tasks.js';
import { runFleetTasks } from './fleet-command.js';

export async function checkFleet(files: string[], opts: { rules: Rules; strict: boolean; maxBuffer: number; jobs?: number; version: string }): Promise<CaptureResult[]> {
  const tasks: FleetTask[] = files.map((file) => ({ kind: 'check', file, rules: opts.rules, strict: opts.strict, engine: { maxBuffer: opts.maxBuffer }, version: opts.version }));
  const results: CaptureResult[] = [];
  await runFleetTasks(tasks, { jobs: opts.jobs }, (r) => {
    results.push(r.check ?? inputErrorResult(r.file, r.error ?? 'cannot analyze'));
  });
  return results;
}
