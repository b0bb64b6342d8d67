/** Where the panes go for a terminal size: pure, so it is tested without a terminal. */
export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface Layout {
  sessions: Rect;
  packets: Rect;
  detail: Rect;
  /** The area overlays (help, charts, timeline, stream) cover. */
  overlay: Rect;
  status: Rect;
}

/** Columns from which the detail pane sits beside the packets pane instead of below it. */
export const SIDE_BY_SIDE_COLS = 150;

export function computeLayout(cols: number, rows: number, treeRows: number): Layout {
  const w = Math.max(20, cols);
  const main = Math.max(8, rows - 1);
  const sessionsH = Math.max(4, Math.min(treeRows + 2, Math.max(4, Math.floor(main * 0.35))));
  const rest = main - sessionsH;
  const sessions = { top: 0, left: 0, width: w, height: sessionsH };
  let packets: Rect;
  let detail: Rect;
  if (w >= SIDE_BY_SIDE_COLS) {
    const pw = Math.floor(w * 0.58);
    packets = { top: sessionsH, left: 0, width: pw, height: rest };
    detail = { top: sessionsH, left: pw, width: w - pw, height: rest };
  } else {
    const detailH = Math.max(4, Math.floor(rest * 0.5));
    packets = { top: sessionsH, left: 0, width: w, height: rest - detailH };
    detail = { top: sessionsH + rest - detailH, left: 0, width: w, height: detailH };
  }
  return { sessions, packets, detail, overlay: { top: 0, left: 0, width: w, height: main }, status: { top: main, left: 0, width: w, height: 1 } };
}
