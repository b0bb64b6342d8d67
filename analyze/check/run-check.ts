/** Runs `check` over several captures: analysis (the one engine and report), rules, results in order. */
import { analyzeFile } from '../analyze-file.js';
import { fileReport } from '../report.js';
import type { EngineOptions } from '../engine.js';
import { CaptureInputError } from '../../dissect/record.js';
import { evaluateReport, inputErrorResult, type CaptureResult } from './evaluate.js';
import type { Rules } from './rules.js';
import { PacketRuleCounter } from './packet-rules.js';

export interface CheckRunOptions {
  rules: Rules;
  strict: boolean;
  engine: Partial<EngineOptions>;
  version: string;
  onWarning?: (message: string) => void;
  /** Called for a capture that cannot be read (missing, not a capture): it becomes an error result. */
  onInputError?: (file: string, message: string) => void;
}

export async function checkCaptures(files: string[], opts: CheckRunOptions): Promise<CaptureResult[]> {
  const results: CaptureResult[] = [];
  for (const file of files) {
    const t0 = performance.now();
    try {
      const counter = opts.rules.packets.length > 0 ? new PacketRuleCounter(opts.rules.packets) : null;
      const res = await analyzeFile(file, opts.engine, { onWarning: opts.onWarning, observer: counter ?? undefined, diagnosis: false });
      const report = fileReport(res, file, opts.version);
      results.push(evaluateReport(report, opts.rules, { strict: opts.strict }, (performance.now() - t0) / 1000, counter?.matches));
    } catch (err) {
      if (!(err instanceof CaptureInputError)) throw err;
      opts.onInputError?.(file, err.message);
      results.push(inputErrorResult(file, err.message));
    }
  }
  return results;
}
