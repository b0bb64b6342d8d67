/**
 * One Parquet file being written: typed columns filled row by row and written out in row groups (hyparquet-
 * writer's ParquetWriter, Snappy pages), so memory holds at most one row group whatever the capture's size.
 */
import { ParquetWriter, fileWriter } from 'hyparquet-writer';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** Column types, named as DuckDB shows them (docs/tables.md). */
export type ColumnType =
  | 'VARCHAR' | 'BOOLEAN' | 'DOUBLE' | 'UTINYINT' | 'USMALLINT' | 'UINTEGER' | 'INTEGER' | 'UBIGINT' | 'BIGINT'
  | 'TIMESTAMP' | 'UINTEGER[]' | 'INTEGER[]' | 'UBIGINT[]' | 'VARCHAR[]';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** Never null (REQUIRED); default nullable. */
  required?: boolean;
  /**
   * Values nearly all distinct (sequence numbers, times, DSNs): PLAIN pages, no dictionary attempt and no
   * min/max statistics, which cost more time than they save space on such columns.
   */
  plain?: boolean;
}

/** A cell: numbers for integers and TIMESTAMP (microseconds since 1970, UTC), bigint where 64 bits are needed. */
export type Cell = string | number | bigint | boolean | null | number[] | string[];

function leaf(c: ColumnDef, name: string, repetition: 'REQUIRED' | 'OPTIONAL'): SchemaElement {
  const base = { name, repetition_type: repetition } as const;
  switch (c.type) {
    case 'VARCHAR': case 'VARCHAR[]': return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'BOOLEAN': return { ...base, type: 'BOOLEAN' };
    case 'DOUBLE': return { ...base, type: 'DOUBLE' };
    case 'UTINYINT': return { ...base, type: 'INT32', converted_type: 'UINT_8' };
    case 'USMALLINT': return { ...base, type: 'INT32', converted_type: 'UINT_16' };
    case 'UINTEGER': case 'UINTEGER[]': return { ...base, type: 'INT32', converted_type: 'UINT_32' };
    case 'INTEGER': case 'INTEGER[]': return { ...base, type: 'INT32' };
    case 'UBIGINT': case 'UBIGINT[]': return { ...base, type: 'INT64', converted_type: 'UINT_64' };
    case 'BIGINT': return { ...base, type: 'INT64' };
    case 'TIMESTAMP': return { ...base, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } };
  }
}

/** The Parquet schema of the columns: scalars as leaves, lists as the standard three-level LIST group. */
export function parquetSchema(columns: readonly ColumnDef[]): SchemaElement[] {
  const out: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) {
    const repetition = c.required ? 'REQUIRED' : 'OPTIONAL';
    if (c.type.endsWith('[]')) {
      out.push({ name: c.name, repetition_type: repetition, converted_type: 'LIST', num_children: 1 });
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
      out.push(leaf(c, 'element', 'REQUIRED'));
    } else out.push(leaf(c, c.name, repetition));
  }
  return out;
}

const INT64_TYPES = new Set<ColumnType>(['UBIGINT', 'BIGINT', 'TIMESTAMP', 'UBIGINT[]']);

function toBigInts(col: Cell[], lists: boolean): void {
  for (let j = 0; j < col.length; j++) {
    const v = col[j];
    if (typeof v === 'number') col[j] = BigInt(v);
    else if (lists && Array.isArray(v)) col[j] = (v as number[]).map((x) => BigInt(x)) as unknown as number[];
  }
}

export class ParquetTable {
  /** One array per column, filled by the caller (`cols[i].push(...)`), then `endRow()`. */
  readonly cols: Cell[][];
  private rows = 0;
  private readonly writer: ParquetWriter;

  constructor(path: string, readonly columns: readonly ColumnDef[], private readonly rowGroupRows: number, createdBy: string) {
    this.cols = columns.map(() => []);
    this.writer = new ParquetWriter({ writer: fileWriter(path), schema: parquetSchema(columns), codec: 'SNAPPY', createdBy });
  }

  /** Adds a whole row (in column order). */
  row(values: readonly Cell[]): void {
    const cols = this.cols;
    for (let i = 0; i < cols.length; i++) cols[i].push(values[i]);
    this.endRow();
  }

  /** Call after pushing one value into every column. */
  endRow(): void {
    if (++this.rows >= this.rowGroupRows) this.flush();
  }

  private flush(): void {
    if (this.rows === 0) return;
    // The writer takes 64-bit integers as bigint only; cells hold plain numbers where they fit (most do).
    this.columns.forEach((c, i) => { if (INT64_TYPES.has(c.type)) toBigInts(this.cols[i], c.type.endsWith('[]')); });
    const columnData = this.columns.map((c, i) => (c.plain
      ? { name: c.name, data: this.cols[i] as never[], nullable: !c.required, encoding: 'PLAIN' as const, statistics: false }
      : { name: c.name, data: this.cols[i] as never[], nullable: !c.required }));
    void this.writer.write({ columnData, rowGroupSize: this.rows });
    for (const col of this.cols) col.length = 0;
    this.rows = 0;
  }

  /** Writes the last row group and the footer. */
  finish(): void {
    this.flush();
    void this.writer.finish();
  }
}
