/**
 * The tshark oracle of test/oracles/numbers/ (made by test/oracles/numbers.sh): one row per frame with the
 * relative and wire DSN/DATA_ACK, the scaled window, `-t ad` times and per-packet TCP lengths.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export type NumbersRow = Record<string, string>;

/** Rows of `test/oracles/numbers/<name>.tsv`, indexed by frame number (row 0 unused). */
export function tsharkNumbers(name: string): NumbersRow[] {
  const text = readFileSync(join(ROOT, 'test', 'oracles', 'numbers', `${name}.tsv`), 'utf8');
  const [head, ...rows] = text.split('\n').filter((l) => l !== '');
  const cols = head.split('\t');
  const out: NumbersRow[] = [{}];
  for (const r of rows) {
    const cells = r.split('\t');
    const row: NumbersRow = {};
    cols.forEach((c, i) => { row[c] = cells[i] ?? ''; });
    out[Number(row['frame.number'])] = row;
  }
  return out;
}

/** The oracle name of a capture path: its path under captures/ without the extension. */
export function oracleName(capture: string): string {
  return capture.replace(/^captures\//, '').replace(/\.(pcap|pcapng)$/, '');
}
