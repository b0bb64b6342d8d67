/** Runs `check --pair`: each pair of files is compared, then judged by the pair rules. */
import type { CaptureResult } from '../analyze/check/evaluate.js';
import { inputErrorResult } from '../analyze/check/evaluate.js';
import type { Rules } from '../analyze/check/rules.js';
import { CaptureInputError } from '../dissect/record.js';
import { evaluatePair } from './check-pair.js';
import { compareCaptures } from './compare.js';

export async function checkPairs(files: string[], rules: Rules, strict: boolean, version: string, onWarning: (m: string) => void): Promise<CaptureResult[]> {
  const results: CaptureResult[] = [];
  for (let i = 0; i + 1 < files.length; i += 2) {
    const t0 = performance.now();
    try {
      const { report } = await compareCaptures(files[i], files[i + 1], { version, onWarning });
      results.push(evaluatePair(report, rules, { strict }, (performance.now() - t0) / 1000));
    } catch (err) {
      if (!(err instanceof CaptureInputError)) throw err;
      process.stderr.write(`mptcpscope: ${err.message}\n`);
      results.push(inputErrorResult(`${files[i]} + ${files[i + 1]}`, err.message));
    }
  }
  return results;
}
