/**
 * `analyze` text as tshark users read it (issue 13, fault 8, output side): units on every column, bytes
 * per direction, rates from the data-level bytes sent (not what snaplen kept), findings under their own
 * heading, singular and plural, DSNs relative to the IDSN (`--absolute-seq`: the wire values), `--absolute`
 * dates as `tshark -t ad`, and capture names (`pcap (gzip)`, `stdin`). Expected values come from tshark
 * (test/oracles/numbers/, made by test/oracles/numbers.sh) and from what the applications sent
 * (captures/*.meta.json).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, lines, runCli } from './helpers/cli.js';
import { oracleName, tsharkNumbers } from './helpers/tshark-numbers.js';
import type { AnalysisReport, SessionReport } from '../analyze/report-types.js';
import { analyzeFile } from '../analyze/analyze-file.js';
import { eventText } from '../live/log.js';

const TWO = 'captures/v1-two-subflows.pcap';
const FOUR = 'captures/v1-four-subflows-addaddr.pcap';
const SNAP = 'captures/small-snaplen.pcap';
const FASTCLOSE = 'captures/fastclose.pcap';
const LOSSY = 'captures/lossy.pcap';
const TWO_IF = 'captures/two-interfaces.pcapng';

beforeAll(() => ensureBuilt({ staleDirs: ['bin', 'analyze', 'common', 'dissect'] }));

async function analyzeBoth(file: string, extra: string[] = []): Promise<{ text: string; report: AnalysisReport }> {
  const [t, j] = await Promise.all([runCli(['analyze', ...extra, file], { env: { TZ: 'UTC' } }), runCli(['analyze', '--json', file])]);
  expect(t.code, t.stderr).toBe(0);
  expect(j.code, j.stderr).toBe(0);
  return { text: t.stdout, report: JSON.parse(j.stdout) as AnalysisReport };
}

/** The lines of session `id`'s block. */
function sessionLines(text: string, id: number): string[] {
  const l = lines(text);
  const start = l.findIndex((x) => x.startsWith(`Session ${id}:`));
  expect(start, text).toBeGreaterThanOrEqual(0);
  const end = l.findIndex((x, i) => i > start && x === '');
  return l.slice(start, end < 0 ? undefined : end);
}

/** The subflow table of a session block: header cells and rows of cells (columns are 2+ spaces apart). */
function subflowTable(block: string[]): { head: string[]; rows: Record<string, string>[] } {
  const h = block.findIndex((x) => x.startsWith('  #  '));
  const head = block[h].trim().split(/\s{2,}/);
  const rows: Record<string, string>[] = [];
  for (let i = h + 1; i < block.length && /^ {2}\d/.test(block[i]); i++) {
    const cells = block[i].trim().split(/\s{2,}/);
    rows.push(Object.fromEntries(head.map((k, j) => [k, cells[j]])));
  }
  return { head, rows };
}

const port = (endpoint: string): string => endpoint.slice(endpoint.lastIndexOf(':') + 1);

describe('analyze text: columns with units, bytes per direction', () => {
  it('every column of the subflow table names its unit; reinj in bytes, retx in segments', async () => {
    const { text } = await analyzeBoth(TWO);
    const { head } = subflowTable(sessionLines(text, 0));
    expect(head).toEqual(['#', 'client', 'server', 'ids', 'backup', 'packets', 'c2s bytes', 's2c bytes', 'reinj bytes', 'retx segs', 'ooo segs', 'hs rtt ms', 'flow rtt ms', 'hmac', 'end']);
  });

  it.each([TWO, FOUR, LOSSY, SNAP])('%s: c2s and s2c bytes of each subflow are the TCP payload tshark counts per direction', async (file) => {
    const { text, report } = await analyzeBoth(file);
    const oracle = tsharkNumbers(oracleName(file)).slice(1);
    for (const s of report.sessions) {
      const { rows } = subflowTable(sessionLines(text, s.id));
      expect(rows).toHaveLength(s.subflows.length);
      for (const row of rows) {
        const sum = (from: string, to: string): number => oracle
          .filter((r) => r['tcp.srcport'] === port(from) && r['tcp.dstport'] === port(to))
          .reduce((a, r) => a + Number(r['tcp.len']), 0);
        expect(Number(row['c2s bytes']), `${file} subflow ${row['#']} c2s`).toBe(sum(row.client, row.server));
        expect(Number(row['s2c bytes']), `${file} subflow ${row['#']} s2c`).toBe(sum(row.server, row.client));
        const json = s.subflows.find((f) => String(f.id) === row['#'])!;
        expect(Number(row['reinj bytes'])).toBe(json.reinjectedBytes);
        expect(Number(row['retx segs'])).toBe(json.retransmissions);
      }
    }
  });
});

