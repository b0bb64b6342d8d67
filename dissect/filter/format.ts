/**
 * Canonical text of a filter tree: fully parenthesized binary operators, C-like symbols, strings re-escaped.
 * parseFilter(formatFilter(t)) gives back t (up to source spans): the parser's round-trip property.
 */
import type { Expr, Operand, SliceRange } from './ast.js';

export function formatFilter(e: Expr): string {
  switch (e.k) {
    case 'and': return `(${formatFilter(e.l)} && ${formatFilter(e.r)})`;
    case 'or': return `(${formatFilter(e.l)} || ${formatFilter(e.r)})`;
    case 'xor': return `(${formatFilter(e.l)} ^^ ${formatFilter(e.r)})`;
    case 'not': return `!${formatFilter(e.e)}`;
    case 'test': return formatOperand(e.e);
    case 'cmp': {
      const op = e.op === 'contains' || e.op === 'matches' ? ` ${e.op} ` : ` ${e.op} `;
      return `${e.quant ? e.quant + ' ' : ''}${formatOperand(e.l)}${op}${formatOperand(e.r)}`;
    }
    case 'in':
      return `${e.quant ? e.quant + ' ' : ''}${formatOperand(e.l)} in {${e.set.map((m) => (m.hi ? `${formatOperand(m.lo)} .. ${formatOperand(m.hi)}` : formatOperand(m.lo))).join(', ')}}`;
  }
}

export function formatOperand(o: Operand): string {
  switch (o.k) {
    case 'field': return o.name;
    case 'word': return o.text;
    case 'string': return o.raw ? `r"${o.value}"` : quote(o.value);
    case 'char': return `'${escapeChar(o.value, "'")}'`;
    case 'slice': return `${formatOperand(o.of)}[${o.ranges.map(formatRange).join(',')}]`;
    case 'band': return `${formatOperand(o.l)} & ${formatOperand(o.r)}`;
    case 'call': return `${o.fn}(${o.args.map(formatOperand).join(', ')})`;
  }
}

function formatRange(r: SliceRange): string {
  switch (r.form) {
    case ':': return `${r.start}:${r.length}`;
    case '-': return `${r.start}-${r.end}`;
    case '1': return `${r.start}`;
    case 'from': return `${r.start}:`;
  }
}

function quote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeChar(ch, '"');
  return out + '"';
}

function escapeChar(ch: string, q: string): string {
  if (ch === q || ch === '\\') return `\\${ch}`;
  const c = ch.codePointAt(0)!;
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  return ch;
}
