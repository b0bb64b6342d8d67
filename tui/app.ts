/**
 * The terminal UI (blessed + blessed-contrib). It owns the screen and the keys; everything it shows comes
 * from the model through the pure view modules, and the model is fed by a CaptureSource, so a file and a live
 * capture share this code. Panes draw only their visible rows.
 */
import blessed from 'blessed';
import contrib from 'blessed-contrib';
import { basename } from 'node:path';
import type { CaptureSource, SourceProgress } from './source.js';
import type { TuiModel } from './model.js';
import { computeLayout, type Layout, type Rect } from './layout.js';
import { ListCursor } from './cursor.js';
import { entryKey, treeEntries, treeRow, type TreeEntry } from './view-sessions.js';
import { findingPacketSeverities, packetHeader, PacketList, packetRow, sameScope, scopeTitle, type PacketScope } from './view-packets.js';
import { detailLines, type DetailLine } from './view-detail.js';
import { parseFilter, type PacketFilter } from './filter.js';
import { chartData } from './view-charts.js';
import { timelineLines } from './view-timeline.js';
import { streamLines } from './view-stream.js';
import { HELP_LINES } from './help.js';

type Pane = 'sessions' | 'packets' | 'detail';
type OverlayKind = 'help' | 'charts' | 'timeline' | 'stream';
type Key = { name?: string; full?: string; ctrl?: boolean; shift?: boolean };

const PANES: Pane[] = ['sessions', 'packets', 'detail'];
const SERIES_COLOURS = ['yellow', 'cyan', 'green', 'magenta', 'red', 'blue', 'white'];
const RENDER_INTERVAL_MS = 100;

interface OverlayLine {
  text: string;
  colour?: string;
  bold?: boolean;
  packet?: number;
}

interface Overlay {
  kind: OverlayKind;
  title: string;
  session: number | null;
  lines: OverlayLine[];
  cursor: ListCursor;
  /** Lines can be selected (timeline): Enter follows the selected line's packet. */
  selectable: boolean;
  charts?: contrib.Widgets.LineElement[];
  /** The charts' legend boxes (beside each chart). */
  legends?: blessed.Widgets.BoxElement[];
  /** Model version and width the lines were made for. */
  filled?: string;
}

const esc = (s: string): string => blessed.escape(s);

function severityColour(sev: string | undefined): string | undefined {
  return sev === 'error' ? 'red' : sev === 'warning' ? 'yellow' : undefined;
}

function progressText(p: SourceProgress, live: boolean): string {
  if (live) return p.done ? 'capture stopped' : 'capturing';
  if (p.done) return 'read';
  if (p.totalBytes) return `reading ${Math.min(99, Math.floor((p.bytes / p.totalBytes) * 100))}%`;
  return 'reading';
}

export interface AppResult {
  exitCode: number;
}

export class TuiApp {
  private readonly screen: blessed.Widgets.Screen;
  private readonly boxes: Record<Pane, blessed.Widgets.BoxElement>;
  private readonly status: blessed.Widgets.BoxElement;
  private readonly overlayBox: blessed.Widgets.BoxElement;
  private layout!: Layout;
  private focus: Pane = 'sessions';
  private overlays: Overlay[] = [];
  /** The filter being typed, or null. */
  private prompt: string | null = null;
  private readonly collapsed = new Set<number>();
  private entries: TreeEntry[] = [];
  /** What the entries were built from: rebuilt only when sessions, subflows or collapsing changed. */
  private entriesKey = '';
  private collapsedVersion = 0;
  private readonly tree = new ListCursor();
  private readonly pkts = new ListCursor();
  private detailTop = 0;
  private hscroll: Record<Pane, number> = { sessions: 0, packets: 0, detail: 0 };
  private scope: PacketScope = { kind: 'all' };
  private scopeChosen = false;
  private filter: PacketFilter | null = null;
  private list: PacketList;
  /** Index position of the packet in the detail pane, or -1. */
  private detailPacket = -1;
  private detailCache: { i: number; version: number; lines: DetailLine[] } | null = null;
  private detailFollows = false;
  /** Packets named by findings, rebuilt when the findings change. */
  private findingPackets = new Map<number, 'error' | 'warning'>();
  private findingKey = '';
  private progress: SourceProgress = { packets: 0, bytes: 0, done: false };
  private message: { text: string; colour?: string; until: number } | null = null;
  private renderTimer: NodeJS.Timeout | null = null;
  private lastTreeCount = -1;
  private done = false;

