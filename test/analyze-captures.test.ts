// Every shipped kernel capture against what its applications recorded (captures/*.meta.json):
// the data-level sha256 of each complete direction must equal the sha256 the receiving application computed.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';
import type { AnalysisReport } from '../analyze/report-types.js';

interface Digest { bytes: number; sha256: string }
interface Meta {
  name: string;
  client: { sent: Digest; received: Digest };
  server: { sent: Digest; received: Digest };
  expect: { subflows?: number; min_subflows?: number; fallback?: boolean; checksum?: boolean; complete?: boolean; snaplen?: number; subtypes?: string[]; any_subtype?: string[]; join_backup?: boolean };
}

const dir = 'captures';
const metas = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.meta.json')) : [];

async function report(file: string): Promise<AnalysisReport> {
  const res = await analyzeFile(file);
  return buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: 'test' });
}

describe.each(metas)('%s', (metaFile) => {
  const meta = JSON.parse(readFileSync(`${dir}/${metaFile}`, 'utf8')) as Meta;
  const file = `${dir}/${meta.name}`;
  const ex = meta.expect;

  it('one session with the expected subflows, fallback and checksum state', async () => {
    const r = await report(file);
    expect(r.sessions).toHaveLength(1);
    const s = r.sessions[0];
    if (ex.subflows !== undefined) expect(s.subflows).toHaveLength(ex.subflows);
    if (ex.min_subflows !== undefined) expect(s.subflows.length).toBeGreaterThanOrEqual(ex.min_subflows);
    expect(s.fallback).toBe(ex.fallback ?? false);
    if (ex.checksum !== undefined) expect(s.checksum).toBe(ex.checksum);
    expect(r.unmatched).toEqual([]);
    // Kernel-made joins are authentic: every HMAC verifies.
    for (const sf of s.subflows.filter((x) => x.join)) expect(sf.hmac, `subflow ${sf.id}`).toBe('valid');
    if (ex.join_backup) expect(s.subflows.some((x) => x.backup)).toBe(true);
  });

  it('complete directions reproduce the applications\' sha256; incomplete ones say so', async () => {
    const r = await report(file);
    const s = r.sessions[0];
    const capturedWhole = ex.snaplen === undefined;
    for (const [name, d, receiver] of [['c2s', s.data.c2s, meta.server.received], ['s2c', s.data.s2c, meta.client.received]] as const) {
      if (d.complete) {
        expect(d.sha256, name).toBeDefined();
        // What the receiving application read is a prefix of (or equal to) the data-level stream.
        if (receiver.bytes === d.bytes) expect(d.sha256, name).toBe(receiver.sha256);
        else expect(ex.complete, `${name}: ${d.bytes} bytes on the wire, ${receiver.bytes} read by the app`).toBe(false);
      } else {
        expect(d.sha256, name).toBeUndefined();
        expect(d.missing, name).toBeGreaterThan(0);
      }
    }
    if (ex.complete && capturedWhole) {
      expect(s.data.c2s.complete).toBe(true);
      expect(s.data.s2c.complete).toBe(true);
      expect(s.data.c2s.sha256).toBe(meta.server.received.sha256);
      expect(s.data.s2c.sha256).toBe(meta.client.received.sha256);
    }
    if (!capturedWhole) {
      expect(s.data.c2s.complete).toBe(false);
      expect(s.data.c2s.missingReasons).toContain('snaplen');
    }
  });

  it('events name the options the scenario is about', async () => {
    const r = await report(file);
    const types = new Set(r.sessions[0].events.map((e) => e.type));
    for (const st of ex.subtypes ?? []) {
      if (['MP_PRIO', 'MP_FAIL', 'MP_TCPRST', 'MP_FASTCLOSE', 'REMOVE_ADDR', 'ADD_ADDR', 'MP_JOIN'].includes(st)) expect(types, st).toContain(st);
    }
    if (ex.any_subtype) expect(ex.any_subtype.some((st) => types.has(st))).toBe(true);
  });
});

describe('scenario findings', () => {
  it('a payload rewritten on the wire with checksums on gives DSS_CHECKSUM_MISMATCH and MP_FAIL', async () => {
    const file = `${dir}/checksum-rewrite.pcap`;
    if (!existsSync(file)) return;
    const r = await report(file);
    const s = r.sessions[0];
    const codes = s.findings.map((f) => f.code);
    expect(codes).toContain('DSS_CHECKSUM_MISMATCH');
    expect(codes).toContain('MP_FAIL');
    expect(s.events.some((e) => e.type === 'MP_FAIL')).toBe(true);
    const mismatch = s.findings.find((f) => f.code === 'DSS_CHECKSUM_MISMATCH')!;
    expect(mismatch.severity).toBe('error');
    expect(mismatch.packets.length).toBeGreaterThan(0);
  });
  it('clean kernel captures have no error findings', async () => {
    for (const name of ['v1-two-subflows.pcap', 'v1-checksum.pcap', 'v1-ipv6.pcap', 'lossy.pcap', 'mp-prio.pcap', 'two-interfaces.pcapng']) {
      if (!existsSync(`${dir}/${name}`)) continue;
      const r = await report(`${dir}/${name}`);
      expect(r.findings.filter((f) => f.severity === 'error'), name).toEqual([]);
    }
  });
});
