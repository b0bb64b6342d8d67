// View models of `mptcpscope tui` on real captures, without a terminal: the session tree, packet rows and lists,
// the detail tree, the filter, charts, timeline, stream preview, layout and the file source.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource, type SourceProgress } from '../tui/source.js';
import { TuiModel } from '../tui/model.js';
import { sessionTreeRows, treeEntries } from '../tui/view-sessions.js';
import { PacketList, packetRow, packetHeader, findingPacketSeverities } from '../tui/view-packets.js';
import { detailLines, detailText } from '../tui/view-detail.js';
import { expandShortcuts, parseTuiFilter, type PacketFilter } from '../tui/display-filter.js';
import { chartData } from '../tui/view-charts.js';
import { timelineLines } from '../tui/view-timeline.js';
import { PreviewStreams, pageLines } from '../tui/stream-pages.js';
import { computeLayout } from '../tui/layout.js';
import { ListCursor } from '../tui/cursor.js';
import { SessionSeries, MAX_BUCKETS } from '../tui/series.js';
import { buildReport } from '../analyze/report.js';
import { analyzeFile } from '../analyze/analyze-file.js';
import { pcapFile, ipv4, tcp } from './helpers/pcap.js';

const CAP = 'captures/v1-two-subflows.pcap';

/** Reads a capture through the file source into a model, as the UI does. */
async function load(file: string, opts: { batchPackets?: number; chunkBytes?: number } = {}): Promise<{ model: TuiModel; batches: SourceProgress[] }> {
  const model = new TuiModel(file);
  const batches: SourceProgress[] = [];
  await new Promise<void>((resolve, reject) => {
    new FileSource(file, opts).start({
      record: (r) => model.ingest(r),
      batch: (p) => batches.push(p),
      end: (e) => { model.finish(e); if (e.error) reject(e.error); else resolve(); },
    });
  });
  return { model, batches };
}

function filter(text: string, model: TuiModel): PacketFilter {
  const r = parseTuiFilter(text, model);
  if (!r.ok || !r.filter) throw new Error(`bad filter ${text}: ${r.ok ? 'empty' : r.error}`);
  return r.filter;
}

