/**
 * The sessions pane's view model: every session as a tree row, expanded (unless collapsed) to one row per
 * subflow with its client and server endpoints, address IDs, backup flag, HMAC verdict and state; then the
 * subflows tied to no session. Rows carry the worst severity of their findings for colouring.
 */
import type { Conn, Session } from '../analyze/model.js';
import type { Finding, Severity } from '../analyze/report-types.js';
import type { TuiModel } from './model.js';

export type TreeRowKind = 'session' | 'subflow' | 'unmatched-header' | 'unmatched' | 'message';

export interface TreeRow {
  /** Stable identity across refreshes: `s3`, `s3/1`, `u0`, ... */
  key: string;
  kind: TreeRowKind;
  text: string;
  severity?: Severity;
  session?: number;
  subflow?: number;
  unmatched?: number;
  /** Sessions: whether the subflows are shown. */
  expanded?: boolean;
}

const RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

function worst(findings: Iterable<Finding>, pick: (f: Finding) => boolean): Severity | undefined {
  let w: Severity | undefined;
  for (const f of findings) if (pick(f) && (!w || RANK[f.severity] > RANK[w])) w = f.severity;
  // Informational findings (e.g. a declined MP_CAPABLE) do not colour a row.
  return w === 'info' ? undefined : w;
}

/** Session-oriented endpoints of a subflow (client = the session client's side). */
export function subflowEndpoints(c: Conn): { client: string; server: string } {
  return c.sessionDirOfDir0 === 1 ? { client: c.serverText, server: c.clientText } : { client: c.clientText, server: c.serverText };
}

export function hmacText(model: TuiModel, c: Conn): string {
  return c.kind === 'join' ? model.engine.joinVerdict(c) : 'initial';
}

export function stateText(c: Conn): string {
  const hs = c.handshakeAcked ? '' : c.synSeen ? 'handshake partial, ' : 'handshake not seen, ';
  return hs + (c.closed === 'open' ? 'open' : c.closed);
}

function addressIds(c: Conn): string {
  if (c.kind !== 'join') return '0/0';
  const cd = c.dirs[c.sessionDirOfDir0 === 1 ? 1 : 0];
  const sd = c.dirs[c.sessionDirOfDir0 === 1 ? 0 : 1];
  const id = (v: number | null): string => (v === null ? '?' : String(v));
  return `${id(cd.addressId)}/${id(sd.addressId)}`;
}

function sessionText(s: Session, expanded: boolean): string {
  const first = s.subflows[0];
  const ep = first ? subflowEndpoints(first) : { client: '?', server: '?' };
  const marks: string[] = [];
  if (s.fallback) marks.push('FALLBACK');
  if (s.checksum) marks.push('checksums');
  const errors = s.findings.filter((f) => f.severity === 'error').length;
  const warnings = s.findings.filter((f) => f.severity === 'warning').length;
  if (errors) marks.push(`${errors} error${errors > 1 ? 's' : ''}`);
  if (warnings) marks.push(`${warnings} warning${warnings > 1 ? 's' : ''}`);
  const sf = `${s.subflows.length} subflow${s.subflows.length === 1 ? '' : 's'}`;
  return `${expanded ? '▾' : '▸'} Session ${s.id}  MPTCP v${s.version}  ${ep.client} → ${ep.server}  ${sf}  ${s.packets} pkts${marks.length ? '  ' + marks.join('  ') : ''}`;
}

/** A tree row without its text: cheap to list for every session; the text is made only for rows on screen. */
export interface TreeEntry {
  kind: TreeRowKind;
  session?: number;
  subflow?: number;
  unmatched?: number;
}

