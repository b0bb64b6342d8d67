// The fleet pool's scheduling (analyze/fleet/pool.ts) with stand-in workers (test/helpers/fake-fleet-worker.mjs):
// results come back once each and in input order, whichever job ran them; a worker that dies fails only the
// capture it was analyzing, and the capture queued behind it runs elsewhere; a dead worker is replaced.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { runFleet } from '../analyze/fleet/pool.js';
import type { FleetResult, FleetTask } from '../analyze/fleet/tasks.js';

const FAKE = fileURLToPath(new URL('./helpers/fake-fleet-worker.mjs', import.meta.url));
const REAL = 'captures/v1-two-subflows.pcap';

function task(file: string): FleetTask {
  return { kind: 'analyze', file, json: true, color: false, engine: {}, version: 'test' };
}

async function run(files: string[], jobs: number): Promise<{ order: number[]; results: FleetResult[] }> {
  const order: number[] = [];
  const results: FleetResult[] = [];
  await runFleet(files.map(task), {
    jobs, mode: 'process', entry: FAKE, maxHeapMb: 256,
    onResult: (i, r) => { order.push(i); results.push(r); },
  });
  return { order, results };
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
});
