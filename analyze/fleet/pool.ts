/**
 * Runs fleet tasks on up to N jobs (this thread and up to N-1 worker threads or child processes) and hands the
 * results back in input order. This thread starts analyzing at once; another worker is started only while the
 * work not yet started is worth its start-up (worth.ts), so a fleet too small to gain from one never pays for
 * it. Each worker is long-lived and analyzes one capture at a time, with the next one queued; its V8
 * heap is capped, and a worker that dies (out of memory, crash) fails only the capture it was analyzing (the
 * queued one runs elsewhere) and is replaced. At most `jobs * WINDOW` captures
 * are started ahead of the oldest unfinished one, so finished results waiting for their turn stay few.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { CliError } from '../../common/cli-error.js';
import { runTask, type FleetResult, type FleetTask } from './tasks.js';
import { captureWeight, DEFAULT_WORKER_WORTH_SECONDS, RemainingWork, worthAnotherWorker } from './worth.js';

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
  /**
   * Estimated seconds of remaining work per running job above which another worker is started (worth.ts);
   * default DEFAULT_WORKER_WORTH_SECONDS. 0: all N-1 workers start at once, whatever the work.
   */
  workerWorthSeconds?: number;
  /** Called each time a worker is started (replacements of dead ones included). */
  onWorkerStart?: () => void;
}

/** Started ahead of the oldest unfinished capture, per job. */
const WINDOW = 16;
/**
 * Captures a worker holds at once: the one it analyzes and the next, so it never waits for this thread (busy
 * with a capture of its own between messages) to hand it more. With one at a time a child sat idle for as long
 * as this thread's current capture took, about half the time on a fleet of small captures.
 */
const WORKER_DEPTH = 2;
/** Marks a worker (thread: workerData; process: environment) so the entry point serves instead of parsing argv. */
export const FLEET_WORKER_FLAG = 'MPTCPSCOPE_FLEET_WORKER';

/** What a worker sends back for task i. */
export interface WorkerReply {
  /** Sent once when the worker has loaded and listens (nothing is handed to it before). */
  ready?: true;
  i: number;
  result?: FleetResult;
  crash?: { message: string; exitCode?: number };
}

interface Slot {
  send(msg: { i: number; task: FleetTask }): void;
  stop(): void;
  /** Task indexes sent and not answered, oldest first (a worker answers in the order it was sent). */
  held: number[];
  /** Tasks it may hold at once. */
  depth: number;
  /** It serves (a worker says so once it has booted). */
  ready: boolean;
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
  /** Tasks taken back from a worker that died holding them (besides the one it was analyzing). */
  const retry: number[] = [];
  let fatal: Error | null = null;
  /** The workers first (they get captures before this thread does), this thread's slot last. */
  const slots: Slot[] = [];
  const worthSeconds = opts.workerWorthSeconds ?? DEFAULT_WORKER_WORTH_SECONDS;
  const work = new RemainingWork(worthSeconds > 0 ? tasks.map((t) => captureWeight(t.file)) : tasks.map(() => 0));
  const maxWorkers = Math.min(opts.jobs, total) - 1;

