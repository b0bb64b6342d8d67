// The diagnosis on real kernel captures: each diag-* scenario of captures/make-captures.sh induced one cause at
// a known time (meta.json "induced", seconds since the capture's first packet); the diagnosis must name that
// cause at that time. Healthy captures must raise none of the diagnosis warnings.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../analyze/analyze-file.js';
import { buildReport } from '../analyze/report.js';
import type { AnalysisReport, SessionReport } from '../analyze/report-types.js';
import type { DirectionDiagnosis } from '../analyze/diagnosis/types.js';

interface Induced { type: string; path?: number; client?: string; captureSeconds: number }

const cache = new Map<string, Promise<AnalysisReport>>();
function report(name: string): Promise<AnalysisReport> {
  let r = cache.get(name);
  if (!r) {
    const file = `captures/${name}`;
    r = analyzeFile(file).then((res) => buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: 'test' }, res.diagnosis));
    cache.set(name, r);
  }
  return r;
}
async function session(name: string): Promise<SessionReport> {
  const r = await report(name);
  expect(r.sessions).toHaveLength(1);
  expect(r.sessions[0].diagnosis).toBeDefined();
  return r.sessions[0];
}
function induced(name: string): Induced[] {
  return JSON.parse(readFileSync(`captures/${name.replace(/\.pcap(ng)?$/, '')}.meta.json`, 'utf8')).induced as Induced[];
}
const warnings = (s: SessionReport) => s.diagnosis!.findings.filter((f) => f.severity === 'warning').map((f) => f.code);
const subflowOf = (s: SessionReport, clientAddr: string) => s.subflows.find((f) => f.client.startsWith(`${clientAddr}:`))!;

const HEALTHY = ['diag-clean.pcap', 'v1-two-subflows.pcap', 'v1-four-subflows-addaddr.pcap', 'v1-checksum.pcap', 'v1-ipv6.pcap',
  'small-snaplen.pcap', 'sll-any.pcap', 'two-interfaces.pcapng', 'fallback.pcap', 'diag-app-limited.pcap'];

describe('healthy paths: no diagnosis warning (false alarms are as bad as misses)', () => {
  it.each(HEALTHY)('%s', async (name) => {
    const s = await session(name);
    expect(warnings(s)).toEqual([]);
    expect(s.diagnosis!.handovers.filter((h) => h.trigger === 'timeout' || h.trigger === 'rst')).toEqual([]);
    for (const f of s.subflows) expect(f.failed).toBeNull();
  });
});

describe('every diagnosed direction: shares add up to 1, stalls are well-formed', () => {
  it.each([...HEALTHY, 'diag-path-failure.pcap', 'diag-path-failure-server.pcap', 'diag-backup-failure.pcap', 'diag-asymmetry.pcap', 'diag-small-rcvbuf.pcap', 'lossy.pcap', 'mp-prio.pcap', 'remove-addr.pcap', 'checksum-rewrite.pcap', 'fastclose.pcap'])('%s', async (name) => {
    const s = await session(name);
    for (const d of [s.diagnosis!.c2s, s.diagnosis!.s2c].filter((x): x is DirectionDiagnosis => x !== null)) {
      const sh = d.shares;
      expect(sh.sending + sh.receiveWindowLimited + sh.senderIdle + sh.stalled).toBeCloseTo(1, 6);
      for (const v of Object.values(sh)) expect(v).toBeGreaterThanOrEqual(0);
      for (const st of d.stalls) {
        expect(st.end).toBeGreaterThan(st.start);
        expect(st.durationMs).toBeGreaterThanOrEqual(s.diagnosis!.stallThresholdMs);
        expect(st.packets.length).toBeGreaterThan(0);
      }
      expect(d.activeSeconds).toBeGreaterThan(0);
      expect(d.verdict).toMatch(/^(c2s|s2c): /);
    }
    expect(s.diagnosis!.verdict.length).toBeGreaterThan(0);
  });
});

