/**
 * The detail pane's view model: one packet decoded as a tree, in the form of `dissect -V` (every MPTCP option
 * field named as in the NDJSON contract: senderKey, dataLevelLength, ...), plus where the analysis placed it.
 */
import { decodePacket } from '../dissect/decode.js';
import { linktypeName } from '../dissect/link.js';
import { newDecodedPacket } from '../dissect/packet.js';
import { timestampText } from '../dissect/timestamp.js';
import { layerTreeLines, type TreeLine } from '../dissect/packet-tree.js';
import { DIR_NONE } from './packet-index.js';
import type { TuiModel } from './model.js';

export type DetailLine = TreeLine;

const scratch = newDecodedPacket();

export function detailLines(model: TuiModel, i: number): DetailLine[] {
  const ix = model.index;
  const rec = ix.record(i);
  const p = decodePacket(rec, scratch);
  const out: DetailLine[] = [];
  const add = (depth: number, text: string, style?: DetailLine['style']): void => { out.push(style ? { text, depth, style } : { text, depth }); };
  add(0, `Frame ${rec.n}: ${rec.len} bytes on wire, ${rec.caplen} captured, interface ${rec.iface}, ${linktypeName(rec.linktype)} (${rec.linktype})`, 'layer');
  add(1, `time ${timestampText(rec.tsSec, rec.tsNsec, rec.tsDigits)} (+${ix.relTime(i).toFixed(6)} s)`);
  const s = ix.session[i];
  if (s >= 0) {
    const sess = model.engine.sessions[s];
    const dir = ix.dir[i] === DIR_NONE ? '' : ix.dir[i] === 0 ? ', c2s (client to server)' : ', s2c (server to client)';
    add(1, `MPTCP session ${s}, subflow ${ix.subflow[i]}${dir}${sess?.fallback ? ', session fell back to TCP' : ''}`, 'note');
  } else if (s <= -2) {
    add(1, `unmatched subflow ${-2 - s} (tied to no session)`, 'warning');
  } else if (p.isTcp) {
    add(1, 'not part of an MPTCP session', 'note');
  }
  // Only the headers are kept: the payload bytes captured are known from the record's caplen.
  const captured = p.isTcp ? Math.max(0, Math.min(p.payloadLength, rec.caplen - (p.tcpOffset + p.tcpHeaderLength))) : 0;
  out.push(...layerTreeLines(p, captured));
  return out;
}

/** Plain text of detail lines, indented two spaces per depth. */
export function detailText(lines: DetailLine[]): string[] {
  return lines.map((l) => `${'  '.repeat(l.depth)}${l.text}`);
}