describe('tui view models on v1-two-subflows.pcap', () => {
  let model: TuiModel;
  let batches: SourceProgress[];
  // The report of the same engine, built once (a stream's sha256 can be taken once).
  let report: ReturnType<typeof buildReport>;
  beforeAll(async () => {
    ({ model, batches } = await load(CAP, { batchPackets: 100, chunkBytes: 16384 }));
    report = buildReport(model.engine, { file: CAP, format: 'pcap', truncated: false, version: 'x' });
  });

  it('the file source delivers every packet in batches and reports progress to the end', () => {
    expect(model.index.count).toBe(460);
    expect(batches.length).toBeGreaterThanOrEqual(4);
    const last = batches[batches.length - 1];
    expect(last.done).toBe(true);
    expect(last.packets).toBe(460);
    expect(last.bytes).toBe(statSync(CAP).size);
    expect(last.totalBytes).toBe(statSync(CAP).size);
    expect(model.info.finished).toBe(true);
  });

  it('the model agrees with analyze on sessions and subflows', async () => {
    const { engine } = await analyzeFile(CAP);
    const ref = buildReport(engine, { file: CAP, format: 'pcap', truncated: false, version: 'x' });
    const mine = report;
    expect(mine.sessions.map((s) => s.subflows)).toEqual(ref.sessions.map((s) => s.subflows));
    expect(mine.sessions[0].data.c2s.sha256).toBe(ref.sessions[0].data.c2s.sha256);
  });

  it('session tree: the session expanded to both subflows with endpoints, ids, backup, HMAC and state', () => {
    const rows = sessionTreeRows(model);
    expect(rows.map((r) => r.kind)).toEqual(['session', 'subflow', 'subflow']);
    const [sf0, sf1] = report.sessions[0].subflows;
    expect(rows[0].text).toContain('Session 0');
    expect(rows[0].text).toContain('MPTCP v1');
    expect(rows[0].text).toContain(`${sf0.client} → ${sf0.server}`);
    expect(rows[0].expanded).toBe(true);
    // Both subflows with their client and server endpoints.
    expect(sf0.client).toMatch(/^10\.0\.1\.1:\d+$/);
    expect(sf1.client).toMatch(/^10\.0\.2\.1:\d+$/);
    expect(rows[1].text).toMatch(new RegExp(`sf 0 +${sf0.client.replace(/\./g, '\\.')} +→ 10\\.0\\.1\\.2:5201`));
    expect(rows[2].text).toMatch(new RegExp(`sf 1 +${sf1.client.replace(/\./g, '\\.')} +→ 10\\.0\\.1\\.2:5201`));
    expect(rows[1].text).toMatch(/ids 0\/0 +backup no +hmac initial +FIN/);
    expect(rows[2].text).toMatch(/ids 2\/0 +backup no +hmac valid +FIN/);
    expect(rows[2].text).toContain(`${sf1.packets} pkts`);
    expect(rows.every((r) => r.severity === undefined)).toBe(true);
    expect(rows.map((r) => r.key)).toEqual(['s0', 's0/0', 's0/1']);
  });

  it('session tree: a collapsed session hides its subflows', () => {
    const rows = sessionTreeRows(model, new Set([0]));
    expect(rows).toHaveLength(1);
    expect(rows[0].text.startsWith('▸ Session 0')).toBe(true);
    expect(treeEntries(model, new Set([0]))).toEqual([{ kind: 'session', session: 0 }]);
  });

  it('packet rows of subflow 1: its packets only, with direction, flags, lengths and MPTCP options', () => {
    const list = new PacketList(model.index, { kind: 'subflow', session: 0, subflow: 1 }, null);
    expect(list.count).toBe(report.sessions[0].subflows[1].packets);
    const rows = Array.from({ length: list.count }, (_, k) => packetRow(model, list.at(k)).text);
    // The three-way MP_JOIN handshake comes first.
    expect(rows[0]).toMatch(/^ +12 +0\.\d{6} +1 c2s 10\.0\.2\.1:\d+ +10\.0\.1\.2:5201 +\[S\] +\d+ +0 +MP_JOIN SYN id=2 token=[0-9a-f]{8} nonce=[0-9a-f]{8}$/);
    expect(rows[1]).toMatch(/ 1 s2c .*\[SA\] .*MP_JOIN SYN\/ACK id=0 hmac=[0-9a-f]{16} nonce=/);
    expect(rows[2]).toMatch(/ 1 c2s .*\[A\] .*MP_JOIN ACK hmac=[0-9a-f]{40}/);
    expect(rows.filter((r) => r.includes('DSS ')).length).toBeGreaterThan(100);
    for (const r of rows) expect(r).toMatch(/^ +\d+ +\d+\.\d{6} +1 (c2s|s2c) /);
    expect(packetHeader()).toMatch(/No\. +Time +Sf Dir Source +Destination +Flags +Wire +Data +MPTCP options/);
    // DSS rows carry the DSN relative to the sender's IDSN: the first data byte is 1.
    const all = Array.from({ length: model.index.count }, (_, i) => packetRow(model, i).text);
    expect(all.some((r) => / s2c .*DSS .* rdsn=1(\s|$)/.test(r))).toBe(true);
    // c2s: the first 1424 bytes rode on the MP_CAPABLE of packet 4, so its first DSS maps from 1425.
    expect(all.find((r) => / c2s .*DSS /.test(r))).toMatch(/ rdsn=1425(\s|$)/);
  });

  it('packet lists: session, all (no copy of the index), and rowOfPacket', () => {
    const all = new PacketList(model.index, { kind: 'all' }, null);
    expect(all.count).toBe(460);
    expect(all.at(99)).toBe(99);
    const s0 = new PacketList(model.index, { kind: 'session', session: 0 }, null);
    expect(s0.count).toBe(460);
    const sf1 = new PacketList(model.index, { kind: 'subflow', session: 0, subflow: 1 }, null);
    expect(model.index.n[sf1.at(sf1.rowOfPacket(13))]).toBe(13);
    expect(sf1.rowOfPacket(100000)).toBe(-1);
    // Spanning sessions, the subflow column says session.subflow.
    expect(packetRow(model, sf1.at(0), true).text).toMatch(/^ +12 +0\.\d{6} +0\.1 c2s/);
  });

  it('detail lines name every MPTCP field as dissect -V does (senderKey, dataLevelLength, dsn, ...)', () => {
    // Packet 4: the v1 MP_CAPABLE carrying the first data.
    const lines = detailText(detailLines(model, model.index.indexOf(4)));
    expect(lines[0]).toMatch(/^Frame 4: 1514 bytes on wire, 1514 captured, interface 0/);
    expect(lines).toContain('  MPTCP session 0, subflow 0, c2s (client to server)');
    expect(lines.some((l) => /^IPv4: 10\.0\.1\.1 → 10\.0\.1\.2, protocol 6/.test(l))).toBe(true);
    expect(lines.some((l) => /^TCP: \d+ → 5201, seq \d+, ack \d+, flags \[A\].*payload 1424 \(1424 captured\)$/.test(l))).toBe(true);
    expect(lines).toContain('  Multipath TCP: MP_CAPABLE (subtype 0), length 22');
    expect(lines).toContain('    version: 1');
    expect(lines.some((l) => /^ {4}senderKey: [0-9a-f]{16}$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {4}receiverKey: [0-9a-f]{16}$/.test(l))).toBe(true);
    expect(lines).toContain('    dataLevelLength: 1424');
    // A DSS packet.
    const dss = detailText(detailLines(model, model.index.indexOf(5)));
    expect(dss).toContain('  Multipath TCP: DSS (subtype 2), length 22');
    for (const f of ['dataAck', 'dsn', 'subflowSeq', 'dataLevelLength']) expect(dss.some((l) => l.startsWith(`    ${f}: `))).toBe(true);
    // An MP_JOIN SYN/ACK on subflow 1.
    const join = detailText(detailLines(model, model.index.indexOf(13)));
    expect(join).toContain('  MPTCP session 0, subflow 1, s2c (server to client)');
    for (const f of ['phase: SYN/ACK', 'addressId: 0', 'senderHmac: ', 'senderNonce: ']) expect(join.some((l) => l.startsWith(`    ${f}`))).toBe(true);
  });

  it('filters select packets by subtype, subflow, number range and direction', () => {
    const count = (text: string): number => new PacketList(model.index, { kind: 'session', session: 0 }, filter(text, model)).count;
    const numbers = (text: string): number[] => {
      const l = new PacketList(model.index, { kind: 'session', session: 0 }, filter(text, model));
      return Array.from({ length: l.count }, (_, k) => model.index.n[l.at(k)]);
    };
    expect(numbers('MP_JOIN')).toEqual([12, 13, 14]);
    expect(numbers('mp_join')).toEqual([12, 13, 14]);
    expect(numbers('join')).toEqual([12, 13, 14]);
    expect(count('sf:1')).toBe(new PacketList(model.index, { kind: 'subflow', session: 0, subflow: 1 }, null).count);
    expect(count('sf:0,1')).toBe(460);
    expect(numbers('#123')).toEqual([123]);
    expect(numbers('#10-20')).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(numbers('#458-')).toEqual([458, 459, 460]);
    expect(numbers('#-3')).toEqual([1, 2, 3]);
    expect(numbers('MP_CAPABLE MP_JOIN #1-13')).toEqual([1, 2, 3, 4, 12, 13]);
    expect(numbers('MP_JOIN sf:1 c2s')).toEqual([12, 14]);
    expect(count('s2c') + count('c2s')).toBe(460);
    expect(count('ADD_ADDR')).toBe(0);
    expect(count('mptcp')).toBe(460);
    // The same in Wireshark's display-filter language, including analysis fields and stateful ones.
    expect(numbers('tcp.options.mptcp.subtype == 1')).toEqual([12, 13, 14]);
    expect(numbers('tcp.options.mptcp.subtype == 1 && mptcpscope.dir == "c2s"')).toEqual([12, 14]);
    expect(count('mptcpscope.subflow == 1')).toBe(count('sf:1'));
    expect(count('tcp.stream == 1')).toBe(count('sf:1'));
    expect(numbers('frame.number in {10..12} && tcp.flags.syn == 1')).toEqual([12]);
  });

  it('charts: throughput per subflow and data-level progress for the session', () => {
    const c = chartData(model, 0)!;
    expect(c.throughput.map((s) => s.title)).toEqual(['sf0', 'sf1']);
    expect(c.progress.map((s) => s.title)).toEqual(['c2s', 's2c']);
    for (const s of [...c.throughput, ...c.progress]) {
      expect(s.x.length).toBe(s.y.length);
      expect(s.x.length).toBeLessThanOrEqual(MAX_BUCKETS);
    }
    // The in-order offset ends at the stream lengths (250000 and 220000 bytes, in KiB).
    expect(c.progress[0].y[c.progress[0].y.length - 1]).toBeCloseTo(250000 / 1024, 1);
    expect(c.progress[1].y[c.progress[1].y.length - 1]).toBeCloseTo(220000 / 1024, 1);
    // Throughput integrates back to the payload bytes of each subflow.
    c.throughput.forEach((s, sf) => {
      const bytes = s.y.reduce((a, v) => a + v, 0) * 1024 * c.bucketSeconds;
      expect(Math.abs(bytes - report.sessions[0].subflows[sf].bytes)).toBeLessThan(1024);
    });
    expect(chartData(model, 7)).toBeNull();
  });

  it('timeline: findings and the events, each event pointing at its packet', () => {
    const lines = timelineLines(model, 0);
    expect(lines[0].text).toBe('Findings (0)');
    const est = lines.find((l) => l.text.includes('MP_JOIN_ESTABLISHED'))!;
    expect(est.text).toContain('hmac=valid');
    expect(est.packet).toBe(14);
    expect(lines.some((l) => l.text.includes('DATA_FIN'))).toBe(true);
  });

  it('live Follow Stream: the bounded preview of both directions (the first 64 KiB), the same bytes as delivered', () => {
    const pv = new PreviewStreams(model.previews.get(0)!);
    expect(pv.length(0)).toBe(65536);
    expect(pv.length(1)).toBe(65536);
    expect(model.previews.get(0)![0].total).toBe(250000);
    expect(pv.note).toMatch(/first 64 KiB of each direction/);
    const page = pageLines(pv, 0, 'hex', 65536 - 32, 10, 80);
    expect(page.lines).toHaveLength(2);
    expect(page.next).toBe(65536);
  });

  it('the index keeps only the headers of each packet', () => {
    const ix = model.index;
    const i = ix.indexOf(4);
    expect(ix.capLen[i]).toBe(1514);
    expect(ix.headers(i).length).toBe(14 + 20 + 56);
    expect(ix.relTime(0)).toBe(0);
  });
});

