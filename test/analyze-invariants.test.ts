// Invariants of the analysis on every capture of the suite (kernel-made and public): every TCP packet is counted
// in exactly one place, and where DATA_FIN gives a direction's length, its bytes plus its missing bytes are it.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';
import { captureFiles } from './helpers/capture-files.js';

const files = [...captureFiles('captures'), ...captureFiles('../shared/captures-public').filter(() => !existsSync('captures/public'))];

describe('analysis invariants on every capture', () => {
  it('has captures to check', () => expect(files.length).toBeGreaterThan(5));
  it.each(files)('%s', async (file) => {
    const res = await analyzeFile(file);
    const r = buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: 'test' });
    const inSessions = r.sessions.reduce((a, s) => a + s.packets, 0);
    const inUnmatched = r.unmatched.reduce((a, u) => a + u.packets, 0);
    expect(inSessions + inUnmatched + r.capture.plainTcpPackets + r.capture.unlistedTcpPackets, 'TCP packets counted once').toBe(r.capture.tcpPackets);
    for (const s of r.sessions) {
      expect(s.subflows.reduce((a, f) => a + f.packets, 0), `session ${s.id}: subflow packets`).toBe(s.packets);
      for (const [name, d] of [['c2s', s.data.c2s], ['s2c', s.data.s2c]] as const) {
        if (d.dataFin) expect(d.bytes + d.missing, `session ${s.id} ${name}: bytes + missing = length`).toBe(d.length);
        if (d.complete) expect(d.missing).toBe(0);
      }
    }
  });
});
