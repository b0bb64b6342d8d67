/**
 * `dissect` text numbers as tshark shows them (issue 13, fault 8, output side), compared packet by packet with
 * tshark on every shipped capture (test/oracles/numbers/, made by test/oracles/numbers.sh):
 * - `win=` is the scaled window (tshark's tcp.window_size: the SYNs' window scale applied, RFC 7323);
 * - a DSS `dsn=` / `ack=` is relative to the IDSN of its sequence space, the first data byte being 1
 *   (tshark's mptcp.dss.dsn / mptcp.ack); `--absolute-seq` prints the wire values (rawdataseqno / rawdataack);
 * - `--absolute` prints the date and time as `tshark -t ad`;
 * - `-V` shows the relative numbers beside the wire values and the window's field and scale.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, lines, runCli } from './helpers/cli.js';
import { captureFiles } from './helpers/capture-files.js';
import { oracleName, tsharkNumbers, type NumbersRow } from './helpers/tshark-numbers.js';
import { dateTimeOfSeconds, dateTimeText } from '../dissect/timestamp.js';

const CAPTURES = captureFiles('captures').sort();
const TWO = 'captures/v1-two-subflows.pcap';

beforeAll(() => ensureBuilt({ staleDirs: ['bin', 'analyze', 'dissect', 'common'] }));

interface Line { n: number; time: string; win?: number; dss: Array<{ dsn?: string; ack?: string }>; text: string }

/** Packet lines of `dissect` (frame number, time, window, DSS numbers in option order). */
function parseLines(stdout: string): Map<number, Line> {
  const out = new Map<number, Line>();
  for (const text of lines(stdout)) {
    const m = /^ *(\d+) +(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?|\S+) /.exec(text);
    if (!m) continue;
    const win = /\bwin=(\d+)/.exec(text);
    const dss = [...text.matchAll(/ DSS((?: [^ ]+)*?)(?=  |$)/g)].map((d) => ({
      dsn: /\bdsn=(\S+)/.exec(d[1])?.[1],
      ack: /\back=(\S+)/.exec(d[1])?.[1],
    }));
    out.set(Number(m[1]), { n: Number(m[1]), time: m[2], win: win ? Number(win[1]) : undefined, dss, text });
  }
  return out;
}

const first = (v: string | undefined): string => (v ?? '').split(',')[0];

