// Display filters and -T fields against tshark 4.0, from committed oracle outputs (so this runs without
// tshark; test/oracles/filters/refresh.sh and refresh-fields.sh regenerate them where tshark is installed):
//  - every expression of test/oracles/filters/expressions.txt selects exactly the frames `tshark -Y` selects,
//    on every capture of test/oracles/index.tsv (selected.tsv);
//  - `mptcpscope dissect -T fields -E header=y -E occurrence=a -E aggregator=, -e ...` prints what
//    `tshark -T fields` prints with the same options for every field of refresh-fields.sh (fields/*.tsv).
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import { compileFilter, type CompiledFilter } from '../dissect/filter/index.js';
import { CLI, ORACLES, ensureBuilt, loadIndex, type Capture } from './oracles/common.js';

const DIR = join(ORACLES, 'filters');
const expressions = readFileSync(join(DIR, 'expressions.txt'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));

/** expression -> capture -> frames tshark selected. */
function readSelected(): Map<string, Map<string, number[]>> {
  const m = new Map<string, Map<string, number[]>>();
  for (const line of readFileSync(join(DIR, 'selected.tsv'), 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [expr, capture, frames] = line.split('\t');
    if (!m.has(expr)) m.set(expr, new Map());
    m.get(expr)!.set(capture, frames === '-' ? [] : frames.split(',').map(Number));
  }
  return m;
}

const captures = loadIndex();
const usable = captures.filter((c): c is Capture & { path: string } => c.path !== undefined);

/** Runs every compiled filter over every packet of the capture, in order; returns the frames each selects. */
async function selectAll(file: string, filters: CompiledFilter[]): Promise<number[][]> {
  const out = filters.map(() => [] as number[]);
  const p = newDecodedPacket();
  await readCapture(file, (rec) => {
    decodePacket(rec, p);
    for (let i = 0; i < filters.length; i++) if (filters[i].match(rec, p, null)) out[i].push(rec.n);
  });
  return out;
}

describe('display filters select what tshark -Y selects', () => {
  const selected = readSelected();

  it('covers at least 40 expressions, each checked against tshark on every capture', () => {
    expect(expressions.length).toBeGreaterThanOrEqual(40);
    for (const e of expressions) expect(selected.has(e), `no tshark output for ${e}: run test/oracles/filters/refresh.sh`).toBe(true);
    expect(usable.length).toBeGreaterThan(10);
  });

  for (const c of usable) {
    it(`${c.name}: every expression`, async () => {
      const filters = expressions.map((e) => compileFilter(e));
      const got = await selectAll(c.path, filters);
      const wrong: string[] = [];
      expressions.forEach((e, i) => {
        const want = selected.get(e)?.get(c.name);
        if (want === undefined) return;
        const mine = got[i];
        if (mine.join(',') !== want.join(',')) {
          const extra = mine.filter((n) => !want.includes(n)).slice(0, 5);
          const missing = want.filter((n) => !mine.includes(n)).slice(0, 5);
          wrong.push(`${e}: ${mine.length} vs tshark ${want.length} (extra ${extra.join(',')} missing ${missing.join(',')})`);
        }
      });
      expect(wrong).toEqual([]);
    });
  }

  it('selections are not trivial: every MPTCP subtype is selected somewhere', () => {
    for (let st = 0; st <= 8; st++) {
      const e = [...selected.keys()].find((x) => x === `tcp.options.mptcp.subtype == ${st}` || x === `tcp.options.mptcp.subtype eq ${st}`)!;
      const total = [...selected.get(e)!.values()].reduce((n, f) => n + f.length, 0);
      expect(total, e).toBeGreaterThan(0);
    }
  });
});

describe('dissect -T fields prints what tshark -T fields prints', () => {
  const cmd = readFileSync(join(DIR, 'fields', 'COMMAND.txt'), 'utf8');
  const args = cmd.split('\n')[1].replace(/^# TZ=UTC tshark -r CAPTURE /, '').split(' ');
  const fields = args.filter((_, i) => args[i - 1] === '-e');
  beforeAll(() => ensureBuilt());

  it('compares at least 12 fields', () => {
    expect(fields.length).toBeGreaterThanOrEqual(12);
  });

  for (const c of usable) {
    const file = join(DIR, 'fields', `${c.name.replace(/\//g, '__')}.tsv`);
    it(`${c.name}`, () => {
      expect(existsSync(file), `run test/oracles/filters/refresh-fields.sh`).toBe(true);
      const want = readFileSync(file, 'utf8').split('\n');
      const mine = execFileSync(process.execPath, [CLI, 'dissect', ...args, c.path], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, TZ: 'UTC' } }).split('\n');
      expect(mine.length).toBe(want.length);
      const header = want[0].split('\t');
      const wrong: string[] = [];
      for (let i = 0; i < want.length; i++) {
        if (mine[i] === want[i]) continue;
        const a = mine[i].split('\t');
        const b = want[i].split('\t');
        header.forEach((h, j) => { if (a[j] !== b[j] && wrong.length < 20) wrong.push(`line ${i} ${h}: ${a[j]} vs tshark ${b[j]}`); });
      }
      expect(wrong).toEqual([]);
    });
  }
});
