/**
 * Turns a session diagnoser's state into the report: failures and handovers, per-direction timelines,
 * findings with their thresholds, and the one-line verdict. Thresholds are documented in docs/diagnosis.md.
 */
import type { Finding } from '../report-types.js';
import type { DirectionState } from './direction-state.js';
import type { SessionDiagnoser } from './session-diagnoser.js';
import { round3, round6, type SubflowState } from './subflow-state.js';
import { STALL_CAUSES, type DiagnosisSeries, type DirectionDiagnosis, type Handover, type HandoverTrigger, type SessionDiagnosis, type Stall, type StallCause, type SubflowDiagnosis } from './types.js';

/** HANDOVER_DELAY: latency above min(1 s, 3 x the target subflow's RTT p50), never below the 200 ms minimum RTO. */
export const HANDOVER_DELAY_MAX_S = 1;
export const HANDOVER_DELAY_RTTS = 3;
export const HANDOVER_DELAY_FLOOR_S = 0.2;
/** HEAD_OF_LINE_BLOCKING: p95 wait at least this many times the fastest other subflow's RTT p50, and at least 50 ms ... */
export const HOL_RTT_FACTOR = 2;
export const HOL_MIN_MS = 50;
/** ... and the subflow waited for is slower without load (handshake RTT, else its smallest sample) by this
 * factor and at least HOL_SLOW_PATH_MIN_MS than the other subflows that carried at least HOL_MIN_SHARE of the
 * direction's data. */
export const HOL_SLOW_PATH_FACTOR = 3;
export const HOL_SLOW_PATH_MIN_MS = 20;
export const HOL_MIN_SHARE = 0.1;
/** DATA_STALLED: stalls cover more than this share of the active time. */
export const STALLED_SHARE = 0.2;
/** RECEIVE_WINDOW_LIMITED: more than this share of the active time. */
export const RWND_SHARE = 0.2;
/** SENDER_LIMITED (info): the sender idle for more than this share of the active time. */
export const SENDER_IDLE_SHARE = 0.25;
/** REINJECTION_WASTE is a warning above this fraction of the direction's bytes and this many bytes (info below). */
export const WASTE_WARNING_FRACTION = 0.1;
export const WASTE_WARNING_BYTES = 64 * 1024;
/** A subflow with this many timeouts in a row (no ACK progress between) failed, even without a reinjection seen. */
export const FAILED_TIMEOUTS = 2;

export interface SubflowLabel {
  id: number;
  /** Client endpoint text, e.g. 10.0.2.1:40012. */
  client: string;
  backup: boolean;
}

export interface DiagnosisFinding extends Finding {
  dir?: 'c2s' | 's2c';
  /** The time range the finding is about (seconds since capture.start). */
  start?: number;
  end?: number;
}

export interface DiagnosisResult {
  diagnosis: SessionDiagnosis;
  subflows: SubflowDiagnosis[];
  series: DiagnosisSeries;
}

interface Failure {
  subflow: number;
  dir: 0 | 1;
  failedAt: number;
  trigger: HandoverTrigger;
  packets: number[];
}

const DIRS = ['c2s', 's2c'] as const;

