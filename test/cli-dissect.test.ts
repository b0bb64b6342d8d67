// The `dissect` verb end to end: the built CLI (dist/bin/mptcpscope.js) run as a child process on real
// captures (captures/ and /work/shared/captures-public/), its NDJSON checked line by line against
// docs/dissect.schema.json, and its behaviour on stdin, gzip, truncated, broken and missing input,
// pipes that close early, and bad command lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { ROOT, cliCommand, ensureBuilt, lines, q, runCli, runShell, type CliResult } from './helpers/cli.js';
import {
  hexBytes, ipv4, ipv6, mptcpOption, pcapFile, pcapRecordOffsets, repeatPcap, tcp, tcpOption,
} from './helpers/pcap.js';

// A CommonJS module: under Node ESM its class is the `default` property of module.exports.
const Ajv2020 = ajv2020.default;

const PUBLIC = '/work/shared/captures-public';
const V0 = join(PUBLIC, 'tcpdump/mptcp-v0.pcap');
const V1 = join(PUBLIC, 'tcpdump/mptcp-v1.pcap');
const AA_ECHO = join(PUBLIC, 'tcpdump/mptcp-aa-echo.pcap');
const TSHARK = '/usr/bin/tshark';
const ANSI = /\x1b\[/;
const STACK = /^\s+at /m;
/** A packet's one-line summary (number, time), as opposed to the indented -V tree lines. */
const SUMMARY = /^ *\d+ +-?\d/;
const CAPTURE_NAME = /\.(pcap|pcapng|cap)(\.gz)?$/;
const PUBLIC_CAPTURES = capturesIn(PUBLIC);

function capturesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...capturesIn(p));
    else if (CAPTURE_NAME.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Scratch directory for this file's tests (removed in afterAll). */
const tmp = mkdtempSync(join(tmpdir(), 'mptcpscope-cli-'));

/** Original path of each capture under test, by the path the tests use. */
const ORIGIN = new Map<string, string>();

/**
 * Every capture the shared public set and this repository hold (captures/ may grow over time), each
 * content once: captures/ may hold copies of public files, which then keep their public path. Files
 * from captures/ are tested from a snapshot in the scratch directory, because they may be re-recorded
 * while the tests run and tshark and mptcpscope must see the same bytes.
 */
const ALL_CAPTURES = (() => {
  const seen = new Set<string>();
  const out: string[] = [];
  const snap = join(tmp, 'captures');
  mkdirSync(snap);
  for (const f of [...PUBLIC_CAPTURES, ...capturesIn(join(ROOT, 'captures'))]) {
    const bytes = readFileSync(f);
    const h = createHash('sha256').update(bytes).digest('hex');
    if (seen.has(h)) continue;
    seen.add(h);
    let path = f;
    if (!f.startsWith(PUBLIC)) {
      path = join(snap, f.slice(ROOT.length).replace(/^\/*captures\//, '').replace(/\//g, '__'));
      writeFileSync(path, bytes);
    }
    ORIGIN.set(path, f);
    out.push(path);
  }
  return out;
})();
const LOCAL_CAPTURES = ALL_CAPTURES.filter((f) => !f.startsWith(PUBLIC));

/**
 * `tshark -r F -Y mptcp | wc -l` (TShark 4.0.17) for the public captures, which never change; for the
 * captures in captures/ (re-recorded from time to time) the count is computed in the test, with
 * `tshark -n -r F -Y mptcp -T fields -e frame.number | wc -l` (same count, less work), when tshark is
 * installed.
 */
const TSHARK_MPTCP_COUNTS: Record<string, number> = {
  'tcpdump/mptcp-v0.pcap': 264,
  'tcpdump/mptcp-v1.pcap': 20,
  'tcpdump/mptcp-fclose.pcap': 9,
  'tcpdump/mptcp-aa-v1.pcap': 22,
  'tcpdump/mptcp-aa-echo.pcap': 2,
  'tcpdump/mptcp-tcprst.pcap': 2,
  'tcpdump/mptcp-dss-oobr.pcap': 1,
  'ptcpdump/mptcp.pcap': 14,
  'shuoshuc-mptcp_experiments/mptcp_2_subflows.pcap': 23,
};

/** Captures from captures/ whose --mptcp count is checked against tshark. */
const TSHARK_LOCAL = /(^|\/)(fallback|fastclose|remove-addr|two-interfaces|v1-ipv6|sll-any)\.pcap(ng)?(\.gz)?$/;

/** Packet counts from the public set's MANIFEST.tsv ("packets" column). */
function manifestPackets(): Map<string, number> {
  const m = new Map<string, number>();
  const path = join(PUBLIC, 'MANIFEST.tsv');
  if (!existsSync(path)) return m;
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head.split('\t');
  const file = cols.indexOf('local_file');
  const packets = cols.indexOf('packets');
  for (const r of rows) {
    const f = r.split('\t');
    m.set(join(PUBLIC, f[file]), Number(f[packets]));
  }
  return m;
}

/** Runs tasks with at most `limit` at a time (the CI box may have 2 CPUs). */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const jsonCache = new Map<string, Promise<CliResult>>();
/** `dissect --json FILE`, run once per file. */
function dissectJson(file: string): Promise<CliResult> {
  let p = jsonCache.get(file);
  if (!p) {
    p = runCli(['dissect', '--json', file]);
    jsonCache.set(file, p);
  }
  return p;
}

function parseLines(stdout: string): Array<Record<string, unknown>> {
  return lines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function expectOneErrorLine(r: CliResult, code: number, pattern?: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  expect(lines(r.stderr)).toHaveLength(1);
  expect(r.stderr).toMatch(/^mptcpscope: /);
  expect(r.stderr).not.toMatch(STACK);
  if (pattern) expect(r.stderr).toMatch(pattern);
}

let validate: ValidateFunction;
const schema = JSON.parse(readFileSync(join(ROOT, 'docs/dissect.schema.json'), 'utf8')) as Record<string, unknown>;

beforeAll(() => {
  // Rebuild when the dissect path's sources changed, so the tests never run an older CLI by mistake.
  ensureBuilt({ staleDirs: ['bin', 'dissect'] });
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    // `required` inside if/not names properties declared at the parent level: fine in JSON Schema.
    strictRequired: false,
    logger: { log: () => undefined, warn: (...a: unknown[]) => { throw new Error(`ajv: ${a.join(' ')}`); }, error: console.error },
  });
  validate = ajv.compile(schema);
}, 120_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function schemaErrors(obj: unknown): string {
  if (validate(obj)) return '';
  return (validate.errors ?? []).slice(0, 6).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`).join('; ');
}

// ---------------------------------------------------------------------------------------------
// A synthetic capture that reaches the corners real captures rarely show.

const KEY = hexBytes('0102030405060708');
const synthetic: Array<{ what: string; data: Buffer; len?: number }> = [];
{
  const t = (options: Buffer[], extra: Partial<Parameters<typeof tcp>[0]> = {}): Buffer =>
    tcp({ options: Buffer.concat(options), ...extra });
  const v4 = (seg: Buffer, src = '10.0.0.1', dst = '10.0.0.2'): Buffer => ipv4(src, dst, 6, seg);
  const add = (what: string, data: Buffer, len?: number): void => { synthetic.push({ what, data, len }); };

  add('MP_CAPABLE v1 length 24 with checksum', v4(t([mptcpOption([0x01, 0x81, ...KEY, ...KEY, 0x01, 0x00, 0xbe, 0xef])])));
  add('DSS 64-bit ack and dsn, checksum, DATA_FIN', v4(t([mptcpOption([0x20, 0x1f, ...KEY, ...KEY, 0, 0, 0, 1, 0x05, 0xdc, 0x12, 0x34])])));
  add('DSS 32-bit ack and dsn', v4(t([mptcpOption([0x20, 0x05, 0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0, 1, 0, 100])])));
  add('DSS DATA_FIN only', v4(t([mptcpOption([0x20, 0x10])])));
  add('ADD_ADDR v1 IPv6 port hmac (IPv4-mapped)', v4(t([mptcpOption([0x30, 7, ...Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 9, 0x14, 0x51, ...KEY])])));
  add('ADD_ADDR v1 echo IPv4 port', v4(t([mptcpOption([0x31, 3, 10, 0, 3, 1, 0x14, 0x51])])));
  add('ADD_ADDR v0 IPv6', v4(t([mptcpOption([0x36, 2, 0xfd, 0, 0, 2, ...Array(11).fill(0), 1])])));
  add('REMOVE_ADDR three ids', v4(t([mptcpOption([0x40, 1, 2, 3])])));
  add('MP_PRIO v1 and v0', v4(t([mptcpOption([0x50]), mptcpOption([0x51, 4])])));
  add('MP_FAIL', v4(t([mptcpOption([0x60, 0, ...KEY])])));
  add('MP_TCPRST all flags, unassigned reason', v4(t([mptcpOption([0x8f, 99])], { flags: 0x14 })));
  add('MP_EXPERIMENTAL', v4(t([mptcpOption([0xf0, 0xaa, 0xbb])])));
  add('UNKNOWN subtype 9', v4(t([mptcpOption([0x90, 0x01])])));
  add('MPTCP option of length 2', v4(t([mptcpOption([])])));
  add('malformed MP_CAPABLE v0 length 4', v4(t([mptcpOption([0x00, 0x81])])));
  add('malformed ADD_ADDR v1 length 12', v4(t([mptcpOption([0x31, 1, ...KEY])])));
  add('malformed DSS length vs flags', v4(t([mptcpOption([0x20, 0x01])])));
  add('malformed MP_JOIN length 20', v4(t([mptcpOption([0x10, 0, ...KEY, ...KEY.slice(0, 8)])])));
  add('option overruns the TCP header', v4(t([tcpOption(30, [0x20, 0x01, 0, 0], 40)])));
  {
    const full = v4(t([tcpOption(2, [0x05, 0xb4]), mptcpOption([0x20, 0x05, 0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0, 1, 0, 100])]));
    add('DSS cut by the snaplen', full.subarray(0, 20 + 20 + 4 + 6), full.length);
  }
  add('TCP data offset below 20', v4(tcp({ dataOffsetWords: 2 })));
  add('IPv4 non-first fragment', ipv4('10.0.0.1', '10.0.0.2', 6, Buffer.alloc(16), { fragOffset: 3 }));
  add('UDP', ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(8)));
  add('not IP', Buffer.from([0x00, 0x01, 0x02]));
  add('TCP header truncated', ipv4('10.0.0.1', '10.0.0.2', 6, Buffer.alloc(8)));
  add('IPv6 MP_JOIN SYN', ipv6('2001:db8::1', '2001:db8:0:1::2', 6, t([mptcpOption([0x11, 5, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4])], { flags: 0x02 })));
  add('TCP with all flags and no options', v4(tcp({ flags: 0xff })));
}

describe('dissect --json contract (docs/dissect.schema.json)', () => {
  it('the schema compiles under ajv strict mode (draft 2020-12)', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(typeof validate).toBe('function');
  });

  it(`every line of every capture validates (${ALL_CAPTURES.length} captures)`, async () => {
    expect(PUBLIC_CAPTURES.length).toBeGreaterThan(0);
    const packets = manifestPackets();
    const results = await pool(ALL_CAPTURES, 4, dissectJson);
    let checked = 0;
    ALL_CAPTURES.forEach((path, i) => {
      const r = results[i];
      const file = ORIGIN.get(path)!;
      expect(r.code, `${file}: ${r.stderr}`).toBe(0);
      expect(r.stdout.endsWith('\n'), file).toBe(true);
      const ls = lines(r.stdout);
      expect(ls.length, file).toBeGreaterThan(0);
      const want = packets.get(path);
      if (want !== undefined) expect(ls.length, `${file}: packets in MANIFEST.tsv`).toBe(want);
      ls.forEach((line, k) => {
        const obj = JSON.parse(line) as { n: number };
        const errs = schemaErrors(obj);
        expect(errs, `${file} line ${k + 1}: ${line}`).toBe('');
        expect(obj.n, `${file} line ${k + 1}`).toBe(k + 1);
        checked++;
      });
    });
    expect(checked).toBeGreaterThan(1000);
  }, 60_000);

  it('a synthetic capture with rare and broken options validates, line by line', async () => {
    const file = join(tmp, 'synthetic.pcap');
    writeFileSync(file, pcapFile(synthetic.map((s) => ({ data: s.data, len: s.len }))));
    const r = await runCli(['dissect', '--json', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const objs = parseLines(r.stdout);
    expect(objs).toHaveLength(synthetic.length);
    objs.forEach((o, i) => expect(schemaErrors(o), `${synthetic[i].what}: ${JSON.stringify(o)}`).toBe(''));

    const by = (what: string): Record<string, unknown> => objs[synthetic.findIndex((s) => s.what === what)];
    const opt0 = (what: string): Record<string, unknown> => (by(what).mptcp as Array<Record<string, unknown>>)[0];
    // The corners are really reached (otherwise the schema branches above went untested).
    expect(opt0('DSS cut by the snaplen')).toEqual({ subtype: 'DSS', length: 18, truncated: true });
    expect(opt0('malformed MP_CAPABLE v0 length 4')).toMatchObject({ version: 0, flags: 'AH', malformed: expect.any(String) });
    expect(opt0('malformed ADD_ADDR v1 length 12')).toMatchObject({ addressId: 1, echo: true, malformed: expect.any(String) });
    expect(opt0('MPTCP option of length 2')).toMatchObject({ subtype: 'UNKNOWN', length: 2, malformed: expect.any(String) });
    expect(opt0('option overruns the TCP header')).toMatchObject({ subtype: 'DSS', length: 40, malformed: expect.any(String) });
    expect(opt0('DSS 64-bit ack and dsn, checksum, DATA_FIN')).toEqual({
      subtype: 'DSS', length: 28, flags: 'FmMaA', dataAck64: true, dataAck: '72623859790382856', dsn64: true,
      dsn: '72623859790382856', subflowSeq: 1, dataLevelLength: 1500, checksum: '1234', dataFin: true,
    });
    expect(opt0('ADD_ADDR v1 IPv6 port hmac (IPv4-mapped)')).toMatchObject({ ipVersion: 6, address: '::ffff:10.0.0.9', port: 5201, hmac: '0102030405060708' });
    expect(opt0('MP_TCPRST all flags, unassigned reason')).toMatchObject({ flags: 'UVWT', reason: 99, reasonName: 'Unassigned (99)' });
    expect(opt0('MP_EXPERIMENTAL')).toEqual({ subtype: 'MP_EXPERIMENTAL', length: 5, raw: 'f0aabb' });
    expect(by('TCP data offset below 20')).toMatchObject({ note: 'TCP data offset 8 is below 20', sport: 40000, payload: 0 });
    expect(by('IPv4 non-first fragment')).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2', note: 'IPv4 non-first fragment' });
    expect(by('IPv4 non-first fragment').sport).toBeUndefined();
    const k = synthetic.findIndex((x) => x.what === 'not IP');
    expect(by('not IP')).toEqual({ n: k + 1, ts: `${1700000000 + k}.000000`, iface: 0, linktype: 101, caplen: 3, len: 3, note: 'IP version 0 unknown' });
    expect(by('IPv6 MP_JOIN SYN')).toMatchObject({ src: '2001:db8::1', dst: '2001:db8:0:1::2', flags: 'S' });
    expect(by('TCP with all flags and no options')).toMatchObject({ flags: 'FSRPAUEC' });
    for (const o of objs) expect(JSON.stringify(o)).not.toContain('subtypeValue');
  });

  it('the schema rejects what the contract rules out', async () => {
    const r = await dissectJson(V0);
    const objs = parseLines(r.stdout);
    const withOpt = (sub: string): Record<string, unknown> =>
      structuredClone(objs.find((o) => (o.mptcp as Array<{ subtype: string }> | undefined)?.some((m) => m.subtype === sub))!);
    const tcpPkt = structuredClone(objs.find((o) => o.sport !== undefined && o.mptcp === undefined) ?? withOpt('DSS'));
    const bad: Array<[string, (o: Record<string, unknown>) => void, Record<string, unknown>]> = [
      ['unknown packet field', (o) => { o.extra = 1; }, tcpPkt],
      ['internal subtypeValue', (o) => { (o.mptcp as Array<Record<string, unknown>>)[0].subtypeValue = 2; }, withOpt('DSS')],
      ['ts as a number', (o) => { o.ts = 1.5; }, tcpPkt],
      ['seq without the other TCP fields', (o) => { delete o.sport; o.note = 'x'; }, tcpPkt],
      ['no TCP and no note', (o) => { for (const k of ['sport', 'dport', 'seq', 'ack', 'flags', 'win', 'payload', 'mptcp']) delete o[k]; }, tcpPkt],
      ['empty mptcp array', (o) => { o.mptcp = []; }, tcpPkt],
      ['DSS with A but no dataAck', (o) => {
        const d = (o.mptcp as Array<Record<string, unknown>>).find((m) => m.subtype === 'DSS')!;
        d.flags = 'A'; delete d.dataAck;
      }, withOpt('DSS')],
      ['MP_JOIN SYN with an HMAC', (o) => {
        const j = (o.mptcp as Array<Record<string, unknown>>)[0];
        j.length = 12; j.phase = 'SYN'; j.senderHmac = '0011223344556677';
      }, withOpt('MP_JOIN')],
      ['ADD_ADDR IPv4 with an IPv6 address', (o) => {
        const a = (o.mptcp as Array<Record<string, unknown>>).find((m) => m.subtype === 'ADD_ADDR')!;
        a.address = 'fd00::1';
      }, withOpt('ADD_ADDR')],
      ['uppercase key hex', (o) => {
        const c = (o.mptcp as Array<Record<string, unknown>>)[0];
        c.senderKey = String(c.senderKey).toUpperCase().replace(/[0-9]/g, 'A');
      }, withOpt('MP_CAPABLE')],
      ['a truncated option with fields', (o) => {
        const m = (o.mptcp as Array<Record<string, unknown>>)[0];
        m.truncated = true;
      }, withOpt('MP_CAPABLE')],
    ];
    for (const [what, mutate, base] of bad) {
      expect(schemaErrors(base), `${what}: base must be valid`).toBe('');
      const o = structuredClone(base);
      mutate(o);
      expect(validate(o), `${what} must be rejected: ${JSON.stringify(o)}`).toBe(false);
    }
  });

  it('docs/dissect-json.md documents every field and subtype of the schema', () => {
    const doc = readFileSync(join(ROOT, 'docs/dissect-json.md'), 'utf8');
    const defs = schema.$defs as Record<string, { properties?: Record<string, unknown> }>;
    const names = new Set<string>(Object.keys(schema.properties as object));
    const subtypes = ((defs.mptcpOption.properties as { subtype: { enum: string[] } }).subtype).enum;
    for (const s of subtypes) {
      expect(doc, `subtype ${s}`).toContain(`\`${s}\``);
      for (const k of Object.keys(defs[s].properties ?? {})) names.add(k);
    }
    for (const k of names) expect(doc, `field ${k}`).toContain(`\`${k}\``);
    expect(doc).toContain('dissect.schema.json');
  });

  it('ts keeps the capture\'s full resolution (ns pcap: 9 digits, µs pcap: 6)', async () => {
    const data = ipv4('10.0.0.1', '10.0.0.2', 17, Buffer.alloc(8));
    const ns = join(tmp, 'ns.pcap');
    const us = join(tmp, 'us.pcap');
    writeFileSync(ns, pcapFile([{ data, sec: 1700000000, frac: 123456789 }, { data, sec: 1700000001, frac: 5 }], { nano: true }));
    writeFileSync(us, pcapFile([{ data, sec: 1700000000, frac: 120 }]));
    const [a, b] = await Promise.all([runCli(['dissect', '--json', ns]), runCli(['dissect', '--json', us])]);
    expect(parseLines(a.stdout).map((o) => o.ts)).toEqual(['1700000000.123456789', '1700000001.000000005']);
    expect(parseLines(b.stdout).map((o) => o.ts)).toEqual(['1700000000.000120']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('dissect command line', () => {
  it('--help on the program and on dissect exits 0', async () => {
    const [top, sub, helpVerb] = await Promise.all([
      runCli(['--help']), runCli(['dissect', '--help']), runCli(['help', 'dissect']),
    ]);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^Usage: mptcpscope /);
    expect(top.stdout).toContain('dissect');
    expect(top.stderr).toBe('');
    for (const r of [sub, helpVerb]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: mptcpscope dissect /);
      for (const opt of ['--json', '-V, --verbose', '-c, --count <n>', '--mptcp', '--absolute', '--color', '--no-color']) {
        expect(r.stdout).toContain(opt);
      }
    }
  });

  it('--version prints the package.json version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.stderr).toBe('');
  });

  it('-c N prints N packets (text, --json, -V) and no more than there are', async () => {
    const [t3, j5, v2, all] = await Promise.all([
      runCli(['dissect', '-c', '3', V0]),
      runCli(['dissect', '--json', '--count', '5', V0]),
      runCli(['dissect', '-V', '-c', '2', V0]),
      runCli(['dissect', '-c', '1000', AA_ECHO]),
    ]);
    expect(lines(t3.stdout)).toHaveLength(3);
    expect(parseLines(j5.stdout).map((o) => o.n)).toEqual([1, 2, 3, 4, 5]);
    expect(lines(v2.stdout).filter((l) => SUMMARY.test(l))).toHaveLength(2);
    expect(lines(v2.stdout).filter((l) => l.startsWith('  Frame '))).toHaveLength(2);
    expect(lines(all.stdout)).toHaveLength(2);
    for (const r of [t3, j5, v2, all]) expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('--mptcp prints exactly the packets with MPTCP options, as many as tshark -Y mptcp', async () => {
    const haveTshark = existsSync(TSHARK);
    // Every public capture (known counts), and from captures/ those that test the filter hardest:
    // fallback (1 MPTCP packet in hundreds), a pcapng with two link types, IPv6, SLL, resets.
    const files = ALL_CAPTURES.filter((f) => f.startsWith(PUBLIC) || (haveTshark && TSHARK_LOCAL.test(f)));
    await pool(files, 3, async (file) => {
      const rel = file.startsWith(PUBLIC) ? file.slice(PUBLIC.length + 1) : '';
      const [filtered, full, text, shark] = await Promise.all([
        runCli(['dissect', '--mptcp', '--json', file]),
        dissectJson(file),
        file.startsWith(PUBLIC) ? runCli(['dissect', '--mptcp', file]) : Promise.resolve(undefined),
        TSHARK_MPTCP_COUNTS[rel] === undefined
          ? runShell(`${q(TSHARK)} -n -r ${q(file)} -Y mptcp -T fields -e frame.number 2>/dev/null | wc -l`)
          : Promise.resolve(undefined),
      ]);
      const want = TSHARK_MPTCP_COUNTS[rel] ?? Number(shark!.stdout.trim());
      const got = parseLines(filtered.stdout);
      expect(got.length, `${file}: tshark -Y mptcp`).toBe(want);
      if (text) expect(lines(text.stdout).length, `${file} (text)`).toBe(want);
      // The same packets, with their original numbers, as the unfiltered output's MPTCP packets.
      const expected = parseLines(full.stdout).filter((o) => o.mptcp !== undefined);
      expect(got, file).toEqual(expected);
      expect(filtered.code).toBe(0);
    });
  }, 60_000);

  it('-V shows every MPTCP field under its JSON name', async () => {
    for (const file of [V1, V0, AA_ECHO]) {
      const [tree, json] = await Promise.all([runCli(['dissect', '-V', file]), dissectJson(file)]);
      expect(tree.code).toBe(0);
      // Split the tree into packets: each starts with its unindented summary line.
      const blocks: string[][] = [];
      for (const l of lines(tree.stdout)) {
        if (SUMMARY.test(l)) blocks.push([l]);
        else blocks[blocks.length - 1].push(l);
      }
      const objs = parseLines(json.stdout);
      expect(blocks).toHaveLength(objs.length);
      objs.forEach((o, i) => {
        const block = blocks[i].join('\n');
        for (const m of (o.mptcp as Array<Record<string, unknown>> | undefined) ?? []) {
          expect(block).toContain(`Multipath TCP: ${m.subtype} `);
          for (const [k, v] of Object.entries(m)) {
            if (k === 'subtype' || k === 'length' || k === 'malformed' || k === 'truncated') continue;
            expect(block, `${file} packet ${i + 1}`).toContain(`      ${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
          }
        }
      });
    }
    const v1 = await runCli(['dissect', '-V', '-c', '4', V1]);
    for (const name of ['version: 1', 'flags: H', 'senderKey: ', 'receiverKey: ', 'dataLevelLength: ']) expect(v1.stdout).toContain(name);
  });

  it('reads stdin with -', async () => {
    const bytes = readFileSync(V0);
    for (const args of [[], ['--json'], ['-V', '-c', '20']]) {
      const [file, stdin] = await Promise.all([
        runCli(['dissect', ...args, V0]),
        runCli(['dissect', ...args, '-'], { stdin: bytes }),
      ]);
      expect(stdin.code, stdin.stderr).toBe(0);
      expect(stdin.stderr).toBe('');
      expect(stdin.stdout).toBe(file.stdout);
    }
  });

  it('a gzip-compressed capture gives identical output (file and stdin)', async () => {
    const src = LOCAL_CAPTURES.find((f) => f.endsWith('v1-two-subflows.pcap')) ?? V0;
    const gz = join(tmp, 'capture.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(src)));
    for (const args of [[], ['--json'], ['-V']]) {
      const [plain, zipped, piped] = await Promise.all([
        runCli(['dissect', ...args, src]),
        runCli(['dissect', ...args, gz]),
        runCli(['dissect', ...args, '-'], { stdin: readFileSync(gz) }),
      ]);
      expect(zipped.code, zipped.stderr).toBe(0);
      expect(zipped.stderr).toBe('');
      expect(zipped.stdout).toBe(plain.stdout);
      expect(piped.stdout).toBe(plain.stdout);
    }
  });

  it('a capture cut inside a record prints every complete packet and one warning, exit 0', async () => {
    const bytes = readFileSync(V0);
    const offsets = pcapRecordOffsets(bytes);
    const full = lines((await runCli(['dissect', V0])).stdout);
    const fullJson = lines((await dissectJson(V0)).stdout);
    const k = 100;
    const cases = [
      ['data', offsets[k] + 16 + 10],
      ['header', offsets[k] + 7],
    ] as const;
    for (const [where, cut] of cases) {
      const file = join(tmp, `cut-in-${where}.pcap`);
      writeFileSync(file, bytes.subarray(0, cut));
      const [text, json, stdin] = await Promise.all([
        runCli(['dissect', file]),
        runCli(['dissect', '--json', file]),
        runCli(['dissect', '-'], { stdin: bytes.subarray(0, cut) }),
      ]);
      const warning = `warning: capture ends inside a packet record at byte ${offsets[k]}\n`;
      for (const r of [text, json, stdin]) {
        expect(r.code, `${where}: ${r.stderr}`).toBe(0);
        expect(r.stderr, where).toBe(warning);
      }
      expect(lines(text.stdout)).toEqual(full.slice(0, k));
      expect(lines(json.stdout)).toEqual(fullJson.slice(0, k));
      expect(stdin.stdout).toBe(text.stdout);
    }
  });

  it('a cut gzip stream prints the complete packets and one warning, exit 0', async () => {
    const gz = gzipSync(readFileSync(V0));
    const file = join(tmp, 'cut.pcap.gz');
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
    const r = await runCli(['dissect', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^warning: /);
    const full = lines((await runCli(['dissect', V0])).stdout);
    const got = lines(r.stdout);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(full.slice(0, got.length));
  });

  it('input that is not a capture: one line on stderr, exit 2, no stack trace', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'this is not a capture file\n'.repeat(10));
    const empty = join(tmp, 'empty.pcap');
    writeFileSync(empty, '');
    const short = join(tmp, 'short.pcap');
    writeFileSync(short, readFileSync(V0).subarray(0, 10));
    const gzText = join(tmp, 'notes.txt.gz');
    writeFileSync(gzText, gzipSync(Buffer.from('plain text, compressed\n')));
    const dir = join(tmp, 'a-directory');
    mkdirSync(dir, { recursive: true });
    const cases: Array<[string[], RegExp, (Buffer | string)?]> = [
      [['dissect', text], /is not a pcap or pcapng capture/],
      [['dissect', '--json', text], /is not a pcap or pcapng capture/],
      [['dissect', empty], /is empty/],
      [['dissect', short], /truncated/],
      [['dissect', gzText], /is not a pcap or pcapng capture/],
      [['dissect', dir], /directory/],
      [['dissect', '-'], /stdin is not a pcap or pcapng capture/, 'hello, world\n'],
    ];
    const results = await Promise.all(cases.map(([args, , stdin]) => runCli(args, { stdin })));
    results.forEach((r, i) => expectOneErrorLine(r, 2, cases[i][1]));
  });

  it('a missing file: one line, exit 2', async () => {
    const missing = join(tmp, 'no-such-capture.pcap');
    const r = await runCli(['dissect', missing]);
    expectOneErrorLine(r, 2);
    expect(r.stderr).toBe(`mptcpscope: cannot open ${missing}: no such file\n`);
  });

  it('unknown verbs, unknown options and bad arguments exit 2 without a stack trace', async () => {
    const cases = [
      ['frobnicate'],
      ['dissect', '--frobnicate', V0],
      ['--frobnicate'],
      ['dissect'],
      ['dissect', '-c', '0', V0],
      ['dissect', '-c', 'many', V0],
      ['dissect', '-c'],
      [],
    ];
    const results = await Promise.all(cases.map((args) => runCli(args)));
    results.forEach((r, i) => {
      expect(r.code, `${cases[i].join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.length, cases[i].join(' ')).toBeGreaterThan(0);
      expect(r.stderr).not.toMatch(STACK);
      if (cases[i].length > 0) expect(r.stdout).toBe('');
    });
    expect(results[0].stderr).toMatch(/unknown command 'frobnicate'/);
    expect(results[1].stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('`dissect big | head -1` ends quietly: one line, no stderr, exit 0 (text, --json, -V)', async () => {
    const big = join(tmp, 'big.pcap');
    writeFileSync(big, repeatPcap(readFileSync(V0), 60)); // ~2.3 MB, 15840 packets: far more than a pipe holds
    const first = lines((await runCli(['dissect', '-c', '1', V0])).stdout)[0];
    for (const args of ['', '--json', '-V']) {
      const r = await runShell(`${cliCommand()} dissect ${args} ${q(big)} | head -1; echo "status=\${PIPESTATUS[0]}" >&2`);
      expect(r.stderr, args).toBe('status=0\n');
      expect(lines(r.stdout), args).toHaveLength(1);
      if (args === '') expect(r.stdout).toBe(`${first}\n`);
    }
    // stdout and stderr into the same closed pipe.
    const both = await runShell(`${cliCommand()} dissect -V ${q(big)} 2>&1 | head -1; echo "status=\${PIPESTATUS[0]}" >&2`);
    expect(both.stderr).toBe('status=0\n');
  });

  it.skipIf(!existsSync('/dev/full'))('a write error (full disk) is one line on stderr, exit 74', async () => {
    const r = await runShell(`${cliCommand()} dissect -V ${q(V0)} > /dev/full`);
    expect(r.code, r.stderr).toBe(74);
    expect(r.stderr).toBe('mptcpscope: cannot write standard output: no space left on device\n');
  });

  it('output to a pipe has no colour; --color forces it; --no-color never colours', async () => {
    const mp = join(PUBLIC, 'tcpdump/mptcp-dss-oobr.pcap'); // a malformed option: the red path
    const [plain, verbose, malformed, forced, none] = await Promise.all([
      runCli(['dissect', V0]),
      runCli(['dissect', '-V', V0]),
      runCli(['dissect', '-V', mp]),
      runCli(['dissect', '--color', '-V', V0]),
      runCli(['dissect', '--no-color', '-V', V0]),
    ]);
    for (const r of [plain, verbose, malformed, none]) {
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(ANSI);
    }
    expect(forced.stdout).toMatch(ANSI);
    expect(forced.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toBe(verbose.stdout);
  });
});

describe('dissect --sessions', () => {
  it('tags every packet of an MPTCP subflow with the session and subflow tshark gives it', async () => {
    // tshark's mptcp.stream per frame (test/oracles/v1-two-subflows.tshark.tsv) is the expected session.
    const [head, ...rows] = readFileSync('test/oracles/v1-two-subflows.tshark.tsv', 'utf8').trimEnd().split('\n');
    const cols = head.split('\t');
    const iStream = cols.indexOf('mptcp.stream');
    const iTcp = cols.indexOf('tcp.stream');
    const r = await runCli(['dissect', '--sessions', '--json', 'captures/v1-two-subflows.pcap']);
    expect(r.code).toBe(0);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs).toHaveLength(rows.length);
    const subflowOfTcpStream = new Map<string, number>();
    objs.forEach((o, i) => {
      const f = rows[i].split('\t');
      expect(o.session, `frame ${o.n}`).toBe(Number(f[iStream]));
      // One subflow id per TCP stream.
      const seen = subflowOfTcpStream.get(f[iTcp]);
      if (seen === undefined) subflowOfTcpStream.set(f[iTcp], o.subflow);
      else expect(o.subflow).toBe(seen);
      expect(['c2s', 's2c']).toContain(o.dir);
    });
    expect(new Set(subflowOfTcpStream.values())).toEqual(new Set([0, 1]));
  });
});
