// The capture reader's reused record: `buf`/`off` locate the captured bytes in the chunk without a view, `data`
// is made on first use, and copies made with object spread keep `data` but not the chunk.
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readCaptureStream } from '../dissect/capture-reader.js';
import type { CaptureRecord } from '../dissect/record.js';
import { pcapFile } from './helpers/pcap.js';

describe('reader record', () => {
  it('buf/off/caplen give the same bytes as data; copies carry data only', async () => {
    const packets = Array.from({ length: 50 }, (_, i) => ({ data: Buffer.alloc(20 + i * 7, i + 1) }));
    const file = pcapFile(packets);
    // Small chunks so that records straddle chunk boundaries and come from the carry buffer.
    const chunks: Buffer[] = [];
    for (let o = 0; o < file.length; o += 97) chunks.push(file.subarray(o, o + 97));
    const copies: CaptureRecord[] = [];
    let i = 0;
    await readCaptureStream(Readable.from(chunks), (rec) => {
      expect(rec.buf).toBeDefined();
      const inChunk = rec.buf!.subarray(rec.off!, rec.off! + rec.caplen);
      expect(inChunk).toEqual(packets[i].data);
      expect(rec.data).toEqual(packets[i].data);
      expect(rec.data).toBe(rec.data); // one view per record
      expect(Object.keys(rec)).not.toContain('buf');
      expect(Object.keys(rec)).not.toContain('off');
      const copy = { ...rec, data: Buffer.from(rec.data) };
      expect(copy.buf).toBeUndefined();
      copies.push(copy);
      expect({ ...rec }.data).toEqual(packets[i].data);
      i++;
    });
    expect(i).toBe(50);
    copies.forEach((c, k) => expect(c.data).toEqual(packets[k].data));
  });
});
