/** `export --parquet DIR CAPTURE...`: each capture's tables written by a fleet worker (the map step of a dataset). */
import { prepareExportDir } from '../analyze/export/export-dir.js';
import type { FleetTask } from '../analyze/fleet/tasks.js';
import { StdoutBatcher } from './output.js';
import { captureFiles, fleetExitCode, runFleetTasks } from './fleet-command.js';

export async function runExport(inputs: string[], opts: { dir: string; jobs?: number; maxBuffer: number; rowGroupRows: number; version: string }): Promise<void> {
  const files = captureFiles(inputs);
  prepareExportDir(opts.dir);
  const tasks: FleetTask[] = files.map((file) => ({ kind: 'export', file, dir: opts.dir, rowGroupRows: opts.rowGroupRows, engine: { maxBuffer: opts.maxBuffer }, version: opts.version }));
  const out = new StdoutBatcher();
  let packets = 0;
  let exported = 0;
  const failed = await runFleetTasks(tasks, { jobs: opts.jobs }, (r) => {
    if (r.error !== undefined) return;
    exported++;
    packets += r.packets;
    out.write(`${r.file}: ${r.packets} packets, ${r.sessions} MPTCP session(s)\n`);
    out.flush();
  });
  out.write(`exported ${exported} of ${files.length} captures (${packets} packets) to ${opts.dir}\n`);
  out.flush();
  process.exitCode = fleetExitCode(failed, files.length);
}
