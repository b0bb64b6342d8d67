/** live/reorder.ts: records from several interfaces come out in timestamp order (ties by packet number). */
import { describe, expect, it } from 'vitest';
import { LiveReorder } from '../live/reorder.js';
import type { CaptureRecord } from '../dissect/record.js';

const rec = (n: number, t: number, iface = 0, bytes = 10): CaptureRecord => ({
  n, iface, linktype: 1, tsSec: Math.floor(t), tsNsec: Math.round((t - Math.floor(t)) * 1e6) * 1000, tsDigits: 6, caplen: bytes, len: bytes, data: Buffer.alloc(bytes),
});

describe('LiveReorder', () => {
  it('holds records for the window and releases them in time order, ties by packet number', () => {
    const out: number[] = [];
    const r = new LiveReorder((x) => out.push(x.n), 0.1);
    r.push(rec(1, 100.000, 0)); // one interface's batch...
    r.push(rec(2, 100.050, 0));
    r.push(rec(3, 100.020, 1)); // ...then the other's, earlier in time
    r.push(rec(4, 100.050, 1)); // same time as #2: #2 first
    r.release(100.09);
    expect(out).toEqual([]);
    r.release(100.125);
    expect(out).toEqual([1, 3]);
    r.release(100.2);
    expect(out).toEqual([1, 3, 2, 4]);
    expect(r.size).toBe(0);
    expect(r.late).toBe(0);
  });

  it('passes on at once, and counts, a record older than one already released', () => {
    const out: number[] = [];
    const r = new LiveReorder((x) => out.push(x.n), 0.1);
    r.push(rec(1, 10.5));
    r.release(11);
    r.push(rec(2, 10.4, 1));
    expect(out).toEqual([1, 2]);
    expect(r.late).toBe(1);
  });

  it('flush releases everything in order; a byte budget releases the oldest early', () => {
    const out: number[] = [];
    const r = new LiveReorder((x) => out.push(x.n), 0.1, 25);
    r.push(rec(1, 5.2, 0, 10));
    r.push(rec(2, 5.1, 1, 10));
    expect(out).toEqual([]);
    r.push(rec(3, 5.3, 0, 10)); // 30 bytes held > 25: the oldest (#2) goes
    expect(out).toEqual([2]);
    r.flush();
    expect(out).toEqual([2, 1, 3]);
  });
});
