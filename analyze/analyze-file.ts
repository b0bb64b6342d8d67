/** Runs the analysis engine over a capture file (or stdin). */
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacketInChunk } from '../dissect/decode.js';
import { newDecodedPacket, type DecodedPacket } from '../dissect/packet.js';
import type { PacketObserver } from './packet-analysis.js';
import type { CaptureRecord } from '../dissect/record.js';
import { TimeOrderer } from '../dissect/time-order.js';
import { HashOffload } from './hash-offload.js';
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS, type EngineListener, type EngineOptions } from './engine.js';
import { DiagnosisCollector } from './diagnosis/feed.js';

export interface AnalyzeFileResult {
  engine: AnalysisEngine;
  format: string;
  /** `gzip` when the capture file was compressed. */
  compression?: 'gzip';
  truncated: boolean;
  /** The diagnosis of every session (pass it to buildReport), unless hooks.diagnosis was false. */
  diagnosis?: DiagnosisCollector;
}

export interface AnalyzeHooks {
  listener?: EngineListener;
  onWarning?: (m: string) => void;
  /** Called after each packet was pushed into the engine (in analysis order), with its decoded layers. */
  onRecord?: (rec: CaptureRecord, engine: AnalysisEngine, p: DecodedPacket) => void;
  /** Observes every packet's analysis (engine.observe, analyze/packet-analysis.ts). */
  observer?: PacketObserver;
  /** Bytes of the file read so far. */
  onProgress?: (fileBytesRead: number) => void;
  /** Largest packet record accepted (default 256 KiB, as libpcap). */
  maxRecordBytes?: number;
  /** Diagnose each session (default true). */
  diagnosis?: boolean;
  /** Read a plain file with blocking reads (fleet workers: nothing else waits on the thread). */
  blockingReads?: boolean;
}

export async function analyzeFile(file: string, opts: Partial<EngineOptions> = {}, hooks: AnalyzeHooks = {}): Promise<AnalyzeFileResult> {
  const engine = new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS, ...opts }, hooks.listener);
  if (hooks.observer) engine.observe(hooks.observer);
  // sha256 of the data-level streams runs on a worker thread, beside the analysis.
  const pool = new HashOffload();
  engine.hashOffload = pool;
  try {
    return await run(file, engine, hooks);
  } finally {
    await pool.close();
  }
}

async function run(file: string, engine: AnalysisEngine, hooks: AnalyzeHooks): Promise<AnalyzeFileResult> {
  const p = newDecodedPacket();
  const onRecord = hooks.onRecord;
  const diagnosis = hooks.diagnosis === false ? undefined : new DiagnosisCollector(engine);
  const analyze = (rec: CaptureRecord): void => {
    engine.push(rec, decodePacketInChunk(rec, p));
    if (onRecord) onRecord(rec, engine, p);
  };
  // Files with several interfaces may hold each interface's packets in batches: restore time order.
  let orderer: TimeOrderer | null = null;
  const summary = await readCapture(file, (rec) => {
    if (orderer) orderer.push(rec);
    else analyze(rec);
  }, {
    onWarning: hooks.onWarning,
    onProgress: hooks.onProgress,
    maxRecordBytes: hooks.maxRecordBytes,
    blockingReads: hooks.blockingReads,
    onInterface: (index) => { if (index >= 1 && !orderer) orderer = new TimeOrderer(analyze); },
  });
  (orderer as TimeOrderer | null)?.flush();
  engine.captureTruncated = summary.truncated;
  const late = (orderer as TimeOrderer | null)?.late ?? 0;
  if (late > 0) hooks.onWarning?.(`${late} packets were more than 2 s out of time order across interfaces and were analyzed late`);
  engine.finish();
  await engine.settle();
  return { engine, format: summary.format, compression: summary.compression, truncated: summary.truncated, diagnosis };
}
