import { writeStdout } from './output.js';
import { analyzeFile } from '../analyze/analyze-file.js';
import { fileReport } from '../analyze/report.js';
import { formatSummary } from '../analyze/summary-text.js';
import { warn } from './warn.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { EngineOptions } from '../analyze/engine.js';
import { progressBar } from './progress.js';

export interface AnalyzeOptions {
  json?: boolean;
  output?: string;
  /** Text: dates instead of seconds since the first packet. */
  absolute?: boolean;
  /** Text: DSNs as on the wire instead of relative to the IDSN. */
  absoluteSeq?: boolean;
  color: boolean;
  engine: Partial<EngineOptions>;
  maxRecordBytes?: number;
  version: string;
}

export async function runAnalyze(file: string, opts: AnalyzeOptions): Promise<void> {
  const bar = progressBar(file, 'analyzing');
  const res = await analyzeFile(file, opts.engine, { onWarning: warn, onProgress: bar.onProgress, maxRecordBytes: opts.maxRecordBytes }).finally(bar.done);
  const report = fileReport(res, file, opts.version);
  const text = opts.json ? JSON.stringify(report, null, 2) + '\n' : formatSummary(report, opts.color, { absoluteTime: opts.absolute, absoluteSeq: opts.absoluteSeq });
  if (opts.output) writeFileAtomic(opts.output, text);
  else writeStdout(text);
}
