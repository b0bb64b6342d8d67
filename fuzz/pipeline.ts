/**
 * The whole mptcpscope pipeline over one in-memory capture, as the CLI runs it: the streaming reader, the
 * dissector (packet JSON, option decoding and text), the analysis engine (with the cross-interface time
 * orderer, as analyzeFile does), the JSON report and the text summary. Used by the fuzzer and the regression
 * replay. Throws whatever the code under test throws, except CaptureInputError, which is the reader's one
 * allowed way to refuse an input; it also throws PipelineInvariantError when a decoded packet breaks one of
 * the dissector's documented bounds (offsets past the captured bytes and the like).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readCaptureStream, type ReadSummary } from '../dissect/capture-reader.js';
import { decodePacket, decodePacketInChunk } from '../dissect/decode.js';
import { newDecodedPacket, type DecodedPacket } from '../dissect/packet.js';
import { packetJson } from '../dissect/packet-json.js';
import { tcpOptionsOf } from '../dissect/tcp-options.js';
import { mptcpFields, mptcpShort } from '../dissect/mptcp-text.js';
import { CaptureInputError, type CaptureRecord } from '../dissect/record.js';
import { TimeOrderer } from '../dissect/time-order.js';
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS } from '../analyze/engine.js';
import { buildReport } from '../analyze/report.js';
import { formatSummary } from '../analyze/summary-text.js';
import { Rng, quickHash } from './rng.js';

export class PipelineInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineInvariantError';
  }
}

export interface PipelineResult {
  /** The reader refused the input with this CaptureInputError message. */
  refused?: string;
  packets: number;
  warnings: number;
  sessions: number;
  /** Bytes of report JSON (so the work cannot be optimised away). */
  reportBytes: number;
}

/**
 * How the capture's bytes are handed to the reader: whole, or in chunks whose sizes follow from the bytes
 * themselves (so a stored crash input replays with the same chunk boundaries).
 */
export function chunkPlan(bytes: Buffer): Buffer[] {
  const h = quickHash(bytes);
  const mode = h % 8;
  if (mode < 3 || bytes.length < 2) return [bytes];
  const chunks: Buffer[] = [];
  // At most ~256 chunks: tiny chunks cost stream overhead per chunk (about 0.1 ms through gunzip) and find
  // nothing more than a few dozen do.
  const min = Math.ceil(bytes.length / 256);
  if (mode === 3) {
    const at = 1 + (h >>> 3) % (bytes.length - 1);
    return [bytes.subarray(0, at), bytes.subarray(at)];
  }
  if (mode === 4) {
    const size = Math.max(min, 1 + ((h >>> 3) % 64));
    for (let p = 0; p < bytes.length; p += size) chunks.push(bytes.subarray(p, p + size));
    return chunks;
  }
  const rng = new Rng(h, 1);
  const max = mode === 5 ? 16 : mode === 6 ? 512 : 8192;
  for (let p = 0; p < bytes.length; ) {
    const n = rng.range(min, Math.max(min, max));
    chunks.push(bytes.subarray(p, p + n));
    p += n;
  }
  return chunks;
}

/** A Readable that yields `chunks` (an async iterator is all the reader uses). */
function chunkStream(chunks: Buffer[]): NodeJS.ReadableStream {
  if (chunks.length === 1 && chunks[0].length > 4096) return Readable.from(chunks, { objectMode: false });
  const it = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next: async (): Promise<IteratorResult<Buffer>> => (i < chunks.length ? { done: false, value: chunks[i++] } : { done: true, value: undefined }),
        return: async (): Promise<IteratorResult<Buffer>> => { i = chunks.length; return { done: true, value: undefined }; },
      };
    },
  };
  return it as unknown as NodeJS.ReadableStream;
}

function fail(rec: CaptureRecord, msg: string): never {
  throw new PipelineInvariantError(`packet ${rec.n}: ${msg}`);
}

/** The dissector's promises about one record and its decoded layers. */
export function checkDecoded(rec: CaptureRecord, p: DecodedPacket): void {
  const n = rec.data.length;
  if (rec.caplen !== n) fail(rec, `caplen ${rec.caplen} differs from data length ${n}`);
  if (!Number.isInteger(rec.tsNsec) || rec.tsNsec < 0 || rec.tsNsec > 999_999_999) fail(rec, `tsNsec ${rec.tsNsec} out of range`);
  if (!Number.isFinite(rec.tsSec)) fail(rec, `tsSec ${rec.tsSec} is not finite`);
  if (p.data !== rec.data) fail(rec, 'decoded data is not the record data');
  if (p.l3Offset > n) fail(rec, `l3Offset ${p.l3Offset} past ${n} captured bytes`);
  if (p.ipVersion !== 0) {
    const alen = p.ipVersion === 6 ? 16 : 4;
    if (p.srcOffset < 0 || p.srcOffset + alen > n) fail(rec, `srcOffset ${p.srcOffset} past ${n} captured bytes`);
    if (p.dstOffset < 0 || p.dstOffset + alen > n) fail(rec, `dstOffset ${p.dstOffset} past ${n} captured bytes`);
    if (p.ipPayloadLength < 0 || !Number.isInteger(p.ipPayloadLength)) fail(rec, `ipPayloadLength ${p.ipPayloadLength}`);
  }
  if (p.isTcp) {
    if (p.tcpOffset < 0 || p.tcpOffset + 20 > n) fail(rec, `tcpOffset ${p.tcpOffset} + 20 past ${n} captured bytes`);
    if (p.tcpHeaderLength < 20 || p.tcpHeaderLength > 60) fail(rec, `tcpHeaderLength ${p.tcpHeaderLength}`);
    if (p.payloadOffset < 0 || p.payloadOffset > n) fail(rec, `payloadOffset ${p.payloadOffset} past ${n} captured bytes`);
    if (p.payloadCaptured < 0 || p.payloadCaptured > n - p.payloadOffset) fail(rec, `payloadCaptured ${p.payloadCaptured} with payloadOffset ${p.payloadOffset} and ${n} bytes`);
    if (p.payloadCaptured > p.payloadLength) fail(rec, `payloadCaptured ${p.payloadCaptured} above payloadLength ${p.payloadLength}`);
    if (p.payloadLength < 0) fail(rec, `payloadLength ${p.payloadLength}`);
  }
}

