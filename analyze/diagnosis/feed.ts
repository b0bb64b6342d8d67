/**
 * Feeds the diagnosis from the analysis engine: after each packet the engine analyzed, one observation is
 * filled (reused object) from the decoded headers and what the engine knows about the packet's subflow
 * (relative sequence numbers through its ISNs, data-level offsets through its DSS mappings and the session's
 * IDSNs). Session events (RST, FIN, REMOVE_ADDR, MP_PRIO) become control events. Headers only: never payload.
 */
import type { DecodedPacket } from '../../dissect/packet.js';
import type { CaptureRecord } from '../../dissect/record.js';
import { be32 } from '../../dissect/bytes.js';
import { newDssFields, readDss } from '../../dissect/dss-fields.js';
import { TCPOPT_MPTCP, TCPOPT_SACK, TCPOPT_TIMESTAMP, TCPOPT_WSCALE } from '../../dissect/tcp.js';
import type { AnalysisEngine } from '../engine.js';
import type { Conn, Session } from '../model.js';
import { widen32 } from '../seq-math.js';
import { offsetBetween } from '../u64.js';
import { newObservation } from './observation.js';
import { SessionDiagnoser } from './session-diagnoser.js';
import { summarize, type DiagnosisResult, type SubflowLabel } from './summarize.js';

const TCP_SYN = 0x02;

export class DiagnosisCollector {
  private readonly sessions: Array<SessionDiagnoser | undefined> = [];
  /** Session events already turned into control events, per session. */
  private readonly eventsSeen: number[] = [];
  private readonly o = newObservation();
  private readonly dss = newDssFields();

  /** Call after `engine.push(rec, p)` with the same packet. */
  onPacket(rec: CaptureRecord, p: DecodedPacket, engine: AnalysisEngine): void {
    const tag = engine.lastTag;
    if (!tag || !p.isTcp) return;
    const s = engine.sessions[tag.session];
    const conn = s?.subflows[tag.subflow];
    if (!conn) return;
    let d = this.sessions[s.id];
    if (!d) d = this.sessions[s.id] = new SessionDiagnoser(s.id);
    const t = rec.tsSec + rec.tsNsec / 1e9 - engine.firstTime;
    const sdir: 0 | 1 = tag.dir === 'c2s' ? 0 : 1;
    this.fill(p, s, conn, sdir, rec.n, t, d);
    d.observe(this.o);
    if (s.events.length > (this.eventsSeen[s.id] ?? 0)) this.controls(s, d);
  }

