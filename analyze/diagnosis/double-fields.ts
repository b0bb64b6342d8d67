/**
 * Makes the named number fields of `o` hold doubles from its construction on. V8 stores a field as a small
 * integer until it first gets a fraction; then the object's hidden class changes, and optimized code built for
 * the old one is thrown away ("wrong map" deoptimization, then a recompilation) in the middle of a run. Times
 * and durations start as -1 or 0 but become fractions at the first packet: give them their final kind at once.
 */
export function doubleFields(o: object, keys: readonly string[]): void {
  const r = o as Record<string, number>;
  for (const k of keys) {
    const v = r[k];
    r[k] = 0.5;
    r[k] = v;
  }
}

/**
 * doubleFields for every own number field of `o` but `except`. Sequence numbers, data offsets and byte counts
 * become doubles too: a value from the engine may be a heap number even when it is an integer (a 64-bit DSN
 * made relative, a 32-bit TSval), and code that has not been optimized yet stores it as one, which changes the
 * field's kind as a fraction would. Call it at the end of the constructor.
 */
export function numberFieldsAsDoubles(o: object, except: readonly string[] = []): void {
  const r = o as Record<string, unknown>;
  doubleFields(o, Object.keys(r).filter((k) => typeof r[k] === 'number' && !except.includes(k)));
}
