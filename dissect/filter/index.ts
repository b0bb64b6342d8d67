/**
 * Wireshark display filters (`-Y`) and field extraction (`-T fields -e`), with Wireshark 4.0's language and
 * field names (docs/filters.md). The API used by `dissect`, `check`, the TUI and `live`:
 *
 *   const f = compileFilter('tcp.options.mptcp.subtype == 2');   // throws FilterError (reason, pos, length, kind)
 *   f.needsAnalysis  -> the expression uses mptcpscope.* / mptcp.stream / mptcp.master: run the analysis engine
 *                       and pass each packet's PacketAnalysis (engine.observe) as `a`; it is a FilterAnalysis
 *   for every packet, in capture order:  if (f.match(rec, p, a ?? null)) show(p);   // p: the decoded packet
 *
 *   const x = compileFields(['frame.number', 'tcp.options.mptcp.subtype'], { runtime: f.runtime });
 *   x.values(rec, p, a)  -> string[][]: per field, tshark's text of every occurrence (after f.match, or alone)
 *   fieldsLine(x.values(...), fmt) / fieldsHeader(x.names, fmt)  -> a line as tshark -T fields -E ... prints it
 *
 * Errors: catch FilterError and print `filterErrorText(expr, err)` (the reason, the expression and a caret line
 * under the offending text; `caretLine(err)` alone for a UI). Compile once; `match` creates no object per
 * packet for number and address fields and decodes only what the used fields need.
 *
 * State: fields like tcp.stream, relative tcp.seq/ack, tcp.window_size and frame.time_relative (`needsState`)
 * follow connections, so every packet must go through `match` (or `runtime.begin`) once, in capture order; call
 * `f.runtime.reset()` before re-running over a capture from its start (e.g. a TUI re-filtering its list; or
 * compile again). `runtime.interfaceIds = false` for pcap files (frame.interface_id exists only in pcapng, as
 * in tshark; ReadOptions.onFormat tells). A filter and a field list that share a runtime advance it once.
 */
import type { CaptureRecord } from '../record.js';
import type { DecodedPacket } from '../packet.js';
import { Compiler, unknownField } from './compile.js';
import { FilterError } from './errors.js';
import { parseFilter } from './parser.js';
import { lookupField, type FieldDef, type Sink } from './registry.js';
import { FilterRuntime, type FilterAnalysis } from './runtime.js';
import { formatValue } from './field-text.js';

export { FilterError, filterErrorText, caretLine } from './errors.js';
export { FilterRuntime, type FilterAnalysis } from './runtime.js';
export { parseFilter } from './parser.js';
export { formatFilter } from './format.js';
export { allFields, lookupField, type FieldDef } from './registry.js';
export type { Expr } from './ast.js';

export interface CompiledFilter {
  /** The expression as given. */
  readonly expr: string;
  /** The expression reads analysis fields: pass the engine's verdicts to `match`. */
  readonly needsAnalysis: boolean;
  /** The expression reads per-connection state (tcp.stream, relative tcp.seq, ...). */
  readonly needsState: boolean;
  /** Names of the fields the expression uses. */
  readonly fields: readonly string[];
  /** The runtime holding the current packet and state; share it with compileFields. */
  readonly runtime: FilterRuntime;
  match(rec: CaptureRecord, p: DecodedPacket, a?: FilterAnalysis | null): boolean;
}

const isField = (name: string): boolean => lookupField(name) !== undefined;

/** Compiles `expr` (blank: every packet matches); throws FilterError for syntax errors, unknown fields and type mismatches. */
export function compileFilter(expr: string, opts: { runtime?: FilterRuntime } = {}): CompiledFilter {
  const c = new Compiler();
  // An empty filter shows everything, as in Wireshark.
  const pred = expr.trim() === '' ? () => true : c.expr(parseFilter(expr, isField));
  const rt = opts.runtime ?? new FilterRuntime();
  if (c.usage.stateful) rt.trackState = true;
  return {
    expr,
    needsAnalysis: c.usage.analysis,
    needsState: c.usage.stateful,
    fields: [...c.usage.fields],
    runtime: rt,
    match(rec, p, a = null) {
      rt.begin(rec, p, a);
      return pred(rt);
    },
  };
}

export interface CompiledFields {
  readonly names: readonly string[];
  readonly needsAnalysis: boolean;
  readonly runtime: FilterRuntime;
  /** Per field, tshark's text of every occurrence in this packet (empty when absent). */
  values(rec: CaptureRecord, p: DecodedPacket, a?: FilterAnalysis | null): string[][];
}

/** Checks every name against the registry (FilterError with `pos` = index of the bad name) and compiles them. */
export function compileFields(names: readonly string[], opts: { runtime?: FilterRuntime } = {}): CompiledFields {
  const defs: FieldDef[] = names.map((n, i) => {
    const f = lookupField(n);
    if (!f) { const e = unknownField(n, 0, n.length); throw new FilterError(e.reason, i, n.length, 'unknown-field', e.suggestion); }
    return f;
  });
  const rt = opts.runtime ?? new FilterRuntime();
  if (defs.some((f) => f.stateful)) rt.trackState = true;
  const sink: Sink = { n: 0, v: [] };
  return {
    names,
    needsAnalysis: defs.some((f) => f.analysis),
    runtime: rt,
    values(rec, p, a = null) {
      rt.begin(rec, p, a);
      return defs.map((f) => {
        sink.n = 0;
        f.read(rt, sink);
        const out: string[] = [];
        for (let i = 0; i < sink.n; i++) out.push(fieldText(f, sink.v[i], rec));
        return out;
      });
    },
  };
}

/** The absolute times print from the record's own seconds and nanoseconds (a double cannot hold both). */
function fieldText(f: FieldDef, v: Sink['v'][number], rec: CaptureRecord): string {
  if (f.display === 'epoch') return `${rec.tsSec}.${String(rec.tsNsec).padStart(9, '0')}`;
  if (f.display === 'abstime') return formatValue(rec.tsSec, f.kind, 'abstime', 0).replace(/\.0{9} UTC$/, `.${String(rec.tsNsec).padStart(9, '0')} UTC`);
  return formatValue(v, f.kind, f.display, f.hexDigits);
}

/** tshark's -E options. */
export interface FieldsFormat {
  header: boolean;
  separator: string;
  /** 'f' first, 'l' last, 'a' all occurrences. */
  occurrence: 'f' | 'l' | 'a';
  aggregator: string;
  /** 'n' none, 'd' double, 's' single quotes around each field. */
  quote: 'n' | 'd' | 's';
}

export const DEFAULT_FIELDS_FORMAT: FieldsFormat = { header: false, separator: '\t', occurrence: 'a', aggregator: ',', quote: 'n' };

function quoteField(s: string, q: FieldsFormat['quote']): string {
  return q === 'd' ? `"${s}"` : q === 's' ? `'${s}'` : s;
}

export function fieldsHeader(names: readonly string[], fmt: FieldsFormat): string {
  return names.map((n) => quoteField(n, fmt.quote)).join(fmt.separator);
}

/** One output line (without newline) of -T fields for one packet's values. */
export function fieldsLine(values: string[][], fmt: FieldsFormat): string {
  return values.map((vs) => {
    if (vs.length === 0) return fmt.quote === 'n' ? '' : quoteField('', fmt.quote);
    const picked = fmt.occurrence === 'f' ? vs[0] : fmt.occurrence === 'l' ? vs[vs.length - 1] : vs.join(fmt.aggregator);
    return quoteField(picked, fmt.quote);
  }).join(fmt.separator);
}
