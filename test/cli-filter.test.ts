// dissect -Y / -T fields on the command line: every output form filters, tshark's -E options, errors as one
// message with a caret and exit status 2, and the generated field table of docs/filters.md is current.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, runCli, ROOT } from './helpers/cli.js';
import { fieldsMarkdown, FIELDS_DOC_END, FIELDS_DOC_START } from '../dissect/filter/fields-doc.js';

const CAP = join(ROOT, 'captures', 'v1-four-subflows-addaddr.pcap');

describe('dissect -Y and -T fields', () => {
  beforeAll(() => ensureBuilt());

  it('filters the text, -V, --json and -T json forms alike (ADD_ADDR packets; tshark selects frames 4,5,14,15)', async () => {
    const expr = 'tcp.options.mptcp.subtype == 3';
    const text = await runCli(['dissect', '-Y', expr, CAP]);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n').map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([4, 5, 14, 15]);
    const json = await runCli(['dissect', '--json', '-Y', expr, CAP]);
    const tjson = await runCli(['dissect', '-T', 'json', '-Y', expr, CAP]);
    expect(json.stdout).toBe(tjson.stdout);
    expect(json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([4, 5, 14, 15]);
    const tree = await runCli(['dissect', '-V', '-Y', expr, CAP]);
    expect(tree.stdout.match(/^\s+Frame \d+/gm)?.length).toBe(4);
  });

  it('-T fields with -E header, separator, occurrence, aggregator and quote', async () => {
    const base = ['dissect', '-Y', 'frame.number in {1, 14}', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.option_kind', '-e', 'ip.src'];
    const plain = await runCli([...base, CAP]);
    expect(plain.stdout).toBe('1\t2,4,8,1,3,30\t10.0.1.1\n14\t1,1,8,30\t10.0.1.2\n');
    const opts = await runCli([...base, '-E', 'header=y', '-E', 'separator=,', '-E', 'occurrence=l', '-E', 'quote=d', CAP]);
    expect(opts.stdout).toBe('"frame.number","tcp.option_kind","ip.src"\n"1","30","10.0.1.1"\n"14","30","10.0.1.2"\n');
    const agg = await runCli([...base, '-E', 'aggregator=/s', '-E', 'separator=/s', '-E', 'occurrence=a', CAP]);
    expect(agg.stdout.split('\n')[1]).toBe('14 1 1 8 30 10.0.1.2');
  });

  it('analysis fields run the engine: session and subflow of each packet', async () => {
    const r = await runCli(['dissect', '-Y', 'mptcpscope.subflow == 1 && tcp.flags.syn == 1', '-T', 'fields', '-e', 'frame.number', '-e', 'mptcp.stream', '-e', 'mptcpscope.dir', CAP]);
    expect(r.code).toBe(0);
    // The SYN and SYN/ACK of the second subflow; tshark puts the same frames in its mptcp.stream 0.
    expect(r.stdout).toBe('6\t0\tc2s\n7\t0\ts2c\n');
  });

  it.each([
    ['tcp.options.mptcp.subtyp == 2', /"tcp\.options\.mptcp\.subtyp" is not a known field \(did you mean "tcp\.options\.mptcp\.subtype"\?\)/, 0, 24],
    ['tcp.port == "x"', /cannot be converted from a string/, 12, 3],
    ['tcp.port ==', /unexpected end of filter expression/, 11, 1],
    ['ip.addr == 10.0.0.300', /not a valid IPv4 address/, 11, 10],
    ['(tcp.len > 1', /parenthesis is not closed/, 0, 1],
    ['tcp.port contains 80', /"contains" cannot be used on a unsigned integer/, 0, 8],
    ['tcp.payload matches "("', /invalid regular expression/, 20, 3],
  ])('%s: exit 2, the reason, the expression and a caret under the error', async (expr, reason, pos, len) => {
    const r = await runCli(['dissect', '-Y', expr, CAP]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^mptcpscope: invalid display filter \(-Y\): /);
    expect(lines[0]).toMatch(reason);
    expect(lines[1]).toBe(`    ${expr}`);
    expect(lines[2]).toBe(`    ${' '.repeat(pos)}^${'~'.repeat(len - 1)}`);
    expect(r.stderr).not.toMatch(/at .*\.js/);
  });

  it('rejects unknown -e fields and -e without -T fields', async () => {
    const a = await runCli(['dissect', '-T', 'fields', '-e', 'tcp.sport', CAP]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/-e tcp\.sport: "tcp\.sport" is not a known field \(did you mean "tcp\.port"\?\)/);
    const b = await runCli(['dissect', '-e', 'tcp.port', CAP]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/-e needs -T fields/);
    const c = await runCli(['dissect', '-T', 'fields', CAP]);
    expect(c.code).toBe(2);
  });
});

describe('docs/filters.md', () => {
  it('lists exactly the registry\'s fields (regenerate with node docs/gen-filters.mjs)', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'filters.md'), 'utf8');
    const a = doc.indexOf(FIELDS_DOC_START);
    const b = doc.indexOf(FIELDS_DOC_END);
    expect(a).toBeGreaterThan(0);
    expect(doc.slice(a, b + FIELDS_DOC_END.length)).toBe(fieldsMarkdown());
  });
});
