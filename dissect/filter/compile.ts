/**
 * Type-checks a parsed filter against the field registry and compiles it, once, to a predicate closure over
 * the current packet of a FilterRuntime. Evaluation creates no object per packet for integer and address
 * fields: each field reads its values into a sink that belongs to its node of the tree.
 *
 * Wireshark 4.0 semantics: a field compared with `==` matches when ANY of its occurrences is equal; `!=` is
 * "all not equal" (all_ne), `!==`/`~=` "any not equal" (any_ne), `===` "all equal" (all_eq); the `any` / `all`
 * prefixes set the quantifier of any comparison. Every comparison first requires the field to be present.
 */
import type { CmpOp, Expr, Operand, Quantifier, SliceRange } from './ast.js';
import { FilterError } from './errors.js';
import { FUNCTIONS, parseFilter } from './parser.js';
import { lookupField, fieldNames, type FieldDef, type Sink } from './registry.js';
import { FilterRuntime } from './runtime.js';
import {
  compareValues, equalValues, inPrefix, isBytesLike, kindName, parseLiteral, type Kind, type Literal, type Value,
} from './values.js';
import { formatValue } from './field-text.js';

type Pred = (rt: FilterRuntime) => boolean;

/** A typed value source: the field values (or one constant) of the current packet. */
interface Producer {
  kind: Kind;
  fill: (rt: FilterRuntime, out: Sink) => void;
  /** Span in the expression, for errors. */
  pos: number;
  len: number;
}

/** What a compile pass collects about the fields it uses. */
interface Usage {
  fields: Set<string>;
  stateful: boolean;
  analysis: boolean;
}

const newSink = (): Sink => ({ n: 0, v: [] });
const INTEGER_KINDS = new Set<Kind>(['uint', 'int', 'bool', 'framenum', 'u64']);
const FIELD_LIKE = /^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)+$/;

/** The nearest registered field name to `name` (edit distance), if it is near enough to be a likely typo. */
export function nearestField(name: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const f of fieldNames()) {
    const d = editDistance(name, f, bestD);
    if (d < bestD) { bestD = d; best = f; }
  }
  return bestD <= Math.max(3, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin >= cap) return cap;
    prev = cur;
  }
  return prev[b.length];
}

export function unknownField(name: string, pos: number, len: number): FilterError {
  const near = nearestField(name);
  return new FilterError(`"${name}" is not a known field${near ? ` (did you mean "${near}"?)` : ''}`, pos, len, 'unknown-field', near);
}

export class Compiler {
  readonly usage: Usage = { fields: new Set(), stateful: false, analysis: false };

  expr(e: Expr): Pred {
    switch (e.k) {
      case 'and': { const l = this.expr(e.l); const r = this.expr(e.r); return (rt) => l(rt) && r(rt); }
      case 'or': { const l = this.expr(e.l); const r = this.expr(e.r); return (rt) => l(rt) || r(rt); }
      case 'xor': { const l = this.expr(e.l); const r = this.expr(e.r); return (rt) => l(rt) !== r(rt); }
      case 'not': { const x = this.expr(e.e); return (rt) => !x(rt); }
      case 'test': return this.test(e.e);
      case 'cmp': return this.cmp(e.op, e.quant, e.l, e.r);
      case 'in': return this.inSet(e);
    }
  }

  /** A bare operand: present; for `a & b`, some occurrence is not zero. */
  private test(o: Operand): Pred {
    if (o.k === 'word' || o.k === 'string' || o.k === 'char') {
      if (o.k === 'word') throw unknownField(o.text, o.pos, o.len);
      throw new FilterError('a constant is not a test: compare it with a field', o.pos, o.len, 'syntax');
    }
    const p = this.producer(o);
    const s = newSink();
    if (o.k === 'band') {
      const zero: Value = p.kind === 'u64' ? 0n : 0;
      return (rt) => { s.n = 0; p.fill(rt, s); for (let i = 0; i < s.n; i++) if (s.v[i] !== zero) return true; return false; };
    }
    return (rt) => { s.n = 0; p.fill(rt, s); return s.n > 0; };
  }