  return new Promise<void>((resolve, reject) => {
    let ended = false;
    const finishAll = (err: Error | null): void => {
      if (ended) return;
      ended = true;
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
      while (slot.ready && slot.held.length < slot.depth) {
        let i: number;
        if (retry.length > 0) i = retry.shift() as number;
        else if (nextToStart < total && nextToStart < nextToEmit + opts.jobs * WINDOW) { i = nextToStart++; work.started(i); }
        else return;
        slot.held.push(i);
        slot.send({ i, task: tasks[i] });
      }
    };
    const settle = (): void => {
      if (ended) return;
      if (fatal) { finishAll(fatal); return; }
      if (nextToEmit >= total) { finishAll(null); return; }
      if (worthSeconds > 0) startWorkerIfWorth();
      for (const s of slots) feed(s);
    };
    const onReply = (slot: Slot, m: WorkerReply): void => {
      if (m.ready) {
        slot.ready = true;
        settle();
        return;
      }
      const at = slot.held.indexOf(m.i);
      if (at >= 0) slot.held.splice(at, 1);
      if (m.crash) fatal = m.crash.exitCode !== undefined ? new CliError(m.crash.message, m.crash.exitCode) : new Error(m.crash.message);
      else if (m.result) complete(m.i, m.result);
      // An emitted result may let workers start captures beyond the old window.
      settle();
    };
    const onDeath = (slot: Slot, reason: string): void => {
      const at = slots.indexOf(slot);
      if (at < 0) return; // stopped on purpose
      const [lost, ...queued] = slot.held;
      slot.held = [];
      slots[at] = startSlot();
      // The capture it was analyzing fails; those only queued there are started again elsewhere.
      retry.unshift(...queued);
      if (lost !== undefined) complete(lost, { file: tasks[lost].file, error: `${tasks[lost].file}: ${reason}`, warnings: [], packets: 0, sessions: 0 });
      settle();
    };
    const startSlot = (): Slot => {
      opts.onWorkerStart?.();
      return opts.mode === 'thread' ? threadSlot(opts, onReply, onDeath) : processSlot(opts, onReply, onDeath);
    };
    // Evaluated at the start and after each reply (a finished capture): at most one worker at a time, so the
    // next decision sees the work the previous one took on. A worker gets captures once it has booted.
    const startWorkerIfWorth = (): void => {
      const running = slots.length; // the workers and this thread
      if (running - 1 < maxWorkers && worthAnotherWorker(work.estimateSeconds(), running, worthSeconds)) slots.unshift(startSlot());
    };
    // Workers boot while this thread (one of the jobs) analyzes captures itself between handing out the
    // others' (each capture awaits at its end, so replies are taken in between).
    if (worthSeconds <= 0) for (let k = 0; k < maxWorkers; k++) slots.push(startSlot());
    slots.push(inlineSlot(onReply, (i, seconds) => work.finishedHere(i, seconds)));
    settle();
  });
}

/** This thread's slot; `onTimed` gets the seconds each capture took here. */
function inlineSlot(onReply: (s: Slot, m: WorkerReply) => void, onTimed: (i: number, seconds: number) => void): Slot {
  let stopped = false;
  const slot: Slot = {
    held: [],
    depth: 1,
    ready: true,
    send: (msg) => {
      // Started on a later turn, so the other slots get their first captures before this one runs.
      setImmediate(() => {
        const t0 = performance.now();
        runTask(msg.task).then(
          (result) => {
            if (stopped) return;
            onTimed(msg.i, (performance.now() - t0) / 1000);
            onReply(slot, { i: msg.i, result });
          },
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
    held: [],
    depth: WORKER_DEPTH,
    ready: false,
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
    held: [],
    depth: WORKER_DEPTH,
    ready: false,
    send: (msg) => { child.send(msg); },
    stop: () => { stopped = true; child.kill(); },
  };
  child.on('message', (m) => onReply(slot, m as WorkerReply));
  // A capture sent to a child that has just exited fails with EPIPE (an uncaught 'error' without this): its
  // 'exit' follows, which fails or hands again what it held. Any other error ends the worker here.
  child.on('error', (err: Error & { code?: string }) => {
    if (stopped || err.code === 'EPIPE' || err.code === 'ERR_IPC_CHANNEL_CLOSED') return;
    stopped = true;
    child.kill();
    onDeath(slot, `worker failed: ${err.message.split('\n')[0]}`);
  });
  child.on('exit', (code, signal) => {
    if (stopped) return;
    stopped = true;
    onDeath(slot, signal ? `worker killed by ${signal}` : code === 134 ? `out of memory (worker heap limit ${opts.maxHeapMb} MiB)` : `worker exited with status ${code}`);
  });
  return slot;
}
