/**
 * The packets pane's view model: which packets a scope (all, a session, a subflow, an unmatched connection)
 * and a filter select, kept as a growing Uint32Array of index positions (no per-packet objects), and the text of
 * one row, decoded from the kept header bytes only when the row is on screen.
 */
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket, tcpFlagsText } from '../dissect/packet.js';
import { ipText } from '../dissect/address.js';
import { mptcpOptionsOf } from '../dissect/tcp-options.js';
import { mptcpShort } from '../dissect/mptcp-text.js';
import type { PacketFilter } from './display-filter.js';
import { DIR_NONE, type PacketIndex, unmatchedTag } from './packet-index.js';
import type { TuiModel } from './model.js';
import { relativeSeq } from './expert.js';

export type PacketScope =
  | { kind: 'all' }
  | { kind: 'session'; session: number }
  | { kind: 'subflow'; session: number; subflow: number }
  | { kind: 'unmatched'; unmatched: number };

export function scopeTitle(scope: PacketScope): string {
  switch (scope.kind) {
    case 'all': return 'all packets';
    case 'session': return `session ${scope.session}`;
    case 'subflow': return `session ${scope.session} subflow ${scope.subflow}`;
    case 'unmatched': return `unmatched subflow ${scope.unmatched}`;
  }
}

export function sameScope(a: PacketScope, b: PacketScope): boolean {
  return scopeTitle(a) === scopeTitle(b);
}

/** The packets of a scope that pass a filter, extended incrementally as the index grows. */
export class PacketList {
  private items = new Uint32Array(1024);
  private n = 0;
  private scanned = 0;
  /** Selecting everything: positions are the index itself, nothing is stored. */
  private readonly identity: boolean;

  constructor(readonly index: PacketIndex, readonly scope: PacketScope, readonly filter: PacketFilter | null) {
    this.identity = scope.kind === 'all' && filter === null;
    // A new scan from the first packet: per-connection filter state starts over.
    filter?.reset();
    this.refresh();
  }

  /** Takes in the packets indexed since the last call. */
  refresh(): void {
    const ix = this.index;
    if (this.identity) { this.scanned = ix.count; return; }
    const scope = this.scope;
    const tag = scope.kind === 'session' || scope.kind === 'subflow' ? scope.session : scope.kind === 'unmatched' ? unmatchedTag(scope.unmatched) : 0;
    const sub = scope.kind === 'subflow' ? scope.subflow : -1;
    const all = scope.kind === 'all';
    const f = this.filter;
    // A stateful expression (tcp.stream, relative tcp.seq, ...) sees every packet, in order, once.
    const early = f !== null && f.stateful;
    for (let i = this.scanned; i < ix.count; i++) {
      if (early && !f.match(ix, i)) continue;
      if (!all && ix.session[i] !== tag) continue;
      if (sub >= 0 && ix.subflow[i] !== sub) continue;
      if (f && !early && !f.match(ix, i)) continue;
      if (this.n === this.items.length) {
        const next = new Uint32Array(this.items.length * 2);
        next.set(this.items);
        this.items = next;
      }
      this.items[this.n++] = i;
    }
    this.scanned = ix.count;
  }

  get count(): number {
    return this.identity ? this.scanned : this.n;
  }

  /** Index position of the k-th listed packet. */
  at(k: number): number {
    return this.identity ? k : this.items[k];
  }

  /** Row of the first listed packet numbered n or later (binary search), or -1. */
  rowOfPacket(n: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.index.n[this.at(mid)] >= n) { best = mid; hi = mid - 1; } else lo = mid + 1;
    }
    return best;
  }
}

export interface PacketRow {
  text: string;
  /** 'error' for malformed or cut MPTCP options. */
  severity?: 'error' | 'warning';
}

/** Width of the subflow column: `S.F` in a list spanning sessions, the subflow id otherwise. */
const sfWidth = (spansSessions: boolean): number => (spansSessions ? 7 : 3);

