// `mptcpscope export --parquet` (issue 18): the tables read back by DuckDB (@duckdb/node-api) agree with the
// JSON reports of `analyze --json` (row counts, joins, incomplete streams) and, packet by packet, with the
// committed tshark decodes (test/oracles/*.tshark.tsv: TCP packets, raw DSN, DATA_ACK, subflow sequence).
// Bad input: one-line errors, a foreign output directory refused without a write, re-export replaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ensureBuilt, lines, ROOT, runCli } from './helpers/cli.js';
import type { AnalysisReport } from '../analyze/report-types.js';

const TABLES = ['captures', 'sessions', 'subflows', 'events', 'findings', 'packets', 'options'];
/** This machine is shared: a fleet of captures may take longer than runCli's default 15 s. */
const LONG = { timeoutMs: 180_000 };
let dir: string;
let out: string;
let db: DuckDBConnection;
/** analyze --json of every shipped capture, by file name as given. */
const reports = new Map<string, AnalysisReport>();

type Row = Record<string, unknown>;
async function q(sql: string): Promise<Row[]> {
  const r = await db.runAndReadAll(sql);
  return r.getRowObjectsJson() as Row[];
}
const t = (name: string): string => `read_parquet('${join(out, name)}/*.parquet')`;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mptcpscope-export-'));
  out = join(dir, 'out');
  const ex = await runCli(['export', '--parquet', out, '--jobs', '2', 'captures'], LONG);
  expect(ex.stderr).toBe('');
  expect(ex.code).toBe(0);
  const an = await runCli(['analyze', '--json', '--jobs', '2', 'captures'], LONG);
  expect(an.code).toBe(0);
  for (const l of lines(an.stdout)) { const r = JSON.parse(l) as AnalysisReport; reports.set(r.capture.file, r); }
  db = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => { db?.closeSync(); rmSync(dir, { recursive: true, force: true }); });