export function summarize(d: SessionDiagnoser, labels: SubflowLabel[]): DiagnosisResult {
  d.finish();
  const failures = findFailures(d);
  const failedAt = new Map<number, number>();
  for (const f of failures) if (!failedAt.has(f.subflow) || f.failedAt < failedAt.get(f.subflow)!) failedAt.set(f.subflow, f.failedAt);
  const label = (id: number): string => {
    const l = labels.find((x) => x.id === id);
    return l ? `subflow ${id} (${l.client})` : `subflow ${id}`;
  };
  const handovers = buildHandovers(d, failures);
  const findings: DiagnosisFinding[] = [];
  const dirs = DIRS.map((name, i) => directionDiagnosis(d, d.dirs[i], i as 0 | 1, failedAt));

  // Findings, in time order of what they are about.
  for (const f of failures) {
    const severity = f.trigger === 'timeout' || f.trigger === 'rst' ? 'warning' : 'info';
    const how = f.trigger === 'timeout' ? 'stopped delivering: no ACK progress, then retransmission timeouts'
      : f.trigger === 'rst' ? 'was reset with data outstanding' : 'was removed (REMOVE_ADDR) with data outstanding';
    findings.push({ severity, code: 'SUBFLOW_FAILED', message: `${label(f.subflow)} ${how}; last progress at ${secs(f.failedAt)}, ${DIRS[f.dir]} data had to go elsewhere`, packets: f.packets, session: d.id, subflow: f.subflow, dir: DIRS[f.dir], start: round6(f.failedAt) });
  }
  for (const h of handovers) {
    if (h.latencyMs === null || h.resumedAt === null || h.to === null) continue;
    const p = d.subflows[h.to]?.p50Ms() ?? NaN;
    const rtt = Number.isFinite(p) ? p / 1000 : 0;
    const limit = Math.max(HANDOVER_DELAY_FLOOR_S, Math.min(HANDOVER_DELAY_MAX_S, HANDOVER_DELAY_RTTS * rtt));
    if (h.latencyMs / 1000 > limit) {
      findings.push({ severity: 'warning', code: 'HANDOVER_DELAY', message: `${h.dir}: handover from ${label(h.from)} to subflow ${h.to} took ${ms(h.latencyMs)} (${h.trigger}), from ${secs(h.failedAt)} to ${secs(h.resumedAt)}; limit ${ms(limit * 1000)}`, packets: h.packets, session: d.id, subflow: h.from, dir: h.dir, start: h.failedAt, end: h.resumedAt });
    }
  }
  const p50 = (id: number): number => d.subflows[id]?.p50Ms() ?? NaN;
  dirs.forEach((dd, i) => {
    if (!dd) return;
    const st = d.dirs[i];
    const dir = DIRS[i];
    const hol = dd.headOfLine;
    const culprit = hol.blockedBy[0];
    if (culprit) {
      // The fastest of the other subflows that carried at least 10 % of this direction's new data.
      const total = d.subflows.reduce((a, s) => a + s.dirs[i].newBytes, 0);
      const others = d.subflows.filter((s) => s.id !== culprit.subflow && s.dirs[i].newBytes >= HOL_MIN_SHARE * total && Number.isFinite(s.p50Ms()));
      const fastest = Math.min(...others.map((s) => s.p50Ms()));
      const fastestBase = Math.min(...others.map((s) => s.baseRttMs()).filter(Number.isFinite));
      const slowBase = d.subflows[culprit.subflow]?.baseRttMs() ?? NaN;
      // Paths of similar delay reorder too (their queues fill unevenly): only a path that is slower without
      // load (handshake RTT) and holds the faster ones back is a finding.
      if (Number.isFinite(fastest) && slowBase >= HOL_SLOW_PATH_FACTOR * fastestBase && slowBase - fastestBase >= HOL_SLOW_PATH_MIN_MS && hol.p95Ms >= Math.max(HOL_MIN_MS, HOL_RTT_FACTOR * fastest)) {
        findings.push({ severity: 'warning', code: 'HEAD_OF_LINE_BLOCKING', message: `${dir}: in-order delivery waited for ${label(culprit.subflow)} (RTT p50 ${ms(p50(culprit.subflow))}, unloaded ${ms(slowBase)}): segments already delivered on their subflow waited p95 ${ms(hol.p95Ms)} (fastest other subflow RTT p50 ${ms(fastest)}), ${ms(culprit.waitMs)} in all`, packets: evidenceOf(dd.stalls, 'head-of-line', culprit.subflow), session: d.id, subflow: culprit.subflow, dir, start: dd.start, end: dd.end });
      }
    }
    if (dd.shares.stalled > STALLED_SHARE) {
      const causes = STALL_CAUSES.filter((c) => dd.stalledSeconds[c] > 0).sort((a, b) => dd.stalledSeconds[b] - dd.stalledSeconds[a]);
      const top = causes[0] ?? 'unknown';
      const blamed = dd.stalls.filter((x) => x.cause === top && x.subflow !== null).map((x) => x.subflow as number);
      const who = blamed.length ? `, mostly on ${label(mostCommon(blamed))}` : '';
      const lagged = st.dataLevelLossStalls + st.dataAckLagStalls;
      const lag = lagged === 0 ? '' : `; in ${lagged} of them the receiver had acknowledged the awaited bytes on ${label(st.dataAckLagSubflow)} early on, but DATA_ACK did not cover them${
        st.dataAckLagStalls === 0 ? ' until they were sent again: lost at the receiver\'s data level, not on the path' : st.dataLevelLossStalls === 0 ? ': the receiver\'s data-level acknowledgment lagged, nothing was lost on the path' : ' (sent again, or not)'}`;
      const first = dd.stalls[0];
      const last = dd.stalls[dd.stalls.length - 1];
      findings.push({ severity: 'warning', code: 'DATA_STALLED', message: `${dir}: in-order delivery stalled ${pct(dd.shares.stalled)} of the active time (${span(dd.activeSeconds)}) in ${dd.stalls.length + dd.stallsNotListed} stall(s), longest ${ms(Math.max(...dd.stalls.map((x) => x.durationMs)))}; cause: ${causes.map((c) => `${c} ${span(dd.stalledSeconds[c])}`).join(', ')}${who}${lag}`, packets: [...new Set(dd.stalls.flatMap((x) => x.packets))].sort((a, b) => a - b).slice(0, 20), session: d.id, dir, ...(first ? { start: first.start, end: last.end } : {}) });
    }
    if (dd.shares.receiveWindowLimited > RWND_SHARE) {
      findings.push({ severity: 'warning', code: 'RECEIVE_WINDOW_LIMITED', message: `${dir}: the receiver's window (DATA_ACK + window) was full ${pct(dd.shares.receiveWindowLimited)} of the active time (${span(dd.activeSeconds)}): the receiver's buffer, not the paths, limited the transfer`, packets: windowEvidence(st), session: d.id, dir, start: dd.start, end: dd.end });
    }
    if (dd.shares.senderIdle > SENDER_IDLE_SHARE) {
      findings.push({ severity: 'info', code: 'SENDER_LIMITED', message: `${dir}: the sender had nothing outstanding ${pct(dd.shares.senderIdle)} of the active time (${span(dd.activeSeconds)}): application-limited`, packets: evidenceOf(dd.stalls, 'sender-idle', null), session: d.id, dir, start: dd.start, end: dd.end });
    }
    if (dd.wastedReinjectedBytes > 0) {
      const severity = dd.wastedReinjectedBytes > WASTE_WARNING_FRACTION * dd.bytes && dd.wastedReinjectedBytes >= WASTE_WARNING_BYTES ? 'warning' : 'info';
      findings.push({ severity, code: 'REINJECTION_WASTE', message: `${dir}: ${dd.wastedReinjectedBytes} of ${dd.reinjectedBytes} reinjected bytes were not needed: DATA_ACK had already covered them when the repeat passed the capture point`, packets: st.marks.items.filter((m) => m.kind === 'reinjection').slice(0, 10).map((m) => m.n), session: d.id, dir, start: dd.start, end: dd.end });
    }
  });

  dirs.forEach((dd, i) => { if (dd) dd.verdict = directionVerdict(DIRS[i], dd, handovers.filter((h) => h.dir === DIRS[i]), findings, label); });
  const verdicts = dirs.filter((x): x is DirectionDiagnosis => x !== null).map((x) => x.verdict);
  const diagnosis: SessionDiagnosis = {
    verdict: verdicts.length ? verdicts.join(' | ') : 'no data transferred',
    c2s: dirs[0],
    s2c: dirs[1],
    handovers,
    stallThresholdMs: round3(d.stallThreshold() * 1000),
    findings,
  };
  const totals = [0, 1].map((i) => d.subflows.reduce((a, s) => a + s.dirs[i].newBytes, 0));
  const subflows = d.subflows.map((s) => subflowDiagnosis(s, totals, failedAt.get(s.id) ?? null));
  const series: DiagnosisSeries = {
    seq: { c2s: seqOf(d.dirs[0]), s2c: seqOf(d.dirs[1]) },
    ack: { c2s: d.dirs[0].acks.items, s2c: d.dirs[1].acks.items },
    rtt: d.subflows.map((s) => ({ subflow: s.id, points: s.rttSeries.items })),
  };
  return { diagnosis, subflows, series };
}

