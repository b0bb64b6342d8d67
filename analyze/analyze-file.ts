/** Runs the analysis engine over a capture file (or stdin). */
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import type { CaptureRecord } from '../dissect/record.js';
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS, type EngineListener, type EngineOptions } from './engine.js';

export interface AnalyzeFileResult {
  engine: AnalysisEngine;
  format: string;
  truncated: boolean;
}

export async function analyzeFile(
  file: string,
  opts: Partial<EngineOptions> = {},
  hooks: { listener?: EngineListener; onWarning?: (m: string) => void; onRecord?: (rec: CaptureRecord, engine: AnalysisEngine) => void } = {},
): Promise<AnalyzeFileResult> {
  const engine = new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS, ...opts }, hooks.listener);
  const p = newDecodedPacket();
  const onRecord = hooks.onRecord;
  const summary = await readCapture(file, (rec) => {
    engine.push(rec, decodePacket(rec, p));
    if (onRecord) onRecord(rec, engine);
  }, { onWarning: hooks.onWarning });
  engine.finish();
  return { engine, format: summary.format, truncated: summary.truncated };
}