describe('tui view models: fallback, unmatched, no MPTCP', () => {
  it('a fallback session is marked', async () => {
    const { model } = await load('captures/fallback.pcap');
    const rows = sessionTreeRows(model);
    expect(rows[0].text).toContain('FALLBACK');
  });

  it('findings colour the rows: session and subflow with errors, the packets they name', async () => {
    const { model } = await load('captures/checksum-rewrite.pcap');
    const rows = sessionTreeRows(model);
    expect(rows[0].severity).toBe('error');
    expect(rows[0].text).toMatch(/checksums  \d+ errors?/);
    const bad = rows.find((r) => r.kind === 'subflow' && r.severity === 'error')!;
    expect(bad).toBeDefined();
    const f = model.engine.sessions[0].findings.find((x) => x.code === 'DSS_CHECKSUM_MISMATCH')!;
    expect(bad.subflow).toBe(f.subflow);
    const marked = findingPacketSeverities(model);
    for (const n of f.packets) expect(marked.get(n)).toBe('error');
    const tl = timelineLines(model, 0);
    expect(tl[1].severity).toBe('error');
    expect(tl[1].packet).toBe(f.packets[0]);
  });

  it('unmatched subflows are listed under their own heading, marked', async () => {
    const { model } = await load('captures/public/tcpdump/mptcp-aa-echo.pcap');
    const rows = sessionTreeRows(model);
    expect(rows.map((r) => r.kind)).toEqual(['unmatched-header', 'unmatched', 'unmatched']);
    expect(rows[0].text).toBe('Unmatched subflows (2)');
    expect(rows[1].text).toContain('10.0.1.1:10000 → 10.0.3.2:54737');
    expect(rows[1].text).toContain('handshake not seen');
    expect(rows[1].severity).toBe('warning');
    const list = new PacketList(model.index, { kind: 'unmatched', unmatched: 1 }, null);
    expect(list.count).toBe(1);
    expect(packetRow(model, list.at(0)).text).toMatch(/ u1 .*ADD_ADDR/);
  });

  it('a capture without MPTCP gives one message row, and its packets are listed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mptcpscope-tui-'));
    const file = join(dir, 'plain.pcap');
    writeFileSync(file, pcapFile([
      { data: ipv4('10.0.0.1', '10.0.0.2', 6, tcp({ sport: 40000, dport: 80, flags: 0x02, seq: 1 })) },
      { data: ipv4('10.0.0.2', '10.0.0.1', 6, tcp({ sport: 80, dport: 40000, flags: 0x12, seq: 5, ack: 2 })) },
      { data: ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(8)) },
    ]));
    const { model } = await load(file);
    const rows = sessionTreeRows(model);
    expect(rows).toHaveLength(1);
    expect(rows[0].kind).toBe('message');
    expect(rows[0].text).toMatch(/^No MPTCP in this capture: 3 packets, 2 TCP, 1 plain TCP connection/);
    const all = new PacketList(model.index, { kind: 'all' }, null);
    expect(all.count).toBe(3);
    expect(packetRow(model, 0).text).toMatch(/ - +10\.0\.0\.1:40000 +10\.0\.0\.2:80 +\[S\] /);
    expect(packetRow(model, 2).text).toContain('IP protocol 17');
    expect(chartData(model, 0)).toBeNull();
    expect(detailText(detailLines(model, 0))).toContain('  not part of an MPTCP session');
  });
});

