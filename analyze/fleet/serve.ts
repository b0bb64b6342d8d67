/**
 * The worker side of the fleet pool: says it is ready, then takes tasks from the parent and answers each with
 * its result, one capture at a time in the order sent (the parent keeps the next one queued here).
 */
import { parentPort } from 'node:worker_threads';
import { CliError } from '../../common/cli-error.js';
import { runTask, type FleetTask } from './tasks.js';
import type { WorkerReply } from './pool.js';

type TaskMessage = { i: number; task: FleetTask };

async function answer(msg: TaskMessage): Promise<WorkerReply> {
  try {
    return { i: msg.i, result: await runTask(msg.task) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof CliError) return { i: msg.i, crash: { message, exitCode: err.exitCode } };
    return { i: msg.i, crash: { message } };
  }
}

/** Runs the tasks one after the other as they arrive, sending each answer. */
function serialServer(send: (r: WorkerReply) => void): (msg: TaskMessage) => void {
  const queue: TaskMessage[] = [];
  let running = false;
  const run = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) send(await answer(queue.shift() as TaskMessage));
    running = false;
  };
  return (msg) => {
    queue.push(msg);
    if (!running) void run();
  };
}

/** Serves tasks on this worker thread. */
export function serveThread(): void {
  const port = parentPort;
  if (!port) throw new Error('serveThread called on the main thread');
  port.on('message', serialServer((r) => port.postMessage(r)));
  port.postMessage({ ready: true, i: -1 } satisfies WorkerReply);
}

/** Serves tasks in this child process (IPC channel); ends when the parent disconnects. */
export function serveProcess(): void {
  const take = serialServer((r) => process.send?.(r));
  process.on('message', (msg) => take(msg as TaskMessage));
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: true, i: -1 } satisfies WorkerReply);
}
