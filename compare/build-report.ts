/** Turns the matched pairs into the comparison report: per subflow figures, interference and findings. */
import type { Session } from '../analyze/model.js';
import type { ConnPair, DirStats, Evidence } from './pair.js';
import type {
  AddAddrCheck, CompareFinding, CompareReport, DelayStats, Direction, Interference, InterferenceKind, PerDirection, SessionComparison,
  SideEndpoints, SubflowComparison,
} from './report-types.js';
import type { CaptureSideState, SideConn } from './side.js';

/** One-way delay over time of one subflow direction, for the HTML page. */
export interface DelaySeries {
  session: number;
  subflow: number;
  dir: Direction;
  label: string;
  /** Seconds since the first packet of A, and milliseconds. */
  t: number[];
  owdMs: number[];
}

export interface BuildInput {
  a: CaptureSideState;
  b: CaptureSideState;
  pairs: ConnPair[];
  clockOffsetMs: number;
  version: string;
}

const DIRS: Direction[] = ['c2s', 's2c'];

export function buildCompareReport(inp: BuildInput): { report: CompareReport; series: DelaySeries[] } {
  const { a, b, pairs } = inp;
  const { side: clientSide, evidence } = nearerClient(pairs);
  // The capture upstream of each session direction: c2s flows from the client side.
  const upstream = (sdir: 0 | 1): 0 | 1 => (sdir === 0 ? clientSide : ((clientSide ^ 1) as 0 | 1));
  const groups = groupSessions(pairs);
  const sessions: SessionComparison[] = [];
  const interference: Interference[] = [];
  const findings: CompareFinding[] = [];
  const series: DelaySeries[] = [];
  const t0 = a.engine.minTime === Infinity ? 0 : a.engine.minTime;
  const minUpToDown = { ab: Infinity, ba: Infinity };

  groups.forEach((group, sid) => {
    const first = group[0];
    const sa = first.a.session;
    const sb = first.b.session;
    const subflows: SubflowComparison[] = [];
    group.forEach((pair, fid) => {
      const sub = subflowComparison(pair, upstream);
      subflows.push(sub);
      for (let d = 0; d < 2; d++) {
        const sdir = sessionDir(pair, d as 0 | 1);
        const ds = pair.dirs[d];
        if (ds.delays.count > 0) {
          const sign = upstream(sdir) === 0 ? 1 : -1;
          if (sign > 0) minUpToDown.ab = Math.min(minUpToDown.ab, ds.minDelay);
          else minUpToDown.ba = Math.min(minUpToDown.ba, -ds.maxDelay);
          series.push({
            session: sid, subflow: fid, dir: DIRS[sdir], label: `subflow ${fid} ${DIRS[sdir]}`,
            t: ds.series.t.map((t) => round6(t - t0)), owdMs: ds.series.v.map((v) => round3(sign * v)),
          });
        }
      }
      interference.push(...pairInterference(pair, sid, fid, upstream));
    });
    sessions.push({
      kind: sa || sb ? 'mptcp' : 'tcp',
      a: sa ? sa.id : null,
      b: sb ? sb.id : null,
      client: first.a.client,
      server: first.a.server,
      fallback: { a: sa?.fallback ?? false, b: sb?.fallback ?? false },
      subflows,
      addAddr: sa && sb ? addAddrChecks(sa, sb, group) : [],
    });
  });

  for (const x of interference) findings.push(...findingsOf(x));
  // Connections matched but no packet of theirs: the clocks are further apart than the matching window (below),
  // and "lost" only says that.
  const anyMatched = pairs.some((p) => p.dirs[0].matched + p.dirs[1].matched > 0);
  if (anyMatched) sessions.forEach((s, sid) => s.subflows.forEach((f, fid) => {
    for (const dir of DIRS) {
      const lost = f.lostBetween[dir];
      if (lost === 0) continue;
      const pair = groups[sid][fid];
      // The mapping between connection and session directions is its own inverse (an XOR).
      const d = sessionDir(pair, dir === 'c2s' ? 0 : 1);
      const ds = pair.dirs[d];
      const up = upstream(dir === 'c2s' ? 0 : 1);
      findings.push({
        severity: 'warning', code: 'LOSS_BETWEEN_CAPTURES',
        message: `subflow ${fid} ${dir} (${f.a.client} → ${f.a.server}): ${lost} packet${lost === 1 ? '' : 's'} seen in ${up === 0 ? 'A' : 'B'} never reached ${up === 0 ? 'B' : 'A'}` +
          (f.lostRetransmissions[dir] > 0 ? ` (${f.lostRetransmissions[dir]} of them retransmissions)` : ''),
        packets: ds.onlyPackets[up].slice(0, 50), count: lost, session: sid, subflow: fid,
      });
    }
  }));

  let estimated: number | null = null;
  if (minUpToDown.ab < 0 || minUpToDown.ba < 0) {
    const negative = { mAB: minUpToDown.ab, mBA: minUpToDown.ba };
    // tB - tA = owd + offset when A is upstream, tA - tB = owd - offset when B is: with equal minimum delays
    // both ways, offset = (min(tB - tA) - min(tA - tB)) / 2.
    // Reported as the whole offset of B's clock from A's, the --clock-offset given included.
    if (Number.isFinite(negative.mAB) && Number.isFinite(negative.mBA)) estimated = round3(inp.clockOffsetMs + (negative.mAB - negative.mBA) / 2);
    findings.push({
      severity: 'warning', code: 'CLOCKS_NOT_SYNCHRONISED',
      message: `one-way delays come out negative: the clocks of A and B disagree` +
        (estimated !== null ? `; B's clock is about ${Math.abs(estimated)} ms ${estimated >= 0 ? 'ahead of' : 'behind'} A's (from the minimum delays both ways): try --clock-offset ${estimated}` : ''),
      packets: [],
    });
  }

  const syns = pairs.filter((p) => p.a.synTime >= 0 && p.b.synTime >= 0);
  if (!anyMatched && syns.length > 0 && estimated === null) {
    estimated = round3(inp.clockOffsetMs + (syns[0].b.synTime - syns[0].a.synTime) * 1000);
    findings.push({
      severity: 'warning', code: 'CLOCKS_NOT_SYNCHRONISED',
      message: `connections were matched but none of their packets within the window: the clocks of A and B are probably far apart (by B's clock the first SYN came ${estimated} ms after A saw it): try --clock-offset ${estimated}`,
      packets: [syns[0].a.firstPacket], packetsB: [syns[0].b.firstPacket],
    });
  }

  const report: CompareReport = {
    tool: { name: 'mptcpscope', version: inp.version },
    a: sideSummary(a, pairs, 0),
    b: sideSummary(b, pairs, 1),
    clientSide: clientSide === 0 ? 'a' : 'b',
    clientSideEvidence: evidence,
    clockOffsetMs: inp.clockOffsetMs,
    estimatedClockOffsetMs: estimated,
    sessions,
    interference,
    findings,
  };
  return { report, series };
}

