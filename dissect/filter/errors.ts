/**
 * The one error type of the display-filter module: a reason and the span of the expression it points at.
 * `filterErrorText` renders it as tshark does: the reason, the expression, and a caret line under the span.
 */
export type FilterErrorKind = 'syntax' | 'unknown-field' | 'type' | 'value';

export class FilterError extends Error {
  constructor(
    /** What is wrong, one sentence (no expression, no position). */
    readonly reason: string,
    /** Offset of the offending text in the expression (0-based, UTF-16 units). */
    readonly pos: number,
    /** Length of the offending text (at least 1 for the caret line). */
    readonly length: number,
    readonly kind: FilterErrorKind,
    /** For unknown fields: the nearest known name. */
    readonly suggestion?: string,
  ) {
    super(reason);
    this.name = 'FilterError';
  }
}

/**
 * Three lines for a terminal: the reason, the expression indented by four spaces, and `^~~~` under the span.
 * Callers that need one line use `filterErrorLine`.
 */
export function filterErrorText(expr: string, err: FilterError): string {
  return `${err.reason}\n    ${expr}\n    ${caretLine(err)}`;
}

export function caretLine(err: FilterError): string {
  return ' '.repeat(Math.max(0, err.pos)) + '^' + '~'.repeat(Math.max(0, err.length - 1));
}
