#!/usr/bin/env node
// Which npm Parquet writer `export` uses: hyparquet-writer (pure JS) against apache-arrow + parquet-wasm (the
// Rust parquet crate in WebAssembly), writing the same packet-like columns in row groups of 131,072 rows with
// Snappy, each with its fastest settings (PLAIN pages and no statistics for the distinct columns, a dictionary
// for the address column). Runs alternate (a, b, a, b, ...) and the medians are compared, because this
// machine's speed moves from minute to minute.
//
//   node bench/parquet-writers.mjs [--rows N] [--runs N]
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const ROWS = arg('--rows', 1_441_792);
const RUNS = arg('--runs', 3);
const GROUP = 131_072;
const ADDRS = ['10.0.1.1', '10.0.1.2', '10.0.2.1', '10.0.2.2'];
const dir = mkdtempSync(join(tmpdir(), 'parquet-writers-'));

// Packet-like values: number, time (µs), subflow sequence, a 64-bit DSN, a source address.
function group(g, n) {
  const num = new Uint32Array(n), time = new BigInt64Array(n), seq = new Uint32Array(n), dsn = new BigUint64Array(n), src = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = g * GROUP + i;
    num[i] = k + 1; time[i] = BigInt(1_700_000_000_000_000 + k * 7); seq[i] = (k * 1448) >>> 0; dsn[i] = 0xdead_beef_0000_0000n + BigInt(k) * 1448n; src[i] = k & 3;
  }
  return { num, time, seq, dsn, src };
}

async function parquetWasm(file) {
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY)
    .setDictionaryEnabled(false).setStatisticsEnabled(pw.EnabledStatistics.None).setColumnDictionaryEnabled('src', true).build();
  const fd = openSync(file, 'w');
  let g = 0;
  const input = new ReadableStream({
    pull(ctrl) {
      const n = Math.min(GROUP, ROWS - g * GROUP);
      if (n <= 0) { ctrl.close(); return; }
      const c = group(g++, n);
      const dict = arrow.vectorFromArray(ADDRS, new arrow.Utf8());
      const batch = new arrow.RecordBatch({
        number: arrow.makeData({ type: new arrow.Uint32(), length: n, data: c.num }),
        time: arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: n, data: c.time }),
        seq: arrow.makeData({ type: new arrow.Uint32(), length: n, data: c.seq }),
        dsn: arrow.makeData({ type: new arrow.Uint64(), length: n, data: c.dsn }),
        src: arrow.makeData({ type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), length: n, data: c.src, dictionary: dict }),
      });
      for (const b of pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table(batch), 'stream')).recordBatches()) ctrl.enqueue(b);
    },
  });
  for await (const chunk of await pw.transformParquetStream(input, props)) writeSync(fd, chunk);
  closeSync(fd);
}

function hyparquet(file) {
  const schema = [
    { name: 'root', num_children: 5 },
    { name: 'number', type: 'INT32', converted_type: 'UINT_32', repetition_type: 'REQUIRED' },
    { name: 'time', type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }, repetition_type: 'REQUIRED' },
    { name: 'seq', type: 'INT32', converted_type: 'UINT_32', repetition_type: 'REQUIRED' },
    { name: 'dsn', type: 'INT64', converted_type: 'UINT_64', repetition_type: 'REQUIRED' },
    { name: 'src', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  ];
  const w = new ParquetWriter({ writer: fileWriter(file), schema, codec: 'SNAPPY' });
  for (let g = 0; g * GROUP < ROWS; g++) {
    const n = Math.min(GROUP, ROWS - g * GROUP);
    const c = group(g, n);
    const plain = { encoding: 'PLAIN', statistics: false };
    w.write({ rowGroupSize: n, columnData: [
      { name: 'number', data: Int32Array.from(c.num), ...plain }, { name: 'time', data: c.time, ...plain },
      { name: 'seq', data: Int32Array.from(c.seq), ...plain }, { name: 'dsn', data: Array.from(c.dsn), ...plain },
      { name: 'src', data: Array.from(c.src, (k) => ADDRS[k]) },
    ] });
  }
  w.finish();
}

const writers = { 'apache-arrow + parquet-wasm': parquetWasm, 'hyparquet-writer': hyparquet };
const times = Object.fromEntries(Object.keys(writers).map((k) => [k, []]));
const sizes = {};
console.error(`parquet-writers: ${ROWS} rows x 5 columns, row groups of ${GROUP}, Snappy, ${RUNS} alternating runs; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (let r = 0; r < RUNS; r++) {
  for (const [name, fn] of Object.entries(writers)) {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.parquet`);
    const t0 = performance.now();
    await fn(file);
    times[name].push((performance.now() - t0) / 1000);
    sizes[name] = statSync(file).size;
  }
}
rmSync(dir, { recursive: true, force: true });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
for (const [name, ts] of Object.entries(times)) {
  console.log(`${name.padEnd(28)} median ${median(ts).toFixed(2)} s (runs ${ts.map((t) => t.toFixed(2)).join(', ')}), ${(ROWS / median(ts) / 1e6).toFixed(2)} M rows/s, ${(sizes[name] / 1e6).toFixed(2)} MB`);
}
console.log(`load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
