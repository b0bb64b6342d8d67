/** The worker side of the fleet pool: takes one task at a time from the parent and answers with its result. */
import { parentPort } from 'node:worker_threads';
import { CliError } from '../../common/cli-error.js';
import { runTask, type FleetTask } from './tasks.js';
import type { WorkerReply } from './pool.js';

async function answer(msg: { i: number; task: FleetTask }): Promise<WorkerReply> {
  try {
    return { i: msg.i, result: await runTask(msg.task) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof CliError) return { i: msg.i, crash: { message, exitCode: err.exitCode } };
    return { i: msg.i, crash: { message } };
  }
}

/** Serves tasks on this worker thread. */
export function serveThread(): void {
  const port = parentPort;
  if (!port) throw new Error('serveThread called on the main thread');
  port.on('message', (msg: { i: number; task: FleetTask }) => { void answer(msg).then((r) => port.postMessage(r)); });
}

/** Serves tasks in this child process (IPC channel); ends when the parent disconnects. */
export function serveProcess(): void {
  process.on('message', (msg) => { void answer(msg as { i: number; task: FleetTask }).then((r) => process.send?.(r)); });
  process.on('disconnect', () => process.exit(0));
}