describe.each([
  ['diag-path-failure.pcap', 'the client'],
  ['diag-path-failure-server.pcap', 'the server'],
])('path failure (nftables drops everything on path 2 mid-transfer, link up): %s, captured at %s', (name) => {
  it('SUBFLOW_FAILED on the path-2 subflow, failed within 0.5 s of the cut, handover to the other subflow', async () => {
    const s = await session(name);
    const cut = induced(name).find((e) => e.type === 'path-blackhole')!;
    const victim = subflowOf(s, cut.client!);
    const f = s.diagnosis!.findings.find((x) => x.code === 'SUBFLOW_FAILED')!;
    expect(f.subflow).toBe(victim.id);
    expect(f.severity).toBe('warning');
    expect(victim.failed).not.toBeNull();
    expect(Math.abs(victim.failed! - cut.captureSeconds)).toBeLessThan(0.5);
    const h = s.diagnosis!.handovers.find((x) => x.from === victim.id)!;
    expect(h.trigger).toBe('timeout');
    expect(h.to).not.toBe(victim.id);
    expect(h.to).not.toBeNull();
    expect(Math.abs(h.failedAt - cut.captureSeconds)).toBeLessThan(0.5);
    expect(h.resumedAt).toBeGreaterThan(h.failedAt);
    expect(h.latencyMs).toBeCloseTo((h.resumedAt! - h.failedAt) * 1000, 0);
    expect(victim.timeouts).toBeGreaterThanOrEqual(1);
    // The data level stalled for the failure, attributed to that subflow, after the cut.
    const stalls = s.diagnosis!.c2s!.stalls.filter((x) => x.cause === 'path-failure');
    expect(stalls.length).toBeGreaterThan(0);
    for (const st of stalls) { expect(st.subflow).toBe(victim.id); expect(st.end).toBeGreaterThan(cut.captureSeconds - 0.5); }
    expect(s.diagnosis!.verdict).toMatch(new RegExp(`subflow ${victim.id} \\(${cut.client}:\\d+\\) failed at`));
  });
});

describe('backup path failure (path 1 cut, path 2 joined as backup)', () => {
  const name = 'diag-backup-failure.pcap';
  it('the initial subflow fails at the cut and the handover goes to the backup subflow', async () => {
    const s = await session(name);
    const cut = induced(name).find((e) => e.type === 'path-blackhole')!;
    const victim = subflowOf(s, cut.client!);
    const backup = s.subflows.find((f) => f.backup)!;
    expect(backup).toBeDefined();
    expect(warnings(s)).toContain('SUBFLOW_FAILED');
    const h = s.diagnosis!.handovers.find((x) => x.from === victim.id)!;
    expect(h.to).toBe(backup.id);
    expect(Math.abs(h.failedAt - cut.captureSeconds)).toBeLessThan(0.5);
    expect(h.resumedAt).not.toBeNull();
    // The backup subflow started carrying client data only after the failure.
    expect(backup.firstData!.c2s).toBeGreaterThan(h.failedAt);
  });
});

describe('path asymmetry (5 ms against 150 ms one-way delay)', () => {
  const name = 'diag-asymmetry.pcap';
  it('HEAD_OF_LINE_BLOCKING names the slow subflow, whose RTT p50 is more than 10 x the fast one', async () => {
    const s = await session(name);
    const slow = subflowOf(s, '10.0.2.1');
    const fast = subflowOf(s, '10.0.1.1');
    expect(slow.rtt!.p50Ms).toBeGreaterThan(10 * fast.rtt!.p50Ms);
    // The relay's delay: 2 x 150 ms round trip at least, 2 x 5 ms for the fast path.
    expect(slow.rtt!.minMs).toBeGreaterThanOrEqual(300);
    expect(fast.rtt!.minMs).toBeGreaterThanOrEqual(10);
    const hol = s.diagnosis!.findings.filter((f) => f.code === 'HEAD_OF_LINE_BLOCKING');
    expect(hol.length).toBeGreaterThan(0);
    for (const f of hol) expect(f.subflow).toBe(slow.id);
    expect(warnings(s)).not.toContain('SUBFLOW_FAILED');
  });
});

describe('small receiver buffers on a long fast path', () => {
  it('receive-window-limited above 0.5 of the time, with the finding', async () => {
    const s = await session('diag-small-rcvbuf.pcap');
    expect(s.diagnosis!.c2s!.shares.receiveWindowLimited).toBeGreaterThan(0.5);
    const f = s.diagnosis!.findings.find((x) => x.code === 'RECEIVE_WINDOW_LIMITED')!;
    expect(f.dir).toBe('c2s');
    expect(f.packets.length).toBeGreaterThan(0);
    expect(s.subflows[0].window!.c2s).toBeLessThanOrEqual(32768);
  });
});

describe('application-limited sender (bursts and pauses)', () => {
  it('senderIdle above 0.5 and no network cause blamed', async () => {
    const s = await session('diag-app-limited.pcap');
    const c2s = s.diagnosis!.c2s!;
    expect(c2s.shares.senderIdle).toBeGreaterThan(0.5);
    expect(c2s.stalls.filter((x) => x.cause !== 'sender-idle')).toEqual([]);
    expect(warnings(s)).toEqual([]);
    expect(s.diagnosis!.findings.map((f) => f.code)).toContain('SENDER_LIMITED');
    expect(c2s.verdict).toContain('application-limited');
  });
});

