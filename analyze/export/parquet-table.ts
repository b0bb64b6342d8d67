/**
 * One Parquet file being written: typed Arrow columns filled row by row (column-builders.ts); every full row
 * group becomes an Arrow record batch, which parquet-wasm (the Rust `parquet` crate compiled to WebAssembly)
 * encodes with Snappy (parquet-encoders.ts). Memory holds a few row groups whatever the capture's size.
 * hyparquet-writer was measured slower (BENCHMARKS.md, "Parquet writers").
 */
import * as arrow from 'apache-arrow';
import { InThreadEncoder, WorkerEncoder, type EncoderConfig, type ParquetEncoder } from './parquet-encoders.js';
import { BoolBuilder, ColumnBuilder, Int64Builder, NumberBuilder, NumberListBuilder, StringBuilder, StringListBuilder, type Cell } from './column-builders.js';

export type { Cell } from './column-builders.js';

/** Column types, named as DuckDB shows them (docs/tables.md). */
export type ColumnType =
  | 'VARCHAR' | 'BOOLEAN' | 'DOUBLE' | 'UTINYINT' | 'USMALLINT' | 'UINTEGER' | 'INTEGER' | 'UBIGINT' | 'BIGINT'
  | 'TIMESTAMP' | 'UINTEGER[]' | 'INTEGER[]' | 'UBIGINT[]' | 'VARCHAR[]';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** Never null; default nullable. */
  required?: boolean;
  /** Values nearly all distinct (sequence numbers, times, DSNs): no dictionary page, no statistics. */
  plain?: boolean;
}

function builderFor(c: ColumnDef, id: number, capacity: number): ColumnBuilder {
  switch (c.type) {
    case 'VARCHAR': return new StringBuilder(id, capacity);
    case 'BOOLEAN': return new BoolBuilder(capacity);
    case 'DOUBLE': return new NumberBuilder(new arrow.Float64(), capacity);
    case 'UTINYINT': return new NumberBuilder(new arrow.Uint8(), capacity);
    case 'USMALLINT': return new NumberBuilder(new arrow.Uint16(), capacity);
    case 'UINTEGER': return new NumberBuilder(new arrow.Uint32(), capacity);
    case 'INTEGER': return new NumberBuilder(new arrow.Int32(), capacity);
    case 'UBIGINT': return new Int64Builder(new arrow.Uint64(), capacity);
    case 'BIGINT': return new Int64Builder(new arrow.Int64(), capacity);
    case 'TIMESTAMP': return new Int64Builder(new arrow.TimestampMicrosecond('UTC'), capacity);
    case 'UINTEGER[]': return new NumberListBuilder(new arrow.Uint32(), capacity);
    case 'INTEGER[]': return new NumberListBuilder(new arrow.Int32(), capacity);
    case 'UBIGINT[]': return new NumberListBuilder(new arrow.Uint64(), capacity);
    case 'VARCHAR[]': return new StringListBuilder(capacity);
  }
}

export class ParquetTable {
  /** One builder per column, in column order: push one value into each, then `endRow()`. */
  readonly cols: ColumnBuilder[];
  private readonly schema: arrow.Schema;
  private rows = 0;
  private batches = 0;
  private encoder: ParquetEncoder | null = null;
  private readonly config: EncoderConfig;

  constructor(path: string, readonly columns: readonly ColumnDef[], private readonly rowGroupRows: number, createdBy: string) {
    // Row groups of the packet tables are allocated once; the small report tables grow as needed.
    const capacity = rowGroupRows <= 1 << 18 ? rowGroupRows : 1024;
    this.cols = columns.map((c, i) => builderFor(c, i, capacity));
    this.schema = new arrow.Schema(columns.map((c, i) => new arrow.Field(c.name, this.cols[i].type, !c.required)));
    this.config = { path, createdBy, rowGroupRows: Math.min(rowGroupRows, 1 << 20), plain: columns.filter((c) => c.plain).map((c) => c.name) };
  }

  /** Adds a whole row (in column order) through the generic cells. */
  row(values: readonly Cell[]): void {
    const cols = this.cols;
    for (let i = 0; i < cols.length; i++) cols[i].push(values[i]);
    this.endRow();
  }

  /** Call after pushing one value into every column. */
  endRow(): void {
    if (++this.rows >= this.rowGroupRows) this.flush();
  }

  private flush(last = false): void {
    if (this.rows === 0 && !(last && this.batches === 0)) return; // an empty table still gets its schema
    // A table that fills a row group before the end is a large one: encode it on its own thread.
    if (!this.encoder) this.encoder = last ? new InThreadEncoder(this.config) : new WorkerEncoder(this.config);
    this.batches++;
    const struct = arrow.makeData({ type: new arrow.Struct(this.schema.fields), length: this.rows, nullCount: 0, children: this.cols.map((c) => c.data()) });
    this.encoder.add(arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(this.schema, struct)]), 'stream'));
    for (const c of this.cols) c.reset();
    this.rows = 0;
  }

  /** Writes the last row group and the footer, and closes the file. */
  async finish(): Promise<void> {
    this.flush(true);
    await (this.encoder as ParquetEncoder).finish();
  }
}