function seqOf(st: DirectionState) {
  return [...st.seq.items, ...st.marks.items].sort((a, b) => a.t - b.t || a.n - b.n);
}

/** A subflow failed in a direction when it stopped making ACK progress with data outstanding and then timed out
 * (twice, or once with its data reinjected elsewhere), or was reset or removed while another subflow carried on. */
function findFailures(d: SessionDiagnoser): Failure[] {
  const out: Failure[] = [];
  for (const sf of d.subflows) {
    for (const dir of [0, 1] as const) {
      const x = sf.dirs[dir];
      if (!x.sentData) continue;
      let since = x.lastAckAdvance >= 0 ? x.lastAckAdvance : x.firstNewData;
      const candidate = d.dirs[dir].failureCandidates.has(sf.id);
      // ACKs that still arrive after an RST or REMOVE_ADDR carried by a stalled data level are no use.
      const end = Math.min(sf.rstTime >= 0 ? sf.rstTime : Infinity, sf.removedTime >= 0 ? sf.removedTime : Infinity);
      if (candidate && end < since) since = end;
      // Outstanding: unacknowledged on the subflow, or data it should have carried held the data level back.
      const outstanding = x.highestEnd > Math.max(1, x.ackedEnd) || candidate;
      const carriedOn = d.subflows.some((o) => o !== sf && o.dirs[dir].lastNewData > since) || x.reinjectedAwaySinceProgress;
      let trigger: HandoverTrigger | null = null;
      const packets = [x.lastAckAdvanceN];
      if ((sf.rstTime >= since || sf.removedTime >= since) && outstanding && carriedOn) {
        // Removed (REMOVE_ADDR, whose RST then follows) or reset.
        trigger = sf.removedTime >= 0 ? 'remove-addr' : 'rst';
        packets.push(trigger === 'rst' ? sf.rstN : sf.removedN);
      }
      else if (x.timeoutsSinceProgress >= FAILED_TIMEOUTS || (x.timeoutsSinceProgress >= 1 && x.reinjectedAwaySinceProgress)) trigger = 'timeout';
      if (!trigger) continue;
      packets.push(...x.timeoutPackets);
      if (x.resumeTime >= 0) packets.push(x.resumeN);
      out.push({ subflow: sf.id, dir, failedAt: since, trigger, packets: [...new Set(packets)].filter((p) => p > 0).sort((a, b) => a - b) });
    }
  }
  return out.sort((a, b) => a.failedAt - b.failedAt);
}

