// `mptcpscope report --html/--json`: the page is self-contained (no script, no external URL), carries the
// summary, sessions, subflows, timeline and three kinds of charts rendered by vega as inline SVG, and loads in
// a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) with no console error and no
// network request, its charts laid out with non-zero size; a screenshot goes to test-results/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, ensureBuilt, lines, runCli } from './helpers/cli.js';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';
import { SeriesCollector } from '../analyze/report-html/series.js';
import { thin } from '../analyze/report-html/charts.js';

const CHROMIUM = '/usr/bin/chromium';
const TWO = 'captures/v1-two-subflows.pcap';
const FOUR = 'captures/v1-four-subflows-addaddr.pcap';
const FALLBACK = 'captures/fallback.pcap';

let dir: string;
let html: string;
let htmlPath: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mptcpscope-report-'));
  htmlPath = join(dir, 'two.html');
  const r = await runCli(['report', TWO, '--html', htmlPath, '--json', join(dir, 'two.json')]);
  if (r.code !== 0) throw new Error(`report failed (${r.code}): ${r.stderr}`);
  html = readFileSync(htmlPath, 'utf8');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report --html / --json', () => {
  it('writes the JSON report, the same as analyze --json', async () => {
    const a = await runCli(['analyze', '--json', TWO]);
    expect(a.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'two.json'), 'utf8'))).toEqual(JSON.parse(a.stdout));
  });

  it('is one self-contained page: inline CSS and SVG, no script, no external URL', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i);
    // The only URLs are the SVG namespace names, which are never fetched.
    const urls = [...html.matchAll(/\b(?:https?|ftp):\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
    expect(html).not.toMatch(/\s(?:src|href)="(?!#)/);
  });

  it('has the summary, the session with keys and verdicts, the subflows and the timeline', async () => {
    const res = await analyzeFile(TWO);
    const rep = buildReport(res.engine, { file: TWO, format: res.format, truncated: res.truncated, version: '0' });
    const s = rep.sessions[0];
    expect(html).toContain('<h2>Capture</h2>');
    expect(html).toContain(`Session 0: MPTCP v${s.version} ${s.subflows[0].client} → ${s.subflows[0].server}`);
    for (const k of [s.client.key, s.client.token, s.server.key, s.server.token, s.data.c2s.sha256, s.data.s2c.sha256]) expect(html).toContain(k!);
    // Addresses never wrap mid-number; the timeline is not cut by a scroll box.
    for (const f of s.subflows) expect(html).toContain(`<td class="mono addr">${f.client}</td>`);
    expect(html).toMatch(/\.addr \{ white-space: nowrap;/);
    expect(html).not.toMatch(/max-height/);
    // The diagnosis: the verdict of each direction at the top of the session.
    const top = html.slice(html.indexOf('<section id="session-0">'), html.indexOf('<h3>Keys and tokens</h3>'));
    expect(top).toContain('<p class="verdict">c2s: ');
    expect(top).toContain('<p class="verdict">s2c: ');
    expect(html).toContain('Timeline of events and findings');
    expect(html).toContain('<code>MP_JOIN_ESTABLISHED</code>');
    expect(html).toContain('no fallback');
  });

  it('has the charts as SVG made by vega: Stevens graph per direction, throughput, reordering delay', () => {
    const svgs = [...html.matchAll(/<svg\b[^>]*class="marks"[^>]*>/g)];
    // Four diagnosis charts (time-sequence per direction, RTT, throughput with the aggregate) before the four others.
    expect(svgs.length).toBe(8);
    for (const t of ['c2s: data-level sequence over time', 's2c: data-level sequence over time', 'throughput per subflow', 'data-level reordering delay distribution',
      'c2s: data-level time-sequence', 's2c: data-level time-sequence', 'in-flow RTT per subflow', 'throughput per subflow and in all']) expect(html).toContain(t);
    // Marks name their packets.
    expect(html).toMatch(/<title>packet \d+: subflow \d, data \d+-\d+<\/title>/);
    expect(html).toContain('DATA_ACK + receive window');
    // Subflows coloured in the legends; ids unique in the page.
    expect(html).toContain('subflow 1');
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists where the holes of an incomplete direction are, as the JSON report gives them', async () => {
    // fastclose.pcap: the server resets the connection mid-transfer, so data the client had not yet sent is missing.
    const page = join(dir, 'fastclose.html');
    const json = join(dir, 'fastclose.json');
    const r = await runCli(['report', 'captures/fastclose.pcap', '--html', page, '--json', json]);
    expect(r.code).toBe(0);
    const got = readFileSync(page, 'utf8');
    const s = JSON.parse(readFileSync(json, 'utf8')).sessions[0];
    for (const dir of ['c2s', 's2c'] as const) {
      const gaps = s.data[dir].gaps as Array<{ offset: number; length: number; reason: string; packets: number[] }>;
      expect(gaps.length).toBeGreaterThan(0);
      expect(got).toContain(`<p>${dir}: ${gaps.length} gap(s)`);
      for (const g of gaps.slice(0, 10)) {
        expect(got).toContain(`<tr><td class="num">${g.offset}</td><td class="num">${g.offset + 1}</td><td class="num">${g.length}</td><td>${g.reason}</td><td class="num">${g.packets.join(', ')}</td></tr>`);
      }
    }
  });

  it('keeps at most --max-points data segments per subflow and direction', async () => {
    const collector = new SeriesCollector(40);
    const res = await analyzeFile(FOUR, {}, { onRecord: collector.onRecord });
    const rep = buildReport(res.engine, { file: FOUR, format: res.format, truncated: res.truncated, version: '0' });
    const ser = collector.result(res.engine).sessions[0];
    for (const dir of ['c2s', 's2c'] as const) {
      const bySubflow = new Map<number, number>();
      for (const p of ser.seq[dir]) bySubflow.set(p.subflow, (bySubflow.get(p.subflow) ?? 0) + 1);
      expect(bySubflow.size).toBe(rep.sessions[0].subflows.length);
      for (const n of bySubflow.values()) expect(n).toBeLessThanOrEqual(40);
      expect(ser.seqTotal[dir]).toBeGreaterThan(ser.seq[dir].length);
      // Offsets lie within the data-level stream.
      const d = rep.sessions[0].data[dir];
      for (const p of ser.seq[dir]) expect(p.offset + p.len).toBeLessThanOrEqual(d.bytes + d.missing);
      expect(ser.reorderCdf[dir].length).toBe(d.reorderDelay.samples > 0 ? 101 : 0);
    }
    // Throughput bins add up to the payload bytes of each subflow and direction.
    for (const t of ser.throughput) {
      const sf = rep.sessions[0].subflows[t.subflow];
      expect(t.bins.reduce((a, b) => a + b, 0)).toBe(sf.payloadBytes[t.dir]);
      expect(t.bins.length).toBeLessThanOrEqual(60);
    }
    expect(thin([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([1, 4, 7]);
  });

  it('charts a fallback session through the TCP sequence numbers', async () => {
    const out = join(dir, 'fallback.html');
    const r = await runCli(['report', FALLBACK, '--html', out]);
    expect(r.code).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('fell back to TCP');
    expect([...page.matchAll(/<svg\b/g)].length).toBeGreaterThanOrEqual(2);
  });

  it('usage and input errors exit 2 with one line; an unwritable output exits 74', async () => {
    const none = await runCli(['report', TWO]);
    expect(none.code).toBe(2);
    expect(lines(none.stderr)).toEqual(['mptcpscope: give --html OUT.html and/or --json OUT.json']);
    const missing = await runCli(['report', join(dir, 'nope.pcap'), '--html', join(dir, 'x.html')]);
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toHaveLength(1);
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
    const unwritable = await runCli(['report', TWO, '--html', join(dir, 'no', 'such', 'dir.html')]);
    expect(unwritable.code).toBe(74);
    expect(lines(unwritable.stderr)).toEqual([expect.stringMatching(/^mptcpscope: cannot write .*dir\.html: no such directory$/)]);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('the page in headless Chromium', () => {
  it('loads with no console error and no network request; the charts are laid out; a screenshot is made', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const url = pathToFileURL(htmlPath).href;
      const requests: string[] = [];
      await context.route('**/*', async (route) => {
        const u = route.request().url();
        if (u === url) return route.continue();
        requests.push(u);
        return route.abort();
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => { if (r.url() !== url) problems.push(`requestfailed: ${r.url()}`); });
      const resp = await page.goto(url, { waitUntil: 'load' });
      expect(resp?.ok() ?? true).toBe(true);
      expect(await page.title()).toBe(`MPTCP report: ${TWO}`);
      const boxes = await page.$$eval('figure svg', (els) => els.map((e) => { const b = e.getBoundingClientRect(); return { w: b.width, h: b.height, marks: e.querySelectorAll('path, line, rect').length }; }));
      expect(boxes).toHaveLength(8);
      for (const b of boxes) {
        expect(b.w).toBeGreaterThan(300);
        expect(b.h).toBeGreaterThan(150);
        expect(b.marks).toBeGreaterThan(10);
      }
      // Text laid out as text (not only in SVG): the subflow table has a row per subflow.
      expect(await page.locator('section#session-0 table').nth(2).locator('tr').count()).toBe(3);
      mkdirSync(join(ROOT, 'test-results'), { recursive: true });
      const shot = join(ROOT, 'test-results', 'report-html.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
      expect(requests).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

if (!existsSync(CHROMIUM)) {
  describe('the page in headless Chromium', () => {
    it.skip(`skipped: ${CHROMIUM} is missing (apt-get install chromium)`, () => undefined);
  });
}