/** The rows of the tree for the current analysis state. `collapsed` holds the ids of collapsed sessions. */
export function treeEntries(model: TuiModel, collapsed: ReadonlySet<number> = new Set()): TreeEntry[] {
  const out: TreeEntry[] = [];
  const eng = model.engine;
  for (const s of eng.sessions) {
    out.push({ kind: 'session', session: s.id });
    if (collapsed.has(s.id)) continue;
    for (let k = 0; k < s.subflows.length; k++) out.push({ kind: 'subflow', session: s.id, subflow: k });
  }
  if (eng.unmatched.length > 0) {
    out.push({ kind: 'unmatched-header' });
    for (let k = 0; k < eng.unmatched.length; k++) out.push({ kind: 'unmatched', unmatched: k });
  }
  if (out.length === 0) out.push({ kind: 'message' });
  return out;
}

/** Stable identity of a row across refreshes: `s3`, `s3/1`, `u`, `u0`, `msg`. */
export function entryKey(e: TreeEntry): string {
  switch (e.kind) {
    case 'session': return `s${e.session}`;
    case 'subflow': return `s${e.session}/${e.subflow}`;
    case 'unmatched-header': return 'u';
    case 'unmatched': return `u${e.unmatched}`;
    case 'message': return 'msg';
  }
}

/** The text and colour of one row. */
export function treeRow(model: TuiModel, e: TreeEntry, collapsed: ReadonlySet<number> = new Set()): TreeRow {
  const eng = model.engine;
  const key = entryKey(e);
  if (e.kind === 'session') {
    const s = eng.sessions[e.session!];
    const expanded = !collapsed.has(s.id);
    const sev = worst(s.findings, () => true);
    return { key, kind: 'session', text: sessionText(s, expanded), session: s.id, expanded, ...(sev ? { severity: sev } : {}) };
  }
  if (e.kind === 'subflow') {
    const s = eng.sessions[e.session!];
    const c = s.subflows[e.subflow!];
    // Columns line up within a session.
    const eps = s.subflows.map(subflowEndpoints);
    const cw = Math.max(...eps.map((x) => x.client.length));
    const sw = Math.max(...eps.map((x) => x.server.length));
    const hw = Math.max(...s.subflows.map((x) => hmacText(model, x).length));
    const last = e.subflow === s.subflows.length - 1;
    const sfSev = worst(s.findings, (f) => f.subflow === c.subflowId);
    const backup = c.dirs[0].backup || c.dirs[1].backup;
    const ep = eps[e.subflow!];
    const text = ` ${last ? '└' : '├'} sf ${c.subflowId}  ${ep.client.padEnd(cw)} → ${ep.server.padEnd(sw)}  ids ${addressIds(c)}  backup ${backup ? 'yes' : 'no '}  hmac ${hmacText(model, c).padEnd(hw)}  ${stateText(c)}  ${c.packets} pkts`;
    return { key, kind: 'subflow', text, session: s.id, subflow: c.subflowId, ...(sfSev ? { severity: sfSev } : {}) };
  }
  if (e.kind === 'unmatched-header') {
    return { key, kind: 'unmatched-header', text: `Unmatched subflows (${eng.unmatched.length}${eng.unmatchedDropped ? ` + ${eng.unmatchedDropped} not listed` : ''})`, severity: 'warning' };
  }
  if (e.kind === 'unmatched') {
    const c = eng.unmatched[e.unmatched!];
    const reason = (c as { unmatchedReason?: string }).unmatchedReason ?? 'unknown';
    return { key, kind: 'unmatched', text: ` ! ${c.clientText} → ${c.serverText}  ${c.packets} pkts  ${reason}`, unmatched: e.unmatched, severity: 'warning' };
  }
  let plain = 0;
  for (const c of eng.conns.values()) if (c.kind === 'plain') plain++;
  const text = model.info.finished
    ? `No MPTCP in this capture: ${eng.packets} packets, ${eng.tcpPackets} TCP, ${plain} plain TCP connection${plain === 1 ? '' : 's'}. Press a for all packets.`
    : 'No MPTCP session yet (reading...)';
  return { key, kind: 'message', text };
}

/** Every row with its text (for tests and small captures; the UI makes only the visible rows). */
export function sessionTreeRows(model: TuiModel, collapsed: ReadonlySet<number> = new Set()): TreeRow[] {
  return treeEntries(model, collapsed).map((e) => treeRow(model, e, collapsed));
}
