// The direct NDJSON writer must produce exactly JSON.stringify of the packet object, on every packet of
// every capture (kernel, public, fuzz regressions).
import { describe, expect, it } from 'vitest';
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import { packetJson, packetJsonLine } from '../dissect/packet-json.js';
import { captureFiles } from './helpers/capture-files.js';

const files = [...captureFiles('captures'), ...captureFiles('test/regressions')];

describe('packetJsonLine', () => {
  it.each(files)('%s', async (file) => {
    const p = newDecodedPacket();
    let n = 0;
    let mismatch = '';
    await readCapture(file, (rec) => {
      decodePacket(rec, p);
      const want = JSON.stringify(packetJson(rec, p));
      const got = packetJsonLine(rec, p, null);
      n++;
      if (got !== want && !mismatch) mismatch = `packet ${rec.n}:\n got ${got}\nwant ${want}`;
    }).catch(() => undefined); // regression inputs may not be readable captures
    expect(mismatch).toBe('');
    if (file.startsWith('captures')) expect(n).toBeGreaterThan(0);
  });
});