  constructor(private readonly model: TuiModel, private readonly source: CaptureSource, private readonly onExit: (code: number) => void) {
    this.screen = blessed.screen({ smartCSR: true, fullUnicode: false, warnings: false, title: 'mptcpscope', autoPadding: false });
    const pane = (label: string): blessed.Widgets.BoxElement => blessed.box({
      parent: this.screen, border: { type: 'line' }, label, tags: true, wrap: false,
      style: { border: { fg: 'gray' }, label: { bold: true } },
    });
    this.boxes = { sessions: pane(' Sessions '), packets: pane(' Packets '), detail: pane(' Detail ') };
    this.status = blessed.box({ parent: this.screen, height: 1, tags: true, wrap: false, style: { fg: 'white', bg: 'blue' } });
    this.overlayBox = blessed.box({ parent: this.screen, border: { type: 'line' }, tags: true, wrap: false, hidden: true, style: { border: { fg: 'cyan' }, label: { bold: true } } });
    this.list = new PacketList(model.index, this.scope, null);
    this.relayout();
    this.screen.on('keypress', (ch: string | undefined, key: Key | undefined) => this.onKey(ch, key ?? {}));
    this.screen.on('resize', () => { this.relayout(); this.rebuildCharts(); this.render(); });
  }

  start(): void {
    this.render();
    this.source.start({
      record: (rec) => { if (!this.done) this.model.ingest(rec); },
      batch: (p) => { this.progress = p; this.scheduleRender(); },
      warning: (m) => { if (this.done) return; this.model.warning(m); this.flash(`warning: ${m}`, 'yellow'); },
      end: (r) => {
        // Once the UI is gone, whoever runs it decides what to do with the rest.
        if (this.done) return;
        this.progress = r.progress;
        this.model.finish(r);
        if (r.error) this.flash(`read error: ${r.error.message}`, 'red', 600_000);
        else if (r.truncated) this.flash('the capture is truncated: read up to its last complete packet', 'yellow');
        this.scheduleRender();
      },
    });
  }

  /** Leaves the screen (terminal restored) and reports the exit status. */
  quit(code: number): void {
    if (this.done) return;
    this.done = true;
    this.source.stop();
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.screen.destroy();
    this.onExit(code);
  }

