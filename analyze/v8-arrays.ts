/**
 * Empty arrays already of the elements kind they will hold. V8 gives `[]` the kind of small integers and changes
 * it at the first object or fraction stored; code optimized for arrays of the later kind then meets, at each new
 * session or subflow, a fresh array still of the first kind, and is thrown away ("wrong map").
 */
export function objectArray<T>(): T[] {
  const a: unknown[] = [null];
  a.pop();
  return a as T[];
}
export function doubleArray(): number[] {
  const a = [0.5];
  a.pop();
  return a;
}