describe('lossy.pcap (5 % loss on path 2): once "No findings", now explained', () => {
  it('stalls by loss recovery on the lossy subflow, with its loss events', async () => {
    const s = await session('lossy.pcap');
    const lossy = subflowOf(s, '10.0.2.1');
    expect(lossy.lossEvents).toBeGreaterThan(0);
    expect(subflowOf(s, '10.0.1.1').lossEvents).toBe(0);
    const f = s.diagnosis!.findings.find((x) => x.code === 'DATA_STALLED')!;
    expect(f.message).toContain('loss-recovery');
    expect(s.diagnosis!.c2s!.stalls.some((x) => x.cause === 'loss-recovery' && x.subflow === lossy.id)).toBe(true);
    expect(warnings(s)).not.toContain('SUBFLOW_FAILED');
    expect(s.diagnosis!.verdict).toMatch(/stalled \(loss-recovery/);
  });
});

describe('a sub-millisecond exchange (public tcpdump mptcp-v1.pcap, loopback)', () => {
  it('the verdict gives its active time in milliseconds, not "0.00 s"', async () => {
    const file = 'captures/public/tcpdump/mptcp-v1.pcap';
    const res = await analyzeFile(file);
    const r = buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: 'test' }, res.diagnosis);
    const d = r.sessions[0].diagnosis!;
    for (const x of [d.c2s!, d.s2c!]) {
      // The whole capture spans about 1 ms (captures/public/tcpdump/expected/mptcp-v1.out, tcpdump's decode).
      expect(x.activeSeconds).toBeGreaterThan(0);
      expect(x.activeSeconds).toBeLessThan(0.001);
      expect(x.verdict).toContain(` of ${(x.activeSeconds * 1000).toFixed(1)} ms`);
      expect(x.verdict).not.toContain('0.00 s');
    }
  });
});

describe('remove-addr.pcap (REMOVE_ADDR of the 10.0.3.1 subflow mid-transfer)', () => {
  it('each direction\'s verdict calls the removal a failure only where that direction\'s data had to go elsewhere', async () => {
    const s = await session('remove-addr.pcap');
    const removed = subflowOf(s, '10.0.3.1');
    const failed = s.diagnosis!.findings.filter((f) => f.code === 'SUBFLOW_FAILED' && f.subflow === removed.id);
    for (const dir of ['c2s', 's2c'] as const) {
      const verdict = s.diagnosis![dir]!.verdict;
      if (failed.some((f) => f.dir === dir)) expect(verdict).toMatch(new RegExp(`subflow ${removed.id} \\(10\\.0\\.3\\.1:\\d+\\) failed at`));
      else expect(verdict).not.toContain('failed at');
      expect(verdict).not.toContain('0.00 s');
    }
  });
});

describe('bytes acknowledged on their subflow but not by DATA_ACK (public tcpdump mptcp-aa-v1.pcap)', () => {
  it('the s2c stalls are loss recovery at the receiver\'s data level, not on the path', async () => {
    // tcpdump's decode (captures/public/tcpdump/expected/mptcp-aa-v1.out): packet 8 carries DSN D (16 bytes,
    // subflow seq 1:17); packet 9 acknowledges subflow seq 17 but its DATA_ACK is still D; packet 10 sends DSN D
    // again on subflow seq 17:33, and only packet 11's DATA_ACK (D + 16) covers it, 205 ms after packet 9.
    const golden = readFileSync('captures/public/tcpdump/expected/mptcp-aa-v1.out', 'utf8').split('\n');
    const line = (n: number) => golden.find((l) => l.trimStart().startsWith(`${n} `))!;
    const dsn = /dss ack \d+ seq (\d+) subseq 1 len 16/.exec(line(8))![1];
    expect(line(9)).toContain(`ack 17,`);
    expect(line(9)).toContain(`dss ack ${dsn}]`);
    expect(line(10)).toContain(`seq ${dsn} subseq 17 len 16`);
    expect(line(11)).toContain(`dss ack ${BigInt(dsn) + 16n}]`);
    const file = 'captures/public/tcpdump/mptcp-aa-v1.pcap';
    const res = await analyzeFile(file);
    const r = buildReport(res.engine, { file, format: res.format, truncated: res.truncated, version: 'test' }, res.diagnosis);
    const d = r.sessions[0].diagnosis!;
    const first = d.s2c!.stalls[0];
    expect(first.cause).toBe('loss-recovery');
    expect(first.packets).toEqual(expect.arrayContaining([9, 10, 11]));
    const stalled = d.findings.find((f) => f.code === 'DATA_STALLED' && f.dir === 's2c')!;
    expect(stalled.message).toContain('early on, but DATA_ACK did not cover them until they were sent again: lost at the receiver\'s data level, not on the path');
  });
});