/** Which capture is nearer the client: there the SYN waits a round trip for its SYN/ACK; at the server, not. */
function nearerClient(pairs: ConnPair[]): { side: 0 | 1; evidence: string } {
  let votesA = 0;
  let votesB = 0;
  for (const p of pairs) {
    if (p.a.synTime < 0 || p.a.synAckTime < 0 || p.b.synTime < 0 || p.b.synAckTime < 0) continue;
    const ga = p.a.synAckTime - p.a.synTime;
    const gb = p.b.synAckTime - p.b.synTime;
    if (ga > gb) votesA++;
    else if (gb > ga) votesB++;
  }
  if (votesA === 0 && votesB === 0) {
    // No handshake in both: the capture that sees the client's packets first (clocks taken as synchronised).
    for (const p of pairs) {
      const ds = p.dirs[0];
      if (ds.delays.count === 0) continue;
      if (ds.minDelay > 0) votesA++;
      else if (ds.maxDelay < 0) votesB++;
    }
    if (votesA === 0 && votesB === 0) return { side: 0, evidence: 'no handshake and no packet order to tell: A is taken as the client side' };
    const side = votesB > votesA ? 1 : 0;
    return { side, evidence: `no handshake seen in both captures; the client's packets reach ${side === 0 ? 'A' : 'B'} first on ${side === 0 ? votesA : votesB} of ${votesA + votesB} connections` };
  }
  const side = votesB > votesA ? 1 : 0;
  const n = side === 0 ? votesA : votesB;
  return { side, evidence: `handshake order: the SYN to SYN/ACK time is longer in ${side === 0 ? 'A' : 'B'} in ${n} of ${votesA + votesB} handshake${votesA + votesB === 1 ? '' : 's'}` };
}