  /** A field, slice, bitwise-and or function call as a value source. Literals are handled by `literal`. */
  producer(o: Operand): Producer {
    switch (o.k) {
      case 'field': {
        const f = lookupField(o.name);
        if (!f) throw unknownField(o.name, o.pos, o.len);
        this.use(f);
        return { kind: f.kind, fill: f.read, pos: o.pos, len: o.len };
      }
      case 'word':
        if (FUNCTIONS.has(o.text)) throw new FilterError(`the function ${o.text}() needs parentheses`, o.pos, o.len, 'syntax');
        throw unknownField(o.text, o.pos, o.len);
      case 'string': case 'char':
        throw new FilterError('a constant cannot be used here: compare a field with it', o.pos, o.len, 'type');
      case 'slice': return this.slice(o.of, o.ranges, o.pos, o.len);
      case 'band': return this.band(o);
      case 'call': return this.call(o);
    }
  }

  private use(f: FieldDef): void {
    this.usage.fields.add(f.name);
    if (f.stateful) this.usage.stateful = true;
    if (f.analysis) this.usage.analysis = true;
  }

  private slice(of: Operand, ranges: SliceRange[], pos: number, len: number): Producer {
    const src = this.producer(of);
    if (!isBytesLike(src.kind) && src.kind !== 'string') {
      throw new FilterError(`${of.k === 'field' ? `"${of.name}" is a ${kindName(src.kind)}: ` : ''}only byte sequences, addresses and strings can be sliced`, of.pos, of.len, 'type');
    }
    const inner = newSink();
    const str = src.kind === 'string';
    const one = ranges.length === 1 ? ranges[0] : null;
    return {
      kind: 'bytes', pos, len,
      fill: (rt, out) => {
        inner.n = 0;
        src.fill(rt, inner);
        for (let i = 0; i < inner.n; i++) {
          const v = inner.v[i];
          const b = str ? Buffer.from(v as string, 'utf8') : (v as Buffer);
          if (one) { const s = sliceOf(b, one); if (s) out.v[out.n++] = s; continue; }
          const parts: Buffer[] = [];
          let okAll = true;
          for (const r of ranges) { const s = sliceOf(b, r); if (!s) { okAll = false; break; } parts.push(s); }
          if (okAll) out.v[out.n++] = Buffer.concat(parts);
        }
      },
    };
  }

  private band(o: Extract<Operand, { k: 'band' }>): Producer {
    const l = this.producer(o.l);
    if (!INTEGER_KINDS.has(l.kind)) throw new FilterError(`bitwise and needs an integer field, not a ${kindName(l.kind)}`, o.l.pos, o.l.len, 'type');
    const mask = this.valueOf(o.r, l.kind);
    if (mask.kind === 'const') {
      const m = mask.lit.v;
      const s = newSink();
      if (l.kind === 'u64') {
        const mb = BigInt(m as bigint | number);
        return { kind: 'u64', pos: o.pos, len: o.len, fill: (rt, out) => { s.n = 0; l.fill(rt, s); for (let i = 0; i < s.n; i++) out.v[out.n++] = (s.v[i] as bigint) & mb; } };
      }
      const mn = Number(m);
      return { kind: l.kind, pos: o.pos, len: o.len, fill: (rt, out) => { s.n = 0; l.fill(rt, s); for (let i = 0; i < s.n; i++) out.v[out.n++] = ((s.v[i] as number) & mn) >>> 0; } };
    }
    throw new FilterError('the right side of "&" must be a constant', o.r.pos, o.r.len, 'type');
  }

