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
import { computeLayout, MIN_COLS, MIN_ROWS, type Layout, type PaneName, type Rect } from './layout.js';
import { ListCursor } from './cursor.js';
import { entryKey, treeEntries, treeRow, type TreeEntry } from './view-sessions.js';
import { findingPacketSeverities, NUMBER_COLUMN, packetHeader, PacketList, packetRow, sameScope, scopeTitle, type PacketScope } from './view-packets.js';
import { detailLines, type DetailLine } from './view-detail.js';
import { parseTuiFilter, type PacketFilter } from './display-filter.js';
import { chartData } from './view-charts.js';
import { timelineLines } from './view-timeline.js';
import { summaryLines } from './view-summary.js';
import { HELP_LINES } from './help.js';
import { hexDumpLines, PacketBytesReader, type PacketBytes } from './packet-bytes.js';
import { savePackets } from './save-packets.js';
import { pageLines, previousPageStart, PreviewStreams, SpooledStreams, type FollowMode, type StreamPages } from './stream-pages.js';
import { terminalGone } from '../common/terminal.js';

type Pane = PaneName;
type OverlayKind = 'help' | 'charts' | 'timeline' | 'stream' | 'summary';
type Key = { name?: string; full?: string; ctrl?: boolean; shift?: boolean };
type PromptKind = 'filter' | 'goto' | 'find' | 'save' | 'export';

const PANES: Pane[] = ['sessions', 'packets', 'detail', 'bytes'];
const SERIES_COLOURS = ['yellow', 'cyan', 'green', 'magenta', 'red', 'blue', 'white'];
const RENDER_INTERVAL_MS = 100;
/** Border colours: never black or "gray" (which 8-colour terminals draw as black, unreadable on dark ones). */
const BORDER = 'white';
const BORDER_FOCUSED = 'cyan';

const PROMPTS: Record<PromptKind, { label: string; hint: string }> = {
  filter: { label: '/', hint: '(a display filter, e.g. tcp.options.mptcp.subtype == 1, or MP_JOIN sf:1 #10-20 c2s; Enter apply, Esc cancel)' },
  goto: { label: 'go to packet: ', hint: '(a packet number; Enter go, Esc cancel)' },
  find: { label: 'find: ', hint: '(a display filter or shortcuts; Enter finds the next match, then n / N)' },
  save: { label: 'save listed packets to: ', hint: '(a .pcapng file name; Enter writes, Esc cancels)' },
  export: { label: 'save direction to: ', hint: '(a file name; Enter writes, Esc cancels)' },
};

interface OverlayLine {
  text: string;
  colour?: string;
  bold?: boolean;
  packet?: number;
}

