/**
 * The TUI's filter (`/`, `F` find, `tui FILE -Y EXPR`) in Wireshark's display-filter language
 * (dissect/filter, docs/filters.md), over the packets the UI has indexed.
 *
 * The short terms of the earlier TUI filter stay as shortcuts: when every word typed is one, the words expand
 * to an expression (terms of one kind are alternatives, of different kinds all apply):
 *
 *   MP_JOIN, DSS, ... (subtype names)   tcp.options.mptcp.subtype == 1, == 2, ...
 *   mptcp                               mptcp
 *   malformed                           mptcpscope.finding == "MALFORMED_OPTION"
 *   sf:1  sf:0,2                        mptcpscope.subflow == 1, mptcpscope.subflow in {0 2}
 *   #123  #100-200  #500-  #-50         frame.number == 123, frame.number in {100..200}, >= 500, <= 50
 *   c2s  s2c                            mptcpscope.dir == "c2s"
 *
 * Packets are matched from what the index keeps: the headers (the payload is read from the file only when the
 * expression uses it), and the engine's verdicts stored per packet for the mptcpscope.* fields.
 */
import { compileFilter, FilterError, type CompiledFilter, type FilterAnalysis } from '../dissect/filter/index.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import { SUBTYPE_NAMES } from '../dissect/mptcp.js';
import type { TuiModel } from './model.js';
import { DIR_NONE, V_CHECKSUM_BAD, V_CHECKSUM_OK, V_HMAC_INVALID, V_HMAC_UNVERIFIABLE, V_HMAC_VALID, V_RETRANSMISSION, type PacketIndex } from './packet-index.js';
import type { PacketBytesReader } from './packet-bytes.js';

export interface PacketFilter {
  /** The text as typed (trimmed). */
  text: string;
  /** The display-filter expression it stands for (the text itself, or the expansion of shortcuts). */
  expr: string;
  match(index: PacketIndex, i: number): boolean;
  /** Restarts per-connection state (a new scan from the first packet). */
  reset(): void;
  /** The expression reads per-connection state: every packet must be matched, in order. */
  readonly stateful: boolean;
}

export type FilterParse = { ok: true; filter: PacketFilter | null } | { ok: false; error: string };

const SUBTYPES = new Map<string, number>(SUBTYPE_NAMES.map((name, v) => [name, v]));
SUBTYPES.set('MP_EXPERIMENTAL', 15);

/** The expansion of shortcut terms, or null when the text is not made of shortcuts only. */
export function expandShortcuts(text: string): string | null {
  const kinds = new Map<string, string[]>();
  const push = (kind: string, e: string): void => { const l = kinds.get(kind) ?? []; l.push(e); kinds.set(kind, l); };
  for (const term of text.split(/\s+/)) {
    const upper = term.toUpperCase().replace(/-/g, '_');
    const st = SUBTYPES.get(upper) ?? SUBTYPES.get(`MP_${upper}`);
    if (st !== undefined && /^[a-z_-]+$/i.test(term)) { push('subtype', `tcp.options.mptcp.subtype == ${st}`); continue; }
    if (upper === 'MPTCP') { push('subtype', 'mptcp'); continue; }
    if (upper === 'MALFORMED') { push('subtype', 'mptcpscope.finding == "MALFORMED_OPTION"'); continue; }
    const sf = /^sf[:=](\d+(?:,\d+)*)$/i.exec(term);
    if (sf) {
      const ids = sf[1].split(',');
      push('sf', ids.length === 1 ? `mptcpscope.subflow == ${ids[0]}` : `mptcpscope.subflow in {${ids.join(', ')}}`);
      continue;
    }
    const range = /^#(\d*)(?:(-)(\d*))?$/.exec(term);
    if (range && (range[1] !== '' || (range[2] && range[3] !== ''))) {
      if (!range[2]) push('n', `frame.number == ${range[1]}`);
      else if (range[1] === '') push('n', `frame.number <= ${range[3]}`);
      else if (range[3] === '') push('n', `frame.number >= ${range[1]}`);
      else push('n', `frame.number in {${range[1]}..${range[3]}}`);
      continue;
    }
    const lower = term.toLowerCase();
    if (lower === 'c2s' || lower === 's2c') { push('dir', `mptcpscope.dir == "${lower}"`); continue; }
    return null;
  }
  const parts = [...kinds.values()].map((alts) => (alts.length === 1 ? alts[0] : `(${alts.join(' || ')})`));
  return parts.length === 1 ? parts[0] : parts.map((p) => (p.startsWith('(') ? p : `(${p})`)).join(' && ');
}