/** Decoding in place in the reader's chunk gives the same packet as decoding `rec.data`, offsets shifted by `start`. */
export function checkSameInChunk(rec: CaptureRecord, p: DecodedPacket, c: DecodedPacket): void {
  const s = c.start;
  if (c.end - s !== p.end || p.start !== 0) fail(rec, `in-chunk decoding spans ${s}..${c.end}, not ${p.end} bytes`);
  for (let i = 0; i < p.end; i++) if (c.data[s + i] !== p.data[i]) fail(rec, `in-chunk bytes differ at ${i}`);
  const rel = (k: 'l3Offset' | 'srcOffset' | 'dstOffset' | 'tcpOffset' | 'payloadOffset'): number => c[k] - s;
  const same = p.note === c.note && p.ipVersion === c.ipVersion && p.protocol === c.protocol && p.fragment === c.fragment &&
    p.isTcp === c.isTcp && p.ipPayloadLength === c.ipPayloadLength && (p.l3Offset < 0 ? c.l3Offset === -1 : rel('l3Offset') === p.l3Offset) &&
    (p.ipVersion === 0 || (rel('srcOffset') === p.srcOffset && rel('dstOffset') === p.dstOffset)) &&
    (!p.isTcp || (rel('tcpOffset') === p.tcpOffset && rel('payloadOffset') === p.payloadOffset && p.sport === c.sport &&
      p.dport === c.dport && p.seq === c.seq && p.ack === c.ack && p.flags === c.flags && p.win === c.win &&
      p.tcpHeaderLength === c.tcpHeaderLength && p.payloadLength === c.payloadLength && p.payloadCaptured === c.payloadCaptured));
  if (!same) fail(rec, 'in-chunk decoding differs from decoding the record data');
}

/** A report validator for docs/analyze.schema.json under `root`: returns the first problem, or null. */
export function reportValidator(root: string): (report: unknown) => string | null {
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'docs/analyze.schema.json'), 'utf8')) as object);
  return (report) => {
    if (validate(report)) return null;
    const e = validate.errors?.[0];
    return e ? `${e.instancePath || '/'} ${e.message ?? e.keyword}` : 'invalid';
  };
}

export interface PipelineOptions {
  /** Check the dissector's bounds on every packet (default true). */
  check?: boolean;
  /** Chunks to feed (default: chunkPlan(bytes)). */
  chunks?: Buffer[];
  /** Checks the JSON report (as parsed back) against the documented schema. */
  validateReport?: (report: unknown) => string | null;
}

export async function runPipeline(bytes: Buffer, opts: PipelineOptions = {}): Promise<PipelineResult> {
  const check = opts.check ?? true;
  const engine = new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS });
  const pa = newDecodedPacket();
  const pd = newDecodedPacket();
  const pc = newDecodedPacket();
  let warnings = 0;
  let jsonBytes = 0;
  const analyze = (rec: CaptureRecord): void => {
    engine.push(rec, decodePacketInChunk(rec, pa));
  };
  let orderer: TimeOrderer | null = null;
  const onRecord = (rec: CaptureRecord): void => {
    // The dissect verb: layers, packet JSON, every TCP option and the MPTCP text forms.
    decodePacket(rec, pd);
    if (check) {
      checkDecoded(rec, pd);
      checkSameInChunk(rec, pd, decodePacketInChunk(rec, pc));
    }
    jsonBytes += JSON.stringify(packetJson(rec, pd)).length;
    for (const o of tcpOptionsOf(pd)) {
      if (o.mptcp) {
        jsonBytes += mptcpShort(o.mptcp).length;
        for (const [k, v] of mptcpFields(o.mptcp)) jsonBytes += k.length + String(v).length;
      }
    }
    // The analyze verb.
    if (orderer) orderer.push(rec);
    else analyze(rec);
  };
  let summary: ReadSummary;
  try {
    summary = await readCaptureStream(chunkStream(opts.chunks ?? chunkPlan(bytes)), onRecord, {
      onWarning: () => { warnings++; },
      onInterface: (index) => { if (index >= 1 && !orderer) orderer = new TimeOrderer(analyze); },
    });
  } catch (e) {
    if (e instanceof CaptureInputError) return { refused: e.message, packets: engine.packets, warnings, sessions: 0, reportBytes: 0 };
    throw e;
  }
  (orderer as TimeOrderer | null)?.flush();
  engine.finish();
  const report = buildReport(engine, { file: 'fuzz', format: summary.format, truncated: summary.truncated, version: '0' });
  const json = JSON.stringify(report);
  const parsed: unknown = JSON.parse(json);
  const text = formatSummary(report, false);
  if (opts.validateReport) {
    const problem = opts.validateReport(parsed);
    if (problem) throw new PipelineInvariantError(`report does not match docs/analyze.schema.json: ${problem}`);
  }
  return { packets: summary.packets, warnings, sessions: report.sessions.length, reportBytes: json.length + text.length + jsonBytes };
}
