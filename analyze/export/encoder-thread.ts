/**
 * The body of the Parquet encoder thread (started by parquet-encoder.ts from this function's source text, so it
 * runs the same from the compiled files and from the bundle: it must use only its own code, its `load`
 * parameter (the worker's `require`, passed by name because bundlers rename `require`) and globals). It turns raw column chunks (raw-columns.ts) into Arrow record batches with apache-arrow, hands them
 * to parquet-wasm (the Rust `parquet` crate in WebAssembly) as Arrow IPC, and streams each file's Parquet bytes
 * to disk as its row groups complete. Several files can be open at once (a capture's tables); one WebAssembly
 * instance serves every file of the process.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export function encoderThreadMain(load: (id: string) => any): void {
  const { parentPort, workerData } = load('node:worker_threads');
  const fs = load('node:fs');
  const arrow = load(workerData.arrow);
  const pw = load(workerData.parquetWasm);
  /** [row chunks handed over and not yet taken] */
  const queued = new Int32Array(workerData.state);

  interface OpenFile {
    chunks: any[];
    closed: boolean;
    /** Failed or aborted: chunks are dropped, the stream is closed, the file's bytes are not written. */
    aborted: boolean;
    wake: (() => void) | null;
  }
  const files = new Map<number, OpenFile>();

  const elementType = (t: string): string => t.slice(0, -2);
  const arrowType = (t: string, dictionaryId: number): any => {
    switch (t) {
      case 'VARCHAR': return new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), dictionaryId);
      case 'BOOLEAN': return new arrow.Bool();
      case 'DOUBLE': return new arrow.Float64();
      case 'UTINYINT': return new arrow.Uint8();
      case 'USMALLINT': return new arrow.Uint16();
      case 'UINTEGER': return new arrow.Uint32();
      case 'INTEGER': return new arrow.Int32();
      case 'UBIGINT': return new arrow.Uint64();
      case 'BIGINT': return new arrow.Int64();
      case 'TIMESTAMP': return new arrow.TimestampMicrosecond('UTC');
      default: {
        const e = elementType(t);
        return new arrow.List(new arrow.Field('element', e === 'VARCHAR' ? new arrow.Utf8() : arrowType(e, -1), false));
      }
    }
  };

  /** Set bits per byte value. */
  const ONES = new Uint8Array(256);
  for (let b = 1; b < 256; b++) ONES[b] = (b & 1) + ONES[b >> 1];
  /** A bitmap (validity or booleans) from bytes that are 0 or 1, and the count of zeros (nulls). */
  const bitmap = (bytes: Uint8Array, n: number): [Uint8Array, number] => {
    const bits = new Uint8Array((n + 7) >> 3);
    let ones = 0;
    let i = 0;
    for (let j = 0; i + 8 <= n; i += 8, j++) {
      const b = bytes[i] | (bytes[i + 1] << 1) | (bytes[i + 2] << 2) | (bytes[i + 3] << 3) | (bytes[i + 4] << 4) | (bytes[i + 5] << 5) | (bytes[i + 6] << 6) | (bytes[i + 7] << 7);
      bits[j] = b;
      ones += ONES[b];
    }
    for (; i < n; i++) if (bytes[i] !== 0) { bits[i >> 3] |= 1 << (i & 7); ones++; }
    return [bits, n - ones];
  };

  const encoder = new TextEncoder();
  const utf8 = (words: string[], ids: Int32Array | null, n: number): any => {
    const bytes = words.map((w) => encoder.encode(w));
    const count = ids === null ? words.length : n;
    const offsets = new Int32Array(count + 1);
    let total = 0;
    for (let i = 0; i < count; i++) { total += bytes[ids === null ? i : ids[i]].length; offsets[i + 1] = total; }
    const data = new Uint8Array(total);
    for (let i = 0; i < count; i++) data.set(bytes[ids === null ? i : ids[i]], offsets[i]);
    return arrow.makeData({ type: new arrow.Utf8(), length: count, nullCount: 0, valueOffsets: offsets, data });
  };

  const dataOf = (type: any, t: string, raw: any, n: number): any => {
    const [nullBitmap, nullCount] = raw.present ? bitmap(raw.present, n) : [undefined, 0];
    switch (raw.kind) {
      case 'number': return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: raw.values.subarray(0, n) });
      case 'int64': {
        const h = raw.halves;
        const data = t === 'UBIGINT' || t === 'UBIGINT[]' ? new BigUint64Array(h.buffer, h.byteOffset, n) : new BigInt64Array(h.buffer, h.byteOffset, n);
        return arrow.makeData({ type, length: n, nullCount, nullBitmap, data });
      }
      case 'bool': return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: bitmap(raw.values, n)[0] });
      case 'string':
        if (type instanceof arrow.Utf8) return utf8(raw.words, raw.ids, n); // list items: plain strings
        return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: raw.ids.subarray(0, n), dictionary: arrow.makeVector(utf8(raw.words, null, 0)) });
      default: {
        const e = elementType(t);
        const child = dataOf(type.children[0].type, e, raw.child, raw.offsets[n]);
        return arrow.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: raw.offsets.subarray(0, n + 1), child });
      }
    }
  };

  // Strings and lists (whose leaf columns cannot be named here) take the defaults: a dictionary, no statistics.
  const properties = (m: any): any => {
    let b = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy(m.createdBy)
      .setMaxRowGroupSize(m.rowGroupRows).setDictionaryEnabled(true).setStatisticsEnabled(pw.EnabledStatistics.None);
    for (const c of m.columns) {
      if (c.type === 'VARCHAR' || c.type.endsWith('[]')) continue;
      const encoding = c.encoding ?? 'plain';
      if (encoding !== 'dictionary') b = b.setColumnDictionaryEnabled(c.name, false);
      if (encoding === 'delta') b = b.setColumnEncoding(c.name, pw.Encoding.DELTA_BINARY_PACKED);
      if (c.statistics ?? true) b = b.setColumnStatisticsEnabled(c.name, pw.EnabledStatistics.Chunk);
    }
    return b.build();
  };

  const taken = (): void => {
    Atomics.sub(queued, 0, 1);
    Atomics.notify(queued, 0);
  };

  const open = (m: any): void => {
    const f: OpenFile = { chunks: [], closed: false, aborted: false, wake: null };
    files.set(m.file, f);
    const types = m.columns.map((c: any, i: number) => arrowType(c.type, i));
    const schema = new arrow.Schema(m.columns.map((c: any, i: number) => new arrow.Field(c.name, types[i], !c.required)));
    const structType = new arrow.Struct(schema.fields);
    const batchOf = (chunk: any): Uint8Array => {
      const n = chunk.rows;
      const children = chunk.columns.map((raw: any, i: number) => dataOf(types[i], m.columns[i].type, raw, n));
      const struct = arrow.makeData({ type: structType, length: n, nullCount: 0, children });
      return arrow.tableToIPC(new arrow.Table([new arrow.RecordBatch(schema, struct)]), 'stream');
    };
    let first = true;
    const input = new ReadableStream({
      pull: (ctrl) => new Promise<void>((resolve, reject) => {
        const go = (): void => {
          const chunk = f.chunks.shift();
          if (chunk !== undefined) {
            try {
              if (chunk.rows > 0 || first) {
                first = false;
                const ipc = batchOf(chunk);
                if (chunk.recycle) parentPort.postMessage({ file: m.file, recycle: chunk.recycle }, [chunk.recycle]);
                const table = pw.Table.fromIPCStream(ipc);
                for (const rb of table.recordBatches()) ctrl.enqueue(rb);
                table.free(); // its arrays live on in the batches; without free() the wasm heap waits for JS GC
              }
              resolve();
            } catch (e) {
              reject(e);
            } finally {
              taken();
            }
          } else if (f.closed) { ctrl.close(); resolve(); }
          else f.wake = go;
        };
        go();
      }),
    });
    void (async () => {
      let fd = -1;
      let error: string | null = null;
      try {
        fd = fs.openSync(m.path, 'w');
        const out = await pw.transformParquetStream(input, properties(m));
        for await (const bytes of out) if (!f.aborted) fs.writeSync(fd, bytes);
      } catch (e: any) {
        error = String((e && e.code) || (e && e.message) || e);
        drop(f);
      }
      if (fd >= 0) try { fs.closeSync(fd); } catch (e: any) { error ??= String((e && e.code) || e); }
      files.delete(m.file);
      parentPort.postMessage(error === null || f.aborted ? { file: m.file, done: true } : { file: m.file, error });
    })();
  };

  /** Drops a file's queued chunks (failed or aborted); later ones are dropped as they come. */
  const drop = (f: OpenFile): void => {
    f.aborted = true;
    f.closed = true;
    for (let i = 0; i < f.chunks.length; i++) taken();
    f.chunks.length = 0;
  };

  /** Reads and hashes a file in slices of 4 MiB into one reused buffer, letting chunks of rows in between. */
  const sha256 = (m: any): void => {
    const hash = load('node:crypto').createHash('sha256');
    const slice = Buffer.allocUnsafe(4 << 20);
    let fd = -1;
    const step = (): void => {
      try {
        if (fd < 0) fd = fs.openSync(m.path, 'r');
        const n = fs.readSync(fd, slice, 0, slice.length, null);
        if (n > 0) { hash.update(slice.subarray(0, n)); setImmediate(step); return; }
        fs.closeSync(fd);
        parentPort.postMessage({ file: m.file, done: true, sha256: hash.digest('hex') });
      } catch (e: any) {
        if (fd >= 0) try { fs.closeSync(fd); } catch { /* reported below */ }
        parentPort.postMessage({ file: m.file, error: String((e && e.code) || e) });
      }
    };
    step();
  };

  parentPort.on('message', (m: any) => {
    if (m.op === 'open') { open(m); return; }
    if (m.op === 'sha256') { sha256(m); return; }
    const f = files.get(m.file);
    if (m.op === 'chunk') {
      if (f === undefined || f.aborted) { taken(); return; }
      f.chunks.push(m.chunk);
    } else if (m.op === 'close') {
      if (f === undefined) return;
      f.closed = true;
    } else if (m.op === 'abort') {
      // Answered (done) once the file is closed, so the caller can remove it without a race.
      if (f === undefined) { parentPort.postMessage({ file: m.file, done: true }); return; }
      drop(f);
    }
    if (f !== undefined && f.wake !== null) { const w = f.wake; f.wake = null; w(); }
  });
}
