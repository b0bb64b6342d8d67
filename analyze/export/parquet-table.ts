/**
 * One Parquet file of generic rows (the report tables and `options`): rows of cells are gathered into chunks of
 * raw columns (raw-columns.ts) and handed to the encoder thread (parquet-encoder.ts), which writes them in row
 * groups of `rowGroupRows` rows. Memory holds one chunk whatever the number of rows.
 */
import { ParquetFileWriter } from './parquet-encoder.js';
import { rawColumn, type Cell, type ColumnDef } from './raw-columns.js';

export type { Cell, ColumnDef, ColumnType } from './raw-columns.js';

/** Rows per chunk of a generic table. */
const CHUNK_ROWS = 4096;

export class ParquetTable {
  private rows: Cell[][] = [];
  private chunks = 0;
  private readonly writer: ParquetFileWriter;
  private readonly chunkRows: number;

  constructor(path: string, readonly columns: readonly ColumnDef[], rowGroupRows: number, createdBy: string) {
    this.writer = new ParquetFileWriter({ path, createdBy, rowGroupRows, columns });
    this.chunkRows = Math.min(CHUNK_ROWS, rowGroupRows);
  }

  /** Adds a whole row (in column order). */
  row(values: readonly Cell[]): void {
    this.rows.push(values as Cell[]);
    if (this.rows.length >= this.chunkRows) this.flush();
  }

  private flush(): void {
    const rows = this.rows;
    this.rows = [];
    this.chunks++;
    this.writer.add({ rows: rows.length, columns: this.columns.map((c, i) => rawColumn(c.type, rows.map((r) => r[i]))) });
  }

  /** Writes the last rows and the footer, and closes the file (an empty table still gets its schema). */
  async finish(): Promise<void> {
    if (this.rows.length > 0 || this.chunks === 0) this.flush();
    await this.writer.finish();
  }

  /** Stops writing; resolves once the file is closed and can be removed. */
  abort(): Promise<void> { return this.writer.abort(); }
}