  private call(o: Extract<Operand, { k: 'call' }>): Producer {
    const arity = 1;
    if (o.args.length !== arity) throw new FilterError(`${o.fn}() takes one field`, o.pos, o.len, 'syntax');
    const a = this.producer(o.args[0]);
    const s = newSink();
    switch (o.fn) {
      case 'count':
        return { kind: 'uint', pos: o.pos, len: o.len, fill: (rt, out) => { s.n = 0; a.fill(rt, s); out.v[out.n++] = s.n; } };
      case 'len':
        if (!isBytesLike(a.kind) && a.kind !== 'string') throw new FilterError(`len() needs a byte or string field, not a ${kindName(a.kind)}`, o.args[0].pos, o.args[0].len, 'type');
        return {
          kind: 'uint', pos: o.pos, len: o.len,
          fill: (rt, out) => { s.n = 0; a.fill(rt, s); for (let i = 0; i < s.n; i++) { const v = s.v[i]; out.v[out.n++] = typeof v === 'string' ? Buffer.byteLength(v) : (v as Buffer).length; } },
        };
      case 'string': {
        if (a.kind === 'string' || a.kind === 'bytes' || a.kind === 'none') throw new FilterError('string() converts non-string fields; this one is already text or bytes', o.args[0].pos, o.args[0].len, 'type');
        const f = o.args[0].k === 'field' ? lookupField(o.args[0].name) : undefined;
        const disp = f ? f.display : 'dec';
        return { kind: 'string', pos: o.pos, len: o.len, fill: (rt, out) => { s.n = 0; a.fill(rt, s); for (let i = 0; i < s.n; i++) out.v[out.n++] = formatValue(s.v[i], a.kind, disp === 'hex' ? 'dec' : disp, 0); } };
      }
      case 'upper': case 'lower': {
        if (a.kind !== 'string') throw new FilterError(`${o.fn}() needs a string field, not a ${kindName(a.kind)}`, o.args[0].pos, o.args[0].len, 'type');
        const up = o.fn === 'upper';
        return { kind: 'string', pos: o.pos, len: o.len, fill: (rt, out) => { s.n = 0; a.fill(rt, s); for (let i = 0; i < s.n; i++) out.v[out.n++] = up ? (s.v[i] as string).toUpperCase() : (s.v[i] as string).toLowerCase(); } };
      }
      default:
        throw new FilterError(`unknown function ${o.fn}()`, o.pos, o.fn.length, 'syntax');
    }
  }

  /** An operand read as a value of `kind`: a constant when it is a literal, else a producer. */
  private valueOf(o: Operand, kind: Kind): { kind: 'const'; lit: Literal; pos: number; len: number } | { kind: 'prod'; p: Producer } {
    if (o.k === 'word' || o.k === 'string' || o.k === 'char') return { kind: 'const', lit: this.literal(o, kind), pos: o.pos, len: o.len };
    return { kind: 'prod', p: this.producer(o) };
  }

  private literal(o: Extract<Operand, { k: 'word' | 'string' | 'char' }>, kind: Kind): Literal {
    if (o.k === 'char') {
      const code = o.value.charCodeAt(0);
      if (INTEGER_KINDS.has(kind)) return { v: kind === 'u64' ? BigInt(code) : code, prefix: -1 };
      if (kind === 'bytes' || kind === 'none') return { v: Buffer.from([code & 0xff]), prefix: -1 };
      if (kind === 'string') return { v: o.value, prefix: -1 };
      throw new FilterError(`a character constant cannot be compared with a ${kindName(kind)}`, o.pos, o.len, 'type');
    }
    const text = o.k === 'word' ? o.text : o.value;
    try {
      return parseLiteral(text, kind, o.k === 'string', o.pos, o.len);
    } catch (err) {
      // An unquoted dotted name that is no valid value is most likely a misspelt field.
      if (o.k === 'word' && FIELD_LIKE.test(text) && /[g-zG-Z_]/.test(text)) throw unknownField(text, o.pos, o.len);
      throw err;
    }
  }

