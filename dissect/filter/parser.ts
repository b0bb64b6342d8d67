/**
 * Recursive-descent parser of display filters into the tree of ast.ts. Precedence, highest first:
 * `not`/`!`, `and`/`&&`, `xor`/`^^`, `or`/`||` (left-associative), as wireshark-filter(4).
 * Field names are not resolved here: every unquoted run is a `word` unless it names a known field, which the
 * caller says through `isField`.
 */
import type { CmpOp, Expr, Operand, SetMember, SliceRange, Quantifier } from './ast.js';
import { FilterError } from './errors.js';
import { Lexer, type Token } from './lexer.js';

const CMP_WORDS: Record<string, CmpOp> = {
  '==': '==', eq: '==', any_eq: '==',
  '!=': '!=', ne: '!=', all_ne: '!=',
  '===': '===', all_eq: '===',
  '!==': '!==', '~=': '!==', any_ne: '!==',
  '<': '<', lt: '<', '>': '>', gt: '>', '<=': '<=', le: '<=', '>=': '>=', ge: '>=',
  contains: 'contains', matches: 'matches', '~': 'matches',
};
const AND = new Set(['and', '&&']);
const OR = new Set(['or', '||']);
const XOR = new Set(['xor', '^^']);
const NOT = new Set(['not', '!']);
/** Words that end an operand: they are operators, not values. */
const KEYWORDS = new Set([...Object.keys(CMP_WORDS), 'and', 'or', 'xor', 'not', 'in', 'any', 'all', 'bitwise_and']);
export const FUNCTIONS = new Set(['len', 'count', 'string', 'upper', 'lower']);

const isKw = (t: Token, set: Set<string>): boolean => (t.kind === 'word' || t.kind === 'punct') && set.has(t.text);

export function parseFilter(src: string, isField: (name: string) => boolean = () => false): Expr {
  const p = new Parser(src, isField);
  const t = p.lx.peek();
  if (t.kind === 'eof') throw new FilterError('the filter expression is empty', 0, 1, 'syntax');
  const e = p.orExpr();
  const rest = p.lx.next();
  if (rest.kind !== 'eof') throw unexpected(rest);
  return e;
}

function unexpected(t: Token): FilterError {
  if (t.kind === 'eof') return new FilterError('unexpected end of filter expression', t.pos, 1, 'syntax');
  const text = t.kind === 'string' ? `"${t.text}"` : t.text;
  return new FilterError(`"${text}" was unexpected in this context`, t.pos, t.len, 'syntax');
}

class Parser {
  readonly lx: Lexer;
  constructor(src: string, private readonly isField: (name: string) => boolean) {
    this.lx = new Lexer(src);
  }

  orExpr(): Expr {
    let l = this.xorExpr();
    while (isKw(this.lx.peek(), OR)) {
      this.lx.next();
      const r = this.xorExpr();
      l = { k: 'or', l, r, pos: l.pos, len: r.pos + r.len - l.pos };
    }
    return l;
  }

  xorExpr(): Expr {
    let l = this.andExpr();
    while (isKw(this.lx.peek(), XOR)) {
      this.lx.next();
      const r = this.andExpr();
      l = { k: 'xor', l, r, pos: l.pos, len: r.pos + r.len - l.pos };
    }
    return l;
  }

  andExpr(): Expr {
    let l = this.notExpr();
    while (isKw(this.lx.peek(), AND)) {
      this.lx.next();
      const r = this.notExpr();
      l = { k: 'and', l, r, pos: l.pos, len: r.pos + r.len - l.pos };
    }
    return l;
  }

  notExpr(): Expr {
    const t = this.lx.peek();
    if (isKw(t, NOT)) {
      this.lx.next();
      const e = this.notExpr();
      return { k: 'not', e, pos: t.pos, len: e.pos + e.len - t.pos };
    }
    return this.relation();
  }

