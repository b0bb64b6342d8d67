/**
 * The packet-list filter typed after `/`. Terms are separated by spaces; terms of the same kind are
 * alternatives (OR), terms of different kinds must all hold (AND):
 *
 *   MP_JOIN  DSS  ADD_ADDR ...   packets carrying that MPTCP option (any subtype name, case-insensitive)
 *   mptcp                        packets carrying any MPTCP option; `malformed`: a malformed or cut one
 *   sf:1   sf:0,2                subflow id (within the session; in the all-packets list, of any session)
 *   #123   #100-200  #500-  #-50 packet number or range (inclusive)
 *   c2s  s2c                     data-level direction
 *
 * e.g. `MP_JOIN ADD_ADDR sf:1` is (MP_JOIN or ADD_ADDR) and subflow 1.
 */
import { SUBTYPE_NAMES } from '../dissect/mptcp.js';
import { BIT_ANY_MPTCP, BIT_MALFORMED, BIT_OTHER_SUBTYPE, type PacketIndex } from './packet-index.js';

export interface PacketFilter {
  /** The text as typed (trimmed). */
  text: string;
  /** Subtype bits of which at least one must be present; 0 = no condition. */
  subtypeMask: number;
  /** Subflow ids, or null for no condition. */
  subflows: number[] | null;
  /** Inclusive packet-number ranges, or null. */
  ranges: Array<[number, number]> | null;
  /** 0 = c2s, 1 = s2c, or null. */
  dirs: number[] | null;
}

export type FilterParse = { ok: true; filter: PacketFilter | null } | { ok: false; error: string };

const SUBTYPE_BITS = new Map<string, number>(SUBTYPE_NAMES.map((name, v) => [name, 1 << v]));
SUBTYPE_BITS.set('MP_EXPERIMENTAL', BIT_OTHER_SUBTYPE);
SUBTYPE_BITS.set('MPTCP', BIT_ANY_MPTCP);
SUBTYPE_BITS.set('MALFORMED', BIT_MALFORMED);

const HINT = 'try MP_JOIN, DSS, sf:1, #123, #100-200, c2s';

/** Parses a filter; an empty text means no filter (filter null). */
export function parseFilter(input: string): FilterParse {
  const text = input.trim();
  if (text === '') return { ok: true, filter: null };
  const f: PacketFilter = { text, subtypeMask: 0, subflows: null, ranges: null, dirs: null };
  for (const term of text.split(/\s+/)) {
    const upper = term.toUpperCase().replace(/-/g, '_');
    const bit = SUBTYPE_BITS.get(upper) ?? SUBTYPE_BITS.get(`MP_${upper}`);
    if (bit !== undefined) { f.subtypeMask |= bit; continue; }
    const sf = /^sf[:=](\d+(?:,\d+)*)$/i.exec(term);
    if (sf) { (f.subflows ??= []).push(...sf[1].split(',').map(Number)); continue; }
    const range = /^#(\d*)(?:(-)(\d*))?$/.exec(term);
    if (range && (range[1] !== '' || (range[2] && range[3] !== ''))) {
      const lo = range[1] === '' ? 1 : Number(range[1]);
      const hi = range[2] ? (range[3] === '' ? Number.MAX_SAFE_INTEGER : Number(range[3])) : lo;
      if (hi < lo) return { ok: false, error: `empty packet range ${term}` };
      (f.ranges ??= []).push([lo, hi]);
      continue;
    }
    const lower = term.toLowerCase();
    if (lower === 'c2s' || lower === 's2c') { (f.dirs ??= []).push(lower === 'c2s' ? 0 : 1); continue; }
    return { ok: false, error: `unknown filter term '${term}' (${HINT})` };
  }
  return { ok: true, filter: f };
}

/** Does packet i of the index pass the filter? */
export function matchPacket(index: PacketIndex, i: number, f: PacketFilter): boolean {
  if (f.subtypeMask !== 0 && (index.subtypes[i] & f.subtypeMask) === 0) return false;
  if (f.subflows !== null) {
    if (index.session[i] < 0 || !f.subflows.includes(index.subflow[i])) return false;
  }
  if (f.dirs !== null && !f.dirs.includes(index.dir[i])) return false;
  if (f.ranges !== null) {
    const n = index.n[i];
    let hit = false;
    for (const [lo, hi] of f.ranges) if (n >= lo && n <= hi) { hit = true; break; }
    if (!hit) return false;
  }
  return true;
}