/** Pairs grouped by session (MPTCP sessions by their id in A, else in B; a plain connection is its own group). */
function groupSessions(pairs: ConnPair[]): ConnPair[][] {
  const byKey = new Map<string, ConnPair[]>();
  pairs.forEach((p, i) => {
    const sa = p.a.session;
    const sb = p.b.session;
    const key = sa ? `a${sa.id}` : sb ? `b${sb.id}` : `p${i}`;
    const g = byKey.get(key);
    if (g) g.push(p);
    else byKey.set(key, [p]);
  });
  const groups = [...byKey.values()];
  for (const g of groups) g.sort((x, y) => subflowOrder(x) - subflowOrder(y));
  return groups.sort((x, y) => x[0].a.firstPacket - y[0].a.firstPacket);
}

function subflowOrder(p: ConnPair): number {
  return (p.a.session ? p.a : p.b).subflowId;
}

/** Session direction (0 = c2s) of connection direction d. */
function sessionDir(pair: ConnPair, d: 0 | 1): 0 | 1 {
  const c = pair.a.session ? pair.a : pair.b;
  return (d ^ c.sessionDirOfDir0) as 0 | 1;
}

function endpoints(sc: SideConn): SideEndpoints {
  const s = sc.session;
  return {
    session: s ? s.id : null,
    subflow: s ? sc.subflowId : null,
    client: sc.client,
    server: sc.server,
    firstPacket: sc.firstPacket,
    packets: sc.packets,
  };
}

function subflowComparison(pair: ConnPair, upstream: (sdir: 0 | 1) => 0 | 1): SubflowComparison {
  const per = <T>(f: (ds: DirStats, up: 0 | 1, sdir: 0 | 1) => T): PerDirection<T> => {
    const out = {} as PerDirection<T>;
    for (let d = 0; d < 2; d++) {
      const sdir = sessionDir(pair, d as 0 | 1);
      out[DIRS[sdir]] = f(pair.dirs[d], upstream(sdir), sdir);
    }
    return out;
  };
  return {
    a: endpoints(pair.a),
    b: endpoints(pair.b),
    matchedBy: pair.matchedBy,
    mptcp: { a: pair.a.session !== null, b: pair.b.session !== null },
    matched: per((ds) => ds.matched),
    owdMs: per((ds, up) => delayStats(ds, up === 0 ? 1 : -1)),
    lostBetween: per((ds, up) => ds.only[up] + unpairedExpired(pair, ds, up, false)),
    lostRetransmissions: per((ds, up) => ds.onlyRetx[up] + unpairedExpired(pair, ds, up, true)),
    onlyDownstream: per((ds, up) => ds.only[up ^ 1]),
    reordered: per((ds, up) => ds.reorderedBy[up]),
    hops: per((ds, up) => {
      let best: number | null = null;
      let most = 0;
      for (const [delta, n] of ds.ttlDelta) if (n > most) { most = n; best = delta; }
      return best === null ? null : up === 0 ? best : -best;
    }),
  };
}

/** Packets of the upstream side that expired before the connection was matched (its handshake came late). */
function unpairedExpired(pair: ConnPair, ds: DirStats, up: 0 | 1, retx: boolean): number {
  const sc = up === 0 ? pair.a : pair.b;
  const d = pair.dirs.indexOf(ds);
  return retx ? sc.expiredUnpairedRetx[d] : sc.expiredUnpaired[d];
}