  relation(): Expr {
    const t = this.lx.peek();
    if (t.kind === 'punct' && t.text === '(') {
      this.lx.next();
      const e = this.orExpr();
      const close = this.lx.next();
      if (close.kind !== 'punct' || close.text !== ')') {
        if (close.kind === 'eof') throw new FilterError('a parenthesis is not closed', t.pos, 1, 'syntax');
        throw unexpected(close);
      }
      // Parentheses are not kept in the tree: their span widens the inner node for carets only.
      return e;
    }
    let quant: Quantifier = null;
    if (t.kind === 'word' && (t.text === 'any' || t.text === 'all')) {
      const after = this.lookPast();
      if (after.kind !== 'eof' && !isOperatorToken(after)) { this.lx.next(); quant = t.text; }
    }
    const l = this.operand();
    const op = this.lx.peek();
    if ((op.kind === 'word' || op.kind === 'punct') && op.text in CMP_WORDS) {
      this.lx.next();
      const r = this.operand();
      return { k: 'cmp', op: CMP_WORDS[op.text], quant, l, r, pos: quant ? t.pos : l.pos, len: r.pos + r.len - (quant ? t.pos : l.pos) };
    }
    if (op.kind === 'word' && op.text === 'in') {
      this.lx.next();
      const { set, end } = this.set();
      return { k: 'in', quant, l, set, pos: quant ? t.pos : l.pos, len: end - (quant ? t.pos : l.pos) };
    }
    if (quant) throw new FilterError(`"${quant}" must be followed by a comparison`, t.pos, t.len, 'syntax');
    return { k: 'test', e: l, pos: l.pos, len: l.len };
  }

  private lookPast(): Token {
    const save = this.lx.pos;
    this.lx.next();
    const t = this.lx.peek();
    this.lx.pos = save;
    return t;
  }

  /** term ('&' term)* */
  operand(): Operand {
    let l = this.term();
    for (;;) {
      const t = this.lx.peek();
      if (!((t.kind === 'punct' && t.text === '&') || (t.kind === 'word' && t.text === 'bitwise_and'))) break;
      this.lx.next();
      const r = this.term();
      l = { k: 'band', l, r, pos: l.pos, len: r.pos + r.len - l.pos };
    }
    return l;
  }

  term(): Operand {
    const t = this.lx.next();
    let o: Operand;
    if (t.kind === 'string') o = { k: 'string', value: t.text, raw: t.raw === true, pos: t.pos, len: t.len };
    else if (t.kind === 'char') o = { k: 'char', value: t.text, pos: t.pos, len: t.len };
    else if (t.kind === 'word' && !KEYWORDS.has(t.text)) {
      const next = this.lx.peek();
      if (FUNCTIONS.has(t.text) && next.kind === 'punct' && next.text === '(') o = this.call(t);
      else if (this.isField(t.text)) o = { k: 'field', name: t.text, pos: t.pos, len: t.len };
      else o = { k: 'word', text: t.text, pos: t.pos, len: t.len };
    } else throw unexpected(t);
    const b = this.lx.peek();
    if (b.kind === 'punct' && b.text === '[') {
      this.lx.next();
      const ranges = this.sliceRanges();
      const close = this.lx.next(true);
      if (close.text !== ']') throw unexpected(close);
      o = { k: 'slice', of: o, ranges, pos: o.pos, len: close.pos + 1 - o.pos };
    }
    return o;
  }

  private call(name: Token): Operand {
    this.lx.next(); // (
    const args: Operand[] = [];
    let t = this.lx.peek();
    if (!(t.kind === 'punct' && t.text === ')')) {
      for (;;) {
        args.push(this.operand());
        t = this.lx.next();
        if (t.kind === 'punct' && t.text === ')') break;
        if (!(t.kind === 'punct' && t.text === ',')) throw unexpected(t);
      }
    } else this.lx.next();
    const end = this.lx.pos;
    return { k: 'call', fn: name.text, args, pos: name.pos, len: end - name.pos };
  }

  /** Inside [ ]: ranges separated by commas. */
  private sliceRanges(): SliceRange[] {
    const out: SliceRange[] = [];
    for (;;) {
      out.push(this.sliceRange());
      const t = this.lx.peek(true);
      if (t.kind === 'punct' && t.text === ',') { this.lx.next(true); continue; }
      return out;
    }
  }

  private sliceInt(negOk: boolean): number | null {
    let t = this.lx.peek(true);
    let sign = 1;
    if (negOk && t.kind === 'punct' && t.text === '-') { this.lx.next(true); sign = -1; t = this.lx.peek(true); }
    if (t.kind !== 'word') { if (sign < 0) throw unexpected(t); return null; }
    this.lx.next(true);
    const n = parseInteger(t.text);
    if (n === null || !Number.isSafeInteger(n)) throw new FilterError(`"${t.text}" is not a valid slice offset`, t.pos, t.len, 'syntax');
    return sign * n;
  }

