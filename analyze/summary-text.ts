/** The human-readable summary printed by `analyze` (and at the end of `live`). */
import { Chalk } from 'chalk';
import type { AnalysisReport, DirectionReport, Finding, SessionEvent, SessionReport, SubflowReport } from './report-types.js';
import { captureFormatText } from './report.js';
import { bytesText } from '../common/size-text.js';
import { dateTimeOfSeconds } from '../dissect/timestamp.js';
import { relativeDsnText } from './relative-dsn.js';

export interface SummaryOptions {
  /** Times as dates (local time, like `tshark -t ad`) instead of seconds since the first packet. */
  absoluteTime?: boolean;
  /** DSNs as sent on the wire instead of relative to the sender's IDSN (first data byte = 1). */
  absoluteSeq?: boolean;
}

type Colors = InstanceType<typeof Chalk>;

/** `1 packet`, `2 packets`. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

function rate(bytes: number, seconds: number): string {
  if (seconds <= 0) return '-';
  const bps = (bytes * 8) / seconds;
  return bps > 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(1)} kbit/s`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
}

export function formatSummary(report: AnalysisReport, color: boolean, opts: SummaryOptions = {}): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const out: string[] = [];
  const cap = report.capture;
  const when = opts.absoluteTime && cap.packets > 0 ? ` from ${dateTimeOfSeconds(cap.start)}` : '';
  out.push(c.bold(`${cap.file}: ${counted(cap.packets, 'packet')} (${cap.tcpPackets} TCP, ${cap.mptcpPackets} with MPTCP options), ${cap.duration.toFixed(3)} s${when}, ${captureFormatText(cap)}`));
  out.push(`${counted(report.sessions.length, 'MPTCP session')}, ${counted(cap.plainTcpConnections, 'plain TCP connection')}, ${counted(report.unmatched.length, 'unmatched subflow')}`);
  for (const s of report.sessions) out.push('', ...sessionBlock(s, cap.start, c, opts));
  if (report.unmatched.length > 0) {
    out.push('', c.bold('Unmatched subflows (handshake not seen or unknown token)'));
    for (const u of report.unmatched) out.push(`  ${u.endpoints[0]} ↔ ${u.endpoints[1]}: ${u.reason}; ${counted(u.packets, 'packet')} (#${u.firstPacket}–#${u.lastPacket}); options ${u.subtypes.join(', ')}`);
  }
  const global = report.findings.filter((f) => f.session === undefined);
  if (global.length > 0) {
    out.push('', c.bold('Findings'));
    for (const f of global) out.push(`  ${findingText(f, c)}`);
  }
  return out.join('\n') + '\n';
}

/** `(packet 52)`, `(packets 17, 19)`, the first ten of many. */
export function packetsText(packets: number[]): string {
  if (packets.length === 0) return '';
  const shown = packets.slice(0, 10).join(', ');
  return ` (${packets.length === 1 ? 'packet' : 'packets'} ${shown}${packets.length > 10 ? `, … ${packets.length} in all` : ''})`;
}

function findingText(f: Finding, c: Colors): string {
  const sev = f.severity === 'error' ? c.red : f.severity === 'warning' ? c.yellow : c.cyan;
  return `${sev(f.severity.toUpperCase())} ${f.code}: ${f.message}${packetsText(f.packets)}`;
}

/**
 * The data-level bytes a direction sent, as far as the capture shows: those rebuilt plus those known to be
 * missing (lost by the capture or cut by snaplen). Rates use this, not what the capture kept.
 */
export function sentBytes(d: DirectionReport): number {
  return d.bytes + d.missing;
}

function dirLine(name: string, d: DirectionReport, seconds: number): string {
  const sent = sentBytes(d);
  let line = `  ${name}: ${sent} bytes${sent >= 1024 ? ` (${bytesText(sent)})` : ''}, ${rate(sent, seconds)}, `;
  line += d.complete ? `complete, sha256 ${d.sha256}` : `INCOMPLETE: ${d.bytes} bytes captured, ${d.missing} bytes missing (${d.missingReasons.join(', ')})`;
  if (d.reinjectedBytes) line += `, ${d.reinjectedBytes} bytes reinjected`;
  if (d.reorderDelay.samples) line += `, reordering delay p50 ${d.reorderDelay.p50Ms} ms p95 ${d.reorderDelay.p95Ms} ms max ${d.reorderDelay.maxMs} ms`;
  if (d.open) line += ', still open at the end of the capture';
  return line;
}

/** The first gaps of a direction with their reason and proving packets. */
function gapLines(d: DirectionReport): string[] {
  const shown = d.gaps.slice(0, 5).map((g) => `    gap at data offset ${g.offset}: ${g.length} bytes, ${g.reason}${g.packets.length ? ` (packet ${g.packets.join(', ')})` : ''}`);
  const more = d.gaps.length - shown.length + (d.gapsNotListed ?? 0);
  if (more > 0) shown.push(`    … ${more} more gaps (see --json)`);
  return shown;
}

/** A join's HMAC verdict and which HMACs it rests on (the third ACK's is checked only when it was captured). */
function hmacText(f: SubflowReport): string {
  const checked = [f.hmacSynAck !== 'unverifiable' ? 'SYN/ACK' : '', f.hmacAck !== 'unverifiable' ? 'ACK' : ''].filter(Boolean).join('+');
  return checked ? `${f.hmac} (${checked})` : (f.hmac ?? '-');
}