describe('tui filter: shortcuts and display filters', () => {
  it('expands the short terms to display-filter expressions', () => {
    expect(expandShortcuts('MP_JOIN')).toBe('tcp.options.mptcp.subtype == 1');
    expect(expandShortcuts('sf:1')).toBe('mptcpscope.subflow == 1');
    expect(expandShortcuts('sf=0,2')).toBe('mptcpscope.subflow in {0, 2}');
    expect(expandShortcuts('#7-')).toBe('frame.number >= 7');
    expect(expandShortcuts('#-7')).toBe('frame.number <= 7');
    expect(expandShortcuts('#10-20')).toBe('frame.number in {10..20}');
    expect(expandShortcuts('c2s')).toBe('mptcpscope.dir == "c2s"');
    expect(expandShortcuts('MP_JOIN add-addr sf:1 #5 c2s')).toBe(
      '(tcp.options.mptcp.subtype == 1 || tcp.options.mptcp.subtype == 3) && (mptcpscope.subflow == 1) && (frame.number == 5) && (mptcpscope.dir == "c2s")');
    // Anything else is a display filter as typed.
    expect(expandShortcuts('tcp.port == 80')).toBeNull();
    expect(expandShortcuts('MP_JOIN bogus')).toBeNull();
  });

  it('an empty text is no filter; a bad expression is one line saying where', () => {
    const m = new TuiModel('x');
    expect(parseTuiFilter('', m)).toEqual({ ok: true, filter: null });
    expect(parseTuiFilter('   ', m)).toEqual({ ok: true, filter: null });
    const r = parseTuiFilter('MP_JOIN bogus', m);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/"bogus" was unexpected.* at column 9/);
    const u = parseTuiFilter('tcp.options.mptcp.subtyp == 1', m);
    expect(u.ok).toBe(false);
    if (!u.ok) expect(u.error).toMatch(/tcp\.options\.mptcp\.subtype/);
  });
});

