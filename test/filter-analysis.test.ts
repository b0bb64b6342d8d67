// The analysis fields of the display filters agree with the engine and its report, on every shipped capture:
// tcp.stream (the filter's own connection tracking) is the engine's connection id, mptcp.stream/mptcpscope.subflow
// put each subflow's first packet in its session and subflow, and mptcpscope.finding selects only packets the
// report's findings name (the DSS checksum mismatch of checksum-rewrite among them).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';
import type { PacketObserver } from '../analyze/packet-analysis.js';
import { compileFields, compileFilter } from '../dissect/filter/index.js';
import { loadIndex } from './oracles/common.js';

const captures = loadIndex().filter((c) => c.path !== undefined);

async function run(file: string) {
  const fields = compileFields(['frame.number', 'tcp.stream', 'mptcp.stream', 'mptcpscope.subflow', 'mptcpscope.finding']);
  const checksum = compileFilter('mptcpscope.finding == "DSS_CHECKSUM_MISMATCH"');
  const rows: Array<{ n: number; tcp: boolean; connection: number; values: string[][] }> = [];
  const checksumFrames: number[] = [];
  const observer: PacketObserver = {
    packet(p, rec, a) {
      rows.push({ n: rec.n, tcp: p.isTcp, connection: a.connection, values: fields.values(rec, p, a) });
      if (checksum.match(rec, p, a)) checksumFrames.push(rec.n);
    },
  };
  const res = await analyzeFile(file, {}, { observer });
  const report = buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: 'test' });
  return { rows, report, checksumFrames };
}

describe('analysis fields agree with the engine and the report', () => {
  for (const c of captures) {
    it(c.name, async () => {
      const { rows, report, checksumFrames } = await run(c.path!);
      const byN = new Map(rows.map((r) => [r.n, r]));
      for (const r of rows) if (r.tcp && r.connection >= 0) expect(r.values[1], `frame ${r.n} tcp.stream`).toEqual([String(r.connection)]);
      for (const s of report.sessions) {
        for (const [i, f] of s.subflows.entries()) {
          const r = byN.get(f.firstPacket)!;
          expect(r.values[2], `session ${s.id} subflow ${i} first packet ${f.firstPacket}`).toEqual([String(s.id)]);
          expect(r.values[3]).toEqual([String(f.id)]);
        }
      }
      const named = new Map<string, Set<number>>();
      for (const f of report.findings) for (const n of f.packets) (named.get(f.code) ?? named.set(f.code, new Set()).get(f.code)!).add(n);
      for (const r of rows) for (const code of r.values[4]) expect(named.get(code)?.has(r.n), `frame ${r.n} ${code}`).toBe(true);
      if (c.name === 'checksum-rewrite') {
        expect(checksumFrames.length).toBeGreaterThan(0);
        for (const n of checksumFrames) expect(named.get('DSS_CHECKSUM_MISMATCH')?.has(n)).toBe(true);
      }
    });
  }
});