describe('tables read back by DuckDB', () => {
  it('one directory per table, one file per capture, and the marker', () => {
    expect(readdirSync(out).sort()).toEqual(['.mptcpscope-export', ...TABLES].sort());
    for (const table of TABLES) expect(readdirSync(join(out, table))).toHaveLength(reports.size);
  });

  it('row counts equal the counts of analyze --json, capture by capture', async () => {
    const count = async (table: string): Promise<Map<string, number>> => new Map((await q(
      `select c.file, count(x.capture_id) n from ${t('captures')} c left join ${t(table)} x using (capture_id) group by c.file`,
    )).map((r) => [String(r.file), Number(r.n)]));
    const [packets, sessions, subflows, events, findings] = await Promise.all(['packets', 'sessions', 'subflows', 'events', 'findings'].map(count));
    expect(packets.size).toBe(reports.size);
    for (const [file, r] of reports) {
      expect(packets.get(file), file).toBe(r.capture.tcpPackets);
      expect(sessions.get(file), file).toBe(r.sessions.length);
      expect(subflows.get(file), file).toBe(r.sessions.reduce((n, s) => n + s.subflows.length, 0));
      expect(events.get(file), file).toBe(r.sessions.reduce((n, s) => n + s.events.length, 0));
      expect(findings.get(file), file).toBe(r.findings.length);
    }
  });

  it('sessions ⋈ subflows ⋈ packets: packets per subflow and per session as in the reports', async () => {
    const rows = await q(`
      select c.file, s.session, f.subflow, any_value(f.packets) want_subflow, any_value(s.packets) want_session, count(p.number) got
      from ${t('captures')} c join ${t('sessions')} s using (capture_id) join ${t('subflows')} f using (capture_id, session)
      left join ${t('packets')} p on p.capture_id = f.capture_id and p.session = f.session and p.subflow = f.subflow
      group by all order by all`);
    let checked = 0;
    for (const r of rows) {
      const report = reports.get(String(r.file)) as AnalysisReport;
      const s = report.sessions.find((x) => x.id === Number(r.session));
      const f = s?.subflows.find((x) => x.id === Number(r.subflow));
      expect(Number(r.got), `${r.file} ${r.session}/${r.subflow}`).toBe(f?.packets);
      expect(Number(r.want_subflow)).toBe(f?.packets);
      checked++;
    }
    expect(checked).toBe([...reports.values()].reduce((n, rep) => n + rep.sessions.reduce((m, s) => m + s.subflows.length, 0), 0));
    const perSession = await q(`select capture_id, session, any_value(s.packets) want, count(p.number) got
      from ${t('sessions')} s join ${t('packets')} p using (capture_id, session) group by all`);
    for (const r of perSession) expect(Number(r.got)).toBe(Number(r.want));
  });

  it('"sessions per capture whose c2s stream is incomplete" answers as the JSON reports do', async () => {
    const rows = await q(`select c.file, count(s.session) filter (where not s.c2s_complete) n
      from ${t('captures')} c left join ${t('sessions')} s using (capture_id) group by c.file`);
    const got = Object.fromEntries(rows.map((r) => [String(r.file), Number(r.n)]));
    const want = Object.fromEntries([...reports].map(([f, r]) => [f, r.sessions.filter((s) => !s.data.c2s.complete).length]));
    expect(got).toEqual(want);
    expect(Object.values(want).some((n) => n > 0)).toBe(true); // the question has a non-trivial answer here
  });

  it('keys, tokens and IDSNs as UBIGINT/UINTEGER values equal the reports\' hex and decimal texts', async () => {
    const rows = await q(`select c.file, s.session, printf('%016x', s.client_key) ck, printf('%08x', s.client_token) ct, s.client_idsn::varchar ci,
      printf('%016x', s.server_key) sk, s.server_idsn::varchar si from ${t('captures')} c join ${t('sessions')} s using (capture_id)`);
    let keyed = 0;
    for (const r of rows) {
      const s = reports.get(String(r.file))?.sessions.find((x) => x.id === Number(r.session));
      if (!s?.client.key || !s.server.key) continue;
      expect(r.ck).toBe(s.client.key);
      expect(r.ct).toBe(s.client.token);
      expect(r.ci).toBe(s.client.idsn);
      expect(r.sk).toBe(s.server.key);
      expect(r.si).toBe(s.server.idsn);
      keyed++;
    }
    expect(keyed).toBeGreaterThan(10);
  });

  it('per-packet verdicts of the engine: connections as counted, checksum mismatches where the findings put them', async () => {
    const conns = await q(`select c.file, count(distinct p.connection) n from ${t('captures')} c join ${t('packets')} p using (capture_id) group by c.file`);
    for (const r of conns) expect(Number(r.n), String(r.file)).toBe(reports.get(String(r.file))!.capture.tcpConnections);
    const bad = await q(`select c.file, p.number from ${t('captures')} c join ${t('packets')} p using (capture_id) where p.checksum_valid = false order by all`);
    const want = [...reports].flatMap(([file, r]) => r.findings.filter((f) => f.code === 'DSS_CHECKSUM_MISMATCH').flatMap((f) => f.packets.map((n) => ({ file, number: n }))));
    expect(want.length).toBeGreaterThan(0);
    expect(bad.map((r) => ({ file: r.file, number: Number(r.number) }))).toEqual(want.sort((a, b) => a.file.localeCompare(b.file) || a.number - b.number));
    const tagged = await q(`select count(*) n from ${t('packets')} where list_contains(findings, 'DSS_CHECKSUM_MISMATCH')`);
    expect(Number(tagged[0].n)).toBe(want.length);
  });

  it('column types: timestamps, UBIGINT DSNs, booleans, lists', async () => {
    const types = Object.fromEntries((await q(`describe select * from ${t('packets')}`)).map((r) => [r.column_name, r.column_type]));
    expect(types).toMatchObject({
      number: 'UINTEGER', time: 'TIMESTAMP WITH TIME ZONE', src: 'VARCHAR', sport: 'USMALLINT', session: 'UINTEGER',
      direction: 'VARCHAR', mptcp_subtypes: 'VARCHAR[]', dss_dsn: 'UBIGINT', dss_data_ack: 'UBIGINT', dss_dsn_64: 'BOOLEAN',
    });
    const f = Object.fromEntries((await q(`describe select * from ${t('findings')}`)).map((r) => [r.column_name, r.column_type]));
    expect(f.packets).toBe('UINTEGER[]');
  });
});

