/** `analyze` over several captures: one text block per capture and a one-line total, or NDJSON with --json. */
import { StdoutBatcher } from './output.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { AnalyzeOptions } from './analyze-command.js';
import type { FleetTask } from '../analyze/fleet/tasks.js';
import { captureFiles, fleetExitCode, runFleetTasks } from './fleet-command.js';

export async function runAnalyzeFleet(inputs: string[], opts: AnalyzeOptions & { jobs?: number }): Promise<void> {
  const files = captureFiles(inputs);
  const tasks: FleetTask[] = files.map((file) => ({
    kind: 'analyze', file, json: Boolean(opts.json), color: opts.color, engine: opts.engine, version: opts.version, maxRecordBytes: opts.maxRecordBytes,
  }));
  // Straight to stdout as results come in order; into memory when written atomically to a file.
  const collected: string[] = [];
  const out = opts.output ? null : new StdoutBatcher();
  const write = (s: string): void => { if (out) out.write(s); else collected.push(s); };
  let packets = 0;
  let sessions = 0;
  let blocks = 0;
  const failed = await runFleetTasks(tasks, { jobs: opts.jobs }, (r) => {
    if (r.text === undefined) return;
    packets += r.packets;
    sessions += r.sessions;
    if (!opts.json && blocks > 0) write('\n');
    write(r.text);
    blocks++;
    out?.flush();
  });
  if (!opts.json) {
    const failedText = failed ? `, ${failed} failed` : '';
    write(`${blocks > 0 ? '\n' : ''}total: ${files.length} captures${failedText}, ${packets} packets, ${sessions} MPTCP session(s)\n`);
  }
  if (out) out.flush();
  else writeFileAtomic(opts.output as string, collected.join(''));
  process.exitCode = fleetExitCode(failed, files.length);
}
