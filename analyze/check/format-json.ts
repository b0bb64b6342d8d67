/** `check --format json`: the results as one JSON object (docs/check.md). */
import { exitCodeOf, summarize, type CaptureResult } from './evaluate.js';

export function formatJson(results: CaptureResult[], info: { version: string; strict: boolean; rulesFile?: string }): string {
  const summary = summarize(results);
  const exitCode = exitCodeOf(results);
  const doc = {
    tool: { name: 'mptcpscope', version: info.version },
    rulesFile: info.rulesFile ?? null,
    strict: info.strict,
    passed: exitCode === 0,
    exitCode,
    summary,
    captures: results,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