  private cmp(op: CmpOp, quant: Quantifier, lo: Operand, ro: Operand): Pred {
    let l = lo;
    let r = ro;
    let o = op;
    const isLit = (x: Operand): boolean => x.k === 'word' || x.k === 'string' || x.k === 'char';
    if (isLit(l) && isLit(r)) {
      if (l.k === 'word' && (FIELD_LIKE.test(l.text) || /^[A-Za-z_]/.test(l.text))) throw unknownField(l.text, l.pos, l.len);
      throw new FilterError('a comparison needs a field on one side', l.pos, r.pos + r.len - l.pos, 'syntax');
    }
    if (isLit(l)) {
      // 5 < tcp.len is tcp.len > 5.
      if (o === 'contains' || o === 'matches') throw new FilterError(`the left side of "${o}" must be a field`, l.pos, l.len, 'syntax');
      [l, r] = [r, l];
      o = MIRROR[o];
    }
    const lp = this.producer(l);
    const negate = o === '!=' || o === '!==';
    const q: 'any' | 'all' = quant ?? (o === '!=' || o === '===' ? 'all' : 'any');
    const base: CmpOp = o === '!=' || o === '!==' || o === '===' ? '==' : o;

    if (base === 'matches') {
      if (r.k !== 'string') throw new FilterError('"matches" needs a regular expression in double quotes', r.pos, r.len, 'type');
      if (lp.kind !== 'string' && !isBytesLike(lp.kind)) throw new FilterError(`"matches" needs a string or byte field, not a ${kindName(lp.kind)}`, l.pos, l.len, 'type');
      const re = regex(r.value, r.pos, r.len);
      const asText = lp.kind !== 'string';
      return this.quantified(lp, q, negate, (v) => re.test(asText ? (v as Buffer).toString('latin1') : (v as string)));
    }
    if (base === 'contains') {
      if (lp.kind === 'string') {
        const rv = this.valueOf(r, 'string');
        if (rv.kind !== 'const') throw new FilterError('"contains" needs a constant on the right', r.pos, r.len, 'type');
        const needle = rv.lit.v as string;
        return this.quantified(lp, q, negate, (v) => (v as string).includes(needle));
      }
      if (!isBytesLike(lp.kind)) throw new FilterError(`"contains" cannot be used on a ${kindName(lp.kind)} (only on byte sequences and strings)`, l.pos, l.len, 'type');
      const rv = this.valueOf(r, 'bytes');
      if (rv.kind !== 'const') throw new FilterError('"contains" needs a constant on the right', r.pos, r.len, 'type');
      const needle = rv.lit.v as Buffer;
      return this.quantified(lp, q, negate, (v) => (v as Buffer).indexOf(needle) >= 0);
    }

    const rv = this.valueOf(r, lp.kind);
    if (rv.kind === 'const') {
      const c = rv.lit.v;
      const kind = lp.kind;
      if (rv.lit.prefix >= 0 && base === '==') {
        const pre = rv.lit.prefix;
        return this.quantified(lp, q, negate, (v) => inPrefix(kind, v, c, pre));
      }
      if (base === '==') {
        if (typeof c === 'number' || typeof c === 'bigint' || typeof c === 'string') return this.quantified(lp, q, negate, (v) => v === c);
        return this.quantified(lp, q, negate, (v) => equalValues(kind, v, c));
      }
      const t = ORDER[base];
      if (typeof c === 'number') return this.quantified(lp, q, negate, (v) => t((v as number) - c));
      return this.quantified(lp, q, negate, (v) => t(compareValues(kind, v, c)));
    }
    // Field against field.
    const rp = rv.p;
    const kinds = compatible(lp.kind, rp.kind);
    if (!kinds) throw new FilterError(`${kindName(lp.kind)} and ${kindName(rp.kind)} cannot be compared`, l.pos, r.pos + r.len - l.pos, 'type');
    const rs = newSink();
    const test = base === '==' ? (a: Value, b: Value) => kinds.eq(a, b) : ((t) => (a: Value, b: Value) => t(kinds.cmp(a, b)))(ORDER[base]);
    return this.quantified(lp, q, negate, (v) => { for (let j = 0; j < rs.n; j++) if (test(v, rs.v[j])) return true; return false; }, (rt) => { rs.n = 0; rp.fill(rt, rs); return rs.n > 0; });
  }

  /**
   * `any`: some occurrence passes; `all`: there is one and every one passes. With `negate` each occurrence
   * must fail the test instead (`!=` is all-not-equal, `!==` any-not-equal).
   */
  private quantified(p: Producer, q: 'any' | 'all', negate: boolean, test: (v: Value) => boolean, pre?: Pred): Pred {
    const s = newSink();
    if (q === 'any') {
      return (rt) => {
        if (pre && !pre(rt)) return false;
        s.n = 0; p.fill(rt, s);
        for (let i = 0; i < s.n; i++) if (test(s.v[i]) !== negate) return true;
        return false;
      };
    }
    return (rt) => {
      if (pre && !pre(rt)) return false;
      s.n = 0; p.fill(rt, s);
      if (s.n === 0) return false;
      for (let i = 0; i < s.n; i++) if (test(s.v[i]) === negate) return false;
      return true;
    };
  }

