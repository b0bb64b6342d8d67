// When the fleet pool starts another worker (analyze/fleet/worth.ts): the work left, estimated from the
// captures' sizes at reference speeds, lowered (never raised) by this thread's measured speed once warm, shared
// among the running jobs, against a threshold.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureWeight, RemainingWork, referenceSeconds, worthAnotherWorker } from '../analyze/fleet/worth.js';

describe('worker worth', () => {
  it('weighs a capture by its size, a .gz one three times, an unreadable one as nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mptcpscope-worth-'));
    writeFileSync(join(dir, 'a.pcap'), Buffer.alloc(1000));
    writeFileSync(join(dir, 'a.pcap.gz'), Buffer.alloc(1000));
    expect(captureWeight(join(dir, 'a.pcap'))).toBe(1000);
    expect(captureWeight(join(dir, 'a.pcap.gz'))).toBe(3000);
    expect(captureWeight(join(dir, 'missing.pcap'))).toBe(0);
  });

  it('estimates the captures not yet started', () => {
    const work = new RemainingWork([1e6, 2e6, 3e6]);
    const all = referenceSeconds(1e6) + referenceSeconds(2e6) + referenceSeconds(3e6);
    expect(work.estimateSeconds()).toBeCloseTo(all, 9);
    work.started(1);
    expect(work.estimateSeconds()).toBeCloseTo(all - referenceSeconds(2e6), 9);
    work.started(0);
    work.started(2);
    expect(work.estimateSeconds()).toBe(0);
  });

  it('takes a measured speed only after the warm-up, and only where it is faster than the reference', () => {
    const weights = Array.from({ length: 10 }, () => 300e6); // about 1 s each at the reference speed
    const fast = new RemainingWork(weights);
    for (let i = 0; i < 3; i++) fast.started(i);
    const before = fast.estimateSeconds();
    fast.finishedHere(0, 0.6); // warm-up: not measured
    expect(fast.estimateSeconds()).toBe(before);
    fast.finishedHere(1, 0.5);
    fast.finishedHere(2, 0.5); // half the reference time: the rest is estimated at half
    expect(fast.estimateSeconds()).toBeCloseTo(before / 2, 2);

    const slow = new RemainingWork(weights);
    for (let i = 0; i < 3; i++) slow.started(i);
    slow.finishedHere(0, 0.6);
    slow.finishedHere(1, 5);
    slow.finishedHere(2, 5); // slowed by the cores' other work: the estimate is not raised
    expect(slow.estimateSeconds()).toBe(before);
  });

  it('starts another worker while the work per running job exceeds the threshold', () => {
    expect(worthAnotherWorker(2.5, 1, 1.5)).toBe(true);
    expect(worthAnotherWorker(2.5, 2, 1.5)).toBe(false);
    expect(worthAnotherWorker(1.0, 1, 1.5)).toBe(false);
    expect(worthAnotherWorker(4, 2, 1.5)).toBe(true);
  });
});
