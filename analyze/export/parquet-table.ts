/**
 * One Parquet file being written: typed Arrow columns filled row by row (column-builders.ts); every full row
 * group becomes an Arrow record batch, which parquet-wasm (the Rust `parquet` crate compiled to WebAssembly)
 * encodes with Snappy into the file as a stream. Memory holds about one row group whatever the capture's size.
 * hyparquet-writer was measured slower (BENCHMARKS.md, "Parquet writers").
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
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

function writerProperties(columns: readonly ColumnDef[], createdBy: string): pw.WriterProperties {
  let b = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy(createdBy);
  for (const c of columns) {
    if (!c.plain) continue;
    b = b.setColumnDictionaryEnabled(c.name, false).setColumnStatisticsEnabled(c.name, pw.EnabledStatistics.None);
  }
  return b.build();
}

export class ParquetTable {
  /** One builder per column, in column order: push one value into each, then `endRow()`. */
  readonly cols: ColumnBuilder[];
  private readonly schema: arrow.Schema;
  private rows = 0;
  private readonly input: ReadableStream<unknown>;
  private enqueue!: (batch: unknown) => void;
  private close!: () => void;
  private readonly done: Promise<void>;
  private readonly fd: number;

  constructor(path: string, readonly columns: readonly ColumnDef[], private readonly rowGroupRows: number, createdBy: string) {
    // Row groups of the packet tables are allocated once; the small report tables grow as needed.
    const capacity = rowGroupRows <= 1 << 18 ? rowGroupRows : 1024;
    this.cols = columns.map((c, i) => builderFor(c, i, capacity));
    this.schema = new arrow.Schema(columns.map((c, i) => new arrow.Field(c.name, this.cols[i].type, !c.required)));
    this.fd = openSync(path, 'w');
    this.input = new ReadableStream({
      start: (controller) => {
        this.enqueue = (b) => controller.enqueue(b);
        this.close = () => controller.close();
      },
    });
    this.done = this.pump(writerProperties(columns, createdBy));
  }

  /** Encodes the record batches as they come and appends the bytes to the file. */
  private async pump(props: pw.WriterProperties): Promise<void> {
    try {
      const out = await pw.transformParquetStream(this.input as ReadableStream, props);
      for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) writeSync(this.fd, chunk);
    } finally {
      closeSync(this.fd);
    }
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

  private batches = 0;

  private flush(force = false): void {
    if (this.rows === 0 && !force) return;
    this.batches++;
    const struct = arrow.makeData({ type: new arrow.Struct(this.schema.fields), length: this.rows, nullCount: 0, children: this.cols.map((c) => c.data()) });
    const ipc = arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(this.schema, struct)]), 'stream');
    for (const batch of pw.Table.fromIPCStream(ipc).recordBatches()) this.enqueue(batch);
    for (const c of this.cols) c.reset();
    this.rows = 0;
  }

  /** Writes the last row group and the footer, and closes the file. */
  async finish(): Promise<void> {
    // A table without rows still gets its schema: one empty row group.
    this.flush(this.batches === 0);
    this.close();
    await this.done;
  }
}
