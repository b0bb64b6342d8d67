// Display filters and -T fields against tshark 4.0, from committed oracle outputs (so this runs without
// tshark; test/oracles/filters/refresh.sh and refresh-fields.sh regenerate them where tshark is installed):
//  - every expression of test/oracles/filters/expressions.txt selects exactly the frames `tshark -Y` selects
//    on the captures of test/oracles/index.tsv concatenated in index order (selected.tsv, per capture: see
//    refresh.sh; the replay here numbers frames and keeps connection state across the captures the same way);
//  - `mptcpscope dissect -T fields -E header=y -E occurrence=a -E aggregator=, -e ...` prints what
//    `tshark -T fields` prints with the same options for every field of refresh-fields.sh (fields/*.tsv).
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import type { CaptureRecord } from '../dissect/record.js';
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

/** Every compiled filter over every packet of all captures in index order (one frame numbering, as mergecap -a). */
async function selectAll(files: Array<{ name: string; path: string }>, filters: CompiledFilter[]): Promise<Map<string, number[][]>> {
  const out = new Map<string, number[][]>();
  const p = newDecodedPacket();
  let base = 0;
  for (const f of files) {
    const sel = filters.map(() => [] as number[]);
    out.set(f.name, sel);
    let last = 0;
    await readCapture(f.path, (rec) => {
      const g: CaptureRecord = { ...rec, n: base + rec.n };
      decodePacket(g, p);
      for (let i = 0; i < filters.length; i++) if (filters[i].match(g, p, null)) sel[i].push(rec.n);
      last = rec.n;
    });
    base += last;
  }
  return out;
}

describe('display filters select what tshark -Y selects', () => {
  const selected = readSelected();
  const complete = usable.length === captures.length;

  it('covers at least 40 expressions, each checked against tshark', () => {
    expect(expressions.length).toBeGreaterThanOrEqual(40);
    for (const e of expressions) expect(selected.has(e), `no tshark output for ${e}: run test/oracles/filters/refresh.sh`).toBe(true);
  });

  // The concatenation needs every capture of the index (unchanged): skip where one is missing.
  it.skipIf(!complete)('every expression on every capture', async () => {
    const filters = expressions.map((e) => compileFilter(e));
    const got = await selectAll(usable, filters);
    const wrong: string[] = [];
    let compared = 0;
    for (const c of usable) {
      expressions.forEach((e, i) => {
        const want = selected.get(e)?.get(c.name);
        if (want === undefined) return;
        compared++;
        const mine = got.get(c.name)![i];
        if (mine.join(',') !== want.join(',')) {
          const extra = mine.filter((n) => !want.includes(n)).slice(0, 5);
          const missing = want.filter((n) => !mine.includes(n)).slice(0, 5);
          wrong.push(`${c.name}: ${e}: ${mine.length} vs tshark ${want.length} (extra ${extra.join(',')} missing ${missing.join(',')})`);
        }
      });
    }
    expect(wrong).toEqual([]);
    expect(compared).toBe(expressions.length * captures.length);
  });

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