function buildHandovers(d: SessionDiagnoser, failures: Failure[]): Handover[] {
  const out: Handover[] = [];
  for (const f of failures) {
    const x = d.subflows[f.subflow].dirs[f.dir];
    let to: number | null = x.resumeTo >= 0 ? x.resumeTo : null;
    if (to === null) {
      // No reinjected delivery seen: the subflow that carried new data last after the failure.
      let best = -1;
      for (const o of d.subflows) if (o.id !== f.subflow && o.dirs[f.dir].lastNewData > f.failedAt && o.dirs[f.dir].lastNewData > best) { best = o.dirs[f.dir].lastNewData; to = o.id; }
    }
    // Resumed: the first delivery of its data through a reinjection, else the end of the first stall it caused.
    const cand = d.dirs[f.dir].failureCandidates.get(f.subflow);
    const resume = x.resumeTime >= 0 ? x.resumeTime : cand && cand.firstEnd > f.failedAt ? cand.firstEnd : -1;
    const resumedAt = resume >= 0 ? round6(resume) : null;
    const packets = cand && x.resumeTime < 0 ? [...f.packets, cand.firstEndN].sort((a, b) => a - b) : f.packets;
    out.push({ dir: DIRS[f.dir], from: f.subflow, to, failedAt: round6(f.failedAt), resumedAt, latencyMs: resume >= 0 ? round3((resume - f.failedAt) * 1000) : null, trigger: f.trigger, packets });
  }
  for (const m of d.managed) {
    if (failures.some((f) => f.subflow === m.from && f.dir === m.dir)) continue;
    out.push({ dir: DIRS[m.dir], from: m.from, to: m.to, failedAt: round6(m.time), resumedAt: round6(m.resumedAt), latencyMs: round3((m.resumedAt - m.time) * 1000), trigger: m.trigger, packets: m.packets });
  }
  return out.sort((a, b) => a.failedAt - b.failedAt);
}

