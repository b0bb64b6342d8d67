/** Turns the engine's state into the documented JSON report (docs/analyze-json.md). */
import type { AnalysisEngine } from './engine.js';
import type { Conn, Session } from './model.js';
import type { AnalysisReport, DirectionReport, SessionReport, SubflowReport, UnmatchedReport } from './report-types.js';
import type { DiagnosisCollector } from './diagnosis/feed.js';
import type { AnalyzeFileResult } from './analyze-file.js';

export interface CaptureInfo {
  /** The file as given (`-` is stdin). */
  file: string;
  format: string;
  compression?: 'gzip';
  truncated: boolean;
  version: string;
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

function directionReport(engine: AnalysisEngine, s: Session, sdir: 0 | 1): DirectionReport {
  const st = s.streams[sdir];
  const sha256 = st.complete ? st.digest() : undefined;
  const r: DirectionReport = {
    bytes: st.delivered,
    complete: sha256 !== undefined,
    missing: st.missing,
    missingReasons: [...st.missingReasons],
    gaps: st.gaps.map((g) => ({ offset: g.offset, length: g.length, reason: g.reason, packets: [...g.packets] })),
    unmappedBytes: s.unmapped[sdir].bytes,
    dataFin: st.dataFinOffset >= 0,
    open: engine.data.isOpen(s, sdir),
    reinjectedBytes: st.reinjectedBytes,
    duplicateBytes: st.duplicateBytes,
    conflictingBytes: st.conflictBytes,
    reorderedSegments: st.reorderedSegments,
    reorderDelay: {
      samples: st.delays.count,
      p50Ms: round3(st.delays.percentile(50) * 1000),
      p95Ms: round3(st.delays.percentile(95) * 1000),
      maxMs: round3(st.delays.max * 1000),
    },
  };
  if (sha256) r.sha256 = sha256;
  if (st.dataFinOffset >= 0) r.length = st.dataFinOffset;
  if (st.gapsNotListed > 0) r.gapsNotListed = st.gapsNotListed;
  return r;
}

function subflowReport(engine: AnalysisEngine, c: Conn): SubflowReport {
  // Present the subflow in session terms: its client is the session client's host side.
  const swap = c.sessionDirOfDir0 === 1;
  const cd = c.dirs[swap ? 1 : 0];
  const sd = c.dirs[swap ? 0 : 1];
  const r: SubflowReport = {
    id: c.subflowId,
    client: swap ? c.serverText : c.clientText,
    server: swap ? c.clientText : c.serverText,
    join: c.kind === 'join',
    backup: c.dirs[0].backup || c.dirs[1].backup,
    addressIds: c.kind === 'join' ? { client: cd.addressId, server: sd.addressId } : { client: 0, server: 0 },
    handshake: c.handshakeAcked ? 'complete' : c.synSeen ? 'partial' : 'not seen',
    packets: c.packets,
    bytes: c.bytes,
    payloadBytes: { c2s: cd.payloadBytes, s2c: sd.payloadBytes },
    dataBytes: { c2s: cd.dataBytes, s2c: sd.dataBytes },
    reinjectedBytes: cd.reinjectedBytes + sd.reinjectedBytes,
    retransmissions: cd.retransmissions + sd.retransmissions,
    outOfOrder: cd.outOfOrder + sd.outOfOrder,
    start: c.start,
    end: c.end,
    firstPacket: c.firstPacket,
    lastPacket: c.lastPacket,
    closed: c.closed,
  };
  if (c.kind === 'join') {
    r.hmac = engine.joinVerdict(c);
    r.hmacSynAck = c.hmacSynAck;
    r.hmacAck = c.hmacAck;
  }
  if (c.rttMs !== undefined) r.rttMs = round3(c.rttMs);
  if (c.tsRttSamples > 0) r.tsRttMs = { samples: c.tsRttSamples, min: round3(c.tsRttMin), avg: round3(c.tsRttSum / c.tsRttSamples) };
  if (c.resetReason) r.resetReason = c.resetReason;
  return r;
}

function sessionReport(engine: AnalysisEngine, s: Session, diagnosis?: DiagnosisCollector): SessionReport {
  const keys = (side: Session['client']) => {
    const o: { key?: string; token?: string; idsn?: string } = {};
    if (side.key) o.key = side.key;
    if (side.token) o.token = side.token;
    if (side.idsn !== undefined) o.idsn = side.idsn.toString();
    return o;
  };
  const r: SessionReport = {
    id: s.id,
    version: s.version,
    client: keys(s.client),
    server: keys(s.server),
    fallback: s.fallback,
    checksum: s.checksum,
    start: s.start,
    end: s.end,
    duration: round3(s.end - s.start),
    packets: s.packets,
    subflows: s.subflows.map((c) => subflowReport(engine, c)),
    data: { c2s: directionReport(engine, s, 0), s2c: directionReport(engine, s, 1) },
    events: s.events,
    findings: s.findings,
  };
  if (s.fallbackReason) r.fallbackReason = s.fallbackReason;
  const diag = diagnosis?.result(s);
  if (diag) {
    r.diagnosis = diag.diagnosis;
    r.subflows.forEach((f, i) => Object.assign(f, diag.subflows[f.id] ?? diag.subflows[i]));
  }
  return r;
}

function unmatchedReport(c: Conn): UnmatchedReport {
  const r: UnmatchedReport = {
    endpoints: [c.clientText, c.serverText],
    reason: c.unmatchedReason ?? 'unknown',
    packets: c.packets,
    firstPacket: c.firstPacket,
    lastPacket: c.lastPacket,
    subtypes: [...c.subtypes].sort(),
  };
  if (c.joinToken) r.token = c.joinToken;
  return r;
}

/** The capture's format as people read it: `pcap`, `pcapng (gzip)`. */
export function captureFormatText(c: { format: string; compression?: string }): string {
  return c.compression ? `${c.format} (${c.compression})` : c.format;
}

/** Builds the report; call after `engine.finish()` for final data-level figures. */
/** The report of a capture file analyzed by analyzeFile (with its diagnosis, when it ran). */
export function fileReport(res: AnalyzeFileResult, file: string, version: string): AnalysisReport {
  return buildReport(res.engine, { file, format: res.format, compression: res.compression, truncated: res.truncated, version }, res.diagnosis);
}

/** With `diagnosis`, each session gets its diagnosis. */
export function buildReport(engine: AnalysisEngine, info: CaptureInfo, diagnosis?: DiagnosisCollector): AnalysisReport {
  let plain = engine.plainClosed;
  let plainPackets = engine.tracker.plainPackets;
  for (const c of engine.conns.values()) if (c.kind === 'plain') { plain++; plainPackets += c.packets; }
  const start = engine.packets === 0 ? 0 : engine.minTime;
  const end = engine.packets === 0 ? 0 : engine.maxTime;
  return {
    tool: { name: 'mptcpscope', version: info.version },
    capture: {
      file: info.file === '-' ? 'stdin' : info.file,
      format: info.format,
      ...(info.compression ? { compression: info.compression } : {}),
      packets: engine.packets,
      tcpPackets: engine.tcpPackets,
      mptcpPackets: engine.mptcpPackets,
      start,
      end,
      duration: round3(end - start),
      linktypes: [...engine.linktypes].sort((a, b) => a - b),
      truncated: info.truncated,
      tcpConnections: engine.connectionsSeen,
      plainTcpConnections: plain,
      plainTcpPackets: plainPackets,
      unlistedTcpPackets: engine.tracker.droppedPackets + engine.control.unlistedPackets,
    },
    sessions: engine.sessions.map((s) => sessionReport(engine, s, diagnosis)),
    unmatched: engine.unmatched.filter((c) => c.kind === 'unmatched').map(unmatchedReport),
    findings: [...engine.findings, ...engine.sessions.flatMap((s) => s.findings)],
  };
}
