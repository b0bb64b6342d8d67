/**
 * Gives number fields their final kind at construction. V8 keeps a field's kind in the object's hidden class: a
 * field that started as a small integer changes kind when it first gets a fraction, or an integer that arrives
 * as a heap number (a 64-bit DSN made relative, a value the engine computed as a double, a value read before
 * its code was optimized), and optimized code built for the old class is thrown away ("wrong map"
 * deoptimization, then a recompilation) in the middle of a run.
 */

/**
 * Times and durations: fields of kind double, updated in place. (Never pass one to a call that V8 does not
 * inline: the argument is boxed, a heap allocation per call; read it from a field instead.)
 */
export function doubleFields(o: object, keys: readonly string[]): void {
  settle(o, keys, 0.5);
}

/**
 * Sequence numbers, data offsets and byte counts: fields of the general kind, which hold small integers as they
 * are (free to pass as arguments) and anything larger as a heap number, without changing the class.
 */
export function taggedFields(o: object, keys: readonly string[]): void {
  settle(o, keys, null);
}

/** Stores `probe` in each field (which widens its kind to the probe's), then puts the value back. */
function settle(o: object, keys: readonly string[], probe: number | null): void {
  const r = o as Record<string, unknown>;
  for (const k of keys) {
    const v = r[k];
    r[k] = probe;
    r[k] = v;
  }
}
