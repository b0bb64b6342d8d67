/** The text summary of `compare`: what the network did, first; then the figures per subflow. */
import type { CompareReport, DelayStats, Direction, SubflowComparison } from './report-types.js';

const DIRS: Direction[] = ['c2s', 's2c'];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function delayText(d: DelayStats): string {
  if (d.samples === 0) return 'no delay samples';
  return `one-way delay ${d.p50Ms} ms p50 (min ${d.minMs}, p95 ${d.p95Ms}, ${d.samples} samples)`;
}

function subflowName(f: SubflowComparison, fid: number): string {
  return `subflow ${fid} (${f.a.client} → ${f.a.server})`;
}

export function formatCompareText(r: CompareReport): string {
  const out: string[] = [];
  const client = r.clientSide === 'a' ? 'A' : 'B';
  out.push(`A: ${r.a.file} (${r.a.packets} packets)   B: ${r.b.file} (${r.b.packets} packets)`);
  out.push(`${client} is nearer the client (${r.clientSideEvidence})${r.clockOffsetMs ? `; B's clock taken as ${r.clockOffsetMs} ms ahead of A's` : ''}`);
  const subflows = r.sessions.reduce((n, s) => n + s.subflows.length, 0);
  out.push(`${plural(r.sessions.length, 'session')} and ${plural(subflows, 'connection')} matched; only in A: ${r.a.unmatchedConnections.length}, only in B: ${r.b.unmatchedConnections.length}`);
  out.push('');
  // The headline: what the path did.
  const headline: string[] = [];
  for (const x of r.interference) {
    if (x.kind === 'address-translated' || x.kind === 'port-translated') continue;
    headline.push(`${x.message} (A ${packetList(x.packets.a)}, B ${packetList(x.packets.b)})`);
  }
  r.sessions.forEach((s, sid) => s.subflows.forEach((f, fid) => {
    const nat = r.interference.filter((x) => x.session === sid && x.subflow === fid && (x.kind === 'address-translated' || x.kind === 'port-translated'));
    if (nat.length) headline.unshift(`${subflowName(f, fid)} of session ${sid} is NATed (${f.a.client} → ${f.b.client}${f.a.server !== f.b.server ? `, ${f.a.server} → ${f.b.server}` : ''})`);
    for (const dir of DIRS) {
      const parts = [delayText(f.owdMs[dir])];
      if (f.lostBetween[dir]) parts.push(`${plural(f.lostBetween[dir], 'packet')} lost between the captures${f.lostRetransmissions[dir] ? ` (${f.lostRetransmissions[dir]} of them ${f.lostRetransmissions[dir] === 1 ? 'a retransmission' : 'retransmissions'})` : ''}`);
      if (f.reordered[dir]) parts.push(`${f.reordered[dir]} reordered`);
      headline.push(`session ${sid} subflow ${fid} ${dir}: ${parts.join(', ')}`);
    }
  }));
  out.push(...headline.map((h) => `  ${h}`));
  for (const f of r.findings) {
    if (f.code === 'CLOCKS_NOT_SYNCHRONISED') out.push(`  WARNING ${f.message}`);
  }
  out.push('');
  r.sessions.forEach((s, sid) => {
    const ids = `A #${s.a ?? 'plain TCP'}, B #${s.b ?? 'plain TCP'}`;
    out.push(`Session ${sid}: ${s.kind === 'mptcp' ? 'MPTCP' : 'TCP'} ${s.client} → ${s.server} (${ids})${s.fallback.a || s.fallback.b ? ', fell back to TCP' : ''}`);
    // The endpoint columns fit the longest pair (IPv6 endpoints are longer than the IPv4 ones the minimum is for).
    const pairA = s.subflows.map((f) => `${f.a.client} → ${f.a.server}`);
    const pairB = s.subflows.map((f) => `${f.b.client} → ${f.b.server}`);
    const wa = Math.max(33, ...pairA.map((t) => t.length));
    const wb = Math.max(33, ...pairB.map((t) => t.length));
    out.push(`  #  ${'A client → server'.padEnd(wa)} ${'B client → server'.padEnd(wb)} matched by                dir  owd p50/min ms  lost  reord`);
    s.subflows.forEach((f, fid) => {
      DIRS.forEach((dir, i) => {
        const d = f.owdMs[dir];
        const left = i === 0
          ? `  ${String(fid).padEnd(2)} ${pairA[fid].padEnd(wa)} ${pairB[fid].padEnd(wb)} ${f.matchedBy.padEnd(25)}`
          : ' '.repeat(2 + 3 + wa + 1 + wb + 1 + 25);
        out.push(`${left} ${dir}  ${(d.samples ? `${d.p50Ms}/${d.minMs}` : '-').padEnd(15)} ${String(f.lostBetween[dir]).padEnd(5)} ${f.reordered[dir]}`);
      });
    });
    for (const c of s.addAddr) {
      out.push(`  ADD_ADDR ${c.address} (id ${c.addressId}, by the ${c.announcedBy}): ${c.seenAs.length ? `seen as ${c.seenAs.join(', ')}` : 'no subflow to it matched'}${c.translated ? ' — translated on the way' : ''}`);
    }
  });
  if (r.interference.length) {
    out.push('');
    out.push('Interference:');
    for (const x of r.interference) {
      out.push(`  ${x.kind} ${x.direction}${x.option ? ` ${x.option}` : ''} ×${x.count}: ${x.message}; A ${packetList(x.packets.a)}, B ${packetList(x.packets.b)}`);
    }
  }
  if (r.findings.length) {
    out.push('');
    out.push('Findings:');
    for (const f of r.findings) out.push(`  ${f.severity.toUpperCase()} ${f.code}: ${f.message}`);
  }
  return `${out.join('\n')}\n`;
}

function packetList(p: number[]): string {
  if (p.length === 0) return '-';
  const shown = p.slice(0, 6).map((n) => `#${n}`).join(' ');
  return p.length > 6 ? `${shown} …` : shown;
}
