/** Where the panes go for a terminal size: pure, so it is tested without a terminal. */
export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

export type PaneName = 'sessions' | 'packets' | 'detail' | 'bytes';

export interface Layout {
  sessions: Rect;
  packets: Rect;
  detail: Rect;
  /** The packet's bytes (hex and ASCII). */
  bytes: Rect;
  /** The area overlays (help, charts, timeline, stream, summary) cover. */
  overlay: Rect;
  status: Rect;
  /** The pane that fills the main area (`z`), or null; the other panes are then hidden (height 0). */
  zoomed: PaneName | null;
  /** Below MIN_COLS x MIN_ROWS nothing but one line saying so is drawn. */
  tooSmall: boolean;
}

/** Columns from which the detail and bytes panes sit beside the packets pane instead of below it. */
export const SIDE_BY_SIDE_COLS = 150;
/** The smallest terminal the UI draws itself in. */
export const MIN_COLS = 60;
export const MIN_ROWS = 16;

const HIDDEN: Rect = { top: 0, left: 0, width: 0, height: 0 };

export function computeLayout(cols: number, rows: number, treeRows: number, zoom: PaneName | null = null): Layout {
  const w = Math.max(20, cols);
  const main = Math.max(8, rows - 1);
  const overlay = { top: 0, left: 0, width: w, height: main };
  const status = { top: main, left: 0, width: w, height: 1 };
  const tooSmall = cols < MIN_COLS || rows < MIN_ROWS;
  if (zoom) {
    const panes = { sessions: HIDDEN, packets: HIDDEN, detail: HIDDEN, bytes: HIDDEN };
    panes[zoom] = { top: 0, left: 0, width: w, height: main };
    return { ...panes, overlay, status, zoomed: zoom, tooSmall };
  }
  const sessionsH = Math.max(4, Math.min(treeRows + 2, Math.max(4, Math.floor(main * 0.35))));
  const rest = main - sessionsH;
  const sessions = { top: 0, left: 0, width: w, height: sessionsH };
  let packets: Rect;
  let detail: Rect;
  let bytes: Rect;
  if (w >= SIDE_BY_SIDE_COLS) {
    const pw = Math.floor(w * 0.55);
    const bytesH = Math.max(4, Math.floor(rest * 0.4));
    packets = { top: sessionsH, left: 0, width: pw, height: rest };
    detail = { top: sessionsH, left: pw, width: w - pw, height: rest - bytesH };
    bytes = { top: sessionsH + rest - bytesH, left: pw, width: w - pw, height: bytesH };
  } else {
    const bytesH = Math.max(4, Math.floor(rest * 0.27));
    const detailH = Math.max(4, Math.floor(rest * 0.36));
    const packetsH = Math.max(4, rest - detailH - bytesH);
    packets = { top: sessionsH, left: 0, width: w, height: packetsH };
    detail = { top: sessionsH + packetsH, left: 0, width: w, height: detailH };
    bytes = { top: sessionsH + packetsH + detailH, left: 0, width: w, height: main - sessionsH - packetsH - detailH };
  }
  return { sessions, packets, detail, bytes, overlay, status, zoomed: null, tooSmall };
}