  private sliceRange(): SliceRange {
    const first = this.sliceInt(true);
    const t = this.lx.peek(true);
    if (t.kind === 'punct' && t.text === ':') {
      this.lx.next(true);
      const len = this.sliceInt(false);
      if (first === null && len === null) throw unexpected(t);
      if (len === null) return { start: first ?? 0, end: null, length: null, form: 'from' };
      return { start: first ?? 0, end: null, length: len, form: ':' };
    }
    if (first === null) throw unexpected(t);
    if (t.kind === 'punct' && t.text === '-') {
      this.lx.next(true);
      const last = this.sliceInt(true);
      if (last === null) throw unexpected(this.lx.peek(true));
      return { start: first, end: last, length: null, form: '-' };
    }
    return { start: first, end: null, length: 1, form: '1' };
  }

  /** '{' member (',' member)* '}' with members `v` or `lo..hi`. Returns the end offset of '}'. */
  private set(): { set: SetMember[]; end: number } {
    const open = this.lx.next();
    if (!(open.kind === 'punct' && open.text === '{')) throw unexpected(open);
    const set: SetMember[] = [];
    for (;;) {
      const t = this.lx.peek();
      if (t.kind === 'punct' && t.text === '}' && set.length === 0) throw new FilterError('a set needs at least one value', t.pos, 1, 'syntax');
      set.push(this.member());
      const sep = this.lx.next();
      if (sep.kind === 'punct' && sep.text === '}') return { set, end: sep.pos + 1 };
      if (!(sep.kind === 'punct' && sep.text === ',')) {
        if (sep.kind === 'eof') throw new FilterError('a set is not closed by "}"', open.pos, 1, 'syntax');
        throw unexpected(sep);
      }
    }
  }

  private member(): SetMember {
    const t = this.lx.peek();
    // `lo..hi` lexes as one word when written without spaces: split it at the '..'.
    if (t.kind === 'word' && t.text.includes('..')) {
      this.lx.next();
      const i = t.text.indexOf('..');
      const loText = t.text.slice(0, i);
      const hiText = t.text.slice(i + 2);
      if (loText === '') throw unexpected(t);
      const lo = this.wordOperand(loText, t.pos);
      if (hiText !== '') {
        if (hiText.includes('..')) throw new FilterError(`"${t.text}" is not a valid range`, t.pos, t.len, 'syntax');
        return { lo, hi: this.wordOperand(hiText, t.pos + i + 2) };
      }
      return { lo, hi: this.term() };
    }
    const lo = this.term();
    const dots = this.lx.peek();
    if (dots.kind === 'punct' && dots.text === '..') {
      this.lx.next();
      return { lo, hi: this.term() };
    }
    return { lo, hi: null };
  }

  private wordOperand(text: string, pos: number): Operand {
    if (this.isField(text)) return { k: 'field', name: text, pos, len: text.length };
    return { k: 'word', text, pos, len: text.length };
  }
}

function isOperatorToken(t: Token): boolean {
  return (t.kind === 'word' || t.kind === 'punct') && (t.text in CMP_WORDS || t.text === 'in' || AND.has(t.text) || OR.has(t.text) || XOR.has(t.text) || t.text === ')');
}

/** Decimal, 0x hex, 0b binary or leading-0 octal integer text; null if it is not one. */
export function parseInteger(text: string): number | null {
  let m: RegExpExecArray | null;
  if ((m = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(text))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 16);
  if ((m = /^([+-]?)0[bB]([01]+)$/.exec(text))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 2);
  if ((m = /^([+-]?)0([0-7]+)$/.exec(text))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 8);
  if ((m = /^([+-]?)([0-9]+)$/.exec(text))) return (m[1] === '-' ? -1 : 1) * parseInt(m[2], 10);
  return null;
}

/** Same as parseInteger, exact for 64-bit values. */
export function parseBigInteger(text: string): bigint | null {
  let m: RegExpExecArray | null;
  const neg = (s: string): bigint => (s === '-' ? -1n : 1n);
  if ((m = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(text))) return neg(m[1]) * BigInt(`0x${m[2]}`);
  if ((m = /^([+-]?)0[bB]([01]+)$/.exec(text))) return neg(m[1]) * BigInt(`0b${m[2]}`);
  if ((m = /^([+-]?)0([0-7]+)$/.exec(text))) return neg(m[1]) * BigInt(`0o${m[2]}`);
  if ((m = /^([+-]?)([0-9]+)$/.exec(text))) return neg(m[1]) * BigInt(m[2]);
  return null;
}
