/**
 * The detail pane's view model: one packet decoded as a tree, in the form of `dissect -V` (every MPTCP option
 * field named as in the NDJSON contract: senderKey, dataLevelLength, ...), with the expert info of the
 * analysis (tui/expert.ts) under the frame. Each line knows which bytes of the packet it describes, so the
 * bytes pane can highlight the field under the cursor.
 */
import { decodePacket } from '../dissect/decode.js';
import { linktypeName } from '../dissect/link.js';
import { newDecodedPacket } from '../dissect/packet.js';
import { timestampText } from '../dissect/timestamp.js';
import { layerTreeLines, type TreeLine } from '../dissect/packet-tree.js';
import { walkTcpOptions } from '../dissect/tcp.js';
import { expertLines } from './expert.js';
import type { TuiModel } from './model.js';

export interface DetailLine extends TreeLine {
  /** The packet bytes [from, to) this line describes. */
  range?: [number, number];
}

const scratch = newDecodedPacket();

/** Detail lines of index position i; `bytes`, the packet as captured when at hand, lets the DSS checksum be checked. */
export function detailLines(model: TuiModel, i: number, bytes: Buffer | null = null): DetailLine[] {
  const ix = model.index;
  const rec = ix.record(i);
  const out: DetailLine[] = [];
  const add = (depth: number, text: string, style?: DetailLine['style'], range?: [number, number]): void => {
    const l: DetailLine = { text, depth };
    if (style) l.style = style;
    if (range) l.range = range;
    out.push(l);
  };
  add(0, `Frame ${rec.n}: ${rec.len} bytes on wire, ${rec.caplen} captured, interface ${rec.iface}, ${linktypeName(rec.linktype)} (${rec.linktype})`, 'layer', [0, rec.caplen]);
  add(1, `time ${timestampText(rec.tsSec, rec.tsNsec, rec.tsDigits)} (+${ix.relTime(i).toFixed(6)} s)`);
  const expert = expertLines(model, i, bytes);
  if (expert.length > 0) {
    add(0, 'Expert info (mptcpscope analysis)', 'layer');
    for (const l of expert) out.push(l);
  }
  const p = decodePacket(rec, scratch);
  // Only the headers are kept: the payload bytes captured are known from the record's caplen.
  const captured = p.isTcp ? Math.max(0, Math.min(p.payloadLength, rec.caplen - (p.tcpOffset + p.tcpHeaderLength))) : 0;
  const layers = layerTreeLines(p, captured);
  // Byte ranges, in the order layerTreeLines writes its lines: IP, TCP, then each option (MPTCP fields under it).
  const optionRanges: Array<[number, number]> = [];
  if (p.isTcp) walkTcpOptions(p, (_kind, off, len) => { optionRanges.push([off, off + Math.max(1, len)]); });
  let opt = -1;
  for (const l of layers) {
    const d: DetailLine = { ...l };
    if (l.depth === 0 && l.text.startsWith('IPv') && p.l3Offset >= 0) d.range = [p.l3Offset, p.isTcp ? p.tcpOffset : rec.caplen];
    else if (l.depth === 0 && l.text.startsWith('TCP:')) d.range = [p.tcpOffset, p.tcpOffset + p.tcpHeaderLength];
    else if (l.depth === 1 && p.isTcp && l.style !== 'note' && opt + 1 < optionRanges.length) d.range = optionRanges[++opt];
    else if (l.depth === 2 && opt >= 0) d.range = optionRanges[opt];
    out.push(d);
  }
  if (p.isTcp && captured > 0) add(0, `Data: ${captured} bytes of TCP payload`, 'layer', [p.payloadOffset, p.payloadOffset + captured]);
  return out;
}

/** Plain text of detail lines, indented two spaces per depth. */
export function detailText(lines: DetailLine[]): string[] {
  return lines.map((l) => `${'  '.repeat(l.depth)}${l.text}`);
}
