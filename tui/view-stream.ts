/**
 * The data-level stream view of one session, like `mptcpscope follow --ascii`: each direction's first bytes
 * (a bounded preview) as text, with gaps shown where they fall, never filled.
 */
import type { TuiModel } from './model.js';
import type { StreamPreview } from './stream-preview.js';

export interface StreamLine {
  text: string;
  kind: 'heading' | 'data' | 'gap' | 'note';
}

const NAMES = ['c2s', 's2c'];

function printable(c: number): string {
  return c === 0x09 ? ' ' : c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
}

function previewLines(pv: StreamPreview, d: number, width: number, out: StreamLine[]): void {
  let gapAt = 0;
  let line = '';
  const flush = (): void => { out.push({ text: line, kind: 'data' }); line = ''; };
  for (let i = 0; i <= pv.length; i++) {
    while (gapAt < pv.gaps.length && pv.gaps[gapAt].at === i) {
      if (line) flush();
      const g = pv.gaps[gapAt++];
      out.push({ text: `[gap in ${NAMES[d]}: ${g.length} bytes missing at data offset ${g.offset} (${g.reason})]`, kind: 'gap' });
    }
    if (i === pv.length) break;
    const c = pv.bytes[i];
    if (c === 0x0a) { flush(); continue; }
    line += printable(c);
    if (line.length >= width) flush();
  }
  if (line) flush();
}

export function streamLines(model: TuiModel, session: number, width = 78): StreamLine[] {
  const pv = model.previews.get(session);
  const s = model.engine.sessions[session];
  if (!pv || !s) return [{ text: `no session ${session}`, kind: 'note' }];
  const out: StreamLine[] = [];
  for (let d = 0; d < 2; d++) {
    const st = s.streams[d];
    const p = pv[d];
    const state = model.info.finished ? (st.complete ? 'complete' : `incomplete, ${st.missing} bytes missing`) : 'reading';
    const shown = p.total > p.length ? `, first ${p.length} shown` : '';
    out.push({ text: `=== ${NAMES[d]}: ${p.total} bytes delivered${shown} (${state}) ===`, kind: 'heading' });
    if (p.total === 0 && p.gaps.length === 0) out.push({ text: '(no data)', kind: 'note' });
    previewLines(p, d, Math.max(16, width), out);
    if (p.gapCount > p.gaps.length) out.push({ text: `... ${p.gapCount - p.gaps.length} more gaps`, kind: 'note' });
    out.push({ text: '', kind: 'note' });
  }
  return out;
}