  private fill(p: DecodedPacket, s: Session, conn: Conn, sdir: 0 | 1, n: number, t: number, d: SessionDiagnoser): void {
    const o = this.o;
    o.n = n;
    o.time = t;
    o.subflow = conn.subflowId;
    o.dir = sdir;
    o.flags = p.flags;
    o.len = p.payloadLength;
    o.win = p.win;
    o.tsval = -1;
    o.tsecr = -1;
    o.sackBlocks = 0;
    o.synWscale = -1;
    o.dataStart = -1;
    o.dataAck = -1;
    const cd = sdir ^ conn.sessionDirOfDir0;
    const mine = conn.dirs[cd];
    const other = conn.dirs[cd ^ 1];
    o.seq = mine.isn >= 0 ? widen32((p.seq - mine.isn) >>> 0, mine.highestEnd) : -1;
    o.ack = other.isn >= 0 ? widen32((p.ack - other.isn) >>> 0, other.highestEnd) : -1;
    let hasDss = false;
    // One walk over the options: timestamps, SACK, window scale, the DSS (read in place).
    const buf = p.data;
    const end = Math.min(p.tcpOffset + p.tcpHeaderLength, p.end);
    let off = p.tcpOffset + 20;
    while (off < end) {
      const kind = buf[off];
      if (kind === 0) break;
      if (kind === 1) { off++; continue; }
      const len = off + 1 < end ? buf[off + 1] : 0;
      if (len < 2 || off + len > end) break;
      if (kind === TCPOPT_TIMESTAMP && len === 10) { o.tsval = be32(buf, off + 2); o.tsecr = be32(buf, off + 6); }
      else if (kind === TCPOPT_SACK) o.sackBlocks = (len - 2) >> 3;
      else if (kind === TCPOPT_WSCALE && len === 3) o.synWscale = buf[off + 2];
      else if (kind === TCPOPT_MPTCP && len >= 4 && buf[off + 2] >> 4 === 2 && !hasDss) hasDss = readDss(buf, off, len, this.dss);
      off += len;
    }
    if (o.len > 0 && !(p.flags & TCP_SYN) && o.seq >= 0) {
      const m = mine.mappings.covering(o.seq);
      if (m) o.dataStart = m.offset + (o.seq - m.ssn);
      else if (s.fallback && conn.kind === 'initial' && mine.mappings.list.length === 0) o.dataStart = o.seq - 1;
    }
    if (hasDss && this.dss.hasAck) {
      const rdir = (sdir ^ 1) as 0 | 1;
      const base = s.side(rdir).basePair ?? s.fallbackBase[rdir];
      if (base) {
        const f = this.dss;
        const st = d.dirs[rdir];
        const ref = Math.max(st.dataAck, st.sndMax, 0);
        const ack = f.ack64 ? offsetBetween(f.ackHi, f.ackLo, base[0], base[1]) : widen32((f.ackLo - base[1]) >>> 0, ref);
        if (ack >= 0 && ack < 2 ** 52) o.dataAck = ack;
      }
    } else if (s.fallback && o.ack >= 1 && p.flags & 0x10) {
      // Plain TCP after fallback: the subflow ACK is the data-level ACK.
      if (conn.kind === 'initial' && other.mappings.list.length === 0) o.dataAck = o.ack - 1;
    }
  }

  /** New session events that change which subflows carry data. */
  private controls(s: Session, d: SessionDiagnoser): void {
    const from = this.eventsSeen[s.id] ?? 0;
    this.eventsSeen[s.id] = s.events.length;
    for (let k = from; k < s.events.length; k++) {
      const e = s.events[k];
      if (e.subflow === undefined) continue;
      switch (e.type) {
        case 'RST': d.control('rst', e.subflow, e.time, e.n); break;
        case 'FIN': d.control('fin', e.subflow, e.time, e.n); break;
        case 'MP_PRIO': d.control(e.backup ? 'mp-prio-backup' : 'mp-prio-normal', this.prioTarget(s, e.subflow, e.dir, e.addressId), e.time, e.n); break;
        case 'REMOVE_ADDR': {
          const ids = Array.isArray(e.addressIds) ? (e.addressIds as number[]) : [];
          const sdir = e.dir === 's2c' ? 1 : 0;
          for (const c of s.subflows) {
            const own = c.kind === 'initial' ? 0 : c.dirs[sdir ^ c.sessionDirOfDir0].addressId;
            if (own !== null && ids.includes(own)) d.control('remove-addr', c.subflowId, e.time, e.n);
          }
          break;
        }
      }
    }
  }

  /** MP_PRIO names a subflow by the sender's address id, or applies to the subflow it was sent on. */
  private prioTarget(s: Session, carrier: number, dir: unknown, addressId: unknown): number {
    if (typeof addressId !== 'number') return carrier;
    const sdir = dir === 's2c' ? 1 : 0;
    const c = s.subflows.find((x) => (x.kind === 'initial' ? 0 : x.dirs[sdir ^ x.sessionDirOfDir0].addressId) === addressId);
    return c ? c.subflowId : carrier;
  }

  /** The diagnosis of session `id` (null when it carried no packets the diagnosis could use). */
  result(s: Session): DiagnosisResult | null {
    const d = this.sessions[s.id];
    if (!d) return null;
    for (const c of s.subflows) d.subflow(c.subflowId).backup ||= c.dirs[0].backup || c.dirs[1].backup;
    const labels: SubflowLabel[] = s.subflows.map((c) => ({ id: c.subflowId, client: c.sessionDirOfDir0 === 1 ? c.serverText : c.clientText, backup: c.dirs[0].backup || c.dirs[1].backup }));
    return summarize(d, labels);
  }
}