describe('packets against the committed tshark decodes', () => {
  const index = readFileSync(join(ROOT, 'test/oracles/index.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  it.each(index.map(([name, source]) => [name, source]))('%s: TCP packets, raw DSN, DATA_ACK and subflow sequence numbers', async (name, source) => {
    const [head, ...body] = readFileSync(join(ROOT, `test/oracles/${name}.tshark.tsv`), 'utf8').replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
    const col = (f: string): number => head.indexOf(f);
    const [num, port, dsn, ack, ssn] = ['frame.number', 'tcp.srcport', 'tcp.options.mptcp.rawdataseqno', 'tcp.options.mptcp.rawdataack', 'tcp.options.mptcp.subflowseqno'].map(col);
    const tcp = body.filter((r) => r[port] !== '');
    const rows = await q(`select p.number, p.dss_dsn::varchar dsn, p.dss_data_ack::varchar ack, p.dss_ssn ssn, len(list_filter(p.mptcp_subtypes, x -> x = 'DSS')) dss
      from ${t('packets')} p join ${t('captures')} c using (capture_id) where c.file = '${source}' order by p.number`);
    expect(rows.map((r) => Number(r.number))).toEqual(tcp.map((r) => Number(r[num])));
    let compared = 0;
    rows.forEach((r, i) => {
      if (Number(r.dss) !== 1) return; // a second DSS in one packet goes to the options table
      const o = tcp[i];
      expect(r.dsn ?? '', `packet ${r.number}`).toBe(o[dsn]);
      expect(r.ack ?? '', `packet ${r.number}`).toBe(o[ack]);
      expect(r.ssn === null ? '' : String(r.ssn), `packet ${r.number}`).toBe(o[ssn]);
      compared++;
    });
    if (tcp.some((o) => o[dsn] !== '')) expect(compared).toBeGreaterThan(0);
  });
});

describe('row groups', () => {
  it('small row groups (the packets then go through the encoder thread): the same rows, in several row groups', async () => {
    const small = join(dir, 'small-groups');
    const r = await runCli(['export', '--parquet', small, '--row-group-rows', '100', 'captures/v1-two-subflows.pcap', 'captures/lossy.pcap'], LONG);
    expect(r.code).toBe(0);
    const pick = (o: string): string => `select * exclude (capture_id) from read_parquet('${join(o, 'packets')}/*.parquet') p where exists (select 1 from read_parquet('${join(o, 'captures')}/*.parquet') c where c.capture_id = p.capture_id and c.file in ('captures/v1-two-subflows.pcap', 'captures/lossy.pcap')) order by time, number`;
    const [a, b] = await Promise.all([q(pick(small)), q(pick(out))]);
    expect(a.length).toBe(reports.get('captures/v1-two-subflows.pcap')!.capture.tcpPackets + reports.get('captures/lossy.pcap')!.capture.tcpPackets);
    expect(a).toEqual(b);
    const groups = await q(`select count(distinct row_group_id) n from parquet_metadata('${join(small, 'packets')}/*.parquet')`);
    expect(Number(groups[0].n)).toBeGreaterThan(4);
  });
});

describe('bad input and re-export', () => {
  it('re-exporting a capture replaces its files atomically (no temporary file left)', async () => {
    const file = join(out, 'packets', readdirSync(join(out, 'packets')).find((f) => f.startsWith('v1-two-subflows-')) as string);
    const before = statSync(file).mtimeMs;
    const r = await runCli(['export', '--parquet', out, 'captures/v1-two-subflows.pcap'], LONG);
    expect(r.code).toBe(0);
    expect(statSync(file).mtimeMs).toBeGreaterThan(before);
    for (const table of TABLES) expect(readdirSync(join(out, table))).toHaveLength(reports.size);
    const n = await q(`select count(*) n from ${t('captures')} where file = 'captures/v1-two-subflows.pcap'`);
    expect(Number(n[0].n)).toBe(1);
  });

  it('an existing directory that is not an export: exit 2, one line, nothing written into it', async () => {
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine\n');
    const r = await runCli(['export', '--parquet', foreign, 'captures/v1-two-subflows.pcap'], LONG);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`mptcpscope: ${foreign} exists and is not an mptcpscope export (no .mptcpscope-export file): give a new or empty directory`]);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const f = await runCli(['export', '--parquet', file, 'captures/v1-two-subflows.pcap'], LONG);
    expect(f.code).toBe(2);
    expect(lines(f.stderr)).toEqual([`mptcpscope: ${file} exists and is not a directory`]);
  });

  it('a capture that cannot be read: its own line, the others exported, exit 1; none readable: exit 2', async () => {
    const o2 = join(dir, 'o2');
    const missing = join(dir, 'gone.pcap');
    const r = await runCli(['export', '--parquet', o2, missing, 'captures/v1-two-subflows.pcap'], LONG);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([`mptcpscope: ${missing}: cannot open: no such file`]);
    expect(readdirSync(join(o2, 'packets'))).toHaveLength(1);
    const all = await runCli(['export', '--parquet', o2, 'README.md'], LONG);
    expect(all.code).toBe(2);
    expect(lines(all.stderr)).toEqual([expect.stringMatching(/^mptcpscope: README\.md is not a pcap or pcapng capture/)]);
    const usage = await runCli(['export', 'captures/v1-two-subflows.pcap'], LONG);
    expect(usage.code).toBe(2);
    expect(lines(usage.stderr)[0]).toMatch(/^mptcpscope: required option '--parquet <dir>' not specified/);
  });
});
