/**
 * The decoded layers of a packet as tree lines, shared by `dissect -V` and the TUI's detail pane: every TCP
 * option, and every MPTCP option field named as in the NDJSON contract (senderKey, dataLevelLength, ...).
 */
import type { DecodedPacket } from './packet.js';
import { tcpFlagsText } from './packet.js';
import { ipText } from './address.js';
import { tcpOptionsOf } from './tcp-options.js';
import { mptcpFields, type RelativeDsns } from './mptcp-text.js';
import type { MptcpOption } from './mptcp.js';

/** What the analysis adds to the tree (optional): the scaled window and relative DSNs, as Wireshark shows them. */
export interface TreeNumbers {
  /** The window with the SYNs' window scale applied, and the shift (-1: the SYNs were not seen). */
  window?: { scaled: number; shift: number };
  /** Relative DSN / data ACK of an MPTCP option, shown beside the wire values; null when unknown. */
  relative?: (o: MptcpOption) => RelativeDsns | null;
}

/** `window 64512 (field 63, scale 2^10)`, as Wireshark's calculated window size and scaling factor. */
function windowText(win: number, n: TreeNumbers['window']): string {
  if (!n) return `window ${win}`;
  if (n.shift < 0) return `window ${win} (scale unknown: the SYNs were not captured)`;
  if (n.shift === 0) return `window ${n.scaled}`;
  return `window ${n.scaled} (field ${win}, scale 2^${n.shift})`;
}

export interface TreeLine {
  text: string;
  /** Tree depth (0 = a layer). */
  depth: number;
  style?: 'layer' | 'mptcp' | 'error' | 'warning' | 'note';
}

/** IP and TCP lines of a decoded packet; `payloadCaptured` is how much of the TCP payload the capture holds. */
export function layerTreeLines(p: DecodedPacket, payloadCaptured: number, numbers: TreeNumbers = {}): TreeLine[] {
  const out: TreeLine[] = [];
  const add = (depth: number, text: string, style?: TreeLine['style']): void => { out.push(style ? { text, depth, style } : { text, depth }); };
  if (p.ipVersion) {
    add(0, `IPv${p.ipVersion}: ${ipText(p.ipVersion, p.data, p.srcOffset)} → ${ipText(p.ipVersion, p.data, p.dstOffset)}, protocol ${p.protocol}, payload ${p.ipPayloadLength}${p.fragment ? ', fragment' : ''}`, 'layer');
  }
  if (!p.isTcp) {
    if (p.note) add(0, p.note, 'note');
    return out;
  }
  add(0, `TCP: ${p.sport} → ${p.dport}, seq ${p.seq}, ack ${p.ack}, flags [${tcpFlagsText(p.flags)}], ${windowText(p.win, numbers.window)}, header ${p.tcpHeaderLength}, payload ${p.payloadLength} (${payloadCaptured} captured)`, 'layer');
  for (const opt of tcpOptionsOf(p)) {
    if (opt.mptcp) {
      const o = opt.mptcp;
      const state = o.malformed ? ` [malformed: ${o.malformed}]` : o.truncated ? ' [cut by snaplen]' : '';
      add(1, `Multipath TCP: ${o.subtype} (subtype ${o.subtypeValue}), length ${o.length}${state}`, o.malformed ? 'error' : o.truncated ? 'warning' : 'mptcp');
      const rel = numbers.relative?.(o) ?? null;
      for (const [k, v] of mptcpFields(o)) {
        if (k === 'malformed' || k === 'truncated') continue;
        add(2, `${k}: ${v}`);
        if (k === 'dsn' && rel?.dsn !== undefined) add(2, `dsn (relative): ${rel.dsn}`);
        if (k === 'dataAck' && rel?.dataAck !== undefined) add(2, `dataAck (relative): ${rel.dataAck}`);
      }
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
  if (p.note) add(1, p.note, 'note');
  return out;
}