/** Finding codes per packet number, from the findings the engine has raised so far (rebuilt when they change). */
class FindingCodes {
  private key = '';
  private map = new Map<number, string[]>();
  of(model: TuiModel, n: number): readonly string[] {
    const fc = model.findingCounts;
    const key = `${fc.error}/${fc.warning}/${fc.info}/${model.info.finished}`;
    if (key !== this.key) {
      this.key = key;
      this.map = new Map();
      const eng = model.engine;
      for (const list of [eng.findings, ...eng.sessions.map((s) => s.findings)]) {
        for (const f of list) for (const p of f.packets) { const l = this.map.get(p) ?? []; if (!l.includes(f.code)) l.push(f.code); this.map.set(p, l); }
      }
    }
    return this.map.get(n) ?? [];
  }
}

const NONE: readonly string[] = [];

/** Compiles the TUI filter text: shortcuts or a display filter; errors as one line with a caret. */
export function parseTuiFilter(input: string, model: TuiModel, reader: PacketBytesReader | null = null): FilterParse {
  const text = input.trim();
  if (text === '') return { ok: true, filter: null };
  const expr = expandShortcuts(text) ?? text;
  let f: CompiledFilter;
  try {
    f = compileFilter(expr);
  } catch (err) {
    if (err instanceof FilterError) return { ok: false, error: `${err.reason} at column ${err.pos + 1} ('${expr.slice(err.pos, err.pos + Math.max(1, err.length))}')` };
    throw err;
  }
  // Payload fields need the packet's bytes; the index keeps only headers.
  const needsBytes = reader !== null && f.fields.some((n) => n === 'frame' || n === 'data' || n.startsWith('data.') || n === 'tcp.payload' || n.startsWith('tcp.segment'));
  const p = newDecodedPacket();
  const codes = new FindingCodes();
  const a: FilterAnalysis & { findings: readonly string[] } = {
    connection: -1, session: -1, subflow: -1, dir: null, retransmission: false, reinjectionOf: -1, conflictWith: -1,
    dsn: null, dataAck: null, hmac: null, checksum: null, findings: NONE,
  };
  const match = (ix: PacketIndex, i: number): boolean => {
    const rec = ix.record(i);
    if (needsBytes) rec.data = reader!.read(ix, i).bytes;
    decodePacket(rec, p);
    if (!f.needsAnalysis) return f.match(rec, p, null);
    const s = ix.session[i];
    const v = ix.verdicts[i];
    a.connection = ix.connection[i];
    a.session = s >= 0 ? s : -1;
    a.subflow = s >= 0 ? ix.subflow[i] : -1;
    a.dir = s >= 0 && ix.dir[i] !== DIR_NONE ? (ix.dir[i] === 0 ? 'c2s' : 's2c') : null;
    a.retransmission = (v & V_RETRANSMISSION) !== 0;
    a.reinjectionOf = ix.reinjectionOf[i];
    a.conflictWith = ix.conflictWith[i];
    a.dsn = Number.isNaN(ix.dsnRel[i]) ? null : ix.dsnRel[i];
    a.dataAck = Number.isNaN(ix.ackRel[i]) ? null : ix.ackRel[i];
    a.hmac = v & V_HMAC_VALID ? 'valid' : v & V_HMAC_INVALID ? 'invalid' : v & V_HMAC_UNVERIFIABLE ? 'unverifiable' : null;
    a.checksum = v & V_CHECKSUM_OK ? true : v & V_CHECKSUM_BAD ? false : null;
    a.findings = codes.of(model, ix.n[i]);
    return f.match(rec, p, a);
  };
  return { ok: true, filter: { text, expr, match, reset: () => f.runtime.reset(), stateful: f.needsState } };
}
