#!/usr/bin/env node
// The three queries of docs/fleet.md, run with DuckDB's Node package (@duckdb/node-api, a dev dependency) over an
// export directory, printed as Markdown tables:
//
//   mptcpscope export --parquet out captures/ && node docs/fleet-example.mjs out
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2] ?? 'out';
const t = (name) => `read_parquet('${dir}/${name}/*.parquet')`;

export const QUERIES = {
  'Sessions with their subflows and packets (sessions ⋈ subflows ⋈ packets)': `
SELECT c.file, s.session, s.version,
       count(DISTINCT f.subflow)           AS subflows,
       count(p.number)                     AS packets,
       sum(p.payload_length)               AS payload_bytes,
       s.c2s_complete, s.s2c_complete
FROM ${t('captures')} c
JOIN ${t('sessions')} s USING (capture_id)
JOIN ${t('subflows')} f USING (capture_id, session)
JOIN ${t('packets')}  p ON p.capture_id = f.capture_id AND p.session = f.session AND p.subflow = f.subflow
GROUP BY ALL
ORDER BY subflows DESC, packets DESC
LIMIT 8`,
  'The worst data-level reordering delays': `
SELECT c.file, s.session, d.dir, d.max_ms, d.p95_ms, d.samples
FROM ${t('captures')} c
JOIN ${t('sessions')} s USING (capture_id),
LATERAL (VALUES ('c2s', s.c2s_reorder_delay_max_ms, s.c2s_reorder_delay_p95_ms, s.c2s_reorder_delay_samples),
                ('s2c', s.s2c_reorder_delay_max_ms, s.s2c_reorder_delay_p95_ms, s.s2c_reorder_delay_samples))
        AS d(dir, max_ms, p95_ms, samples)
ORDER BY d.max_ms DESC
LIMIT 5`,
  'Captures with DSS checksum failures': `
SELECT c.file, count(*) AS findings, sum(f.count) AS occurrences,
       list_sort(flatten(list(f.packets)))[1:5] AS first_packets
FROM ${t('findings')} f
JOIN ${t('captures')} c USING (capture_id)
WHERE f.code = 'DSS_CHECKSUM_MISMATCH'
GROUP BY c.file
ORDER BY occurrences DESC`,
};

const db = await (await DuckDBInstance.create(':memory:')).connect();
for (const [title, sql] of Object.entries(QUERIES)) {
  const r = await db.runAndReadAll(sql);
  const cols = r.columnNames();
  const rows = r.getRowsJson().map((row) => row.map((v) => (Array.isArray(v) ? `[${v.join(', ')}]` : v === null ? 'NULL' : String(v))));
  console.log(`### ${title}\n`);
  console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log('');
}