function directionDiagnosis(d: SessionDiagnoser, st: DirectionState, dir: 0 | 1, failedAt: Map<number, number>): DirectionDiagnosis | null {
  if (!st.seen) return null;
  const byCause = { ...st.stalledByCause };
  for (const [x, c] of st.failureCandidates) byCause[failedAt.has(x) ? 'path-failure' : 'loss-recovery'] += c.seconds;
  const stalls: Stall[] = st.stalls.map((s) => (s.cause === 'path-failure' && s.subflow !== null && !failedAt.has(s.subflow) ? { ...s, cause: 'loss-recovery' } : s));
  const total = st.sending + st.rwnd + st.idle + st.stalled;
  const share = (v: number): number => (total > 0 ? round3(v / total) : 0);
  const shares = { sending: share(st.sending), receiveWindowLimited: share(st.rwnd), senderIdle: share(st.idle), stalled: share(st.stalled) };
  // Rounding may leave the sum off by a thousandth: give it to the largest.
  const keys = Object.keys(shares) as Array<keyof typeof shares>;
  const diff = round3(1 - keys.reduce((a, k) => a + shares[k], 0));
  if (total > 0 && diff !== 0) { const k = keys.reduce((a, b) => (shares[a] >= shares[b] ? a : b)); shares[k] = round3(shares[k] + diff); }
  if (total === 0) shares.sending = 1;
  const end = st.activeEnd();
  const active = Math.max(0, end - st.firstTime);
  const bytes = st.dataAck > 0 ? st.dataAck : st.sndMax;
  const blame = [...st.blame].map((s, subflow) => ({ subflow, s })).filter((x) => x.s > 0).sort((a, b) => b.s - a.s).map(({ subflow, s }) => ({ subflow, waitMs: round3(s * 1000) }));
  const stalledSeconds = {} as Record<StallCause, number>;
  for (const c of STALL_CAUSES) stalledSeconds[c] = round6(byCause[c]);
  return {
    bytes,
    activeSeconds: round6(active),
    start: round6(st.firstTime),
    end: round6(end),
    goodputBps: active > 0 ? Math.round((bytes * 8) / active) : 0,
    shares,
    stalls,
    stallsNotListed: st.stallsNotListed,
    stalledSeconds,
    headOfLine: {
      samples: st.holWaits.count,
      p50Ms: round3(st.holWaits.percentile(50) * 1000),
      p95Ms: round3(st.holWaits.percentile(95) * 1000),
      maxMs: round3(st.holWaits.max * 1000),
      blockedBy: blame,
    },
    reinjectedBytes: st.reinjectedBytes,
    wastedReinjectedBytes: st.wastedBytes,
    verdict: '',
  };
}

function subflowDiagnosis(s: SubflowState, totals: number[], failed: number | null): SubflowDiagnosis {
  const t = (v: number): number | null => (v >= 0 ? round6(v) : null);
  return {
    rtt: s.rtt.count > 0 ? { samples: s.rtt.count, minMs: round3(s.rttMin), p50Ms: round3(s.rtt.percentile(50)), p95Ms: round3(s.rtt.percentile(95)) }
      : s.halfOnly.count > 0 ? { samples: s.halfOnly.count, minMs: round3(s.halfOnly.percentile(0)), p50Ms: round3(s.halfOnly.percentile(50)), p95Ms: round3(s.halfOnly.percentile(95)) } : null,
    share: { c2s: totals[0] > 0 ? round3(s.dirs[0].newBytes / totals[0]) : 0, s2c: totals[1] > 0 ? round3(s.dirs[1].newBytes / totals[1]) : 0 },
    lossEvents: s.dirs[0].lossEvents + s.dirs[1].lossEvents,
    timeouts: s.dirs[0].timeouts + s.dirs[1].timeouts,
    sackBlocks: s.dirs[0].sackBlocks + s.dirs[1].sackBlocks,
    failed: failed === null ? null : round6(failed),
    firstData: { c2s: t(s.dirs[0].firstNewData), s2c: t(s.dirs[1].firstNewData) },
    lastNewData: { c2s: t(s.dirs[0].lastNewData), s2c: t(s.dirs[1].lastNewData) },
    maxInFlight: { c2s: s.dirs[0].maxInFlight, s2c: s.dirs[1].maxInFlight },
    window: { c2s: s.dirs[0].window >= 0 ? s.dirs[0].window : null, s2c: s.dirs[1].window >= 0 ? s.dirs[1].window : null },
  };
}

