/**
 * The detail pane's view model: one packet decoded as a tree, in the form of `dissect -V` (every MPTCP option
 * field named as in the NDJSON contract: senderKey, dataLevelLength, ...), plus where the analysis placed it.
 */
import { decodePacket } from '../dissect/decode.js';
import { linktypeName } from '../dissect/link.js';
import { newDecodedPacket, tcpFlagsText } from '../dissect/packet.js';
import { ipText } from '../dissect/address.js';
import { timestampText } from '../dissect/timestamp.js';
import { tcpOptionsOf } from '../dissect/tcp-options.js';
import { mptcpFields } from '../dissect/mptcp-text.js';
import { DIR_NONE } from './packet-index.js';
import type { TuiModel } from './model.js';

export interface DetailLine {
  text: string;
  /** Tree depth (0 = a layer). */
  depth: number;
  style?: 'layer' | 'mptcp' | 'error' | 'warning' | 'note';
}

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
  if (p.ipVersion) {
    add(0, `IPv${p.ipVersion}: ${ipText(p.ipVersion, p.data, p.srcOffset)} → ${ipText(p.ipVersion, p.data, p.dstOffset)}, protocol ${p.protocol}, payload ${p.ipPayloadLength}${p.fragment ? ', fragment' : ''}`, 'layer');
  }
  if (p.isTcp) {
    // Only the headers are kept: the payload bytes captured are known from the record's caplen.
    const captured = Math.max(0, Math.min(p.payloadLength, rec.caplen - (p.tcpOffset + p.tcpHeaderLength)));
    add(0, `TCP: ${p.sport} → ${p.dport}, seq ${p.seq}, ack ${p.ack}, flags [${tcpFlagsText(p.flags)}], window ${p.win}, header ${p.tcpHeaderLength}, payload ${p.payloadLength} (${captured} captured)`, 'layer');
    for (const opt of tcpOptionsOf(p)) {
      if (opt.mptcp) {
        const o = opt.mptcp;
        const state = o.malformed ? ` [malformed: ${o.malformed}]` : o.truncated ? ' [cut by snaplen]' : '';
        add(1, `Multipath TCP: ${o.subtype} (subtype ${o.subtypeValue}), length ${o.length}${state}`, o.malformed ? 'error' : o.truncated ? 'warning' : 'mptcp');
        for (const [k, v] of mptcpFields(o)) if (k !== 'malformed' && k !== 'truncated') add(2, `${k}: ${v}`);
      } else {
        let detail = '';
        if (opt.mss !== undefined) detail = ` ${opt.mss}`;
        else if (opt.wscale !== undefined) detail = ` ${opt.wscale}`;
        else if (opt.tsval !== undefined) detail = ` val ${opt.tsval} ecr ${opt.tsecr}`;
        else if (opt.sack) detail = ' ' + opt.sack.map(([l, r]) => `${l}-${r}`).join(' ');
        if (opt.problem) detail += ` [${opt.problem}]`;
        add(1, `${opt.name} (kind ${opt.kind}, length ${opt.length})${detail}`, opt.problem ? 'warning' : undefined);
      }
    }
  } else if (p.note) add(0, p.note, 'note');
  return out;
}

/** Plain text of detail lines, indented two spaces per depth. */
export function detailText(lines: DetailLine[]): string[] {
  return lines.map((l) => `${'  '.repeat(l.depth)}${l.text}`);
}