describe('tui layout, cursor and series', () => {
  it('lays out the panes inside 80x24 and uses a larger terminal', () => {
    for (const [cols, rows] of [[80, 24], [120, 40], [200, 60]]) {
      const l = computeLayout(cols, rows, 3);
      for (const r of [l.sessions, l.packets, l.detail]) {
        expect(r.left + r.width).toBeLessThanOrEqual(cols);
        expect(r.top + r.height).toBeLessThanOrEqual(rows - 1);
        expect(r.height).toBeGreaterThanOrEqual(4);
      }
      expect(l.status).toEqual({ top: rows - 1, left: 0, width: cols, height: 1 });
      expect(l.sessions.height).toBe(5);
    }
    expect(computeLayout(120, 40, 3).packets.height).toBeGreaterThan(computeLayout(80, 24, 3).packets.height);
    const wide = computeLayout(200, 60, 3);
    expect(wide.detail.left).toBe(wide.packets.width);
    expect(computeLayout(80, 24, 500).sessions.height).toBe(8);
  });

  it('the cursor keeps the selected row visible', () => {
    const c = new ListCursor();
    c.setHeight(10);
    c.setCount(1_000_000);
    c.end();
    expect([c.pos, c.top]).toEqual([999_999, 999_990]);
    c.page(-1);
    expect(c.pos).toBe(999_990);
    expect(c.pos).toBeGreaterThanOrEqual(c.top);
    c.home();
    expect([c.pos, c.top]).toEqual([0, 0]);
    c.move(-5);
    expect(c.pos).toBe(0);
    c.setCount(0);
    expect(c.pos).toBe(0);
  });

  it('chart series stay bounded however long the session', () => {
    const s = new SessionSeries(0);
    for (let t = 0; t < 100; t += 0.01) s.add(t, t < 50 ? 0 : 1, 1000, Math.floor(t * 10), 0);
    expect(s.buckets).toBeLessThanOrEqual(MAX_BUCKETS);
    const total = s.subflowBytes.flat().reduce((a, v) => a + v, 0);
    expect(total).toBe(10000 * 1000);
    expect(s.progress[0][s.buckets - 1]).toBe(999);
  });
});