/** The column titles above the rows. */
export function packetHeader(spansSessions = false): string {
  return `${'No.'.padStart(7)} ${'Time'.padStart(11)} ${'Sf'.padStart(sfWidth(spansSessions))} Dir ${'Source'.padEnd(ADDR_WIDTH)} ${'Destination'.padEnd(ADDR_WIDTH)} ${'Flags'.padEnd(6)} ${'Wire'.padStart(5)} ${'Data'.padStart(5)}  MPTCP options`;
}

/** Width of the Source and Destination columns (an IPv4 address and port; longer ones widen the row). */
const ADDR_WIDTH = 21;
/** Characters of the No. column (kept in place when the list scrolls sideways). */
export const NUMBER_COLUMN = 8;

const scratch = newDecodedPacket();

/** Subflow column: the subflow id, `S.F` (session.subflow) in a list spanning sessions, `uK` when unmatched. */
function subflowText(index: PacketIndex, i: number, spansSessions: boolean): string {
  const s = index.session[i];
  if (s >= 0) return spansSessions ? `${s}.${index.subflow[i]}` : String(index.subflow[i]);
  if (s <= -2) return `u${-2 - s}`;
  return '-';
}

/** One packets-pane row for index position i. */
export function packetRow(model: TuiModel, i: number, spansSessions = false): PacketRow {
  const ix = model.index;
  const p = decodePacket(ix.record(i), scratch);
  const dir = ix.dir[i] === DIR_NONE ? '   ' : ix.dir[i] === 0 ? 'c2s' : 's2c';
  const head = `${String(ix.n[i]).padStart(7)} ${ix.relTime(i).toFixed(6).padStart(11)} ${subflowText(ix, i, spansSessions).padStart(sfWidth(spansSessions))} ${dir}`;
  const src = p.ipVersion ? ipText(p.ipVersion, p.data, p.srcOffset) + (p.isTcp ? `:${p.sport}` : '') : '';
  const dst = p.ipVersion ? ipText(p.ipVersion, p.data, p.dstOffset) + (p.isTcp ? `:${p.dport}` : '') : '';
  const addrs = `${src.padEnd(ADDR_WIDTH)} ${dst.padEnd(ADDR_WIDTH)}`;
  if (!p.isTcp) {
    const what = p.ipVersion ? p.note || `IP protocol ${p.protocol}` : p.note || 'not IP';
    return { text: `${head} ${addrs} ${''.padEnd(6)} ${String(ix.wireLen[i]).padStart(5)} ${''.padStart(5)}  ${what}` };
  }
  let text = `${head} ${addrs} ${`[${tcpFlagsText(p.flags)}]`.padEnd(6)} ${String(ix.wireLen[i]).padStart(5)} ${String(p.payloadLength).padStart(5)} `;
  let severity: PacketRow['severity'];
  const opts = mptcpOptionsOf(p);
  const sess = ix.session[i] >= 0 ? model.engine.sessions[ix.session[i]] : undefined;
  for (const o of opts) {
    text += ' ' + mptcpShort(o);
    // The DSN relative to the sender's IDSN, as Wireshark's relative sequence numbers.
    if (o.subtype === 'DSS' && o.dsn !== undefined && sess && ix.dir[i] !== DIR_NONE) {
      const idsn = sess.side(ix.dir[i]).idsn;
      if (idsn !== undefined) text += ` rdsn=${relativeSeq(o.dsn, o.dsn64, idsn)}`;
    }
    if (o.malformed) severity = 'error';
    else if (o.truncated && !severity) severity = 'warning';
  }
  return severity ? { text, severity } : { text };
}

/** Packet numbers named by findings, with the worst severity naming each (errors over warnings; info left out). */
export function findingPacketSeverities(model: TuiModel): Map<number, 'error' | 'warning'> {
  const out = new Map<number, 'error' | 'warning'>();
  const eng = model.engine;
  const add = (sev: string, packets: number[]): void => {
    if (sev !== 'error' && sev !== 'warning') return;
    for (const n of packets) if (sev === 'error' || !out.has(n)) out.set(n, sev);
  };
  for (const f of eng.findings) add(f.severity, f.packets);
  for (const s of eng.sessions) for (const f of s.findings) add(f.severity, f.packets);
  return out;
}