/** The subflow table's columns: a header that names its unit, and the cell of a subflow. */
const SUBFLOW_COLUMNS: Array<[string, (f: SubflowReport) => string]> = [
  ['#', (f) => String(f.id)],
  ['client', (f) => f.client],
  ['server', (f) => f.server],
  ['ids', (f) => `${f.addressIds.client ?? '?'}/${f.addressIds.server ?? '?'}`],
  ['backup', (f) => (f.backup ? 'yes' : 'no')],
  ['packets', (f) => String(f.packets)],
  ['c2s bytes', (f) => String(f.payloadBytes.c2s)],
  ['s2c bytes', (f) => String(f.payloadBytes.s2c)],
  ['reinj bytes', (f) => String(f.reinjectedBytes)],
  ['retx segs', (f) => String(f.retransmissions)],
  ['ooo segs', (f) => String(f.outOfOrder)],
  ['hs rtt ms', (f) => (f.rttMs !== undefined ? f.rttMs.toFixed(3) : '-')],
  ['flow rtt ms', (f) => (f.rtt ? `${f.rtt.p50Ms.toFixed(1)} (p95 ${f.rtt.p95Ms.toFixed(1)})` : '-')],
  ['hmac', (f) => (f.join ? hmacText(f) : 'initial')],
  ['end', (f) => f.closed + (f.resetReason ? ` (${f.resetReason})` : '')],
];

function eventLine(e: SessionEvent, s: SessionReport, captureStart: number, opts: SummaryOptions): string {
  const { n, time, type, ...rest } = e;
  const detail = Object.entries(rest).map(([k, v]) => {
    if (k === 'dsn' && !opts.absoluteSeq && typeof v === 'string') return `dsn=${relativeDsnText(s, e, v)}`;
    if (k === 'relativeDsn') return ''; // the dsn above is already shown relative (or as sent with --absolute-seq)
    return `${k}=${Array.isArray(v) ? v.join(',') : v}`;
  }).filter(Boolean).join(' ');
  const t = opts.absoluteTime ? dateTimeOfSeconds(captureStart + time) : time.toFixed(6);
  return `    #${n} ${t} ${type} ${detail}`;
}

function sessionBlock(s: SessionReport, captureStart: number, c: Colors, opts: SummaryOptions): string[] {
  const out: string[] = [];
  const first = s.subflows[0];
  out.push(c.bold(`Session ${s.id}: MPTCP v${s.version} ${first ? `${first.client} → ${first.server}` : ''}${s.fallback ? c.yellow(` FALLBACK (${s.fallbackReason})`) : ''}`));
  if (s.diagnosis) out.push(...verdictLines(s, c));
  out.push(`  client key ${s.client.key ?? '?'} token ${s.client.token ?? '?'}   server key ${s.server.key ?? '?'} token ${s.server.token ?? '?'}`);
  out.push(`  checksums ${s.checksum ? 'on' : 'off'}, ${counted(s.subflows.length, 'subflow')}, ${counted(s.packets, 'packet')}, ${s.duration.toFixed(3)} s`);
  out.push(dirLine('c2s', s.data.c2s, s.duration), ...gapLines(s.data.c2s), dirLine('s2c', s.data.s2c, s.duration), ...gapLines(s.data.s2c));
  const rows = [SUBFLOW_COLUMNS.map(([h]) => h), ...s.subflows.map((f) => SUBFLOW_COLUMNS.map(([, cell]) => cell(f)))];
  out.push(...table(rows).map((l, i) => (i === 0 ? c.dim(`  ${l}`) : `  ${l}`)));
  if (s.events.length > 0) {
    out.push(opts.absoluteTime ? '  timeline:' : '  timeline (s since the first packet):');
    const shown = s.events.slice(0, 40);
    for (const e of shown) out.push(eventLine(e, s, captureStart, opts));
    if (s.events.length > shown.length) out.push(`    … ${counted(s.events.length - shown.length, 'more event')} (see --json)`);
  }
  const diagnosisFindings = s.diagnosis?.findings ?? [];
  if (s.findings.length + diagnosisFindings.length > 0) {
    out.push('  findings:');
    for (const f of [...s.findings, ...diagnosisFindings]) out.push(`    ${findingText(f, c)}`);
  }
  return out;
}

/** The diagnosis at the top of a session: one verdict line per direction, and the handovers. */
function verdictLines(s: SessionReport, c: InstanceType<typeof Chalk>): string[] {
  const d = s.diagnosis!;
  const out: string[] = [];
  for (const dd of [d.c2s, d.s2c]) if (dd) out.push(`  ${c.bold('verdict')} ${dd.verdict}`);
  if (!d.c2s && !d.s2c) out.push(`  ${c.bold('verdict')} ${d.verdict}`);
  for (const h of d.handovers) {
    const took = h.latencyMs !== null ? `, resumed at ${h.resumedAt!.toFixed(3)} s (${h.latencyMs.toFixed(1)} ms)` : '';
    out.push(`  handover ${h.dir}: subflow ${h.from} → ${h.to ?? '?'} (${h.trigger}), last progress ${h.failedAt.toFixed(3)} s${took} (packets ${h.packets.join(', ')})`);
  }
  return out;
}
