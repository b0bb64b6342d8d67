// The fleet pool's scheduling (analyze/fleet/pool.ts) with stand-in workers (test/helpers/fake-fleet-worker.mjs):
// results come back once each and in input order, whichever job ran them; a worker that dies fails only the
// capture it was analyzing, and the capture queued behind it runs elsewhere; a dead worker is replaced. Workers
// start only while the work left is worth their start-up (analyze/fleet/worth.ts): the scheduling tests start
// them all at once (workerWorthSeconds: 0), the last ones count the workers the rule starts.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runFleet } from '../analyze/fleet/pool.js';
import type { FleetResult, FleetTask } from '../analyze/fleet/tasks.js';
import { captureWeight, RemainingWork } from '../analyze/fleet/worth.js';

const FAKE = fileURLToPath(new URL('./helpers/fake-fleet-worker.mjs', import.meta.url));
const REAL = 'captures/v1-two-subflows.pcap';

function task(file: string): FleetTask {
  return { kind: 'analyze', file, json: true, color: false, engine: {}, version: 'test' };
}

/** Runs the files on `jobs` jobs; every worker at once (workerWorthSeconds 0) unless told otherwise. */
async function run(files: string[], jobs: number, { workerWorthSeconds }: { workerWorthSeconds?: number } = { workerWorthSeconds: 0 }): Promise<{ order: number[]; results: FleetResult[]; workersStarted: number }> {
  const order: number[] = [];
  const results: FleetResult[] = [];
  let workersStarted = 0;
  await runFleet(files.map(task), {
    jobs, mode: 'process', entry: FAKE, maxHeapMb: 256, workerWorthSeconds,
    onResult: (i, r) => { order.push(i); results.push(r); },
    onWorkerStart: () => { workersStarted++; },
  });
  return { order, results, workersStarted };
}

/** The pool's estimate of the files' work at the start (one job, seconds). */
function estimate(files: string[]): number {
  return new RemainingWork(files.map(captureWeight)).estimateSeconds();
}

describe('fleet pool', () => {
  it('every result once, in input order, from this thread and the workers', async () => {
    const files = Array.from({ length: 40 }, () => REAL);
    const { order, results } = await run(files, 3);
    expect(order).toEqual(files.map((_, i) => i));
    expect(results.every((r) => r.error === undefined)).toBe(true);
    // This thread analyzed some for real (a JSON report), the stand-ins answered the others.
    const byWorker = results.filter((r) => r.text?.startsWith('worker '));
    const here = results.filter((r) => r.text?.startsWith('{'));
    expect(byWorker.length + here.length).toBe(files.length);
    expect(here.length).toBeGreaterThan(0);
    expect(byWorker.length).toBeGreaterThan(0);
  }, 120_000);

  it('a worker that dies fails only the capture it held; queued ones run elsewhere; it is replaced', async () => {
    // Each stand-in dies as it starts its third capture, with the next one already queued to it. The stand-ins
    // answer in 2 ms, faster than this thread analyzes, so they take most captures and die several times.
    process.env.FAKE_DIE_AT = '3';
    let got: Awaited<ReturnType<typeof run>>;
    try {
      got = await run(Array.from({ length: 200 }, () => REAL), 2);
    } finally {
      delete process.env.FAKE_DIE_AT;
    }
    const { order, results } = got;
    expect(order).toEqual(results.map((_, i) => i));
    const failed = results.filter((r) => r.error !== undefined);
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect(r.error).toBe(`${REAL}: worker exited with status 3`);
    // Every other capture was answered: by a stand-in (each answers two before it dies) or by this thread.
    const byWorker = results.filter((r) => r.text?.startsWith('worker '));
    const here = results.filter((r) => r.text?.startsWith('{'));
    expect(byWorker.length + here.length + failed.length).toBe(200);
    // Replacements: more stand-in processes answered than the one started first.
    expect(new Set(byWorker.map((r) => r.text)).size).toBeGreaterThan(1);
    expect(byWorker.length).toBeLessThanOrEqual(2 * (failed.length + 1));
  }, 120_000);

  it('a fleet too small to be worth a worker runs on this thread alone (default threshold)', async () => {
    const files = Array.from({ length: 3 }, () => REAL);
    const { order, results, workersStarted } = await run(files, 4, {});
    expect(workersStarted).toBe(0);
    expect(order).toEqual([0, 1, 2]);
    expect(results.every((r) => r.text?.startsWith('{'))).toBe(true);
  }, 120_000);

  it('a fleet whose estimate exceeds the threshold starts a worker', async () => {
    // (Whether the worker boots before this thread has done every capture is a matter of timing: not tested.)
    const files = Array.from({ length: 40 }, () => REAL);
    const { order, results, workersStarted } = await run(files, 2, { workerWorthSeconds: estimate(files) / 2 });
    expect(workersStarted).toBe(1);
    expect(order).toEqual(files.map((_, i) => i));
    expect(results.every((r) => r.error === undefined)).toBe(true);
  }, 120_000);

  it('no more workers than the work per running job is worth, however many jobs are asked for', async () => {
    const files = Array.from({ length: 40 }, () => REAL);
    // Worth one worker (the whole fleet on one job exceeds it), not a second (half of it on each of two does not).
    const one = await run(files, 4, { workerWorthSeconds: estimate(files) / 1.5 });
    expect(one.workersStarted).toBe(1);
    expect(one.order).toEqual(files.map((_, i) => i));
    // Worth every worker: N-1 of them, started one after the other.
    const all = await run(files, 4, { workerWorthSeconds: estimate(files) / 1000 });
    expect(all.workersStarted).toBe(3);
    expect(all.order).toEqual(files.map((_, i) => i));
  }, 120_000);

  it('a fleet of one capture, or --jobs 1, starts no worker', async () => {
    expect((await run([REAL], 4, { workerWorthSeconds: 1e-9 })).workersStarted).toBe(0);
    expect((await run([REAL, REAL], 1, { workerWorthSeconds: 1e-9 })).workersStarted).toBe(0);
  }, 120_000);
});