describe('analyze text: rates and byte counts from the data-level bytes sent', () => {
  it('small snaplen: each direction shows what the application sent and its rate, and what was captured', async () => {
    const { text, report } = await analyzeBoth(SNAP);
    const meta = JSON.parse(readFileSync('captures/small-snaplen.meta.json', 'utf8')) as { client: { sent: { bytes: number } }; server: { sent: { bytes: number } } };
    const s = report.sessions[0];
    const block = sessionLines(text, 0);
    for (const [dir, sent] of [['c2s', meta.client.sent.bytes], ['s2c', meta.server.sent.bytes]] as const) {
      const line = block.find((l) => l.startsWith(`  ${dir}: `))!;
      const mbit = ((sent * 8) / s.duration / 1e6).toFixed(2);
      expect(line).toContain(`  ${dir}: ${sent} bytes (${(sent / 1024).toFixed(1)} KiB), ${mbit} Mbit/s, INCOMPLETE: ${s.data[dir].bytes} bytes captured, ${sent - s.data[dir].bytes} bytes missing (snaplen)`);
    }
  });

  it('a complete capture: the rate of the bytes the application sent', async () => {
    const { text, report } = await analyzeBoth(TWO);
    const meta = JSON.parse(readFileSync('captures/v1-two-subflows.meta.json', 'utf8')) as { client: { sent: { bytes: number; sha256: string } } };
    const s = report.sessions[0];
    const c2s = sessionLines(text, 0).find((l) => l.startsWith('  c2s: '))!;
    const sent = meta.client.sent.bytes;
    expect(c2s).toContain(`c2s: ${sent} bytes (${(sent / 1024).toFixed(1)} KiB), ${((sent * 8) / s.duration / 1e6).toFixed(2)} Mbit/s, complete, sha256 ${meta.client.sent.sha256}`);
  });
});

describe('analyze text: findings, singular and plural', () => {
  it.each([FASTCLOSE, SNAP, 'captures/checksum-rewrite.pcap'])('%s: findings under their own heading, "packet N" / "packets N, M"', async (file) => {
    const { text, report } = await analyzeBoth(file);
    for (const s of report.sessions) {
      const block = sessionLines(text, s.id);
      const heading = block.indexOf('  findings:');
      // The session's findings, then those of its diagnosis (docs/diagnosis.md).
      const all = [...s.findings, ...(s.diagnosis?.findings ?? [])];
      if (all.length === 0) { expect(heading).toBe(-1); continue; }
      expect(heading, block.join('\n')).toBeGreaterThan(0);
      const shown = block.slice(heading + 1);
      expect(shown).toHaveLength(all.length);
      all.forEach((f, i) => {
        const list = f.packets.slice(0, 10).join(', ') + (f.packets.length > 10 ? `, … ${f.packets.length} in all` : '');
        const packets = f.packets.length === 0 ? '' : f.packets.length === 1 ? ` (packet ${f.packets[0]})` : ` (packets ${list})`;
        expect(shown[i]).toBe(`    ${f.severity.toUpperCase()} ${f.code}: ${f.message}${packets}`);
      });
    }
  });

  it('counts in the header and session lines agree in number', async () => {
    const { text, report } = await analyzeBoth(TWO);
    const n = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
    const l = lines(text);
    expect(l[0]).toBe(`${TWO}: ${n(report.capture.packets, 'packet')} (${report.capture.tcpPackets} TCP, ${report.capture.mptcpPackets} with MPTCP options), ${report.capture.duration.toFixed(3)} s, pcap`);
    expect(l[1]).toBe('1 MPTCP session, 0 plain TCP connections, 0 unmatched subflows');
    expect(sessionLines(text, 0).find((x) => x.startsWith('  checksums'))).toBe(`  checksums off, 2 subflows, ${n(report.sessions[0].packets, 'packet')}, ${report.sessions[0].duration.toFixed(3)} s`);
    expect(text).not.toMatch(/\(s\)/);
  });
});

