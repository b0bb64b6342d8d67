/**
 * Tokens of Wireshark's display-filter language (wireshark-filter(4), 4.0). The parser pulls tokens one at a
 * time and says which mode it is in: inside a slice `[...]` numbers, `:` and `-` are tokens of their own;
 * elsewhere an unquoted run like `10.0.0.0/8`, `00:1b:21:aa:bb:cc`, `tcp.options.mptcp.subtype` or `0x1f` is
 * one word whose meaning (field or value) is decided later against the field registry.
 */
import { FilterError } from './errors.js';

export type TokenKind =
  | 'word' | 'string' | 'char' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The word, the decoded string or char value, or the punctuation. */
  text: string;
  /** For strings: true when written as r"...". */
  raw?: boolean;
  pos: number;
  /** Length of the source text of the token. */
  len: number;
}

/** Longest first: the lexer takes the first that matches. */
const PUNCT = ['===', '!==', '==', '!=', '~=', '<=', '>=', '&&', '||', '^^', '..', '<', '>', '!', '~', '&', '(', ')', '{', '}', '[', ']', ','];
const SLICE_PUNCT = [':', '-', ',', ']'];

const WORD_CHAR = /[A-Za-z0-9_.:\-/]/;

export class Lexer {
  pos = 0;
  constructor(readonly src: string) {}

  private skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  /** The next token without consuming it. */
  peek(slice = false): Token {
    const save = this.pos;
    const t = this.next(slice);
    this.pos = save;
    return t;
  }

  next(slice = false): Token {
    this.skipSpace();
    const s = this.src;
    const start = this.pos;
    if (start >= s.length) return { kind: 'eof', text: '', pos: start, len: 1 };
    const c = s[start];
    if (slice) {
      if (SLICE_PUNCT.includes(c)) { this.pos++; return { kind: 'punct', text: c, pos: start, len: 1 }; }
      const m = /^[0-9A-Za-z_]+/.exec(s.slice(start));
      if (m) { this.pos += m[0].length; return { kind: 'word', text: m[0], pos: start, len: m[0].length }; }
      throw new FilterError(`"${c}" was unexpected in this context`, start, 1, 'syntax');
    }
    if (c === '"' || ((c === 'r' || c === 'R') && s[start + 1] === '"')) return this.string(c !== '"');
    if (c === "'") return this.char();
    // A word may contain '..' only as an address or number range inside a set; the parser splits it there.
    if (WORD_CHAR.test(c) && !(c === '.' && s[start + 1] === '.')) {
      let e = start;
      while (e < s.length && WORD_CHAR.test(s[e])) e++;
      this.pos = e;
      return { kind: 'word', text: s.slice(start, e), pos: start, len: e - start };
    }
    for (const p of PUNCT) {
      if (s.startsWith(p, start)) { this.pos += p.length; return { kind: 'punct', text: p, pos: start, len: p.length }; }
    }
    throw new FilterError(`"${c}" was unexpected in this context`, start, 1, 'syntax');
  }

  private string(raw: boolean): Token {
    const s = this.src;
    const start = this.pos;
    let i = start + (raw ? 2 : 1);
    let out = '';
    for (;;) {
      if (i >= s.length) throw new FilterError('the string is not closed by a double quote', start, s.length - start, 'syntax');
      const ch = s[i];
      if (ch === '"') { i++; break; }
      if (ch === '\\') {
        if (i + 1 >= s.length) throw new FilterError('the string is not closed by a double quote', start, s.length - start, 'syntax');
        if (raw) {
          // Raw strings keep the backslash; it only stops an escaped quote from ending the string.
          out += ch + s[i + 1];
          i += 2;
          continue;
        }
        const r = unescape(s, i);
        out += r.text;
        i = r.end;
        continue;
      }
      out += ch;
      i++;
    }
    this.pos = i;
    return { kind: 'string', text: out, raw, pos: start, len: i - start };
  }

  private char(): Token {
    const s = this.src;
    const start = this.pos;
    let i = start + 1;
    let text: string;
    if (s[i] === '\\') { const r = unescape(s, i); text = r.text; i = r.end; }
    else { text = s[i] ?? ''; i++; }
    if (s[i] !== "'" || text.length !== 1) {
      throw new FilterError('a character constant holds one character between single quotes', start, Math.max(1, i - start), 'syntax');
    }
    this.pos = i + 1;
    return { kind: 'char', text, pos: start, len: i + 1 - start };
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "'": "'", '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/** One escape sequence at `s[i]` (the backslash): \n, \xNN, \NNN (octal), \uNNNN, \UNNNNNNNN. */
function unescape(s: string, i: number): { text: string; end: number } {
  const e = s[i + 1];
  if (e in SIMPLE_ESCAPES) return { text: SIMPLE_ESCAPES[e], end: i + 2 };
  let m: RegExpExecArray | null;
  if (e === 'x' && (m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 2)))) return { text: String.fromCharCode(parseInt(m[0], 16)), end: i + 2 + m[0].length };
  if ((m = /^[0-7]{1,3}/.exec(s.slice(i + 1)))) return { text: String.fromCharCode(parseInt(m[0], 8) & 0xff), end: i + 1 + m[0].length };
  if (e === 'u' && (m = /^[0-9a-fA-F]{4}/.exec(s.slice(i + 2)))) return { text: String.fromCodePoint(parseInt(m[0], 16)), end: i + 6 };
  if (e === 'U' && (m = /^[0-9a-fA-F]{8}/.exec(s.slice(i + 2)))) {
    const cp = parseInt(m[0], 16);
    if (cp <= 0x10ffff) return { text: String.fromCodePoint(cp), end: i + 10 };
  }
  throw new FilterError(`"\\${e ?? ''}" is not a valid escape sequence`, i, 2, 'syntax');
}