  private inSet(e: Extract<Expr, { k: 'in' }>): Pred {
    const lp = this.producer(e.l);
    const kind = lp.kind;
    const tests: Array<(v: Value) => boolean> = [];
    for (const m of e.set) {
      const lo = this.valueOf(m.lo, kind);
      if (lo.kind !== 'const') throw new FilterError('set members must be constants', m.lo.pos, m.lo.len, 'type');
      if (m.hi) {
        const hi = this.valueOf(m.hi, kind);
        if (hi.kind !== 'const') throw new FilterError('set members must be constants', m.hi.pos, m.hi.len, 'type');
        const a = lo.lit.v;
        const b = hi.lit.v;
        tests.push((v) => compareValues(kind, v, a) >= 0 && compareValues(kind, v, b) <= 0);
      } else if (lo.lit.prefix >= 0) {
        const c = lo.lit.v;
        const pre = lo.lit.prefix;
        tests.push((v) => inPrefix(kind, v, c, pre));
      } else {
        const c = lo.lit.v;
        tests.push((v) => equalValues(kind, v, c));
      }
    }
    const any = (v: Value): boolean => { for (const t of tests) if (t(v)) return true; return false; };
    return this.quantified(lp, e.quant === 'all' ? 'all' : 'any', false, any);
  }
}

const MIRROR: Record<CmpOp, CmpOp> = {
  '==': '==', '!=': '!=', '===': '===', '!==': '!==', '<': '>', '>': '<', '<=': '>=', '>=': '<=', contains: 'contains', matches: 'matches',
};

const ORDER: Record<string, (d: number) => boolean> = {
  '<': (d) => d < 0, '>': (d) => d > 0, '<=': (d) => d <= 0, '>=': (d) => d >= 0,
};

/** How two field kinds compare, or null when they cannot be compared (Wireshark requires compatible types). */
function compatible(a: Kind, b: Kind): { eq: (x: Value, y: Value) => boolean; cmp: (x: Value, y: Value) => number } | null {
  if (a === b) return { eq: (x, y) => equalValues(a, x, y), cmp: (x, y) => compareValues(a, x, y) };
  if (INTEGER_KINDS.has(a) && INTEGER_KINDS.has(b)) {
    const big = (x: Value): bigint => (typeof x === 'bigint' ? x : BigInt(x as number));
    return { eq: (x, y) => big(x) === big(y), cmp: (x, y) => compareValues('u64', big(x), big(y)) };
  }
  if (isBytesLike(a) && isBytesLike(b)) return { eq: (x, y) => (x as Buffer).equals(y as Buffer), cmp: (x, y) => Buffer.compare(x as Buffer, y as Buffer) };
  if ((a === 'reltime' || a === 'abstime') && a === b) return { eq: (x, y) => x === y, cmp: (x, y) => (x as number) - (y as number) };
  return null;
}

/** A slice of `b` per Wireshark's rules (negative offsets count from the end); null when out of range. */
function sliceOf(b: Buffer, r: SliceRange): Buffer | null {
  const n = b.length;
  const start = r.start < 0 ? n + r.start : r.start;
  let end: number;
  if (r.form === '-') { const last = r.end! < 0 ? n + r.end! : r.end!; end = last + 1; }
  else if (r.length !== null) end = start + r.length;
  else end = n;
  if (start < 0 || end > n || start > end || (start >= n && r.form !== 'from')) return null;
  return b.subarray(start, end);
}

/** PCRE-style regex as JS: case-insensitive by default; a leading (?-i) makes it case-sensitive. */
function regex(src: string, pos: number, len: number): RegExp {
  let body = src;
  let flags = 'i';
  const m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)/.exec(body);
  if (m) {
    body = body.slice(m[0].length);
    for (const f of m[1]) if (f === 's' || f === 'm') flags += f;
    if (m[2]?.includes('i')) flags = flags.replace('i', '');
  }
  try {
    return new RegExp(body, flags);
  } catch (err) {
    throw new FilterError(`invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, pos, len, 'value');
  }
}

export { parseFilter };
