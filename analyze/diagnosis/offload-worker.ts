/**
 * The worker thread of the diagnosis offload (offload.ts): replays each batch of records into the session
 * diagnosers, gives the buffer back, and at the end answers with every session's result.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { DiagnosisReplay, RECORD_SLOTS, type SessionMeta } from './replay.js';

interface BatchMessage {
  /** 0: a batch; 1: the last batch, then the results of `metas`. */
  t: 0 | 1;
  b: ArrayBuffer;
  n: number;
  metas?: SessionMeta[];
}

const replay = new DiagnosisReplay();
const back = (workerData as { back: MessagePort }).back;

parentPort!.on('message', (m: BatchMessage) => {
  replay.apply(new Float64Array(m.b, 0, m.n * RECORD_SLOTS), m.n);
  if (m.t === 0) back.postMessage(m.b, [m.b]);
  else parentPort!.postMessage({ results: replay.results(m.metas ?? []) });
});
