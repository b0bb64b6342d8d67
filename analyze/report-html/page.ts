/** The self-contained HTML page: inline CSS and SVG, no script, no external URL. */
import type { AnalysisReport, DirectionReport, Finding, SessionReport, SubflowReport } from '../report-types.js';
import type { Chart } from './charts.js';
import { captureFormatText } from '../report.js';

const MAX_TIMELINE_ROWS = 1000;

export function esc(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
:root { --fg: #1d2430; --muted: #5b6472; --line: #d9dee5; --bg: #ffffff; --alt: #f6f8fa;
  --err: #b42318; --warn: #a15c00; --info: #175cd3; --ok: #067647; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--alt); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
td.mono { word-break: break-all; max-width: 280px; }
td.addr, .addr { white-space: nowrap; word-break: normal; max-width: none; }
.verdict { margin: 4px 0; padding: 6px 10px; border-left: 4px solid var(--info); background: var(--alt); }
.verdict.bad { border-left-color: var(--warn); }
.kv th { width: 200px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.error { background: var(--err); } .badge.warning { background: var(--warn); }
.badge.info { background: var(--info); } .badge.ok { background: var(--ok); }
.verdicts { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 12px; padding: 0; list-style: none; }
.verdicts li { border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; background: var(--alt); }
figure { margin: 12px 0 20px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; max-width: 760px; }
.scroll { border: 1px solid var(--line); }
.scroll table { margin: 0; }
.scroll th { position: sticky; top: 0; }
tr.finding td { background: #fff7ed; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`;

function badge(sev: string): string {
  return `<span class="badge ${esc(sev)}">${esc(sev)}</span>`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(1)} ${units[i]} (${n} bytes)`;
}

const iso = (t: number): string => (t > 0 ? new Date(t * 1000).toISOString() : '');
const ms = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(3));

function captureSummary(r: AnalysisReport): string {
  const c = r.capture;
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of r.findings) counts[f.severity]++;
  const rows: Array<[string, string]> = [
    ['file', `<code>${esc(c.file)}</code>`],
    ['format', esc(captureFormatText(c)) + (c.truncated ? ' — <strong>truncated</strong> (read to the last complete packet)' : '')],
    ['packets', `${c.packets} (TCP ${c.tcpPackets}, with MPTCP options ${c.mptcpPackets})`],
    ['time', `${esc(iso(c.start))} – ${esc(iso(c.end))} (${c.duration} s)`],
    ['link types', esc(c.linktypes.join(', '))],
    ['TCP connections', `${c.tcpConnections} (plain TCP, never offered MPTCP: ${c.plainTcpConnections})`],
    ['MPTCP sessions', String(r.sessions.length)],
    ['unmatched subflows', String(r.unmatched.length)],
    ['findings', `${badge('error')} ${counts.error} ${badge('warning')} ${counts.warning} ${badge('info')} ${counts.info}`],
  ];
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

function findingsTable(findings: Finding[]): string {
  if (findings.length === 0) return '<p>No findings.</p>';
  const rows = findings.map((f) => `<tr><td>${badge(f.severity)}</td><td><code>${esc(f.code)}</code></td><td>${f.session ?? ''}</td><td>${f.subflow ?? ''}</td>` +
    `<td>${esc(f.message)}${f.count && f.count > 1 ? ` (${f.count} times)` : ''}</td><td class="mono">${esc(f.packets.slice(0, 20).join(', '))}${f.packets.length > 20 ? ', …' : ''}</td></tr>`);
  return `<table><tr><th>severity</th><th>code</th><th>session</th><th>subflow</th><th>message</th><th>packets</th></tr>${rows.join('')}</table>`;
}

function keysTable(s: SessionReport): string {
  const row = (name: string, k: SessionReport['client'], ep: string): string =>
    `<tr><th>${name}</th><td class="addr">${esc(ep)}</td><td class="mono">${esc(k.key ?? '—')}</td><td class="mono">${esc(k.token ?? '—')}</td><td class="mono">${esc(k.idsn ?? '—')}</td></tr>`;
  const f = s.subflows[0];
  return `<table><tr><th></th><th>endpoint</th><th>key</th><th>token</th><th>IDSN</th></tr>${row('client', s.client, f?.client ?? '')}${row('server', s.server, f?.server ?? '')}</table>`;
}

function verdicts(s: SessionReport): string {
  const items: string[] = [];
  const errs = s.findings.filter((f) => f.severity === 'error').length;
  const warns = s.findings.filter((f) => f.severity === 'warning').length;
  items.push(errs ? `${badge('error')} ${errs} error finding(s)` : `${badge('ok')} no error finding`);
  if (warns) items.push(`${badge('warning')} ${warns} warning(s)`);
  items.push(s.fallback ? `${badge('warning')} fell back to TCP: ${esc(s.fallbackReason ?? '')}` : `${badge('ok')} no fallback`);
  items.push(`DSS checksums ${s.checksum ? 'on' : 'off'}`);
  const hm = s.subflows.filter((f) => f.join).map((f) => f.hmac);
  if (hm.length) items.push(hm.includes('invalid') ? `${badge('error')} invalid join HMAC` : hm.every((h) => h === 'valid') ? `${badge('ok')} join HMACs valid` : 'join HMACs partly unverifiable');
  for (const dir of ['c2s', 's2c'] as const) {
    const d = s.data[dir];
    items.push(d.complete ? `${badge('ok')} ${dir} complete` : `${badge('warning')} ${dir} incomplete (${d.missing} bytes missing)`);
  }
  return `<ul class="verdicts">${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

function dataTable(s: SessionReport): string {
  const row = (dir: 'c2s' | 's2c', d: DirectionReport): string =>
    `<tr><th>${dir}</th><td class="num">${esc(bytes(d.bytes))}</td><td>${d.complete ? 'yes' : 'no'}</td><td class="num">${d.missing}${d.missingReasons.length ? ` (${esc(d.missingReasons.join(', '))})` : ''}</td>` +
    `<td>${d.dataFin ? 'yes' : 'no'}</td><td class="num">${d.reinjectedBytes}</td><td class="num">${d.duplicateBytes}</td><td class="num">${d.conflictingBytes}</td>` +
    `<td class="num">${d.reorderedSegments}</td><td class="num">${ms(d.reorderDelay.p50Ms)} / ${ms(d.reorderDelay.p95Ms)} / ${ms(d.reorderDelay.maxMs)}</td><td class="mono">${esc(d.sha256 ?? '—')}</td></tr>`;
  return `<table><tr><th>dir</th><th>bytes</th><th>complete</th><th>missing</th><th>DATA_FIN</th><th>reinjected</th><th>duplicate</th><th>conflicting</th><th>reordered segs</th><th>reorder delay p50/p95/max ms</th><th>sha256</th></tr>` +
    `${row('c2s', s.data.c2s)}${row('s2c', s.data.s2c)}</table>`;
}

/** Gaps listed per incomplete direction (as analyze's text, with the reasons counted): where the holes are. */
const GAPS_SHOWN = 10;
function gapTables(s: SessionReport): string {
  const out: string[] = [];
  for (const dir of ['c2s', 's2c'] as const) {
    const d = s.data[dir];
    if (d.gaps.length === 0) continue;
    const total = d.gaps.length + (d.gapsNotListed ?? 0);
    const byReason = new Map<string, number>();
    for (const g of d.gaps) byReason.set(g.reason, (byReason.get(g.reason) ?? 0) + 1);
    const reasons = [...byReason].map(([r, n]) => `${esc(r)} ${n}`).join(', ');
    const rows = d.gaps.slice(0, GAPS_SHOWN).map((g) => `<tr><td class="num">${g.offset}</td><td class="num">${g.offset + 1}</td><td class="num">${g.length}</td><td>${esc(g.reason)}</td><td class="num">${g.packets.join(', ')}</td></tr>`).join('');
    const rest = total - Math.min(GAPS_SHOWN, d.gaps.length);
    out.push(`<p>${dir}: ${total} gap(s)${d.gapsNotListed ? ` (${d.gaps.length} listed: ${reasons})` : ` (${reasons})`}${rest > 0 ? `; the first ${GAPS_SHOWN}, the rest in the JSON report` : ''}</p>` +
      `<table class="gaps"><tr><th>data offset</th><th>relative DSN</th><th>bytes</th><th>reason</th><th>packets</th></tr>${rows}</table>`);
  }
  return out.join('\n');
}

function subflowTable(subflows: SubflowReport[]): string {
  const rows = subflows.map((f) => `<tr><td class="num">${f.id}</td><td class="mono addr">${esc(f.client)}</td><td class="mono addr">${esc(f.server)}</td>` +
    `<td>${f.addressIds.client ?? '?'}/${f.addressIds.server ?? '?'}</td><td>${f.backup ? 'yes' : 'no'}</td><td>${esc(f.handshake)}</td>` +
    `<td>${f.join ? esc(f.hmac ?? 'unverifiable') : 'initial'}</td><td class="num">${f.packets}</td><td class="num">${f.dataBytes.c2s} / ${f.dataBytes.s2c}</td>` +
    `<td class="num">${f.reinjectedBytes}</td><td class="num">${f.retransmissions}</td><td class="num">${ms(f.rttMs)}</td>` +
    `<td class="num">${f.firstPacket}–${f.lastPacket}</td><td>${esc(f.closed)}${f.resetReason ? ` (${esc(f.resetReason)})` : ''}</td></tr>`);
  return `<table><tr><th>#</th><th>client</th><th>server</th><th>addr ids</th><th>backup</th><th>handshake</th><th>HMAC</th><th>packets</th><th>data bytes c2s / s2c</th>` +
    `<th>reinjected</th><th>retx</th><th>RTT ms</th><th>packets #</th><th>end</th></tr>${rows.join('')}</table>`;
}

function eventDetails(e: Record<string, unknown>): string {
  const skip = new Set(['n', 'time', 'type', 'subflow', 'dir']);
  return Object.entries(e).filter(([k]) => !skip.has(k)).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
}

function timeline(s: SessionReport): string {
  const timeOf = new Map<number, number>();
  for (const e of s.events) if (!timeOf.has(e.n)) timeOf.set(e.n, e.time);
  type Row = { n: number; html: string };
  const rows: Row[] = s.events.map((e) => ({
    n: e.n,
    html: `<tr><td class="num">${e.n}</td><td class="num">${e.time.toFixed(6)}</td><td><code>${esc(e.type)}</code></td><td>${e.subflow ?? ''}</td><td>${e.dir ?? ''}</td><td>${esc(eventDetails(e))}</td></tr>`,
  }));
  for (const f of s.findings) {
    const n = f.packets[0] ?? Number.MAX_SAFE_INTEGER;
    const t = timeOf.get(n);
    rows.push({
      n,
      html: `<tr class="finding"><td class="num">${f.packets[0] ?? ''}</td><td class="num">${t === undefined ? '' : t.toFixed(6)}</td><td>${badge(f.severity)} <code>${esc(f.code)}</code></td><td>${f.subflow ?? ''}</td><td></td><td>${esc(f.message)}</td></tr>`,
    });
  }
  rows.sort((a, b) => a.n - b.n);
  const shown = rows.slice(0, MAX_TIMELINE_ROWS);
  const more = rows.length > shown.length ? `<p>${rows.length - shown.length} more rows not shown.</p>` : '';
  return `<div class="scroll"><table><tr><th>packet</th><th>time (s)</th><th>event / finding</th><th>subflow</th><th>dir</th><th>details</th></tr>${shown.map((r) => r.html).join('')}</table></div>${more}`;
}

function charts(list: Chart[]): string {
  if (list.length === 0) return '<p>No data segments to chart.</p>';
  return list.map((c) => `<figure><figcaption><strong>${esc(c.title)}</strong></figcaption>\n${c.svg}\n<figcaption>${esc(c.caption)}</figcaption></figure>`).join('\n');
}

/** The one-line verdict of each direction, at the top of the session. */
function diagnosisVerdict(s: SessionReport): string {
  const d = s.diagnosis;
  if (!d) return '';
  const bad = d.findings.some((f) => f.severity === 'warning');
  const lines = [d.c2s?.verdict, d.s2c?.verdict].filter((v): v is string => v !== undefined);
  return (lines.length ? lines : [d.verdict]).map((v) => `<p class="verdict${bad ? ' bad' : ''}">${esc(v)}</p>`).join('\n');
}

/** Diagnosis details: per-direction shares, stalls, handovers, in-flow RTT, findings. */
function diagnosisSection(s: SessionReport): string {
  const d = s.diagnosis;
  if (!d) return '';
  const pct = (v: number): string => `${Math.round(v * 100)} %`;
  const dirs = (['c2s', 's2c'] as const).filter((k) => d[k] !== null).map((k) => {
    const x = d[k]!;
    return `<tr><th>${k}</th><td class="num">${x.activeSeconds.toFixed(3)}</td><td class="num">${(x.goodputBps / 1e6).toFixed(3)}</td><td class="num">${pct(x.shares.sending)}</td><td class="num">${pct(x.shares.receiveWindowLimited)}</td><td class="num">${pct(x.shares.senderIdle)}</td><td class="num">${pct(x.shares.stalled)}</td>` +
      `<td class="num">${x.stalls.length + x.stallsNotListed}</td><td class="num">${x.headOfLine.p95Ms.toFixed(1)}</td><td class="num">${x.reinjectedBytes} / ${x.wastedReinjectedBytes}</td></tr>`;
  });
  const shares = `<table><tr><th>dir</th><th>active s</th><th>goodput Mbit/s</th><th>sending</th><th>window-limited</th><th>sender idle</th><th>stalled</th><th>stalls</th><th>reordering wait p95 ms</th><th>reinjected / wasted bytes</th></tr>${dirs.join('')}</table>`;
  const stallRows = (['c2s', 's2c'] as const).flatMap((k) => (d[k]?.stalls ?? []).slice(0, 20).map((st) =>
    `<tr><td>${k}</td><td class="num">${st.start.toFixed(3)}</td><td class="num">${st.end.toFixed(3)}</td><td class="num">${st.durationMs.toFixed(1)}</td><td>${esc(st.cause)}</td><td>${st.subflow ?? ''}</td><td class="mono">${esc(st.packets.join(', '))}</td></tr>`));
  const stalls = stallRows.length ? `<table><tr><th>dir</th><th>start s</th><th>end s</th><th>ms</th><th>cause</th><th>subflow</th><th>packets</th></tr>${stallRows.join('')}</table>` : '<p>No stalls.</p>';
  const ho = d.handovers.length ? `<table><tr><th>dir</th><th>from</th><th>to</th><th>trigger</th><th>last progress s</th><th>resumed s</th><th>latency ms</th><th>packets</th></tr>${d.handovers.map((h) =>
    `<tr><td>${h.dir}</td><td>${h.from}</td><td>${h.to ?? ''}</td><td>${esc(h.trigger)}</td><td class="num">${h.failedAt.toFixed(3)}</td><td class="num">${h.resumedAt?.toFixed(3) ?? ''}</td><td class="num">${h.latencyMs?.toFixed(1) ?? ''}</td><td class="mono">${esc(h.packets.join(', '))}</td></tr>`).join('')}</table>` : '';
  const rtt = `<table><tr><th>#</th><th>client</th><th>in-flow RTT p50 / p95 / min ms</th><th>samples</th><th>share c2s / s2c</th><th>loss events</th><th>timeouts</th><th>failed at s</th></tr>${s.subflows.map((f) =>
    `<tr><td class="num">${f.id}</td><td class="mono addr">${esc(f.client)}</td><td class="num">${f.rtt ? `${f.rtt.p50Ms.toFixed(1)} / ${f.rtt.p95Ms.toFixed(1)} / ${f.rtt.minMs.toFixed(1)}` : '—'}</td><td class="num">${f.rtt?.samples ?? 0}</td>` +
    `<td class="num">${f.share ? `${pct(f.share.c2s)} / ${pct(f.share.s2c)}` : ''}</td><td class="num">${f.lossEvents ?? ''}</td><td class="num">${f.timeouts ?? ''}</td><td class="num">${f.failed !== undefined && f.failed !== null ? f.failed.toFixed(3) : ''}</td></tr>`).join('')}</table>`;
  return `<h3>Diagnosis</h3>\n${shares}\n${rtt}\n${ho}\n<h4>Stalls</h4>\n${stalls}\n<h4>Diagnosis findings</h4>\n${findingsTable(d.findings)}`;
}

function sessionSection(s: SessionReport, sessionCharts: Chart[]): string {
  const f = s.subflows[0];
  return `<section id="session-${s.id}">
<h2>Session ${s.id}: MPTCP v${s.version} ${esc(f?.client ?? '')} → ${esc(f?.server ?? '')}</h2>
<p class="sub">${s.subflows.length} subflow(s), ${s.packets} packets, ${s.duration} s, from ${esc(iso(s.start))}</p>
${diagnosisVerdict(s)}
${verdicts(s)}
<h3>Keys and tokens</h3>
${keysTable(s)}
<h3>Data level</h3>
${dataTable(s)}
${gapTables(s)}
<h3>Subflows</h3>
${subflowTable(s.subflows)}
${diagnosisSection(s)}
<h3>Charts</h3>
${charts(sessionCharts)}
<h3>Timeline of events and findings</h3>
${timeline(s)}
</section>`;
}

function unmatchedTable(r: AnalysisReport): string {
  if (r.unmatched.length === 0) return '';
  const rows = r.unmatched.map((u) => `<tr><td class="mono addr">${esc(u.endpoints[0])}</td><td class="mono addr">${esc(u.endpoints[1])}</td><td>${esc(u.reason)}</td>` +
    `<td class="mono">${esc(u.token ?? '')}</td><td class="num">${u.packets}</td><td class="num">${u.firstPacket}–${u.lastPacket}</td><td>${esc(u.subtypes.join(', '))}</td></tr>`);
  return `<h2>Unmatched subflows</h2><table><tr><th>endpoint</th><th>endpoint</th><th>reason</th><th>token</th><th>packets</th><th>packets #</th><th>MPTCP options</th></tr>${rows.join('')}</table>`;
}

/** The whole page. `chartsBySession` holds the rendered charts of each session, by session id. */
export function renderPage(r: AnalysisReport, chartsBySession: Map<number, Chart[]>): string {
  const nav = r.sessions.length > 1
    ? `<p>Sessions: ${r.sessions.map((s) => `<a href="#session-${s.id}">${s.id}</a>`).join(' · ')}</p>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mptcpscope ${esc(r.tool.version)}">
<title>MPTCP report: ${esc(r.capture.file)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>MPTCP report</h1>
<p class="sub"><code>${esc(r.capture.file)}</code> — mptcpscope ${esc(r.tool.version)}</p>
</header>
<main>
<h2>Capture</h2>
${captureSummary(r)}
${nav}
<h3>Findings</h3>
${findingsTable(r.findings)}
${r.sessions.map((s) => sessionSection(s, chartsBySession.get(s.id) ?? [])).join('\n')}
${unmatchedTable(r)}
</main>
<footer>Made by mptcpscope ${esc(r.tool.version)}. Times are seconds since the first packet of the capture; packet numbers count from 1, as in Wireshark.</footer>
</body>
</html>
`;
}
