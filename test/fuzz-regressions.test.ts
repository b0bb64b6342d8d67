// Replays every input in test/regressions/ (crashes found by the fuzzer and the property tests, see
// docs/fuzzing.md) through the whole pipeline: from a file (readCapture, analyzeFile) and from a stream cut
// into chunks as the fuzzer cut it, then the dissector, the analysis engine, the JSON report (checked against
// docs/analyze.schema.json) and the text summary. Only CaptureInputError may come out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import { packetJson } from '../dissect/packet-json.js';
import { CaptureInputError } from '../dissect/record.js';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';
import { formatSummary } from '../analyze/summary-text.js';
import { checkDecoded, chunkPlan, reportValidator, runPipeline } from '../fuzz/pipeline.js';

const DIR = 'test/regressions';
const inputs = readdirSync(DIR).filter((f) => !/\.(txt|md)$/.test(f)).sort();
const validateReport = reportValidator(process.cwd());

async function allowRefusal(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof CaptureInputError)) throw e;
  }
}

describe('regression inputs replay through the whole pipeline', () => {
  it('every input has a note', () => {
    expect(inputs.length).toBeGreaterThan(0);
    const files = new Set(readdirSync(DIR));
    for (const f of inputs) expect(files.has(f.replace(/\.[^.]+$/, '.txt')), `${f} needs a note`).toBe(true);
  });

  it.each(inputs)('%s', async (name) => {
    const path = join(DIR, name);
    const bytes = readFileSync(path);
    // As the fuzzer ran it (chunked as the fuzzer chunked it), and whole.
    await runPipeline(bytes, { validateReport, chunks: chunkPlan(bytes) });
    await runPipeline(bytes, { validateReport, chunks: [bytes] });
    // From the file, as the CLI's dissect and analyze verbs read it.
    const p = newDecodedPacket();
    await allowRefusal(readCapture(path, (rec) => {
      decodePacket(rec, p);
      checkDecoded(rec, p);
      JSON.stringify(packetJson(rec, p));
    }));
    await allowRefusal((async () => {
      const res = await analyzeFile(path);
      const report = buildReport(res.engine, { file: path, format: res.format, truncated: res.truncated, version: '0.0.0' });
      const problem = validateReport(JSON.parse(JSON.stringify(report)));
      expect(problem).toBeNull();
      formatSummary(report, false);
    })());
  });
});
