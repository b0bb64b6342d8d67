/**
 * One capture's work in a fleet run, the same whether it runs on the main thread (--jobs 1), a worker thread
 * or a child process: a task goes in, a small result comes out (texts and figures, never the engine), so the
 * parent can print results in input order while holding only finished ones.
 */
import { analyzeFile } from '../analyze-file.js';
import { fileReport } from '../report.js';
import { formatSummary } from '../summary-text.js';
import type { EngineOptions } from '../engine.js';
import { CaptureInputError } from '../../dissect/record.js';
import type { Rules } from '../check/rules.js';
import type { CaptureResult } from '../check/evaluate.js';

interface TaskBase { file: string; engine: Partial<EngineOptions>; version: string; maxRecordBytes?: number }

export type FleetTask =
  | (TaskBase & { kind: 'analyze'; json: boolean; color: boolean })
  | (TaskBase & { kind: 'check'; rules: Rules; strict: boolean })
  | (TaskBase & { kind: 'report'; html?: string; json?: string; maxPoints: number })
  | (TaskBase & { kind: 'export'; dir: string; rowGroupRows?: number });

export interface FleetResult {
  file: string;
  /** The capture could not be read (its one-line reason); nothing else is set then. */
  error?: string;
  /** Warnings met while reading, in order. */
  warnings: string[];
  packets: number;
  sessions: number;
  /** analyze: the text block or the one-line JSON report. */
  text?: string;
  /** check: the rules' verdicts. */
  check?: CaptureResult;
}

export async function runTask(task: FleetTask): Promise<FleetResult> {
  const out: FleetResult = { file: task.file, warnings: [], packets: 0, sessions: 0 };
  const onWarning = (m: string): void => { out.warnings.push(m); };
  const t0 = performance.now();
  try {
    if (task.kind === 'export') {
      const { exportCapture } = await import('../export/export-capture.js');
      const r = await exportCapture(task.file, task.dir, { engine: task.engine, version: task.version, onWarning, maxRecordBytes: task.maxRecordBytes, rowGroupRows: task.rowGroupRows });
      out.packets = r.packets;
      out.sessions = r.sessions;
      return out;
    }
    if (task.kind === 'report') {
      const html = task.html ? await import('../report-html/index.js') : undefined;
      const collector = html ? new html.SeriesCollector(task.maxPoints) : undefined;
      const res = await analyzeFile(task.file, task.engine, { onWarning, onRecord: collector?.onRecord, maxRecordBytes: task.maxRecordBytes, blockingReads: true });
      const report = fileReport(res, task.file, task.version);
      const { writeFileAtomic } = await import('../../common/atomic-write.js');
      if (task.json) writeFileAtomic(task.json, `${JSON.stringify(report, null, 2)}\n`);
      if (html && collector && task.html) writeFileAtomic(task.html, await html.renderHtmlReport(report, collector.result(res.engine), (id) => res.diagnosis?.series(id) ?? null));
      out.packets = report.capture.packets;
      out.sessions = report.sessions.length;
      return out;
    }
    // check judges the report's findings without the diagnosis (as run-check does).
    const res = await analyzeFile(task.file, task.engine, { onWarning, maxRecordBytes: task.maxRecordBytes, diagnosis: task.kind === 'analyze', blockingReads: true });
    const report = fileReport(res, task.file, task.version);
    out.packets = report.capture.packets;
    out.sessions = report.sessions.length;
    if (task.kind === 'analyze') {
      out.text = task.json ? `${JSON.stringify(report)}\n` : formatSummary(report, task.color);
    } else {
      const { evaluateReport } = await import('../check/evaluate.js');
      out.check = evaluateReport(report, task.rules, { strict: task.strict }, (performance.now() - t0) / 1000);
    }
    return out;
  } catch (err) {
    if (!(err instanceof CaptureInputError)) throw err;
    return { file: task.file, error: err.message, warnings: out.warnings, packets: 0, sessions: 0 };
  }
}
