/**
 * Exports one capture into the tables of an export directory: the analysis runs once, `packets` and `options`
 * rows are written in row groups as packets go by, the other tables from the report at the end. Every table's
 * file is written under a temporary name and renamed into place when all are complete, so a re-export
 * replaces the capture's files and a failed one leaves the previous ones.
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { analyzeFile } from '../analyze-file.js';
import { fileReport } from '../report.js';
import type { EngineOptions } from '../engine.js';
import type { AnalysisReport, DirectionReport } from '../report-types.js';
import { CaptureInputError } from '../../dissect/record.js';
import { CliError } from '../../common/cli-error.js';
import { ParquetTable, type Cell } from './parquet-table.js';
import { ParquetFileWriter, fileSha256 } from './parquet-encoder.js';
import { PacketRows } from './packet-rows.js';
import { TABLES, TABLE_NAMES, type TableName } from './tables.js';
import { captureId } from './export-dir.js';

export interface ExportOptions {
  engine: Partial<EngineOptions>;
  version: string;
  onWarning?: (m: string) => void;
  maxRecordBytes?: number;
  /** Rows per row group of `packets` and `options`. */
  rowGroupRows?: number;
}

const ROW_GROUP_ROWS = 128 * 1024;
/** Packet rows handed to the encoder thread at a time (several make one row group). */
const PACKET_CHUNK_ROWS = 16 * 1024;

const micros = (sec: number): number => Math.round(sec * 1e6);
const hexU64 = (hex: string | undefined): bigint | null => (hex === undefined ? null : BigInt(`0x${hex}`));
const hexU32 = (hex: string | undefined): number | null => (hex === undefined ? null : parseInt(hex, 16));
const opt = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function directionCells(d: DirectionReport): Cell[] {
  return [
    d.bytes, d.complete, opt(d.sha256), d.missing, d.missingReasons, d.dataFin, d.reinjectedBytes, d.duplicateBytes, d.conflictingBytes,
    d.reorderedSegments, d.reorderDelay.samples, d.reorderDelay.p50Ms, d.reorderDelay.p95Ms, d.reorderDelay.maxMs,
  ];
}

export async function exportCapture(file: string, dir: string, opts: ExportOptions): Promise<{ packets: number; sessions: number; id: string }> {
  if (file === '-') throw new CaptureInputError('export reads capture files, not standard input (save it to a file first)');
  const id = captureId(file);
  const suffix = `.tmp-${process.pid}-${threadId}`;
  const target = (t: TableName): string => join(dir, t, `${id}.parquet`);
  const temp = (t: TableName): string => join(dir, t, `.${id}.parquet${suffix}`);
  const createdBy = `mptcpscope version ${opts.version}`;
  const open = (t: TableName, rows: number): ParquetTable => new ParquetTable(temp(t), TABLES[t], rows, createdBy);
  const rowGroupRows = opts.rowGroupRows ?? ROW_GROUP_ROWS;
  let packets: ParquetFileWriter | null = null;
  let tables: Partial<Record<TableName, ParquetTable>> = {};
  try {
    const sha = fileSha256(file).catch(() => '');
    packets = new ParquetFileWriter({ path: temp('packets'), createdBy, rowGroupRows, columns: TABLES.packets });
    tables = { options: open('options', rowGroupRows) };
    const rows = new PacketRows(id, packets, tables.options as ParquetTable, Math.min(PACKET_CHUNK_ROWS, rowGroupRows));
    const res = await analyzeFile(file, opts.engine, {
      onWarning: opts.onWarning, maxRecordBytes: opts.maxRecordBytes, diagnosis: false,
      observer: { packet: (p, rec, a) => rows.add(rec, p, a) },
    });
    rows.finish();
    const report = fileReport(res, file, opts.version);
    const big = 1 << 30; // the report tables are small: one row group each
    for (const t of ['captures', 'sessions', 'subflows', 'events', 'findings'] as const) tables[t] = open(t, big);
    fillReportTables(id, file, statSync(file).size, await sha, report, res.engine.firstTime, tables as Record<TableName, ParquetTable>, opts.version);
    const done = [packets.finish(), ...TABLE_NAMES.filter((t) => t !== 'packets').map((t) => (tables[t] as ParquetTable).finish())];
    await Promise.all(done);
    for (const t of TABLE_NAMES) renameSync(temp(t), target(t));
    return { packets: report.capture.packets, sessions: report.sessions.length, id };
  } catch (err) {
    // Every file is closed by the encoder before it is removed.
    await Promise.all([packets?.abort(), ...Object.values(tables).map((t) => t.abort())]);
    for (const t of TABLE_NAMES) rmSync(temp(t), { force: true });
    if (err instanceof CaptureInputError || err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new CliError(`cannot write the export of ${file} in ${dir}: ${code}`, 74);
    throw err;
  }
}

function fillReportTables(id: string, file: string, size: number, sha256: string, r: AnalysisReport, firstTime: number, t: Record<TableName, ParquetTable>, version: string): void {
  const cap = r.capture;
  const empty = cap.packets === 0;
  t.captures.row([
    id, file, resolve(file), cap.format, size, sha256, cap.packets, cap.tcpPackets, cap.mptcpPackets,
    empty ? null : micros(cap.start), empty ? null : micros(cap.end), cap.duration, cap.linktypes, cap.truncated,
    cap.tcpConnections, cap.plainTcpConnections, r.sessions.length, r.unmatched.length, r.findings.length, version,
  ]);
  for (const s of r.sessions) {
    const first = s.subflows[0];
    t.sessions.row([
      id, s.id, s.version, first ? first.client : null, first ? first.server : null,
      hexU64(s.client.key), hexU32(s.client.token), s.client.idsn === undefined ? null : BigInt(s.client.idsn),
      hexU64(s.server.key), hexU32(s.server.token), s.server.idsn === undefined ? null : BigInt(s.server.idsn),
      s.fallback, opt(s.fallbackReason), s.checksum, micros(s.start), micros(s.end), s.duration, s.packets, s.subflows.length,
      s.events.length, s.findings.length, ...directionCells(s.data.c2s), ...directionCells(s.data.s2c),
    ]);
    for (const f of s.subflows) {
      t.subflows.row([
        id, s.id, f.id, f.client, f.server, f.join, opt(f.hmac), opt(f.hmacSynAck), opt(f.hmacAck), f.backup,
        f.addressIds.client, f.addressIds.server, f.handshake, f.packets, f.bytes,
        f.payloadBytes.c2s, f.payloadBytes.s2c, f.dataBytes.c2s, f.dataBytes.s2c, f.reinjectedBytes, f.retransmissions, opt(f.rttMs),
        f.tsRttMs ? f.tsRttMs.samples : null, f.tsRttMs ? f.tsRttMs.min : null, f.tsRttMs ? f.tsRttMs.avg : null,
        micros(f.start), micros(f.end), f.firstPacket, f.lastPacket, f.closed, opt(f.resetReason),
      ]);
    }
    s.events.forEach((e, i) => {
      const { n, time, type, subflow, dir, ...details } = e;
      t.events.row([
        id, s.id, i, n, micros(firstTime + time), time, type, opt(subflow), opt(dir),
        Object.keys(details).length > 0 ? JSON.stringify(details) : null,
      ]);
    });
  }
  r.findings.forEach((f, i) => {
    t.findings.row([id, i, opt(f.session), opt(f.subflow), f.severity, f.code, f.message, f.packets, f.count ?? 1]);
  });
}
