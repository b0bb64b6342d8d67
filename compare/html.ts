/**
 * The HTML page of `compare --html`: one-way delay over time per subflow (Vega-Lite rendered to static SVG, as
 * the analysis report does), loss between the points, and the interference list with packet numbers in A and B.
 * Self-contained: inline CSS and SVG, no script, no external URL.
 */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../analyze/report-html/charts.js';
import { esc } from '../analyze/report-html/page.js';
import type { DelaySeries } from './build-report.js';
import type { CompareReport, Direction } from './report-types.js';

const CSS = `
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, sans-serif; color: #1d2430; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-top: 2px solid #d9dee5; padding-top: 10px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #d9dee5; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.sub { color: #5b6472; } figure { margin: 12px 0 20px; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #5b6472; font-size: 12px; } .error { color: #b42318; } .warning { color: #a15c00; } .info { color: #175cd3; }
`;

function delaySpec(series: DelaySeries[], session: number, dir: Direction): TopLevelSpec {
  const values = series.filter((s) => s.session === session && s.dir === dir)
    .flatMap((s) => s.t.map((t, i) => ({ t, ms: s.owdMs[i], subflow: `subflow ${s.subflow}` })));
  return {
    width: 760, height: 240, background: 'white', config: { font: 'sans-serif', view: { stroke: '#ccc' } },
    title: `Session ${session} ${dir}: one-way delay between the captures`,
    data: { values },
    mark: { type: 'point', filled: true, size: 10, opacity: 0.8, aria: false },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time since the first packet of A (s)', scale: { zero: false } },
      y: { field: 'ms', type: 'quantitative', title: 'one-way delay (ms)' },
      color: { field: 'subflow', type: 'nominal', title: 'subflow', scale: { scheme: 'tableau10' } },
    },
  } as TopLevelSpec;
}

function packets(p: number[]): string {
  return p.length ? p.map((n) => `#${n}`).join(' ') : '—';
}

export async function renderCompareHtml(r: CompareReport, series: DelaySeries[]): Promise<string> {
  const sections: string[] = [];
  for (let sid = 0; sid < r.sessions.length; sid++) {
    const s = r.sessions[sid];
    const rows = s.subflows.flatMap((f, fid) => (['c2s', 's2c'] as const).map((dir) => `<tr><td class="num">${fid}</td><td><code>${esc(f.a.client)} → ${esc(f.a.server)}</code></td><td><code>${esc(f.b.client)} → ${esc(f.b.server)}</code></td><td>${dir}</td>` +
      `<td class="num">${f.owdMs[dir].samples}</td><td class="num">${f.owdMs[dir].minMs}</td><td class="num">${f.owdMs[dir].p50Ms}</td><td class="num">${f.owdMs[dir].p95Ms}</td>` +
      `<td class="num">${f.lostBetween[dir]}</td><td class="num">${f.lostRetransmissions[dir]}</td><td class="num">${f.reordered[dir]}</td><td class="num">${f.onlyDownstream[dir]}</td></tr>`)).join('\n');
    const charts: string[] = [];
    for (const dir of ['c2s', 's2c'] as const) {
      if (!series.some((x) => x.session === sid && x.dir === dir && x.t.length > 0)) continue;
      charts.push(`<figure>${await renderSvg(delaySpec(series, sid, dir))}<figcaption>One-way delay of each packet found in both captures, from the capture nearer the sender to the other one, ${dir}.</figcaption></figure>`);
    }
    sections.push(`<h2>Session ${sid}: ${s.kind === 'mptcp' ? 'MPTCP' : 'TCP'} <code>${esc(s.client)} → ${esc(s.server)}</code></h2>
<p class="sub">A session ${s.a ?? 'plain TCP'}, B session ${s.b ?? 'plain TCP'}${s.fallback.a || s.fallback.b ? '; fell back to TCP' : ''}</p>
<table><tr><th>#</th><th>A client → server</th><th>B client → server</th><th>dir</th><th>samples</th><th>owd min ms</th><th>p50 ms</th><th>p95 ms</th><th>lost between</th><th>of which retransmissions</th><th>reordered</th><th>only downstream</th></tr>
${rows}</table>
${charts.join('\n')}`);
  }
  const interference = r.interference.length
    ? `<table><tr><th>kind</th><th>direction</th><th>count</th><th>what</th><th>packets in A</th><th>packets in B</th></tr>
${r.interference.map((x) => `<tr><td>${esc(x.kind)}${x.option ? ` <code>${esc(x.option)}</code>` : ''}</td><td>${x.direction}</td><td class="num">${x.count}</td><td>${esc(x.message)}</td><td><code>${packets(x.packets.a)}</code></td><td><code>${packets(x.packets.b)}</code></td></tr>`).join('\n')}</table>`
    : '<p>None: every packet found in both captures arrived as it was sent.</p>';
  const findings = r.findings.length
    ? `<ul>${r.findings.map((f) => `<li class="${f.severity}"><b>${esc(f.code)}</b>: ${esc(f.message)}</li>`).join('\n')}</ul>`
    : '<p>None.</p>';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="mptcpscope ${esc(r.tool.version)}">
<title>MPTCP comparison: ${esc(r.a.file)} / ${esc(r.b.file)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Two vantage points</h1>
<p class="sub">A: <code>${esc(r.a.file)}</code> (${r.a.packets} packets) — B: <code>${esc(r.b.file)}</code> (${r.b.packets} packets).
${r.clientSide === 'a' ? 'A' : 'B'} is nearer the client (${esc(r.clientSideEvidence)}).${r.clockOffsetMs ? ` B's clock taken as ${r.clockOffsetMs} ms ahead of A's.` : ''}</p>
<h2>Findings</h2>
${findings}
<h2>Interference</h2>
${interference}
${sections.join('\n')}
<footer class="sub">Made by mptcpscope ${esc(r.tool.version)}. Packet numbers count from 1 in each capture, as in Wireshark.</footer>
</body>
</html>
`;
}
