// The diagnosis on a worker thread (analyze/diagnosis/offload.ts) must give the report the diagnosis in place
// gives. The worker loads the compiled module, so this runs the built tree (dist/, made by `npm test`), with
// tiny batches so that the worker starts on the shipped captures (they are small), and with the default batch
// (then the records are replayed on the main thread).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { captureFiles } from './helpers/capture-files.js';

const DIST = new URL('../dist/analyze/', import.meta.url);
const built = existsSync(new URL('diagnosis/offload-worker.js', DIST));

interface Analyzed { engine: unknown; format: string; truncated: boolean; diagnosis?: unknown }
type AnalyzeFile = (file: string, opts: object, hooks: object) => Promise<Analyzed>;
type BuildReport = (engine: unknown, info: object, diagnosis?: unknown) => unknown;

async function reportOf(file: string, diagnosisWorker: boolean | number): Promise<string> {
  const { analyzeFile } = (await import(new URL('analyze-file.js', DIST).href)) as { analyzeFile: AnalyzeFile };
  const { buildReport } = (await import(new URL('report.js', DIST).href)) as { buildReport: BuildReport };
  const res = await analyzeFile(file, {}, { diagnosisWorker });
  return JSON.stringify(buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: 'test' }, res.diagnosis));
}

const CAPTURES = [...captureFiles('captures').filter((f) => !f.includes('/public/')), ...captureFiles('captures/public')];

describe.skipIf(!built)('diagnosis offload: the same report as the diagnosis in place', () => {
  it.each(CAPTURES)('%s', async (file) => {
    const inPlace = await reportOf(file, false);
    if (file.includes('/diag-')) expect(inPlace).toContain('"diagnosis"');
    expect(await reportOf(file, 16)).toBe(inPlace);
    expect(await reportOf(file, true)).toBe(inPlace);
  });
});
