// Tokens, IDSNs and subflow grouping against tshark 4.0 (committed in test/oracles/, see its README for the
// command): mptcp.expected_token / mptcp.expected_idsn for every key tshark saw, and mptcp.stream for every
// TCP stream. tshark numbers MPTCP streams in the order of their first MP_CAPABLE SYN, as our session ids.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';

const index = existsSync('test/oracles/index.tsv')
  ? readFileSync('test/oracles/index.tsv', 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'))
  : [];

function tsv(name: string): Array<Record<string, string>> {
  const [head, ...rows] = readFileSync(`test/oracles/${name}.tshark.tsv`, 'utf8').trimEnd().split('\n');
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}

describe.each(index)('%s', (name, source, sha256) => {
  it('oracle output is for this exact capture', () => {
    const actual = createHash('sha256').update(readFileSync(source)).digest('hex');
    expect(actual, `${source} changed: run bash test/oracles/refresh.sh`).toBe(sha256);
  });

  it('tokens and IDSNs agree with mptcp.expected_token / expected_idsn', async () => {
    const rows = tsv(name);
    const res = await analyzeFile(source);
    const report = buildReport(res.engine, { file: source, format: res.format, truncated: res.truncated, version: 't' });
    const ours = new Map<string, string>();
    for (const s of report.sessions) for (const side of [s.client, s.server]) if (side.token) ours.set(side.token, side.idsn!);
    const theirs = new Map<string, string>();
    for (const r of rows) {
      if (!r['mptcp.expected_token']) continue;
      const tokens = r['mptcp.expected_token'].split(',');
      const idsns = (r['mptcp.expected_idsn'] ?? '').split(',');
      // tshark writes 0 on packets of a join whose keys it has not tied up yet; that is no token.
      tokens.forEach((t, i) => { if (t !== '0') theirs.set(Number(t).toString(16).padStart(8, '0'), idsns[i]); });
    }
    for (const [token, idsn] of theirs) {
      expect(ours.has(token), `token ${token}`).toBe(true);
      expect(ours.get(token), `idsn of ${token}`).toBe(idsn);
    }
    // Every token we derived from a key tshark also saw.
    for (const token of ours.keys()) expect(theirs.has(token), `our token ${token}`).toBe(true);
  });

  it('subflows group into sessions as tshark mptcp.stream does', async () => {
    const rows = tsv(name);
    const res = await analyzeFile(source);
    const report = buildReport(res.engine, { file: source, format: res.format, truncated: res.truncated, version: 't' });
    // tshark: TCP stream -> MPTCP stream, with the ports of the stream.
    const theirs = new Map<string, string>();
    for (const r of rows) {
      if (r['mptcp.stream'] === undefined || r['mptcp.stream'] === '' || r['tcp.stream'] === '') continue;
      const ports = [r['tcp.srcport'], r['tcp.dstport']].sort().join('-');
      theirs.set(ports, r['mptcp.stream']);
    }
    const ours = new Map<string, string>();
    for (const s of report.sessions) {
      if (s.fallback && s.subflows.length === 1 && !s.client.key && !s.server.key) continue; // tshark gives no mptcp.stream without keys
      for (const sf of s.subflows) {
        const ports = [sf.client.split(':').pop()!, sf.server.split(':').pop()!].sort().join('-');
        ours.set(ports, String(s.id));
      }
    }
    // Connections whose handshake the capture lacks are reported in `unmatched` (tshark still numbers them).
    const unmatched = new Set(report.unmatched.map((u) => u.endpoints.map((e) => e.split(':').pop()!).sort().join('-')));
    for (const [ports, stream] of theirs) {
      if (unmatched.has(ports)) continue;
      expect(ours.get(ports), `tcp ports ${ports}`).toBe(stream);
    }
    for (const ports of ours.keys()) expect(theirs.has(ports), `our subflow ${ports}`).toBe(true);
  });
});
