/** Fuzz worker thread: runs cases start, start + stride, ... and reports crashes to the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadCorpus } from './corpus.js';
import { makeCase } from './mutate.js';
import { runCase } from './harness.js';
import { reportValidator } from './pipeline.js';

export interface WorkerData {
  root: string;
  seed: number;
  start: number;
  stride: number;
  /** First index not to run; -1 for no end. */
  end: number;
  timeLimitMs: number;
  /** Int32Array slots: 0 current case, 1 cases done, 2 stop flag, 3 cases refused by the reader. */
  shared: SharedArrayBuffer;
}

export interface CrashMessage {
  type: 'crash';
  index: number;
  bytes: Uint8Array;
  steps: string[];
  kind: string;
  error: string;
  stack?: string;
  ms: number;
}

const CUR = 0;
const DONE = 1;
const STOP = 2;
const REFUSED = 3;

async function main(): Promise<void> {
  const d = workerData as WorkerData;
  const slots = new Int32Array(d.shared);
  const corpus = await loadCorpus(d.root);
  const opts = { validateReport: reportValidator(d.root) };
  parentPort!.postMessage({ type: 'ready' });
  for (let i = d.start; d.end < 0 || i < d.end; i += d.stride) {
    if (Atomics.load(slots, STOP)) break;
    Atomics.store(slots, CUR, i);
    const c = makeCase(corpus, d.seed, i);
    let o = await runCase(c.bytes, d.timeLimitMs, opts);
    // A slow case may be the machine being busy: it counts only when a second run is slow too.
    if (o.crash === 'slow') {
      const again = await runCase(c.bytes, d.timeLimitMs, opts);
      if (again.crash !== 'slow') o = again;
    }
    if (o.refused) Atomics.add(slots, REFUSED, 1);
    if (o.crash) {
      const msg: CrashMessage = { type: 'crash', index: i, bytes: c.bytes, steps: c.steps, kind: o.crash, error: o.error ?? '', stack: o.stack, ms: o.ms };
      parentPort!.postMessage(msg);
    }
    Atomics.add(slots, DONE, 1);
  }
  parentPort!.postMessage({ type: 'done' });
}

main().catch((e) => {
  parentPort!.postMessage({ type: 'fatal', error: e instanceof Error ? e.stack ?? e.message : String(e) });
});