/** The timeline lines of a session block: [packet, time text, type, detail]. */
function timeline(block: string[]): Array<{ n: number; time: string; type: string; detail: string }> {
  return block.flatMap((l) => {
    const m = /^ {4}#(\d+) (\S+(?: \S+:\S+)?) (\S+) ?(.*)$/.exec(l);
    return m ? [{ n: Number(m[1]), time: m[2], type: m[3], detail: m[4] }] : [];
  });
}

describe('analyze text: DSNs relative to the IDSN, as tshark shows them', () => {
  it.each([TWO, FOUR, LOSSY, SNAP, FASTCLOSE])('%s: every DATA_FIN DSN is the relative DSN tshark gives; --absolute-seq gives the wire value', async (file) => {
    const [{ text, report }, wire] = await Promise.all([analyzeBoth(file), runCli(['analyze', '--absolute-seq', file])]);
    const oracle = tsharkNumbers(oracleName(file));
    let checked = 0;
    for (const s of report.sessions) {
      const rel = timeline(sessionLines(text, s.id)).filter((e) => e.type === 'DATA_FIN');
      const abs = timeline(sessionLines(wire.stdout, s.id)).filter((e) => e.type === 'DATA_FIN');
      expect(rel.length).toBeGreaterThan(0);
      rel.forEach((e, i) => {
        const row = oracle[e.n];
        // The DATA_FIN takes the last DSN its mapping covers (RFC 8684 §3.3.3): DSN + data-level length - 1.
        const fin = row['tcp.options.mptcp.datafin.flag'].split(',').indexOf('1');
        const len = Number(row['tcp.options.mptcp.datalvllen'].split(',')[fin]);
        const relDsn = BigInt(row['mptcp.dss.dsn'].split(',')[fin]) + BigInt(len) - 1n;
        const wireDsn = BigInt(row['tcp.options.mptcp.rawdataseqno'].split(',')[fin]) + BigInt(len) - 1n;
        expect(e.detail, `${file} #${e.n}`).toMatch(new RegExp(`\\bdsn=${relDsn}$`));
        expect(abs[i].detail, `${file} #${e.n}`).toMatch(new RegExp(`\\bdsn=${wireDsn}$`));
        checked++;
      });
      // The relative DATA_FIN DSN of a complete direction is its length + 1.
      const c2sFin = rel.find((e) => e.detail.includes('dir=c2s'));
      if (c2sFin && s.data.c2s.complete) expect(c2sFin.detail).toMatch(new RegExp(`dsn=${s.data.c2s.bytes + 1}$`));
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('analyze text: an MP_FAIL DSN is relative to the IDSN of the data it complains about', () => {
  it('checksum-rewrite: MP_FAIL sent c2s names s2c data: its DSN minus the server IDSN, the corrupted mapping\'s offset + 1', async () => {
    const file = 'captures/checksum-rewrite.pcap';
    const [{ text, report }, wire] = await Promise.all([analyzeBoth(file), runCli(['analyze', '--absolute-seq', file])]);
    const s = report.sessions[0];
    const fail = timeline(sessionLines(text, 0)).find((e) => e.type === 'MP_FAIL')!;
    const failWire = timeline(sessionLines(wire.stdout, 0)).find((e) => e.type === 'MP_FAIL')!;
    const ev = s.events.find((e) => e.type === 'MP_FAIL')!;
    expect(ev.dir).toBe('c2s');
    expect(failWire.detail).toMatch(new RegExp(`dsn=${String(ev.dsn)}( |$)`));
    const rel = BigInt(String(ev.dsn)) - BigInt(s.server.idsn!);
    expect(fail.detail).toMatch(new RegExp(`dsn=${rel}( |$)`));
    // The DSS checksum mismatch it answers names the same relative DSN (the first data byte is relative DSN 1).
    expect(s.findings.find((f) => f.code === 'DSS_CHECKSUM_MISMATCH')!.message).toContain(`relative DSN ${rel} `);
  });

  it('the live log line of that MP_FAIL gives the same relative DSN', async () => {
    const res = await analyzeFile('captures/checksum-rewrite.pcap');
    const s = res.engine.sessions[0];
    const ev = s.events.find((e) => e.type === 'MP_FAIL')!;
    const rel = BigInt(String(ev.dsn)) - s.server.idsn!;
    expect(eventText(s, ev)).toBe(`client sends MP_FAIL on subflow ${ev.subflow} at DSN ${rel}: corrupted data`);
  });
});

describe('--absolute: dates and times as tshark -t ad', () => {
  it.each([TWO, FASTCLOSE])('%s: the header start and every timeline time are the frames\' times', async (file) => {
    const { text, report } = await analyzeBoth(file, ['--absolute']);
    const oracle = tsharkNumbers(oracleName(file));
    expect(lines(text)[0]).toContain(` s from ${oracle[1]['_ws.col.Time']}, pcap`);
    const s: SessionReport = report.sessions[0];
    const events = timeline(sessionLines(text, 0));
    expect(events).toHaveLength(Math.min(40, s.events.length));
    for (const e of events) expect(e.time, `#${e.n}`).toBe(oracle[e.n]['_ws.col.Time']);
  });
});

describe('capture names', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mptcpscope-names-')); });

  it('a gzip capture is "pcap (gzip)" / "pcapng (gzip)", stdin is "stdin"; JSON keeps the format and adds compression', async () => {
    try {
      const gz = join(dir, 'two.pcap.gz');
      writeFileSync(gz, gzipSync(readFileSync(TWO)));
      const gzng = join(dir, 'two-if.pcapng.gz');
      writeFileSync(gzng, gzipSync(readFileSync(TWO_IF)));
      const [a, b, c, d, e] = await Promise.all([
        runCli(['analyze', gz]), runCli(['analyze', gzng]), runCli(['analyze', '-'], { stdin: readFileSync(gz) }),
        runCli(['analyze', '-'], { stdin: readFileSync(TWO) }), runCli(['analyze', '--json', '-'], { stdin: readFileSync(gz) }),
      ]);
      expect(lines(a.stdout)[0]).toMatch(new RegExp(`^${gz.replace(/[.]/g, '\\.')}: 460 packets .*, pcap \\(gzip\\)$`));
      expect(lines(b.stdout)[0]).toMatch(/, pcapng \(gzip\)$/);
      expect(lines(c.stdout)[0]).toMatch(/^stdin: 460 packets .*, pcap \(gzip\)$/);
      expect(lines(d.stdout)[0]).toMatch(/^stdin: 460 packets .*, pcap$/);
      const cap = (JSON.parse(e.stdout) as AnalysisReport).capture;
      expect([cap.file, cap.format, cap.compression]).toEqual(['stdin', 'pcap', 'gzip']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