describe('dissect: the scaled window, as tshark tcp.window_size', () => {
  it.each(CAPTURES)('%s', async (file) => {
    const r = await runCli(['dissect', file], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const oracle = tsharkNumbers(oracleName(file));
    const got = parseLines(r.stdout);
    let compared = 0;
    for (const row of oracle.slice(1)) {
      if (row['tcp.window_size'] === '') continue;
      const line = got.get(Number(row['frame.number']));
      expect(line?.win, `${file} #${row['frame.number']}: ${line?.text}`).toBe(Number(row['tcp.window_size']));
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('a segment after the handshake shows 64512 for a field of 63 with scale 2^10; the SYNs are not scaled', async () => {
    const r = await runCli(['dissect', '-c', '3', TWO]);
    const l = parseLines(r.stdout);
    expect([l.get(1)?.win, l.get(2)?.win, l.get(3)?.win]).toEqual([64240, 65160, 64512]);
  });
});

/** Every DSS of every packet of a capture: [ours, tshark's] for the DSN and the DATA_ACK. */
function dssPairs(got: Map<number, Line>, oracle: NumbersRow[], relative: boolean): Array<{ n: number; what: string; ours?: string; theirs: string }> {
  const pairs: Array<{ n: number; what: string; ours?: string; theirs: string }> = [];
  for (const row of oracle.slice(1)) {
    const subtypes = row['tcp.options.mptcp.subtype'].split(',');
    const dssCount = subtypes.filter((s) => s === '2').length;
    if (dssCount !== 1) continue; // several DSS in one packet: tshark's aggregated fields do not say which is which
    const line = got.get(Number(row['frame.number']));
    const d = line?.dss[0] ?? {};
    // The wire form marks 32-bit values with `/32`; tshark prints the number alone.
    const ours = relative ? d : { dsn: d.dsn?.replace(/\/32$/, ''), ack: d.ack?.replace(/\/32$/, '') };
    const dsn = relative ? first(row['mptcp.dss.dsn']) : first(row['tcp.options.mptcp.rawdataseqno']);
    const ack = relative ? first(row['mptcp.ack']) : first(row['tcp.options.mptcp.rawdataack']);
    if (dsn !== '') pairs.push({ n: Number(row['frame.number']), what: 'dsn', ours: ours.dsn, theirs: dsn });
    if (ack !== '') pairs.push({ n: Number(row['frame.number']), what: 'ack', ours: ours.ack, theirs: ack });
  }
  return pairs;
}

describe('dissect: DSNs and DATA_ACKs relative to the IDSN, as tshark mptcp.dss.dsn / mptcp.ack', () => {
  // Every capture, v0 (32-bit DSNs) and v1, whatever the DSN and DATA_ACK widths: no packet differs from tshark.
  it.each(CAPTURES)('%s: every relative DSN and DATA_ACK is tshark\'s; --absolute-seq gives the wire values', async (file) => {
    const [rel, wire] = await Promise.all([runCli(['dissect', file]), runCli(['dissect', '--absolute-seq', file])]);
    expect(rel.code, rel.stderr).toBe(0);
    const oracle = tsharkNumbers(oracleName(file));
    const relPairs = dssPairs(parseLines(rel.stdout), oracle, true);
    const wirePairs = dssPairs(parseLines(wire.stdout), oracle, false);
    expect(relPairs.filter((p) => p.ours !== p.theirs), file).toEqual([]);
    expect(wirePairs.filter((p) => p.ours !== p.theirs), file).toEqual([]);
    // The kernel captures with data carry hundreds of DSS options.
    if (!file.includes('/public/') && !file.includes('fallback')) expect(relPairs.length).toBeGreaterThan(100);
  });

  it('the first data byte of each direction is DSN 1, and a DATA_ACK that acknowledges nothing is 1', async () => {
    const r = await runCli(['dissect', '-c', '12', TWO]);
    const l = parseLines(r.stdout);
    // Server: its first data segment. Client: its first 1424 bytes rode on the MP_CAPABLE of packet 4 (no DSN
    // field there), so its first DSS maps DSN 1425.
    expect(l.get(4)?.text).toMatch(/ len=1424 .*MP_CAPABLE v1 .* len=1424$/);
    expect(l.get(5)?.dss[0]).toEqual({ dsn: '1', ack: '1' });
    expect(l.get(6)?.dss[0]).toEqual({ dsn: '1425', ack: '1' });
  });

  it('dissect --sessions shows the same relative numbers and the session tag', async () => {
    const [plain, tagged] = await Promise.all([runCli(['dissect', TWO]), runCli(['dissect', '--sessions', TWO])]);
    const a = lines(plain.stdout);
    const b = lines(tagged.stdout);
    expect(b).toHaveLength(a.length);
    b.forEach((l, i) => expect(l.startsWith(a[i]) && /  \[s\d+\/sf\d+ (c2s|s2c)\]$/.test(l.slice(a[i].length)), l).toBe(true));
  });
});

describe('dissect -V: relative numbers beside the wire values, the window with its field and scale', () => {
  it('packet 16 of v1-two-subflows, as tshark -V shows it', async () => {
    const r = await runCli(['dissect', '-V', '-c', '16', TWO]);
    const tree = r.stdout.slice(r.stdout.indexOf('  Frame 16:'));
    const oracle = tsharkNumbers('v1-two-subflows')[16];
    expect(tree).toContain(`window ${oracle['tcp.window_size']} (field ${oracle['tcp.window_size_value']}, scale 2^10)`);
    expect(tree).toContain(`      dsn: ${oracle['tcp.options.mptcp.rawdataseqno']}\n      dsn (relative): ${oracle['mptcp.dss.dsn']}\n`);
    expect(tree).toContain(`      dataAck: ${oracle['tcp.options.mptcp.rawdataack']}\n      dataAck (relative): ${oracle['mptcp.ack']}\n`);
    const wire = await runCli(['dissect', '-V', '--absolute-seq', '-c', '16', TWO]);
    expect(wire.stdout).not.toContain('(relative)');
  });
});

describe('dissect --absolute: the date and time of tshark -t ad', () => {
  it.each(CAPTURES)('%s', async (file) => {
    const r = await runCli(['dissect', '--absolute', file], { env: { TZ: 'UTC' }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const oracle = tsharkNumbers(oracleName(file));
    const got = parseLines(r.stdout);
    expect(got.size).toBe(oracle.length - 1);
    for (const row of oracle.slice(1)) expect(got.get(Number(row['frame.number']))?.time, `${file} #${row['frame.number']}`).toBe(row['_ws.col.Time']);
  });

  it('the -V frame line carries the date and time and the epoch seconds', async () => {
    const r = await runCli(['dissect', '-V', '-c', '1', TWO], { env: { TZ: 'UTC' } });
    expect(lines(r.stdout)[1]).toMatch(new RegExp(`, time ${tsharkNumbers('v1-two-subflows')[1]['_ws.col.Time']} \\(epoch \\d+\\.\\d{6}\\)$`));
  });
});

describe('dateTimeText', () => {
  const local = (sec: number): string => {
    const d = new Date(sec * 1000);
    const p = (v: number): string => String(v).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  };

  it('local time with as many fraction digits as the capture has', () => {
    expect(dateTimeText(1795446645, 577055000, 6)).toBe(`${local(1795446645)}.577055`);
    expect(dateTimeText(1795446645, 5, 9)).toBe(`${local(1795446645)}.000000005`);
    expect(dateTimeText(0, 0, 0)).toBe(local(0));
  });

  it('a pcapng timestamp beyond what a date can hold falls back to epoch seconds', () => {
    expect(dateTimeText(2 ** 40, 123000, 6)).toBe('1099511627776.000123');
  });

  it('report times (float epoch seconds) round to the microsecond, carrying into the second', () => {
    expect(dateTimeOfSeconds(1795446645.9999996)).toBe(`${local(1795446646)}.000000`);
    expect(dateTimeOfSeconds(1795446645.577055)).toBe(`${local(1795446645)}.577055`);
  });
});
