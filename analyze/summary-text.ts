/** The human-readable summary printed by `analyze`. */
import { Chalk } from 'chalk';
import type { AnalysisReport, DirectionReport, Finding, SessionReport } from './report-types.js';

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
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

export function formatSummary(report: AnalysisReport, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const sevColor = (f: Finding) => (f.severity === 'error' ? c.red : f.severity === 'warning' ? c.yellow : c.cyan);
  const out: string[] = [];
  const cap = report.capture;
  out.push(c.bold(`${cap.file}: ${cap.packets} packets (${cap.tcpPackets} TCP, ${cap.mptcpPackets} with MPTCP options), ${cap.duration.toFixed(3)} s, ${cap.format}`));
  out.push(`${report.sessions.length} MPTCP session(s), ${cap.plainTcpConnections} plain TCP connection(s), ${report.unmatched.length} unmatched subflow(s)`);
  for (const s of report.sessions) out.push('', ...sessionBlock(s, c, sevColor));
  if (report.unmatched.length > 0) {
    out.push('', c.bold('Unmatched subflows (handshake not seen or unknown token)'));
    for (const u of report.unmatched) out.push(`  ${u.endpoints[0]} ↔ ${u.endpoints[1]}: ${u.reason}; ${u.packets} packets (#${u.firstPacket}–#${u.lastPacket}); options ${u.subtypes.join(', ')}`);
  }
  const global = report.findings.filter((f) => f.session === undefined);
  if (global.length > 0) {
    out.push('', c.bold('Findings'));
    for (const f of global) out.push(`  ${sevColor(f)(f.severity.toUpperCase())} ${f.code}: ${f.message}${packetsText(f)}`);
  }
  return out.join('\n') + '\n';
}

function packetsText(f: Finding): string {
  return f.packets.length ? ` (packets ${f.packets.slice(0, 10).join(', ')}${f.packets.length > 10 ? ', …' : ''})` : '';
}

function dirLine(name: string, d: DirectionReport, seconds: number): string {
  const state = d.complete ? `complete, sha256 ${d.sha256}` : `INCOMPLETE: ${d.missing} bytes missing (${d.missingReasons.join(', ')})`;
  let line = `  ${name}: ${bytesText(d.bytes)} (${d.bytes} bytes), ${rate(d.bytes, seconds)}, ${state}`;
  if (d.reinjectedBytes) line += `, ${d.reinjectedBytes} reinjected`;
  if (d.reorderDelay.samples) line += `, reordering p50 ${d.reorderDelay.p50Ms} ms p95 ${d.reorderDelay.p95Ms} ms max ${d.reorderDelay.maxMs} ms`;
  return line;
}

function sessionBlock(s: SessionReport, c: InstanceType<typeof Chalk>, sevColor: (f: Finding) => (t: string) => string): string[] {
  const out: string[] = [];
  const first = s.subflows[0];
  out.push(c.bold(`Session ${s.id}: MPTCP v${s.version} ${first ? `${first.client} → ${first.server}` : ''}${s.fallback ? c.yellow(` FALLBACK (${s.fallbackReason})`) : ''}`));
  if (s.diagnosis) out.push(...verdictLines(s, c));
  out.push(`  client key ${s.client.key ?? '?'} token ${s.client.token ?? '?'}   server key ${s.server.key ?? '?'} token ${s.server.token ?? '?'}`);
  out.push(`  checksums ${s.checksum ? 'on' : 'off'}, ${s.subflows.length} subflow(s), ${s.packets} packets, ${s.duration.toFixed(3)} s`);
  out.push(dirLine('c2s', s.data.c2s, s.duration), dirLine('s2c', s.data.s2c, s.duration));
  const rows = [['#', 'client', 'server', 'ids', 'backup', 'pkts', 'bytes', 'reinj', 'retx', 'rtt ms', 'flow rtt ms', 'hmac', 'end']];
  for (const f of s.subflows) {
    rows.push([
      String(f.id), f.client, f.server, `${f.addressIds.client ?? '?'}/${f.addressIds.server ?? '?'}`, f.backup ? 'yes' : 'no',
      String(f.packets), String(f.bytes), String(f.reinjectedBytes), String(f.retransmissions),
      f.rttMs !== undefined ? f.rttMs.toFixed(3) : '-', f.rtt ? `${f.rtt.p50Ms.toFixed(1)} (p95 ${f.rtt.p95Ms.toFixed(1)})` : '-', f.join ? (f.hmac ?? '-') : 'initial', f.closed + (f.resetReason ? ` (${f.resetReason})` : ''),
    ]);
  }
  out.push(...table(rows).map((l, i) => (i === 0 ? c.dim(`  ${l}`) : `  ${l}`)));
  if (s.events.length > 0) {
    out.push('  timeline:');
    const shown = s.events.slice(0, 40);
    for (const e of shown) {
      const { n, time, type, ...rest } = e;
      const detail = Object.entries(rest).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join(' ');
      out.push(`    #${n} ${time.toFixed(6)} ${type} ${detail}`);
    }
    if (s.events.length > shown.length) out.push(`    … ${s.events.length - shown.length} more events (see --json)`);
  }
  for (const f of s.findings) out.push(`  ${sevColor(f)(f.severity.toUpperCase())} ${f.code}: ${f.message}${packetsText(f)}`);
  for (const f of s.diagnosis?.findings ?? []) out.push(`  ${sevColor(f)(f.severity.toUpperCase())} ${f.code}: ${f.message}${packetsText(f)}`);
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