function mostCommon(xs: number[]): number {
  const count = new Map<number, number>();
  for (const x of xs) count.set(x, (count.get(x) ?? 0) + 1);
  return [...count].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
}

function evidenceOf(stalls: Stall[], cause: StallCause, subflow: number | null): number[] {
  const out: number[] = [];
  for (const s of stalls) if (s.cause === cause && (subflow === null || s.subflow === subflow)) out.push(...s.packets);
  return [...new Set(out)].sort((a, b) => a - b).slice(0, 20);
}

function windowEvidence(st: DirectionState): number[] {
  // DATA_ACK packets whose window edge the sender had reached.
  const out: number[] = [];
  for (const a of st.acks.items) if (a.edge !== null && out.length < 10) out.push(a.n);
  return out;
}

function directionVerdict(dir: string, dd: DirectionDiagnosis, handovers: Handover[], findings: DiagnosisFinding[], label: (id: number) => string): string {
  const parts: string[] = [];
  const sh = dd.shares;
  const active = span(dd.activeSeconds);
  if (sh.stalled >= 0.05) {
    const causes = STALL_CAUSES.filter((c) => dd.stalledSeconds[c] > 0).sort((a, b) => dd.stalledSeconds[b] - dd.stalledSeconds[a]);
    parts.push(`${pct(sh.stalled)} of ${active} stalled (${causes.join(', ') || 'unknown'})`);
  }
  for (const h of handovers) {
    // A REMOVE_ADDR is a failure of this direction only when its data had to go elsewhere (the finding says so).
    if (h.trigger === 'timeout' || h.trigger === 'rst' || (h.trigger === 'remove-addr' && findings.some((f) => f.code === 'SUBFLOW_FAILED' && f.subflow === h.from && f.dir === dir))) {
      const took = h.latencyMs !== null && h.to !== null ? `, handover to subflow ${h.to} took ${span(h.latencyMs / 1000)} (${h.trigger})` : h.to !== null ? `, data continued on subflow ${h.to}` : '';
      parts.push(`${label(h.from)} failed at ${secs(h.failedAt)}${took}`);
    } else parts.push(`moved from subflow ${h.from} to subflow ${h.to} at ${secs(h.failedAt)} (${h.trigger})`);
  }
  const hol = findings.find((f) => f.code === 'HEAD_OF_LINE_BLOCKING' && f.dir === dir);
  if (hol && hol.subflow !== undefined) parts.push(`head-of-line blocking by ${label(hol.subflow)} (p95 wait ${ms(dd.headOfLine.p95Ms)})`);
  if (sh.receiveWindowLimited >= 0.05) parts.push(`receive window full ${pct(sh.receiveWindowLimited)} of ${active}`);
  if (sh.senderIdle >= 0.05) parts.push(`sender idle ${pct(sh.senderIdle)} of ${active}${sh.senderIdle > SENDER_IDLE_SHARE ? ' (application-limited)' : ''}`);
  if (parts.length === 0) return `${dir}: sending ${pct(sh.sending)} of ${active}, no stall (${rate(dd.goodputBps)})`;
  if (sh.sending >= 0.05) parts.push('otherwise sending');
  return `${dir}: ${parts.join('; ')}`;
}

export const pct = (f: number): string => `${Math.round(f * 100)} %`;
export const secs = (s: number): string => `${s.toFixed(2)} s`;
/** A duration: seconds as secs() from 0.1 s up, milliseconds below (a 0.3 ms loopback exchange is not "0.00 s"). */
export const span = (s: number): string => (s >= 0.1 ? secs(s) : ms(s * 1000));
export const ms = (v: number): string => `${v >= 100 ? Math.round(v) : v.toFixed(1)} ms`;
function rate(bps: number): string {
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)} kbit/s`;
  return `${bps} bit/s`;
}
