/**
 * Columns as plain typed arrays, the form in which rows travel from the analysis thread to the Parquet encoder
 * thread (parquet-encoder.ts): the buffers are transferred, not copied, and the encoder thread turns them into
 * Arrow data. Kept simpler than Arrow so that filling them costs one typed-array store per value: a presence
 * byte per row instead of a validity bitmap, a byte per boolean, 64-bit integers as two 32-bit halves (no
 * BigInt), strings as indexes into the chunk's list of distinct words.
 */

/** Column types, named as DuckDB shows them (docs/tables.md). */
export type ColumnType =
  | 'VARCHAR' | 'BOOLEAN' | 'DOUBLE' | 'UTINYINT' | 'USMALLINT' | 'UINTEGER' | 'INTEGER' | 'UBIGINT' | 'BIGINT'
  | 'TIMESTAMP' | 'UINTEGER[]' | 'INTEGER[]' | 'UBIGINT[]' | 'VARCHAR[]';

/** How the Parquet pages of a column are encoded (see tables.ts for the choice per column). */
export type ColumnEncoding = 'dictionary' | 'plain' | 'delta';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** Never null; default nullable. */
  required?: boolean;
  /** Page encoding; default: dictionary for strings and lists of strings, plain for the others. */
  encoding?: ColumnEncoding;
  /** Min/max statistics per row group; default on for numbers, times and booleans, off for strings and lists. */
  statistics?: boolean;
}

/** 1 where the row has a value, 0 where it is null; absent for a column without nulls in the chunk. */
type Presence = Uint8Array | undefined;

export type RawColumn =
  | { kind: 'number'; values: Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array; present?: Presence }
  /** Little-endian halves: [lo0, hi0, lo1, hi1, …]. */
  | { kind: 'int64'; halves: Uint32Array; present?: Presence }
  | { kind: 'bool'; values: Uint8Array; present?: Presence }
  | { kind: 'string'; ids: Int32Array; words: string[]; present?: Presence }
  /** Row i's items are child rows offsets[i]..offsets[i+1]. */
  | { kind: 'list'; offsets: Int32Array; child: RawColumn; present?: Presence };

/** A chunk of rows of one table. */
export interface RawChunk {
  rows: number;
  columns: RawColumn[];
  /** A buffer the encoder thread sends back for reuse once it has read the chunk. */
  recycle?: ArrayBuffer;
}

/** The buffers of a chunk, each once, for postMessage's transfer list. */
export function chunkBuffers(chunk: RawChunk): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | undefined): void => { if (a !== undefined) seen.add(a.buffer as ArrayBuffer); };
  const visit = (c: RawColumn): void => {
    add(c.present);
    switch (c.kind) {
      case 'number': case 'bool': add(c.values); break;
      case 'int64': add(c.halves); break;
      case 'string': add(c.ids); break;
      case 'list': add(c.offsets); visit(c.child); break;
    }
  };
  for (const c of chunk.columns) visit(c);
  if (chunk.recycle !== undefined) seen.add(chunk.recycle);
  return [...seen];
}

/** A cell of the generic row API (report tables): numbers, bigint where 64 bits are needed, lists as arrays. */
export type Cell = string | number | bigint | boolean | null | readonly number[] | readonly string[];

const TWO32 = 0x1_0000_0000;

function numberArray(type: ColumnType, n: number): Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array {
  switch (type) {
    case 'UTINYINT': return new Uint8Array(n);
    case 'USMALLINT': return new Uint16Array(n);
    case 'UINTEGER': case 'UINTEGER[]': return new Uint32Array(n);
    case 'INTEGER': case 'INTEGER[]': return new Int32Array(n);
    default: return new Float64Array(n);
  }
}

/**
 * One column of generic cells (rows of the small tables and of `options`) in raw form. Nulls are allowed in
 * every column; the encoder's schema says which may hold them.
 */
export function rawColumn(type: ColumnType, cells: readonly Cell[]): RawColumn {
  const n = cells.length;
  let present: Uint8Array | undefined;
  const markNull = (i: number): void => {
    if (present === undefined) present = new Uint8Array(n).fill(1);
    present[i] = 0;
  };
  switch (type) {
    case 'VARCHAR': {
      const ids = new Int32Array(n);
      const index = new Map<string, number>();
      const words: string[] = [];
      cells.forEach((v, i) => {
        if (v === null || v === undefined) { markNull(i); return; }
        const s = String(v);
        let id = index.get(s);
        if (id === undefined) { id = words.length; index.set(s, id); words.push(s); }
        ids[i] = id;
      });
      return { kind: 'string', ids, words, present };
    }
    case 'BOOLEAN': {
      const values = new Uint8Array(n);
      cells.forEach((v, i) => { if (v === null || v === undefined) markNull(i); else values[i] = v ? 1 : 0; });
      return { kind: 'bool', values, present };
    }
    case 'UBIGINT': case 'BIGINT': case 'TIMESTAMP': {
      const halves = new Uint32Array(2 * n);
      cells.forEach((v, i) => {
        if (v === null || v === undefined) { markNull(i); return; }
        if (typeof v === 'bigint') { halves[2 * i] = Number(v & 0xffffffffn); halves[2 * i + 1] = Number((v >> 32n) & 0xffffffffn); return; }
        const x = Number(v);
        const hi = Math.floor(x / TWO32);
        halves[2 * i] = x - hi * TWO32;
        halves[2 * i + 1] = hi;
      });
      return { kind: 'int64', halves, present };
    }
    case 'UINTEGER[]': case 'INTEGER[]': case 'UBIGINT[]': case 'VARCHAR[]': {
      const offsets = new Int32Array(n + 1);
      const items: Cell[] = [];
      cells.forEach((v, i) => {
        if (v === null || v === undefined) markNull(i);
        else for (const x of v as ReadonlyArray<string | number>) items.push(x);
        offsets[i + 1] = items.length;
      });
      const element = type.slice(0, -2) as ColumnType;
      return { kind: 'list', offsets, child: rawColumn(element, items), present };
    }
    default: {
      const values = numberArray(type, n);
      cells.forEach((v, i) => { if (v === null || v === undefined) markNull(i); else values[i] = Number(v); });
      return { kind: 'number', values, present };
    }
  }
}