  /** Restores the terminal without reporting (for fatal errors). */
  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.source.stop();
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.screen.destroy();
  }

  // ---- layout and drawing ----

  private relayout(): void {
    const cols = (this.screen.width as number) || 80;
    const rows = (this.screen.height as number) || 24;
    this.layout = computeLayout(cols, rows, this.entries.length);
    this.lastTreeCount = this.entries.length;
    const place = (el: blessed.Widgets.BoxElement, r: Rect): void => {
      el.top = r.top; el.left = r.left; el.width = r.width; el.height = r.height;
    };
    for (const p of PANES) place(this.boxes[p], this.layout[p]);
    place(this.status, this.layout.status);
    place(this.overlayBox, this.layout.overlay);
    this.tree.setHeight(this.layout.sessions.height - 2);
    this.pkts.setHeight(this.layout.packets.height - 3);
  }

  private scheduleRender(): void {
    if (this.renderTimer || this.done) return;
    this.renderTimer = setTimeout(() => { this.renderTimer = null; this.render(); }, RENDER_INTERVAL_MS);
  }

  private render(): void {
    if (this.done) return;
    this.refreshData();
    if (this.entries.length !== this.lastTreeCount && Math.min(this.entries.length, 40) !== Math.min(this.lastTreeCount, 40)) this.relayout();
    for (const p of PANES) this.boxes[p].style.border.fg = p === this.focus && this.overlays.length === 0 ? 'cyan' : 'gray';
    this.drawSessions();
    this.drawPackets();
    this.drawDetail();
    this.drawOverlay();
    this.drawStatus();
    this.screen.render();
  }

  /** Takes in what the model learnt since the last draw. */
  private refreshData(): void {
    const eng = this.model.engine;
    let subflows = 0;
    for (const s of eng.sessions) subflows += s.subflows.length;
    const key = `${eng.sessions.length}/${subflows}/${eng.unmatched.length}/${this.collapsedVersion}`;
    if (key !== this.entriesKey) {
      const before = this.entries[this.tree.pos];
      const keyBefore = before ? entryKey(before) : undefined;
      this.entries = treeEntries(this.model, this.collapsed);
      this.entriesKey = key;
      this.tree.setCount(this.entries.length);
      if (keyBefore) {
        const k = this.entries.findIndex((e) => entryKey(e) === keyBefore);
        if (k >= 0) this.tree.set(k);
      }
    }
    if (!this.scopeChosen && this.scope.kind === 'all' && this.model.engine.sessions.length > 0) {
      this.setScope({ kind: 'session', session: 0 }, false);
    }
    this.list.refresh();
    this.pkts.setCount(this.list.count);
    const fc = this.model.findingCounts;
    const fkey = `${fc.error}/${fc.warning}/${this.model.info.finished}`;
    if (fkey !== this.findingKey) { this.findingKey = fkey; this.findingPackets = findingPacketSeverities(this.model); }
    if (this.detailFollows && this.list.count > 0) this.detailPacket = this.list.at(this.pkts.pos);
    for (const o of this.overlays) if (o.kind === 'timeline' || o.kind === 'stream') this.fillOverlay(o);
  }

  private clip(text: string, width: number, hs = 0): string {
    const t = hs > 0 ? text.slice(hs) : text;
    return t.length > width ? t.slice(0, width) : t.padEnd(width);
  }

  private line(text: string, width: number, opts: { colour?: string; selected?: boolean; focused?: boolean; bold?: boolean; hs?: number }): string {
    let s = esc(this.clip(text, width, opts.hs));
    if (opts.colour) s = `{${opts.colour}-fg}${s}{/${opts.colour}-fg}`;
    if (opts.bold) s = `{bold}${s}{/bold}`;
    if (opts.selected) s = opts.focused ? `{inverse}${s}{/inverse}` : `{underline}${s}{/underline}`;
    return s;
  }

  private drawSessions(): void {
    const box = this.boxes.sessions;
    const w = this.layout.sessions.width - 2;
    const out: string[] = [];
    const end = Math.min(this.entries.length, this.tree.top + this.tree.height);
    for (let k = this.tree.top; k < end; k++) {
      const r = treeRow(this.model, this.entries[k], this.collapsed);
      out.push(this.line(r.text, w, {
        colour: severityColour(r.severity) ?? (r.kind === 'message' ? 'gray' : undefined),
        bold: r.kind === 'session', selected: k === this.tree.pos && r.kind !== 'message', focused: this.focus === 'sessions', hs: this.hscroll.sessions,
      }));
    }
    const eng = this.model.engine;
    box.setLabel(` Sessions (${eng.sessions.length}${eng.unmatched.length ? `, ${eng.unmatched.length} unmatched` : ''}) `);
    box.setContent(out.join('\n'));
  }

  private drawPackets(): void {
    const box = this.boxes.packets;
    const w = this.layout.packets.width - 2;
    const hs = this.hscroll.packets;
    const spans = this.scope.kind === 'all';
    const out: string[] = [this.line(packetHeader(spans), w, { bold: true, hs })];
    const end = Math.min(this.list.count, this.pkts.top + this.pkts.height);
    for (let k = this.pkts.top; k < end; k++) {
      const i = this.list.at(k);
      const row = packetRow(this.model, i, spans);
      const sev = row.severity === 'error' ? 'error' : this.findingPackets.get(this.model.index.n[i]) ?? row.severity;
      out.push(this.line(row.text, w, { colour: severityColour(sev), selected: k === this.pkts.pos, focused: this.focus === 'packets', hs }));
    }
    if (this.list.count === 0) out.push(this.line(this.filter ? `no packet matches the filter '${this.filter.text}'` : this.progress.done ? 'no packets' : 'no packets yet', w, { colour: 'gray' }));
    const filt = this.filter ? ` filter: ${this.filter.text}` : '';
    box.setLabel(` Packets: ${scopeTitle(this.scope)} (${this.list.count})${filt} `);
    box.setContent(out.join('\n'));
  }

  private currentDetail(): DetailLine[] {
    const i = this.detailPacket;
    if (i < 0) return [];
    if (!this.detailCache || this.detailCache.i !== i) this.detailCache = { i, version: this.model.version, lines: detailLines(this.model, i) };
    return this.detailCache.lines;
  }

  private drawDetail(): void {
    const box = this.boxes.detail;
    const w = this.layout.detail.width - 2;
    const h = this.layout.detail.height - 2;
    const lines = this.currentDetail();
    if (this.detailPacket < 0) {
      box.setLabel(' Detail ');
      box.setContent(this.line('Enter on a packet shows its decoded headers and MPTCP options here.', w, { colour: 'gray' }));
      return;
    }
    this.detailTop = Math.max(0, Math.min(this.detailTop, lines.length - h));
    const out: string[] = [];
    for (let k = this.detailTop; k < Math.min(lines.length, this.detailTop + h); k++) {
      const l = lines[k];
      const colour = l.style === 'error' ? 'red' : l.style === 'warning' ? 'yellow' : l.style === 'mptcp' ? 'cyan' : l.style === 'note' ? 'green' : undefined;
      out.push(this.line(`${'  '.repeat(l.depth)}${l.text}`, w, { colour, bold: l.style === 'layer' || l.style === 'mptcp', hs: this.hscroll.detail }));
    }
    box.setLabel(` Detail: packet #${this.model.index.n[this.detailPacket]}${lines.length > h ? ` (${this.detailTop + 1}-${Math.min(lines.length, this.detailTop + h)}/${lines.length})` : ''} `);
    box.setContent(out.join('\n'));
  }

  private drawStatus(): void {
    const w = this.layout.status.width;
    if (this.prompt !== null) {
      const hint = '  (Enter apply, Esc cancel: MP_JOIN sf:1 #10-20 c2s)';
      this.status.setContent(esc(this.clip(`/${this.prompt}_${hint}`, w)));
      return;
    }
    const eng = this.model.engine;
    const fc = this.model.findingCounts;
    const counts = `${eng.packets} pkts  ${eng.sessions.length} sess  ${this.model.subflowCount} sf`;
    const finds = `${fc.error ? ` {red-fg}{bold}${fc.error}E{/bold}{/red-fg}` : ''}${fc.warning ? ` {yellow-fg}${fc.warning}W{/yellow-fg}` : ''}`;
    const findsLen = (fc.error ? ` ${fc.error}E`.length : 0) + (fc.warning ? ` ${fc.warning}W`.length : 0);
    const left = ` ${basename(this.model.info.label)} | ${counts} | ${progressText(this.progress, this.source.live)}`;
    let right: string;
    let rightColour: string | undefined;
    const now = Date.now();
    if (this.message && this.message.until > now) { right = this.message.text; rightColour = this.message.colour; }
    else {
      this.message = null;
      right = this.overlays.length ? 'q:close  j/k:scroll  ?:help' : '?:help  Tab:pane  Enter:open  /:filter  c:charts  t:timeline  s:stream  q:quit';
    }
    const room = w - left.length - findsLen - 3;
    let rtext = right;
    if (rtext.length > room) rtext = room > 8 ? rtext.slice(0, room - 1) + '…' : '';
    const rs = rtext ? ` | ${rightColour ? `{${rightColour}-fg}${esc(rtext)}{/${rightColour}-fg}` : esc(rtext)}` : '';
    const pad = Math.max(0, w - left.length - findsLen - (rtext ? rtext.length + 3 : 0));
    this.status.setContent(`${esc(left)}${finds}${rs}${' '.repeat(pad)}`);
  }

  private flash(text: string, colour?: string, ms = 4000): void {
    this.message = { text, colour, until: Date.now() + ms };
    setTimeout(() => this.scheduleRender(), ms + 10).unref();
    this.scheduleRender();
  }

  // ---- scope, filter, detail ----

  private setScope(scope: PacketScope, chosen = true): void {
    if (chosen) this.scopeChosen = true;
    if (sameScope(scope, this.scope)) return;
    this.scope = scope;
    this.list = new PacketList(this.model.index, scope, this.filter);
    this.pkts.setCount(this.list.count);
    this.pkts.home();
  }

  private setFilter(f: PacketFilter | null): void {
    const keepN = this.list.count > 0 ? this.model.index.n[this.list.at(this.pkts.pos)] : -1;
    this.filter = f;
    this.list = new PacketList(this.model.index, this.scope, f);
    this.pkts.setCount(this.list.count);
    // Stay near the packet that was selected.
    this.pkts.set(keepN >= 0 ? Math.max(0, this.list.rowOfPacket(keepN)) : 0);
  }

  private showDetailAtCursor(): void {
    if (this.list.count === 0) return;
    this.detailPacket = this.list.at(this.pkts.pos);
    this.detailTop = 0;
    this.detailFollows = true;
  }

  /** Selects packet number n in the packets pane and shows its detail. */
  private gotoPacket(n: number): void {
    const i = this.model.index.indexOf(n);
    if (i < 0) { this.flash(`packet #${n} is not in the index`, 'yellow'); return; }
    let row = this.list.rowOfPacket(n);
    if (row < 0 || this.list.at(row) !== i) {
      const s = this.model.index.session[i];
      this.filter = null;
      this.setScope(s >= 0 ? { kind: 'session', session: s } : { kind: 'all' });
      this.list = new PacketList(this.model.index, this.scope, null);
      this.pkts.setCount(this.list.count);
      row = this.list.rowOfPacket(n);
    }
    this.pkts.set(Math.max(0, row));
    this.focus = 'packets';
    this.showDetailAtCursor();
  }

  /** The session the views for "the selected session" use. */
  private selectedSession(): number | null {
    if (this.scope.kind === 'session' || this.scope.kind === 'subflow') return this.scope.session;
    const r = this.entries[this.tree.pos];
    if (r?.session !== undefined) return r.session;
    return this.model.engine.sessions.length > 0 ? 0 : null;
  }

  // ---- overlays ----

  private openOverlay(kind: OverlayKind): void {
    const top = this.overlays[this.overlays.length - 1];
    if (top?.kind === kind) return;
    const session = this.selectedSession();
    const o: Overlay = { kind, title: '', session, lines: [], cursor: new ListCursor(), selectable: kind === 'timeline' };
    this.titleOverlay(o);
    this.overlays.push(o);
    this.fillOverlay(o);
    if (kind === 'timeline') {
      // Start on the first line that points at a packet.
      const first = o.lines.findIndex((l) => l.packet !== undefined);
      if (first >= 0) o.cursor.set(first);
    }
    this.overlayBox.show();
    this.overlayBox.setFront();
    this.rebuildCharts();
  }

  private closeOverlay(): void {
    const o = this.overlays.pop();
    if (o?.charts) for (const c of o.charts) c.destroy();
    if (this.overlays.length === 0) this.overlayBox.hide();
    else this.rebuildCharts();
  }

  private titleOverlay(o: Overlay): void {
    const s = o.session;
    o.title = o.kind === 'help' ? ' Help: keys ' : o.kind === 'charts' ? ` Charts: session ${s ?? '-'} ` : o.kind === 'timeline'
      ? (s === null ? ' Findings and timeline ' : ` Findings and timeline: session ${s} `) : ` Data-level stream: session ${s ?? '-'} `;
  }

  private fillOverlay(o: Overlay): void {
    // Opened before any session was known: take the first one once it is.
    if (o.session === null && o.kind !== 'help' && this.model.engine.sessions.length > 0) {
      o.session = this.selectedSession();
      o.filled = undefined;
      this.titleOverlay(o);
    }
    const width = this.layout.overlay.width - 2;
    const stamp = `${this.model.version}/${width}/${this.layout.overlay.height}`;
    if (o.filled === stamp) return;
    o.filled = stamp;
    if (o.kind === 'help') o.lines = HELP_LINES.map((t) => ({ text: t, bold: /^\S/.test(t) && t !== '' }));
    else if (o.kind === 'timeline') {
      o.lines = timelineLines(this.model, o.session).map((l) => ({ text: l.text, colour: severityColour(l.severity), bold: l.heading, packet: l.packet }));
    } else if (o.kind === 'stream') {
      o.lines = o.session === null ? [{ text: 'No MPTCP session to show.' }]
        : streamLines(this.model, o.session, width).map((l) => ({ text: l.text, colour: l.kind === 'gap' ? 'red' : l.kind === 'note' ? 'gray' : undefined, bold: l.kind === 'heading' }));
    } else o.lines = [];
    o.cursor.setHeight(this.layout.overlay.height - 2);
    o.cursor.setCount(o.lines.length);
  }

  /** (Re)creates the chart widgets of a charts overlay on top (sizes depend on the terminal). */
  private rebuildCharts(): void {
    for (const o of this.overlays) {
      if (o.charts) { for (const c of o.charts) c.destroy(); delete o.charts; }
      if (o.legends) { for (const l of o.legends) l.destroy(); delete o.legends; }
    }
    const o = this.overlays[this.overlays.length - 1];
    if (!o || o.kind !== 'charts') return;
    // No charts until the session has packets: a message instead (drawOverlay retries as data comes).
    if (o.session === null || !chartData(this.model, o.session)) return;
    const inner = { width: this.layout.overlay.width - 2, height: this.layout.overlay.height - 2 };
    const data = chartData(this.model, o.session);
    const verdictRows = Math.min(2, data?.verdict.length ?? 0);
    const h = inner.height - verdictRows;
    const h1 = Math.floor(h / 3);
    const h2 = Math.floor(h / 3);
    // The legend sits in a column of its own, right of the curve, never over it.
    const legendWidth = 14;
    o.legends = [];
    const mk = (top: number, height: number, label: string): contrib.Widgets.LineElement => {
      // Inside the overlay's border (children are placed from the outer edge: the screen has no autoPadding).
      const chart = contrib.line({
        top: 1 + verdictRows + top, left: 1, width: inner.width - legendWidth, height, label, showLegend: false,
        style: { line: 'yellow', text: 'white', baseline: 'white' }, xLabelPadding: 3, xPadding: 5, numYLabels: 4,
        border: { type: 'line' },
      } as contrib.Widgets.LineOptions);
      this.overlayBox.append(chart);
      const legend = blessed.box({ top: 1 + verdictRows + top, left: 1 + inner.width - legendWidth, width: legendWidth, height, tags: true, border: { type: 'line' }, label: ' legend ' });
      this.overlayBox.append(legend);
      o.legends!.push(legend);
      return chart;
    };
    o.charts = [mk(0, h1, ' Throughput per subflow (KiB/s) '), mk(h1, h2, ' Data-level bytes delivered in order (KiB) '),
      mk(h1 + h2, h - h1 - h2, ` Data-level sequence per subflow, ${data?.sequenceDir ?? 'c2s'} (KiB) `)];
    this.updateCharts(o);
  }

  private updateCharts(o: Overlay): void {
    if (!o.charts) return;
    const data = o.session === null ? null : chartData(this.model, o.session);
    if (!data) return;
    const sets = [data.throughput, data.progress, data.sequence];
    o.charts.forEach((chart, k) => {
      const series = sets[k].map((s, j) => ({ title: s.title, x: s.x, y: s.y, style: { line: SERIES_COLOURS[j % SERIES_COLOURS.length] } }));
      o.legends?.[k]?.setContent(series.map((s) => `{${s.style.line}-fg}━━{/} ${s.title}`).join('\n'));
      const max = Math.max(0, ...series.flatMap((s) => s.y));
      // A chart whose values are all zero needs a scale of its own.
      (chart.options as { maxY?: number }).maxY = max > 0 ? undefined : 1;
      chart.setData(series);
    });
    o.title = ` Charts: session ${o.session} (${data.bucketSeconds >= 1 ? data.bucketSeconds.toFixed(0) + ' s' : (data.bucketSeconds * 1000).toFixed(0) + ' ms'} per point; x: seconds since capture start) `;
  }

  private drawOverlay(): void {
    const o = this.overlays[this.overlays.length - 1];
    if (!o) return;
    this.overlayBox.setLabel(o.title);
    if (o.kind === 'charts') {
      this.fillOverlay(o);
      if (!o.charts) this.rebuildCharts();
      if (!o.charts) {
        o.title = ' Charts ';
        this.overlayBox.setLabel(o.title);
        const msg = o.session === null ? 'No MPTCP session in this capture: nothing to chart.' : `Session ${o.session} has no packets yet.`;
        this.overlayBox.setContent(this.line(msg, this.layout.overlay.width - 2, { colour: 'gray' }));
        return;
      }
      this.updateCharts(o);
      this.overlayBox.setLabel(o.title);
      const verdict = o.session === null ? [] : (chartData(this.model, o.session)?.verdict ?? []).slice(0, 2);
      this.overlayBox.setContent(verdict.map((v) => this.line(v, this.layout.overlay.width - 2, { bold: true })).join('\n'));
      return;
    }
    const w = this.layout.overlay.width - 2;
    const out: string[] = [];
    const end = Math.min(o.lines.length, o.cursor.top + o.cursor.height);
    for (let k = o.cursor.top; k < end; k++) {
      const l = o.lines[k];
      out.push(this.line(l.text, w, { colour: l.colour, bold: l.bold, selected: o.selectable && k === o.cursor.pos && l.packet !== undefined, focused: true }));
    }
    this.overlayBox.setContent(out.join('\n'));
  }

  // ---- keys ----

  private onKey(ch: string | undefined, key: Key): void {
    if (this.done) return;
    // Printable keys by their character (blessed names 'G' as 'S-g'), others by blessed's full name.
    const printable = ch !== undefined && ch.length === 1 && ch > ' ' && ch !== '\x7f' && !key.ctrl;
    const name = printable ? ch : key.full ?? key.name ?? ch ?? '';
    if (name === 'C-c') { this.quit(130); return; }
    if (key.name === 'return') return; // blessed also reports it as 'enter'
    if (this.prompt !== null) this.onPromptKey(ch, key);
    else if (this.overlays.length > 0) this.onOverlayKey(ch, name);
    else this.onMainKey(ch, name);
    if (!this.done) this.render();
  }

  private onPromptKey(ch: string | undefined, key: Key): void {
    const name = key.full ?? key.name;
    if (name === 'escape') { this.prompt = null; return; }
    if (name === 'enter') {
      const r = parseFilter(this.prompt ?? '');
      if (!r.ok) { this.flash(r.error, 'red'); this.prompt = null; return; }
      this.prompt = null;
      this.setFilter(r.filter);
      this.focus = 'packets';
      if (r.filter) this.flash(`${this.list.count} packet${this.list.count === 1 ? '' : 's'} match '${r.filter.text}' (q clears the filter)`);
      return;
    }
    if (name === 'backspace') { this.prompt = (this.prompt ?? '').slice(0, -1); return; }
    if (name === 'C-u') { this.prompt = ''; return; }
    if (ch && ch.length === 1 && ch >= ' ' && ch !== '\x7f' && !key.ctrl) this.prompt += ch;
  }

  private onOverlayKey(ch: string | undefined, name: string): void {
    const o = this.overlays[this.overlays.length - 1];
    const c = o.cursor;
    const scrollOnly = !o.selectable;
    const move = (d: number): void => { if (scrollOnly) { c.top = Math.max(0, Math.min(c.top + d, c.count - c.height)); c.pos = c.top; } else c.move(d); };
    switch (name) {
      case 'q': case 'escape': this.closeOverlay(); return;
      case '?': this.openOverlay('help'); return;
      case 'down': case 'j': move(1); return;
      case 'up': case 'k': move(-1); return;
      case 'pagedown': case 'C-f': case 'space': move(c.height - 1); return;
      case 'pageup': case 'C-b': move(-(c.height - 1)); return;
      case 'home': case 'g': if (scrollOnly) { c.top = 0; c.pos = 0; } else c.home(); return;
      case 'end': case 'G': if (scrollOnly) { c.top = Math.max(0, c.count - c.height); c.pos = c.top; } else c.end(); return;
      case 'enter': {
        const l = o.lines[c.pos];
        if (o.selectable && l?.packet !== undefined) {
          while (this.overlays.length) this.closeOverlay();
          this.gotoPacket(l.packet);
        }
        return;
      }
      case 'c': this.openOverlay('charts'); return;
      case 't': this.openOverlay('timeline'); return;
      case 's': this.openOverlay('stream'); return;
      default:
        void ch;
    }
  }

  private onMainKey(ch: string | undefined, name: string): void {
    switch (name) {
      case 'q':
        if (this.filter) { this.setFilter(null); this.flash('filter cleared'); return; }
        this.quit(0);
        return;
      case 'escape':
        if (this.filter) { this.setFilter(null); this.flash('filter cleared'); }
        return;
      case '?': this.openOverlay('help'); return;
      case 'tab': this.focus = PANES[(PANES.indexOf(this.focus) + 1) % PANES.length]; return;
      case 'S-tab': this.focus = PANES[(PANES.indexOf(this.focus) + PANES.length - 1) % PANES.length]; return;
      case '/': this.prompt = this.filter?.text ?? ''; return;
      case 'a': this.setScope({ kind: 'all' }); this.focus = 'packets'; return;
      case 'c': this.openOverlay('charts'); return;
      case 't': case 'f': this.openOverlay('timeline'); return;
      case 's': this.openOverlay('stream'); return;
      case 'C-l': this.screen.realloc(); return;
      default: break;
    }
    if (this.focus === 'sessions') this.onSessionsKey(name);
    else if (this.focus === 'packets') this.onPacketsKey(name);
    else this.onDetailKey(name);
    void ch;
  }

  private moveKeys(c: ListCursor, name: string): boolean {
    switch (name) {
      case 'down': case 'j': c.move(1); return true;
      case 'up': case 'k': c.move(-1); return true;
      case 'pagedown': case 'C-f': c.page(1); return true;
      case 'pageup': case 'C-b': c.page(-1); return true;
      case 'home': case 'g': c.home(); return true;
      case 'end': case 'G': c.end(); return true;
      default: return false;
    }
  }

  private onSessionsKey(name: string): void {
    if (this.moveKeys(this.tree, name)) return;
    const r = this.entries[this.tree.pos];
    if (!r) return;
    const collapse = (id: number, on: boolean): void => {
      if (on === this.collapsed.has(id)) return;
      if (on) this.collapsed.add(id); else this.collapsed.delete(id);
      this.collapsedVersion++;
    };
    switch (name) {
      case 'enter':
        if (r.kind === 'session') this.setScope({ kind: 'session', session: r.session! });
        else if (r.kind === 'subflow') this.setScope({ kind: 'subflow', session: r.session!, subflow: r.subflow! });
        else if (r.kind === 'unmatched') this.setScope({ kind: 'unmatched', unmatched: r.unmatched! });
        else if (r.kind === 'message') this.setScope({ kind: 'all' });
        else return;
        this.focus = 'packets';
        return;
      case 'left': case 'h':
        if (r.kind === 'subflow') { this.tree.set(this.entries.findIndex((x) => x.kind === 'session' && x.session === r.session)); return; }
        if (r.kind === 'session') collapse(r.session!, true);
        return;
      case 'right': case 'l':
        if (r.kind === 'session') collapse(r.session!, false);
        return;
      case 'space':
        if (r.kind === 'session') collapse(r.session!, !this.collapsed.has(r.session!));
        return;
      default:
    }
  }

  private onPacketsKey(name: string): void {
    if (this.moveKeys(this.pkts, name)) {
      if (this.detailFollows) this.showDetailAtCursor();
      return;
    }
    switch (name) {
      case 'enter': this.showDetailAtCursor(); return;
      case 'left': case 'h': this.hscroll.packets = Math.max(0, this.hscroll.packets - 8); return;
      case 'right': case 'l': this.hscroll.packets += 8; return;
      default:
    }
  }

  private onDetailKey(name: string): void {
    const h = this.layout.detail.height - 2;
    const n = this.currentDetail().length;
    switch (name) {
      case 'down': case 'j': this.detailTop++; break;
      case 'up': case 'k': this.detailTop--; break;
      case 'pagedown': case 'C-f': this.detailTop += h - 1; break;
      case 'pageup': case 'C-b': this.detailTop -= h - 1; break;
      case 'home': case 'g': this.detailTop = 0; break;
      case 'end': case 'G': this.detailTop = n; break;
      case 'left': case 'h': this.hscroll.detail = Math.max(0, this.hscroll.detail - 8); break;
      case 'right': case 'l': this.hscroll.detail += 8; break;
      default:
    }
    this.detailTop = Math.max(0, Math.min(this.detailTop, n - h));
  }
}
