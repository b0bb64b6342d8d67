/**
 * Runs fleet tasks on N jobs (this thread and N-1 worker threads or child processes) and hands the results
 * back in input order. Each worker is long-lived and takes one capture at a time; its V8 heap is capped, and a worker that
 * dies (out of memory, crash) fails only the capture it held and is replaced. At most `jobs * WINDOW` captures
 * are started ahead of the oldest unfinished one, so finished results waiting for their turn stay few.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { CliError } from '../../common/cli-error.js';
import { runTask, type FleetResult, type FleetTask } from './tasks.js';

export type PoolMode = 'thread' | 'process';

export interface PoolOptions {
  jobs: number;
  mode: PoolMode;
  /** Script that serves tasks when started as a worker (the command line's own entry point; see serve.ts). */
  entry: string;
  /** Old-generation heap limit of each worker, in MiB. */
  maxHeapMb: number;
  /** Called once per task, in input order. */
  onResult: (index: number, result: FleetResult) => void;
  /** Called whenever a task finishes (in any order). */
  onProgress?: (done: number, total: number, packets: number) => void;
}

/** Started ahead of the oldest unfinished capture, per job. */
const WINDOW = 4;
/** Marks a worker (thread: workerData; process: environment) so the entry point serves instead of parsing argv. */
export const FLEET_WORKER_FLAG = 'MPTCPSCOPE_FLEET_WORKER';

/** What a worker sends back for task i. */
export interface WorkerReply {
  i: number;
  result?: FleetResult;
  crash?: { message: string; exitCode?: number };
}

interface Slot {
  send(msg: { i: number; task: FleetTask }): void;
  stop(): void;
  busy: number; // task index, or -1
}

export async function runFleet(tasks: FleetTask[], opts: PoolOptions): Promise<void> {
  const total = tasks.length;
  let done = 0;
  let packets = 0;
  if (opts.jobs <= 1 || total <= 1) {
    for (let i = 0; i < total; i++) {
      const r = await runTask(tasks[i]);
      done++;
      packets += r.packets;
      opts.onResult(i, r);
      opts.onProgress?.(done, total, packets);
    }
    return;
  }
  const finished = new Map<number, FleetResult>();
  let nextToEmit = 0;
  let nextToStart = 0;
  let fatal: Error | null = null;
  const slots: Slot[] = [];

  return new Promise<void>((resolve, reject) => {
    const finishAll = (err: Error | null): void => {
      for (const s of slots) s.stop();
      slots.length = 0;
      if (err) reject(err); else resolve();
    };
    const complete = (i: number, r: FleetResult): void => {
      finished.set(i, r);
      done++;
      packets += r.packets;
      while (finished.has(nextToEmit)) {
        const res = finished.get(nextToEmit) as FleetResult;
        finished.delete(nextToEmit);
        try { opts.onResult(nextToEmit, res); } catch (e) { fatal = e as Error; }
        nextToEmit++;
      }
      opts.onProgress?.(done, total, packets);
    };
    const feed = (slot: Slot): void => {
      if (fatal) { finishAll(fatal); return; }
      if (nextToEmit >= total) { finishAll(null); return; }
      if (nextToStart < total && nextToStart < nextToEmit + opts.jobs * WINDOW) {
        const i = nextToStart++;
        slot.busy = i;
        slot.send({ i, task: tasks[i] });
      } else slot.busy = -1;
    };
    const onReply = (slot: Slot, m: WorkerReply): void => {
      slot.busy = -1;
      if (m.crash) fatal = m.crash.exitCode !== undefined ? new CliError(m.crash.message, m.crash.exitCode) : new Error(m.crash.message);
      else if (m.result) complete(m.i, m.result);
      // An emitted result may let idle workers start captures beyond the old window.
      for (const s of slots) if (s.busy < 0) feed(s);
    };
    const onDeath = (slot: Slot, reason: string): void => {
      const i = slot.busy;
      const at = slots.indexOf(slot);
      if (at < 0) return; // stopped on purpose
      const fresh = startSlot();
      slots[at] = fresh;
      if (i >= 0) complete(i, { file: tasks[i].file, error: `${tasks[i].file}: ${reason}`, warnings: [], packets: 0, sessions: 0 });
      for (const s of slots) if (s.busy < 0) feed(s);
    };
    const startSlot = (): Slot => (opts.mode === 'thread' ? threadSlot(opts, onReply, onDeath) : processSlot(opts, onReply, onDeath));
    // This thread is one of the jobs: it analyzes captures itself between handing out the others' (each
    // capture awaits its file reads, so replies are taken in between). One worker fewer to start.
    slots.push(inlineSlot(onReply));
    const n = Math.min(opts.jobs, total);
    for (let k = 1; k < n; k++) slots.push(startSlot());
    for (const s of slots) feed(s);
  });
}

function inlineSlot(onReply: (s: Slot, m: WorkerReply) => void): Slot {
  let stopped = false;
  const slot: Slot = {
    busy: -1,
    send: (msg) => {
      // Started on a later turn, so the other slots get their first captures before this one runs.
      setImmediate(() => {
        runTask(msg.task).then(
          (result) => { if (!stopped) onReply(slot, { i: msg.i, result }); },
          (err: unknown) => {
            if (stopped) return;
            const message = err instanceof Error ? err.message : String(err);
            onReply(slot, { i: msg.i, crash: err instanceof CliError ? { message, exitCode: err.exitCode } : { message } });
          },
        );
      });
    },
    stop: () => { stopped = true; },
  };
  return slot;
}

function threadSlot(opts: PoolOptions, onReply: (s: Slot, m: WorkerReply) => void, onDeath: (s: Slot, reason: string) => void): Slot {
  const w = new Worker(opts.entry, {
    workerData: { [FLEET_WORKER_FLAG]: true },
    argv: [],
    resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb },
    stdout: false,
    stderr: false,
  });
  let stopped = false;
  const slot: Slot = {
    busy: -1,
    send: (msg) => w.postMessage(msg),
    stop: () => { stopped = true; void w.terminate(); },
  };
  w.on('message', (m: WorkerReply) => onReply(slot, m));
  w.on('error', (err: Error & { code?: string }) => {
    if (stopped) return;
    stopped = true;
    onDeath(slot, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `out of memory (worker heap limit ${opts.maxHeapMb} MiB)` : `worker failed: ${err.message.split('\n')[0]}`);
  });
  w.on('exit', (code) => { if (!stopped) { stopped = true; onDeath(slot, `worker exited with status ${code}`); } });
  return slot;
}

function processSlot(opts: PoolOptions, onReply: (s: Slot, m: WorkerReply) => void, onDeath: (s: Slot, reason: string) => void): Slot {
  const child: ChildProcess = fork(opts.entry, [], {
    env: { ...process.env, [FLEET_WORKER_FLAG]: '1' },
    execArgv: [`--max-old-space-size=${opts.maxHeapMb}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let stopped = false;
  const slot: Slot = {
    busy: -1,
    send: (msg) => { child.send(msg); },
    stop: () => { stopped = true; child.kill(); },
  };
  child.on('message', (m) => onReply(slot, m as WorkerReply));
  child.on('exit', (code, signal) => {
    if (stopped) return;
    stopped = true;
    onDeath(slot, signal ? `worker killed by ${signal}` : code === 134 ? `out of memory (worker heap limit ${opts.maxHeapMb} MiB)` : `worker exited with status ${code}`);
  });
  return slot;
}
