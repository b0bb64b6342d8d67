/** The syntax tree of a display filter, with the source span of every node for error carets. */

export interface Span {
  pos: number;
  len: number;
}

/** Comparison operators after aliases are resolved (eq/any_eq are '==', ne/all_ne '!=', all_eq '===', any_ne/~= '!=='). */
export type CmpOp = '==' | '!=' | '===' | '!==' | '<' | '>' | '<=' | '>=' | 'contains' | 'matches';

export type Quantifier = 'any' | 'all' | null;

/** One byte range of a slice, Wireshark's [i:j], [i-j], [i], [:j], [i:]; `end` is exclusive, null = to the end. */
export interface SliceRange {
  start: number;
  /** Exclusive end offset, or null for "to the end"; with `length` set, the end is start + length. */
  end: number | null;
  /** Set for [i:j] forms (j is a length). */
  length: number | null;
  /** How it was written, for formatting: ':' (i:j), '-' (i-j), '1' ([i]), 'from' ([i:]). */
  form: ':' | '-' | '1' | 'from';
}

export type Operand =
  | ({ k: 'field'; name: string } & Span)
  /** An unquoted word that is not a field name: a value read by the other side's type (number, address, bytes...). */
  | ({ k: 'word'; text: string } & Span)
  | ({ k: 'string'; value: string; raw: boolean } & Span)
  | ({ k: 'char'; value: string } & Span)
  | ({ k: 'slice'; of: Operand; ranges: SliceRange[] } & Span)
  | ({ k: 'band'; l: Operand; r: Operand } & Span)
  | ({ k: 'call'; fn: string; args: Operand[] } & Span);

export interface SetMember {
  lo: Operand;
  /** For ranges lo..hi. */
  hi: Operand | null;
}

export type Expr =
  | ({ k: 'and' | 'or' | 'xor'; l: Expr; r: Expr } & Span)
  | ({ k: 'not'; e: Expr } & Span)
  /** A bare operand: the field exists (or, for `a & b`, the masked value is not zero). */
  | ({ k: 'test'; e: Operand } & Span)
  | ({ k: 'cmp'; op: CmpOp; quant: Quantifier; l: Operand; r: Operand } & Span)
  | ({ k: 'in'; quant: Quantifier; l: Operand; set: SetMember[] } & Span);