function delayStats(ds: DirStats, sign: 1 | -1): DelayStats {
  const r = ds.delays;
  if (r.count === 0) return { samples: 0, minMs: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  return sign > 0
    ? { samples: r.count, minMs: round3(ds.minDelay), p50Ms: round3(r.percentile(50)), p95Ms: round3(r.percentile(95)), maxMs: round3(ds.maxDelay) }
    : { samples: r.count, minMs: round3(-ds.maxDelay), p50Ms: round3(-r.percentile(50)), p95Ms: round3(-r.percentile(5)), maxMs: round3(-ds.minDelay) };
}

function addrOf(endpoint: string): string {
  const i = endpoint.lastIndexOf(':');
  return endpoint.slice(0, i).replace(/^\[|\]$/g, '');
}
function portOf(endpoint: string): string {
  return endpoint.slice(endpoint.lastIndexOf(':') + 1);
}

function pairInterference(pair: ConnPair, session: number, subflow: number, upstream: (sdir: 0 | 1) => 0 | 1): Interference[] {
  const out: Interference[] = [];
  const ca = pair.a;
  const cb = pair.b;
  const tuples = { a: `${ca.client} → ${ca.server}`, b: `${cb.client} → ${cb.server}` };
  const firsts = { a: [pair.a.firstPacket], b: [pair.b.firstPacket] };
  const total = pair.dirs[0].matched + pair.dirs[1].matched;
  const base = { session, subflow };
  for (const [end, ta, tb] of [['client', ca.client, cb.client], ['server', ca.server, cb.server]] as const) {
    if (addrOf(ta) !== addrOf(tb)) {
      out.push({ ...base, kind: 'address-translated', direction: 'both', count: total, packets: firsts, tuples, message: `the ${end} address is translated: ${ta} in A is ${tb} in B` });
    }
    if (portOf(ta) !== portOf(tb)) {
      out.push({ ...base, kind: 'port-translated', direction: 'both', count: total, packets: firsts, tuples, message: `the ${end} port is translated: ${ta} in A is ${tb} in B` });
    }
  }
  for (let d = 0 as 0 | 1; d < 2; d = (d + 1) as 0 | 1) {
    const sdir = sessionDir(pair, d);
    const dir = DIRS[sdir];
    const up = upstream(sdir);
    const down = (up ^ 1) as 0 | 1;
    const ds = pair.dirs[d];
    const isnA = ca.isn[d ^ ca.flip];
    const isnB = cb.isn[d ^ cb.flip];
    if (isnA >= 0 && isnB >= 0 && isnA !== isnB) {
      const offset = (up === 0 ? isnB - isnA : isnA - isnB) >>> 0;
      out.push({ ...base, kind: 'sequence-rewritten', direction: dir, count: ds.matched, packets: firsts, offset, message: `${dir} sequence numbers are shifted by ${offset} (ISN ${isnA} in A, ${isnB} in B)` });
    }
    for (const [key, ev] of ds.options) {
      const [where, name] = key.split(/:(.*)/s) as [string, string];
      let kind: InterferenceKind;
      if (where === 'changed') kind = 'option-changed';
      else kind = Number(where) === up ? 'option-removed' : 'option-added';
      const x: Interference = { ...base, kind, direction: dir, count: ev.count, packets: pk(ev), option: name, tuples, message: '' };
      const verb = kind === 'option-removed' ? 'removed from' : kind === 'option-added' ? 'added to' : 'changed in';
      x.message = `${name} ${verb} ${ev.count} ${dir} packet${ev.count === 1 ? '' : 's'} of ${up === 0 ? tuples.a : tuples.b}`;
      if (kind === 'option-removed' && (name === 'MP_CAPABLE' || name === 'MP_JOIN')) {
        const upConn = up === 0 ? ca : cb;
        const downConn = up === 0 ? cb : ca;
        if (upConn.session && !downConn.session) {
          x.consequence = name === 'MP_CAPABLE'
            ? 'the server never saw MP_CAPABLE, so that connection fell back to plain TCP'
            : 'the peer never saw MP_JOIN, so the subflow did not join the session';
          x.message += `: ${x.consequence}`;
        }
      }
      out.push(x);
    }
    if (ds.window.count > 0) out.push({ ...base, kind: 'window-changed', direction: dir, count: ds.window.count, packets: pk(ds.window), message: `the TCP window field of ${ds.window.count} ${dir} packet${ds.window.count === 1 ? '' : 's'} was changed` });
    const ttl = ttlChanges(ds, up === 0 ? 1 : -1);
    if (ttl) out.push({ ...base, kind: 'ttl-changed', direction: dir, count: ttl.count, packets: firsts, message: `${dir} TTL/hop limit changed irregularly between the captures (decreases seen: ${ttl.deltas})` });
    // Pieces: segments of one capture that are parts of larger segments in the other.
    const split = ds.smaller[down];
    if (split.count > 0) {
      const whole = split.distinct[up];
      const pieces = split.distinct[down];
      out.push({ ...base, kind: 'segments-split', direction: dir, count: whole, packets: pk(split), message: `${plural(whole, `${dir} segment`)} in ${sideName(up)} arrived split into ${plural(pieces, 'piece')} in ${sideName(down)}` });
    }
    const coal = ds.smaller[up];
    if (coal.count > 0) {
      const merged = coal.distinct[down];
      const parts = coal.distinct[up];
      out.push({ ...base, kind: 'segments-coalesced', direction: dir, count: parts, packets: pk(coal), message: `${plural(parts, `${dir} segment`)} in ${sideName(up)} arrived coalesced into ${plural(merged, 'segment')} in ${sideName(down)}` });
    }
    if (ds.payloadCount > 0) {
      const mods = ds.payload.map((m) => ({
        a: m.a, b: m.b, payloadOffset: m.payloadOffset, dataOffset: m.dataOffset, differingBytes: m.differingBytes,
        upstream: up === 0 ? m.bytesA : m.bytesB, downstream: up === 0 ? m.bytesB : m.bytesA,
      }));
      const detectedBy = checksumEvidence(pair);
      const where = mods.map((m) => (m.dataOffset !== null ? `data offset ${m.dataOffset}` : `payload offset ${m.payloadOffset}`)).slice(0, 3).join(', ');
      out.push({
        ...base, kind: 'payload-modified', direction: dir, count: ds.payloadCount,
        packets: { a: mods.map((m) => m.a), b: mods.map((m) => m.b) }, modifications: mods, detectedBy,
        message: `payload of ${ds.payloadCount} ${dir} segment${ds.payloadCount === 1 ? '' : 's'} modified (${where})` +
          (detectedBy.length ? `; the receiver reported ${detectedBy.map((e) => e.code).join(', ')}` : ''),
      });
    }
  }
  return out;
}

function sideName(s: 0 | 1): string {
  return s === 0 ? 'A' : 'B';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function pk(ev: Evidence): { a: number[]; b: number[] } {
  return { a: [...ev.a], b: [...ev.b] };
}

/** TTL decreases (upstream minus downstream) that are not one constant hop count: a box that rewrites TTLs. */
function ttlChanges(ds: DirStats, sign: 1 | -1): { count: number; deltas: string } | null {
  if (ds.ttlDelta.size === 0) return null;
  const entries = [...ds.ttlDelta].map(([d, n]) => [sign * d, n] as [number, number]).sort((x, y) => y[1] - x[1]);
  const irregular = entries.length > 1 || entries[0][0] < 0;
  if (!irregular) return null;
  const count = entries.slice(entries[0][0] < 0 ? 0 : 1).reduce((s, e) => s + e[1], 0);
  return { count, deltas: entries.map(([d, n]) => `${d} (${n}×)`).join(', ') };
}

/** DSS checksum failures, MP_FAIL and resets on a subflow, as each capture's analysis found them. */
function checksumEvidence(pair: ConnPair): { code: string; a: number[]; b: number[] }[] {
  const codes = ['DSS_CHECKSUM_MISMATCH', 'MP_FAIL', 'MP_TCPRST'];
  const packetsOf = (sc: SideConn, code: string): number[] => {
    const s = sc.session;
    if (!s) return [];
    return s.findings.filter((f) => f.code === code && f.subflow === sc.subflowId).flatMap((f) => f.packets);
  };
  const out: { code: string; a: number[]; b: number[] }[] = [];
  for (const code of codes) {
    const pa = packetsOf(pair.a, code);
    const pb = packetsOf(pair.b, code);
    if (pa.length || pb.length) out.push({ code, a: pa, b: pb });
  }
  return out;
}

function findingsOf(x: Interference): CompareFinding[] {
  const code = x.kind === 'option-removed' ? 'MIDDLEBOX_OPTION_REMOVED'
    : x.kind === 'address-translated' || x.kind === 'port-translated' ? 'MIDDLEBOX_NAT'
      : x.kind === 'payload-modified' ? 'MIDDLEBOX_PAYLOAD_MODIFIED'
        : x.kind === 'sequence-rewritten' ? 'MIDDLEBOX_SEQUENCE_REWRITE' : null;
  if (!code) return [];
  const severity = code === 'MIDDLEBOX_PAYLOAD_MODIFIED' || (code === 'MIDDLEBOX_OPTION_REMOVED' && x.consequence) ? 'error' : code === 'MIDDLEBOX_NAT' ? 'info' : 'warning';
  const f: CompareFinding = { severity, code, message: x.message, packets: x.packets.a, packetsB: x.packets.b, session: x.session, subflow: x.subflow };
  if (x.count > 1) f.count = x.count;
  return [f];
}

/** ADD_ADDR announcements (seen in A) against the endpoints the subflows to that address have in A and B. */
function addAddrChecks(sa: Session, sb: Session, group: ConnPair[]): AddAddrCheck[] {
  const out: AddAddrCheck[] = [];
  const seen = new Set<string>();
  for (const [s, mine] of [[sa, 0], [sb, 1]] as const) {
    for (const e of s.events) {
      if (e.type !== 'ADD_ADDR' || e.echo || typeof e.address !== 'string') continue;
      const by = e.dir === 'c2s' ? 'client' : 'server';
      const key = `${by}|${e.addressId}|${e.address}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const use = (c: SideConn): string => (by === 'client' ? (c.sessionDirOfDir0 === 0 ? c.client : c.server) : (c.sessionDirOfDir0 === 0 ? c.server : c.client));
      const usedIn = (side: 0 | 1): boolean => group.some((p) => { const c = side === 0 ? p.a : p.b; return c.session !== null && addrOf(use(c)) === e.address; });
      const seenAs: string[] = [];
      for (const p of group) {
        const here = mine === 0 ? p.a : p.b;
        const there = mine === 0 ? p.b : p.a;
        if (!here.session || !there.session || addrOf(use(here)) !== e.address) continue;
        const ep = use(there);
        if (!seenAs.includes(ep)) seenAs.push(ep);
      }
      out.push({
        announcedBy: by, addressId: Number(e.addressId ?? 0), address: e.address, usedInA: usedIn(0), usedInB: usedIn(1), seenAs,
        translated: seenAs.some((ep) => addrOf(ep) !== e.address),
      });
    }
  }
  return out;
}

function sideSummary(s: CaptureSideState, pairs: ConnPair[], side: 0 | 1): CompareReport['a'] {
  const paired = new Set(pairs.map((p) => (side === 0 ? p.a : p.b)));
  const lonely = [...new Set(s.conns.values())].filter((c) => !paired.has(c)).map((c) => `${c.clientText} → ${c.serverText}`);
  return {
    file: s.file, format: s.format, packets: s.engine.packets, tcpPackets: s.engine.tcpPackets,
    unmatchedConnections: lonely.slice(0, 100),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000 + 0; // + 0: no -0 in the JSON
}
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