interface FollowState {
  pages: StreamPages | null;
  loading: boolean;
  error?: string;
  dir: 0 | 1;
  mode: FollowMode;
  /** Byte position of the first byte shown, and just after the last. */
  top: number;
  next: number;
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
  legends?: blessed.Widgets.BoxElement[];
  follow?: FollowState;
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

/** Lines cut to `width` with the rest on continuation lines (indented like the line, plus two). */
export function wrapLine(text: string, width: number): string[] {
  if (text.length <= width || width < 12) return [text];
  const indent = ' '.repeat(Math.min(width - 8, (/^\s*/.exec(text)?.[0].length ?? 0) + 2));
  const out: string[] = [];
  let rest = text;
  let first = true;
  while (rest.length > 0) {
    const room = first ? width : width - indent.length;
    if (rest.length <= room) { out.push((first ? '' : indent) + rest); break; }
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= room / 3) cut = room;
    out.push((first ? '' : indent) + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    first = false;
  }
  return out;
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
  private zoom: Pane | null = null;
  private overlays: Overlay[] = [];
  /** The line being typed, or null. */
  private prompt: { kind: PromptKind; text: string } | null = null;
  private readonly collapsed = new Set<number>();
  private entries: TreeEntry[] = [];
  /** What the entries were built from: rebuilt only when sessions, subflows or collapsing changed. */
  private entriesKey = '';
  private collapsedVersion = 0;
  private readonly tree = new ListCursor();
  private readonly pkts = new ListCursor();
  private detailTop = 0;
  /** Selected line of the detail pane (its bytes are highlighted in the bytes pane), or -1. */
  private detailSel = -1;
  private bytesTop = 0;
  private hscroll: Record<Pane, number> = { sessions: 0, packets: 0, detail: 0, bytes: 0 };
  /** Longest line last drawn per pane: sideways scrolling stops there. */
  private widest: Record<Pane, number> = { sessions: 0, packets: 0, detail: 0, bytes: 0 };
  private scope: PacketScope = { kind: 'all' };
  private scopeChosen = false;
  private filter: PacketFilter | null = null;
  private find: PacketFilter | null = null;
  private list: PacketList;
  /** Index position of the packet in the detail pane, or -1. */
  private detailPacket = -1;
  private detailCache: { i: number; version: number; lines: DetailLine[] } | null = null;
  /** The detail (and bytes) follow the packet cursor. */
  private detailFollows = true;
  private readonly bytesReader: PacketBytesReader;
  private bytesCache: { i: number; b: PacketBytes } | null = null;
  /** Packets named by findings, rebuilt when the findings change. */
  private findingPackets = new Map<number, 'error' | 'warning'>();
  private findingKey = '';
  private progress: SourceProgress = { packets: 0, bytes: 0, done: false };
  private message: { text: string; colour?: string; until: number } | null = null;
  private renderTimer: NodeJS.Timeout | null = null;
  private lastTreeCount = -1;
  private done = false;

  constructor(private readonly model: TuiModel, private readonly source: CaptureSource, private readonly onExit: (code: number) => void, initialFilter: string | null = null) {
    this.screen = blessed.screen({ smartCSR: true, fullUnicode: false, warnings: false, title: 'mptcpscope', autoPadding: false });
    const pane = (label: string): blessed.Widgets.BoxElement => blessed.box({
      parent: this.screen, border: { type: 'line' }, label, tags: true, wrap: false,
      style: { border: { fg: BORDER }, label: { bold: true } },
    });
    this.boxes = { sessions: pane(' Sessions '), packets: pane(' Packets '), detail: pane(' Detail '), bytes: pane(' Bytes ') };
    this.status = blessed.box({ parent: this.screen, height: 1, tags: true, wrap: false, style: { fg: 'white', bg: 'blue' } });
    this.overlayBox = blessed.box({ parent: this.screen, border: { type: 'line' }, tags: true, wrap: false, hidden: true, style: { border: { fg: BORDER_FOCUSED }, label: { bold: true } } });
    this.bytesReader = new PacketBytesReader((source as { path?: string }).path ?? null);
    // -Y EXPR: the display filter the list starts with (checked by the caller before the screen was taken).
    if (initialFilter) {
      const r = parseTuiFilter(initialFilter, model, this.bytesReader);
      if (r.ok) this.filter = r.filter;
    }
    this.list = new PacketList(model.index, this.scope, this.filter);
    this.relayout();
    this.screen.on('keypress', (ch: string | undefined, key: Key | undefined) => this.onKey(ch, key ?? {}));
    this.screen.on('resize', () => { this.relayout(); this.rebuildCharts(); this.render(); });
  }

  start(): void {
    this.render();
    this.source.start({
      // Records keep going into the model after the UI is gone (a live capture still drains into it).
      record: (rec) => this.model.ingest(rec),
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

  private release(): void {
    this.done = true;
    this.source.stop();
    if (this.renderTimer) clearTimeout(this.renderTimer);
    for (const o of this.overlays) o.follow?.pages?.close();
    this.bytesReader.close();
  }

  /** Leaves the screen (terminal restored) and reports the exit status. */
  quit(code: number): void {
    if (this.done) return;
    this.release();
    if (!terminalGone()) this.screen.destroy();
    this.onExit(code);
  }

  /** The terminal is gone: stop without drawing or restoring anything (both would fail), then report. */
  hangup(code: number): void {
    if (this.done) return;
    this.release();
    this.onExit(code);
  }

  /** Restores the terminal without reporting (for fatal errors). */
  destroy(): void {
    if (this.done) return;
    this.release();
    if (!terminalGone()) this.screen.destroy();
  }

  // ---- layout and drawing ----

  private relayout(): void {
    const cols = (this.screen.width as number) || 80;
    const rows = (this.screen.height as number) || 24;
    this.layout = computeLayout(cols, rows, this.entries.length, this.zoom);
    this.lastTreeCount = this.entries.length;
    const place = (el: blessed.Widgets.BoxElement, r: Rect): void => {
      el.top = r.top; el.left = r.left; el.width = Math.max(1, r.width); el.height = Math.max(1, r.height);
      if (r.height === 0 || this.layout.tooSmall) el.hide(); else el.show();
    };
    for (const p of PANES) place(this.boxes[p], this.layout[p]);
    this.status.top = this.layout.tooSmall ? 0 : this.layout.status.top;
    this.status.left = 0; this.status.width = this.layout.status.width; this.status.height = 1;
    const o = this.layout.overlay;
    this.overlayBox.top = o.top; this.overlayBox.left = o.left; this.overlayBox.width = o.width; this.overlayBox.height = o.height;
    this.tree.setHeight(this.layout.sessions.height - 2);
    this.pkts.setHeight(this.layout.packets.height - 3);
  }

  private scheduleRender(): void {
    if (this.renderTimer || this.done) return;
    this.renderTimer = setTimeout(() => { this.renderTimer = null; this.render(); }, RENDER_INTERVAL_MS);
  }

  private render(): void {
    if (this.done || terminalGone()) return;
    this.refreshData();
    if (this.layout.tooSmall) {
      this.overlayBox.hide();
      const cols = (this.screen.width as number) || 0;
      const rows = (this.screen.height as number) || 0;
      this.status.setContent(esc(this.clip(`terminal too small (${cols}x${rows}): needs ${MIN_COLS}x${MIN_ROWS}; q quits`, this.layout.status.width)));
      this.screen.render();
      return;
    }
    if (this.entries.length !== this.lastTreeCount && Math.min(this.entries.length, 40) !== Math.min(this.lastTreeCount, 40)) this.relayout();
    for (const p of PANES) this.boxes[p].style.border.fg = p === this.focus && this.overlays.length === 0 ? BORDER_FOCUSED : BORDER;
    if (this.layout.sessions.height > 0) this.drawSessions();
    if (this.layout.packets.height > 0) this.drawPackets();
    if (this.layout.detail.height > 0) this.drawDetail();
    if (this.layout.bytes.height > 0) this.drawBytes();
    if (this.overlays.length) this.overlayBox.show();
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
    // Live capture: with the cursor on the last row the list follows new packets (Wireshark's auto-scroll).
    const follow = this.source.live && this.pkts.pos >= this.list.count - 1;
    this.list.refresh();
    this.pkts.setCount(this.list.count);
    if (follow) this.pkts.end();
    const fc = this.model.findingCounts;
    const fkey = `${fc.error}/${fc.warning}/${this.model.info.finished}`;
    if (fkey !== this.findingKey) { this.findingKey = fkey; this.findingPackets = findingPacketSeverities(this.model); }
    if (this.detailFollows && this.list.count > 0) this.setDetailPacket(this.list.at(this.pkts.pos));
    for (const o of this.overlays) if (o.kind === 'timeline' || o.kind === 'summary') this.fillOverlay(o);
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

  /** Sideways scroll of a pane, kept within its widest line. */
  private hs(p: Pane, width: number): number {
    const max = Math.max(0, this.widest[p] - width);
    if (this.hscroll[p] > max) this.hscroll[p] = max;
    return this.hscroll[p];
  }

  private drawSessions(): void {
    const box = this.boxes.sessions;
    const w = this.layout.sessions.width - 2;
    const out: string[] = [];
    const end = Math.min(this.entries.length, this.tree.top + this.tree.height);
    const rows = [];
    for (let k = this.tree.top; k < end; k++) rows.push(treeRow(this.model, this.entries[k], this.collapsed));
    this.widest.sessions = Math.max(0, ...rows.map((r) => r.text.length));
    const hs = this.hs('sessions', w);
    rows.forEach((r, j) => {
      const k = this.tree.top + j;
      out.push(this.line(r.text, w, {
        colour: severityColour(r.severity),
        bold: r.kind === 'session', selected: k === this.tree.pos && r.kind !== 'message', focused: this.focus === 'sessions', hs,
      }));
    });
    const eng = this.model.engine;
    box.setLabel(` Sessions (${eng.sessions.length}${eng.unmatched.length ? `, ${eng.unmatched.length} unmatched` : ''}) `);
    box.setContent(out.join('\n'));
  }

  private drawPackets(): void {
    const box = this.boxes.packets;
    const w = this.layout.packets.width - 2;
    const spans = this.scope.kind === 'all';
    const header = packetHeader(spans);
    const end = Math.min(this.list.count, this.pkts.top + this.pkts.height);
    const rows: Array<{ text: string; sev?: string }> = [];
    for (let k = this.pkts.top; k < end; k++) {
      const i = this.list.at(k);
      const row = packetRow(this.model, i, spans);
      rows.push({ text: row.text, sev: row.severity === 'error' ? 'error' : this.findingPackets.get(this.model.index.n[i]) ?? row.severity });
    }
    this.widest.packets = Math.max(header.length, ...rows.map((r) => r.text.length));
    const hs = this.hs('packets', w);
    // The No. column stays in place; the rest scrolls sideways.
    const shift = (t: string): string => (hs > 0 ? t.slice(0, NUMBER_COLUMN) + t.slice(NUMBER_COLUMN + hs) : t);
    const out: string[] = [this.line(shift(header), w, { bold: true })];
    rows.forEach((r, j) => {
      out.push(this.line(shift(r.text), w, { colour: severityColour(r.sev), selected: this.pkts.top + j === this.pkts.pos, focused: this.focus === 'packets' }));
    });
    if (this.list.count === 0) out.push(this.line(this.filter ? `no packet matches the filter '${this.filter.text}'` : this.progress.done ? 'no packets' : 'no packets yet', w, {}));
    const filt = this.filter ? ` filter: ${this.filter.text}` : '';
    box.setLabel(` Packets: ${scopeTitle(this.scope)} (${this.list.count})${filt}${hs ? ` →${hs}` : ''} `);
    box.setContent(out.join('\n'));
  }

  private setDetailPacket(i: number): void {
    if (i === this.detailPacket) return;
    this.detailPacket = i;
    this.detailTop = 0;
    this.detailSel = -1;
    this.bytesTop = 0;
  }

  private currentBytes(): PacketBytes | null {
    const i = this.detailPacket;
    if (i < 0) return null;
    if (!this.bytesCache || this.bytesCache.i !== i) this.bytesCache = { i, b: this.bytesReader.read(this.model.index, i) };
    return this.bytesCache.b;
  }

  private currentDetail(): DetailLine[] {
    const i = this.detailPacket;
    if (i < 0) return [];
    if (!this.detailCache || this.detailCache.i !== i || (this.detailCache.version !== this.model.version && !this.model.info.finished)) {
      const b = this.currentBytes();
      this.detailCache = { i, version: this.model.version, lines: detailLines(this.model, i, b && b.complete ? b.bytes : null) };
    }
    return this.detailCache.lines;
  }

  private drawDetail(): void {
    const box = this.boxes.detail;
    const w = this.layout.detail.width - 2;
    const h = this.layout.detail.height - 2;
    const lines = this.currentDetail();
    if (this.detailPacket < 0) {
      box.setLabel(' Detail ');
      box.setContent(this.line('The packet under the cursor, decoded, with what the analysis says about it.', w, {}));
      return;
    }
    if (this.detailSel >= lines.length) this.detailSel = lines.length - 1;
    if (this.detailSel >= 0) {
      if (this.detailSel < this.detailTop) this.detailTop = this.detailSel;
      if (this.detailSel >= this.detailTop + h) this.detailTop = this.detailSel - h + 1;
    }
    this.detailTop = Math.max(0, Math.min(this.detailTop, lines.length - h));
    const texts = lines.map((l) => `${'  '.repeat(l.depth)}${l.text}`);
    this.widest.detail = Math.max(0, ...texts.map((t) => t.length));
    const hs = this.hs('detail', w);
    const out: string[] = [];
    for (let k = this.detailTop; k < Math.min(lines.length, this.detailTop + h); k++) {
      const l = lines[k];
      const colour = l.style === 'error' ? 'red' : l.style === 'warning' ? 'yellow' : l.style === 'mptcp' ? 'cyan' : l.style === 'note' ? 'green' : undefined;
      out.push(this.line(texts[k], w, { colour, bold: l.style === 'layer' || l.style === 'mptcp', hs, selected: k === this.detailSel, focused: this.focus === 'detail' }));
    }
    box.setLabel(` Detail: packet #${this.model.index.n[this.detailPacket]}${lines.length > h ? ` (${this.detailTop + 1}-${Math.min(lines.length, this.detailTop + h)}/${lines.length})` : ''} `);
    box.setContent(out.join('\n'));
  }

  private drawBytes(): void {
    const box = this.boxes.bytes;
    const w = this.layout.bytes.width - 2;
    const h = this.layout.bytes.height - 2;
    const b = this.currentBytes();
    if (!b) {
      box.setLabel(' Bytes ');
      box.setContent(this.line('The bytes of the packet under the cursor, as captured.', w, {}));
      return;
    }
    const sel = this.detailSel >= 0 ? this.currentDetail()[this.detailSel]?.range : undefined;
    const lines = hexDumpLines(b.bytes, sel ? sel[0] : -1, sel ? sel[1] : -1);
    this.widest.bytes = lines.length ? lines[0].text.length : 0;
    const hs = this.hs('bytes', w);
    this.bytesTop = Math.max(0, Math.min(this.bytesTop, lines.length - h));
    const out: string[] = [];
    for (let k = this.bytesTop; k < Math.min(lines.length, this.bytesTop + h); k++) {
      const l = lines[k];
      const text = this.clip(l.text, w + hs).slice(hs);
      // Marked ranges in inverse, the rest plain.
      let s = '';
      let at = 0;
      for (const [from0, to0] of l.marks) {
        const from = Math.max(0, from0 - hs);
        const to = Math.max(0, Math.min(w, to0 - hs));
        if (to <= from) continue;
        s += esc(text.slice(at, from)) + `{inverse}${esc(text.slice(from, to))}{/inverse}`;
        at = to;
      }
      out.push(s + esc(text.slice(at)));
    }
    const what = b.complete ? `${b.bytes.length} bytes` : `first ${b.bytes.length} of ${this.model.index.capLen[this.detailPacket]} bytes (headers only: ${this.bytesReader && (this.source as { path?: string }).path ? 'compressed file' : 'live capture'})`;
    box.setLabel(` Bytes: packet #${this.model.index.n[this.detailPacket]}, ${what}${sel ? `, selected ${sel[0]}-${sel[1] - 1}` : ''} `);
    box.setContent(out.join('\n'));
  }

  private drawStatus(): void {
    const w = this.layout.status.width;
    if (this.prompt !== null) {
      const p = PROMPTS[this.prompt.kind];
      this.status.setContent(esc(this.clip(`${p.label}${this.prompt.text}_  ${p.hint}`, w)));
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
      right = this.overlays.length ? 'q:close  j/k:scroll  ?:help' : '?:help  Tab:pane  g:goto  /:filter  F:find  i:summary  s:stream  z:zoom  q:quit';
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
    this.setDetailPacket(this.list.at(this.pkts.pos));
    this.detailFollows = true;
  }

  /** Selects packet number n in the packets pane and shows its detail. */
  private gotoPacket(n: number): void {
    const i = this.model.index.indexOf(n);
    if (i < 0) { this.flash(`packet #${n} is not in the capture${this.progress.done ? '' : ' (yet)'}`, 'yellow'); return; }
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

  /** The next (+1) or previous (-1) listed packet matching the find expression, wrapping around. */
  private findNext(step: 1 | -1): void {
    const f = this.find;
    if (!f) { this.flash('F sets what to find first', 'yellow'); return; }
    const count = this.list.count;
    for (let k = 1; k <= count; k++) {
      const row = (((this.pkts.pos + step * k) % count) + count) % count;
      if (f.match(this.model.index, this.list.at(row))) {
        const wrapped = step > 0 ? row <= this.pkts.pos : row >= this.pkts.pos;
        this.pkts.set(row);
        this.focus = 'packets';
        this.showDetailAtCursor();
        this.flash(`found #${this.model.index.n[this.list.at(row)]} matching '${f.text}'${wrapped ? ' (wrapped around)' : ''}`);
        return;
      }
    }
    this.flash(`no listed packet matches '${f.text}'`, 'yellow');
  }

  /** The session the views for "the selected session" use. */
  private selectedSession(): number | null {
    if (this.scope.kind === 'session' || this.scope.kind === 'subflow') return this.scope.session;
    if (this.detailPacket >= 0 && this.model.index.session[this.detailPacket] >= 0) return this.model.index.session[this.detailPacket];
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
    if (kind === 'stream') {
      o.follow = { pages: null, loading: false, dir: 0, mode: 'ascii', top: 0, next: 0 };
      this.loadStream(o);
    }
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

  /** Follow Stream: a file is read again for the session's whole streams; a live capture has its previews. */
  private loadStream(o: Overlay): void {
    const f = o.follow!;
    if (o.session === null) return;
    const path = (this.source as { path?: string }).path;
    if (!path) {
      const pv = this.model.previews.get(o.session);
      if (pv) f.pages = new PreviewStreams(pv);
      return;
    }
    f.loading = true;
    SpooledStreams.build(path, o.session).then((pages) => {
      if (this.done || !this.overlays.includes(o)) { pages.close(); return; }
      f.pages = pages;
      f.loading = false;
      this.scheduleRender();
    }, (err: unknown) => {
      f.loading = false;
      f.error = err instanceof Error ? err.message : String(err);
      this.scheduleRender();
    });
  }

  private closeOverlay(): void {
    const o = this.overlays.pop();
    if (o?.charts) for (const c of o.charts) c.destroy();
    if (o?.legends) for (const l of o.legends) l.destroy();
    o?.follow?.pages?.close();
    if (this.overlays.length === 0) this.overlayBox.hide();
    else this.rebuildCharts();
  }

  private titleOverlay(o: Overlay): void {
    const s = o.session;
    switch (o.kind) {
      case 'help': o.title = ' Help: keys (j/k scroll) '; break;
      case 'charts': o.title = ` Charts: session ${s ?? '-'} `; break;
      case 'timeline': o.title = s === null ? ' Findings and timeline ' : ` Findings and timeline: session ${s} `; break;
      case 'summary': o.title = ` Summary: session ${s ?? '-'} `; break;
      case 'stream': {
        const f = o.follow!;
        o.title = ` Follow stream: session ${s ?? '-'} ${f.dir === 0 ? 'c2s' : 's2c'}, ${f.mode} (d direction, m ascii/hex/raw, e save) `;
        break;
      }
    }
  }

  /** Lines for an overlay, wrapped to its width (nothing is cut). */
  private fillOverlay(o: Overlay): void {
    // Opened before any session was known: take the first one once it is.
    if (o.session === null && o.kind !== 'help' && this.model.engine.sessions.length > 0) {
      o.session = this.selectedSession();
      o.filled = undefined;
      this.titleOverlay(o);
      if (o.kind === 'stream') this.loadStream(o);
    }
    const width = this.layout.overlay.width - 2;
    const stamp = `${this.model.version}/${width}/${this.layout.overlay.height}`;
    if (o.filled === stamp) return;
    o.filled = stamp;
    const wrap = (lines: OverlayLine[]): OverlayLine[] => lines.flatMap((l) => wrapLine(l.text, width).map((t) => ({ ...l, text: t })));
    if (o.kind === 'help') o.lines = wrap(HELP_LINES.map((t) => ({ text: t, bold: /^\S/.test(t) && t !== '' })));
    else if (o.kind === 'timeline') {
      o.lines = wrap(timelineLines(this.model, o.session).map((l) => ({ text: l.text, colour: severityColour(l.severity), bold: l.heading, packet: l.packet })));
    } else if (o.kind === 'summary') {
      o.lines = wrap(summaryLines(this.model, o.session).map((l) => ({ text: l.text, colour: severityColour(l.severity), bold: l.heading })));
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
    if (!o || o.kind !== 'charts' || this.layout.tooSmall) return;
    // No charts until the session has packets: a message instead (drawOverlay retries as data comes).
    if (o.session === null || !chartData(this.model, o.session)) return;
    const inner = { width: this.layout.overlay.width - 2, height: this.layout.overlay.height - 2 };
    const data = chartData(this.model, o.session);
    const verdictRows = Math.min(2, data?.verdict.length ?? 0);
    const h = inner.height - verdictRows;
    const h1 = Math.floor(h / 3);
    const h2 = Math.floor(h / 3);
    o.legends = [];
    const mk = (top: number, height: number, label: string): contrib.Widgets.LineElement => {
      // The legend is a line of its own above the plot, never drawn over it.
      const legend = blessed.box({ top: 1 + verdictRows + top, left: 1, width: inner.width, height: 1, tags: true });
      this.overlayBox.append(legend);
      o.legends!.push(legend);
      // Inside the overlay's border (children are placed from the outer edge: the screen has no autoPadding).
      const chart = contrib.line({
        top: 2 + verdictRows + top, left: 1, width: inner.width, height: height - 1, label, showLegend: false,
        style: { line: 'yellow', text: 'white', baseline: 'white', border: { fg: BORDER } }, xLabelPadding: 3, xPadding: 5, numYLabels: 4,
        border: { type: 'line', fg: BORDER },
      } as unknown as contrib.Widgets.LineOptions);
      this.overlayBox.append(chart);
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
      const max = Math.max(0, ...series.flatMap((s) => s.y));
      // A chart whose values are all zero needs a scale of its own.
      (chart.options as { maxY?: number }).maxY = max > 0 ? undefined : 1;
      chart.setData(series);
      o.legends?.[k]?.setContent(' ' + series.map((s) => `{${s.style.line}-fg}━━ ${esc(s.title)}{/${s.style.line}-fg}`).join('   '));
    });
    o.title = ` Charts: session ${o.session} (${data.bucketSeconds >= 1 ? data.bucketSeconds.toFixed(0) + ' s' : (data.bucketSeconds * 1000).toFixed(0) + ' ms'} per point; x: seconds since capture start) `;
  }

  private drawOverlay(): void {
    const o = this.overlays[this.overlays.length - 1];
    if (!o) return;
    this.overlayBox.setLabel(o.title);
    const w = this.layout.overlay.width - 2;
    if (o.kind === 'charts') {
      this.fillOverlay(o);
      if (!o.charts) this.rebuildCharts();
      if (!o.charts) {
        o.title = ' Charts ';
        this.overlayBox.setLabel(o.title);
        const msg = o.session === null ? 'No MPTCP session in this capture: nothing to chart.' : `Session ${o.session} has no packets yet.`;
        this.overlayBox.setContent(this.line(msg, w, {}));
        return;
      }
      this.updateCharts(o);
      this.overlayBox.setLabel(o.title);
      const verdict = o.session === null ? [] : (chartData(this.model, o.session)?.verdict ?? []).slice(0, 2);
      this.overlayBox.setContent(verdict.map((v) => this.line(v, this.layout.overlay.width - 2, { bold: true })).join('\n'));
      return;
    }
    if (o.kind === 'stream') { this.drawFollow(o, w); return; }
    const out: string[] = [];
    const end = Math.min(o.lines.length, o.cursor.top + o.cursor.height);
    for (let k = o.cursor.top; k < end; k++) {
      const l = o.lines[k];
      out.push(this.line(l.text, w, { colour: l.colour, bold: l.bold, selected: o.selectable && k === o.cursor.pos && l.packet !== undefined, focused: true }));
    }
    if (o.lines.length > o.cursor.height) this.overlayBox.setLabel(`${o.title}(${o.cursor.top + 1}-${end}/${o.lines.length}) `);
    this.overlayBox.setContent(out.join('\n'));
  }

  private drawFollow(o: Overlay, w: number): void {
    const f = o.follow!;
    this.titleOverlay(o);
    const rows = this.layout.overlay.height - 2;
    const out: string[] = [];
    if (o.session === null) out.push('No MPTCP session to follow.');
    else if (f.error) out.push(`{red-fg}${esc(`cannot read the stream: ${f.error}`)}{/red-fg}`);
    else if (f.loading || !f.pages) out.push(esc(`reading session ${o.session}'s streams from the capture...`));
    else {
      const p = f.pages;
      const s = this.model.engine.sessions[o.session];
      const st = s?.streams[f.dir];
      const state = !this.model.info.finished ? 'capture still being read' : st?.complete ? 'complete' : `incomplete, ${st?.missing ?? '?'} bytes missing`;
      const total = p.length(f.dir);
      const body = rows - 1 - (p.note ? 1 : 0);
      const page = pageLines(p, f.dir, f.mode, f.top, body, w);
      f.next = page.next;
      const shown = page.next > f.top ? `bytes ${f.top}-${page.next - 1} shown` : 'end';
      const head = `=== ${f.dir === 0 ? 'c2s' : 's2c'}: ${total} bytes delivered (${state}); ${shown} ===`;
      out.push(`{bold}${esc(this.clip(head, w))}{/bold}`);
      if (p.note) out.push(esc(this.clip(p.note, w)));
      for (const l of page.lines) out.push(l.kind === 'gap' ? `{red-fg}${esc(this.clip(l.text, w))}{/red-fg}` : esc(this.clip(l.text, w)));
      if (total === 0 && page.lines.length === 0) out.push('(no data)');
    }
    this.overlayBox.setLabel(o.title);
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
    if (this.layout.tooSmall && this.prompt === null) { if (name === 'q') this.quit(0); return; }
    if (this.prompt !== null) this.onPromptKey(ch, key);
    else if (this.overlays.length > 0) this.onOverlayKey(ch, name);
    else this.onMainKey(ch, name);
    if (!this.done) this.render();
  }

  private onPromptKey(ch: string | undefined, key: Key): void {
    const pr = this.prompt!;
    const name = key.full ?? key.name;
    if (name === 'escape') { this.prompt = null; return; }
    if (name === 'enter') {
      this.prompt = null;
      this.applyPrompt(pr.kind, pr.text.trim());
      return;
    }
    if (name === 'backspace') { pr.text = pr.text.slice(0, -1); return; }
    if (name === 'C-u') { pr.text = ''; return; }
    if (ch && ch.length === 1 && ch >= ' ' && ch !== '\x7f' && !key.ctrl) pr.text += ch;
  }

  private applyPrompt(kind: PromptKind, text: string): void {
    switch (kind) {
      case 'filter': {
        const r = parseTuiFilter(text, this.model, this.bytesReader);
        if (!r.ok) { this.flash(r.error, 'red', 8000); return; }
        this.setFilter(r.filter);
        this.focus = 'packets';
        if (r.filter) this.flash(`${this.list.count} packet${this.list.count === 1 ? '' : 's'} match ${r.filter.expr === r.filter.text ? `'${r.filter.text}'` : `'${r.filter.text}' (${r.filter.expr})`} (q clears the filter)`);
        return;
      }
      case 'goto': {
        const n = Number(text.replace(/^#/, ''));
        if (!Number.isInteger(n) || n < 1) { this.flash(`not a packet number: '${text}'`, 'red'); return; }
        this.gotoPacket(n);
        return;
      }
      case 'find': {
        const r = parseTuiFilter(text, this.model, this.bytesReader);
        if (!r.ok) { this.flash(r.error, 'red', 8000); return; }
        this.find = r.filter;
        if (r.filter) this.findNext(1);
        return;
      }
      case 'save': {
        if (!text) return;
        try {
          const r = savePackets(text, this.list, this.bytesReader, 'mptcpscope tui');
          this.flash(`wrote ${r.packets} packet${r.packets === 1 ? '' : 's'} to ${text}${r.headersOnly ? ` (${r.headersOnly} with their headers only: the payload is not at hand)` : ''}`, 'green');
        } catch (err) {
          this.flash(`cannot write ${text}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'red', 8000);
        }
        return;
      }
      case 'export': {
        const o = this.overlays[this.overlays.length - 1];
        const f = o?.follow;
        if (!text || !f?.pages) return;
        try {
          f.pages.save(f.dir, text);
          this.flash(`wrote ${f.pages.length(f.dir)} bytes of ${f.dir === 0 ? 'c2s' : 's2c'} to ${text}${f.pages.gaps(f.dir).length ? ' (the stream has gaps: the bytes around them are joined)' : ''}`, 'green');
        } catch (err) {
          this.flash(`cannot write ${text}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'red', 8000);
        }
      }
    }
  }

  private onOverlayKey(ch: string | undefined, name: string): void {
    const o = this.overlays[this.overlays.length - 1];
    if (o.kind === 'stream' && this.onFollowKey(o, name)) return;
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
      case 'i': this.openOverlay('summary'); return;
      default:
        void ch;
    }
  }

  /** Keys of Follow Stream; false when the key is not its own. */
  private onFollowKey(o: Overlay, name: string): boolean {
    const f = o.follow!;
    const w = this.layout.overlay.width - 2;
    const rows = Math.max(1, this.layout.overlay.height - 3);
    const total = f.pages?.length(f.dir) ?? 0;
    switch (name) {
      case 'd': f.dir = f.dir === 0 ? 1 : 0; f.top = 0; return true;
      case 'm': f.mode = f.mode === 'ascii' ? 'hex' : f.mode === 'hex' ? 'raw' : 'ascii'; f.top = 0; return true;
      case 'e':
        if (f.pages) this.prompt = { kind: 'export', text: `session-${o.session}-${f.dir === 0 ? 'c2s' : 's2c'}.bin` };
        return true;
      case 'pagedown': case 'C-f': case 'space': if (f.next < total) f.top = f.next; return true;
      case 'down': case 'j':
        if (f.pages && f.next < total) f.top = pageLines(f.pages, f.dir, f.mode, f.top, 1, w).next;
        return true;
      case 'pageup': case 'C-b': if (f.pages) f.top = previousPageStart(f.pages, f.dir, f.mode, f.top, rows - 1, w); return true;
      case 'up': case 'k': if (f.pages) f.top = previousPageStart(f.pages, f.dir, f.mode, f.top, 1, w); return true;
      case 'home': case 'g': f.top = 0; return true;
      case 'end': case 'G': if (f.pages) f.top = previousPageStart(f.pages, f.dir, f.mode, total, rows - 1, w); return true;
      default: return false;
    }
  }

  private onMainKey(ch: string | undefined, name: string): void {
    switch (name) {
      case 'q':
        if (this.zoom) { this.zoom = null; this.relayout(); return; }
        if (this.filter) { this.setFilter(null); this.flash('filter cleared'); return; }
        this.quit(0);
        return;
      case 'escape':
        if (this.zoom) { this.zoom = null; this.relayout(); return; }
        if (this.filter) { this.setFilter(null); this.flash('filter cleared'); }
        return;
      case '?': this.openOverlay('help'); return;
      case 'tab': this.cycleFocus(1); return;
      case 'S-tab': this.cycleFocus(-1); return;
      case '/': this.prompt = { kind: 'filter', text: this.filter?.text ?? '' }; return;
      case 'g': this.prompt = { kind: 'goto', text: '' }; return;
      case 'F': this.prompt = { kind: 'find', text: this.find?.text ?? '' }; return;
      case 'n': this.findNext(1); return;
      case 'N': this.findNext(-1); return;
      case 'w': this.prompt = { kind: 'save', text: 'packets.pcapng' }; return;
      case 'z':
        this.zoom = this.zoom ? null : this.focus;
        this.relayout();
        return;
      case 'a': this.setScope({ kind: 'all' }); this.focus = 'packets'; return;
      case 'c': this.openOverlay('charts'); return;
      case 't': case 'f': this.openOverlay('timeline'); return;
      case 's': this.openOverlay('stream'); return;
      case 'i': this.openOverlay('summary'); return;
      case 'C-l': this.screen.realloc(); return;
      default: break;
    }
    if (this.focus === 'sessions') this.onSessionsKey(name);
    else if (this.focus === 'packets') this.onPacketsKey(name);
    else if (this.focus === 'detail') this.onDetailKey(name);
    else this.onBytesKey(name);
    void ch;
  }

  private cycleFocus(step: 1 | -1): void {
    const k = (PANES.indexOf(this.focus) + PANES.length + step) % PANES.length;
    this.focus = PANES[k];
    if (this.zoom) { this.zoom = this.focus; this.relayout(); }
  }

  private moveKeys(c: ListCursor, name: string): boolean {
    switch (name) {
      case 'down': case 'j': c.move(1); return true;
      case 'up': case 'k': c.move(-1); return true;
      case 'pagedown': case 'C-f': c.page(1); return true;
      case 'pageup': case 'C-b': c.page(-1); return true;
      case 'home': c.home(); return true;
      case 'end': case 'G': c.end(); return true;
      default: return false;
    }
  }

  private sideways(p: Pane, name: string): boolean {
    if (name === 'left' || name === 'h') { this.hscroll[p] = Math.max(0, this.hscroll[p] - 8); return true; }
    if (name === 'right' || name === 'l') { this.hscroll[p] += 8; return true; }
    return false;
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
    if (this.sideways('packets', name)) return;
    if (name === 'enter') this.showDetailAtCursor();
  }

  private onDetailKey(name: string): void {
    const n = this.currentDetail().length;
    const h = this.layout.detail.height - 2;
    if (this.sideways('detail', name)) return;
    switch (name) {
      case 'down': case 'j': this.detailSel = Math.min(n - 1, this.detailSel + 1); break;
      case 'up': case 'k': this.detailSel = Math.max(0, this.detailSel - 1); break;
      case 'pagedown': case 'C-f': this.detailSel = Math.min(n - 1, this.detailSel + h - 1); break;
      case 'pageup': case 'C-b': this.detailSel = Math.max(0, this.detailSel - (h - 1)); break;
      case 'home': this.detailSel = 0; break;
      case 'end': case 'G': this.detailSel = n - 1; break;
      default: return;
    }
    // The bytes pane shows the selected field's first line.
    const r = this.currentDetail()[this.detailSel]?.range;
    if (r) {
      const bh = this.layout.bytes.height - 2;
      const row = Math.floor(r[0] / 16);
      if (row < this.bytesTop || row >= this.bytesTop + bh) this.bytesTop = Math.max(0, row - 1);
    }
  }

  private onBytesKey(name: string): void {
    const h = this.layout.bytes.height - 2;
    if (this.sideways('bytes', name)) return;
    switch (name) {
      case 'down': case 'j': this.bytesTop++; break;
      case 'up': case 'k': this.bytesTop = Math.max(0, this.bytesTop - 1); break;
      case 'pagedown': case 'C-f': this.bytesTop += h - 1; break;
      case 'pageup': case 'C-b': this.bytesTop = Math.max(0, this.bytesTop - (h - 1)); break;
      case 'home': this.bytesTop = 0; break;
      case 'end': case 'G': this.bytesTop = 1 << 30; break;
      default:
    }
  }
}
