/**
 * Feeds the diagnosis from the analysis engine as one of its observers (docs/engine.md): after each packet, one
 * observation is filled (a reused object) from the engine's PacketAnalysis (relative sequence numbers, scaled
 * window, DSN, DATA_ACK) and the engine's walk of the TCP options (timestamps, SACK blocks). Session events (RST,
 * FIN, REMOVE_ADDR, MP_PRIO) become control events. Headers only: never payload. The session diagnosers run
 * here, in the analysis thread: on a worker thread (fed the observations as records) the diagnosis took the
 * same wall time and 0.7 s more CPU on the 1.4M-packet benchmark (BENCHMARKS.md).
 */
import type { DecodedPacket } from '../../dissect/packet.js';
import type { CaptureRecord } from '../../dissect/record.js';
import type { AnalysisEngine } from '../engine.js';
import type { Session } from '../model.js';
import type { PacketAnalysis, PacketObserver } from '../packet-analysis.js';
import { newObservation, type ControlKind } from './observation.js';
import { SessionDiagnoser } from './session-diagnoser.js';
import { summarize, type DiagnosisResult } from './summarize.js';

const TCP_SYN = 0x02;

export class DiagnosisCollector implements PacketObserver {
  private readonly sessions: Array<SessionDiagnoser | undefined> = [];
  /** Session events already turned into control events, per session. */
  private readonly eventsSeen: number[] = [];
  private readonly o = newObservation();
  /** The diagnosis finds reinjections itself and takes conflicts from the streams: no first-copy log needed. */
  readonly copies = false;
  /** Observes `engine` from its next packet on. */
  constructor(private readonly engine: AnalysisEngine) {
    engine.observe(this);
  }

  packet(p: DecodedPacket, _rec: CaptureRecord, a: PacketAnalysis): void {
    if (a.session < 0 || a.subflow < 0 || a.dir === null) return;
    const s = this.engine.sessions[a.session];
    if (!s) return;
    this.fill(p, a, s.fallback);
    let d = this.sessions[a.session];
    if (!d) d = this.sessions[a.session] = new SessionDiagnoser(a.session);
    d.observe(this.o);
    if (s.events.length > (this.eventsSeen[s.id] ?? 0)) this.controls(s);
  }

  /** A control event of session `s`, to its diagnoser. */
  private control(s: Session, kind: ControlKind, subflow: number, t: number, n: number): void {
    this.sessions[s.id]!.control(kind, subflow, t, n);
  }

  private fill(p: DecodedPacket, a: PacketAnalysis, fallback: boolean): void {
    const o = this.o;
    o.n = a.n;
    o.time = a.time - this.engine.clock.first;
    o.subflow = a.subflow;
    o.dir = a.dir === 'c2s' ? 0 : 1;
    o.flags = p.flags;
    o.len = a.payloadLength;
    o.seq = a.seq ?? -1;
    o.ack = a.ack ?? -1;
    o.win = a.windowShift >= 0 ? a.window : -1;
    o.dataStart = a.dsn !== null && o.len > 0 && !(p.flags & TCP_SYN) ? a.dsn - 1 : -1;
    o.dataAck = a.dataAck !== null ? a.dataAck - 1 : -1;
    // Plain TCP after fallback: the subflow's sequence space is the data level, its ACK the data ACK.
    if (fallback && o.dataAck < 0 && a.ack !== null && a.subflow === 0 && p.flags & 0x10) o.dataAck = a.ack - 1;
    o.conflict = false;
    o.tsval = -1;
    o.tsecr = -1;
    o.sackBlocks = 0;
    // Timestamps and SACK blocks: the first option of each kind, found by the engine's walk of this packet's options.
    const buf = p.data;
    const scan = this.engine.scan;
    const ts = scan.tsOffset;
    if (ts >= 0 && buf[ts + 1] === 10) {
      o.tsval = ((buf[ts + 2] << 24) | (buf[ts + 3] << 16) | (buf[ts + 4] << 8) | buf[ts + 5]) >>> 0;
      o.tsecr = ((buf[ts + 6] << 24) | (buf[ts + 7] << 16) | (buf[ts + 8] << 8) | buf[ts + 9]) >>> 0;
    }
    const sack = scan.sackOffset;
    if (sack >= 0) o.sackBlocks = (buf[sack + 1] - 2) >> 3;
  }

  /** New session events that change which subflows carry data. */
  private controls(s: Session): void {
    const from = this.eventsSeen[s.id] ?? 0;
    this.eventsSeen[s.id] = s.events.length;
    for (let k = from; k < s.events.length; k++) {
      const e = s.events[k];
      if (e.subflow === undefined) continue;
      switch (e.type) {
        case 'RST': this.control(s, 'rst', e.subflow, e.time, e.n); break;
        case 'FIN': this.control(s, 'fin', e.subflow, e.time, e.n); break;
        case 'MP_PRIO': this.control(s, e.backup ? 'mp-prio-backup' : 'mp-prio-normal', this.prioTarget(s, e.subflow, e.dir, e.addressId), e.time, e.n); break;
        case 'REMOVE_ADDR': {
          const ids = Array.isArray(e.addressIds) ? (e.addressIds as number[]) : [];
          const sdir = e.dir === 's2c' ? 1 : 0;
          for (const c of s.subflows) {
            const own = c.kind === 'initial' ? 0 : c.dirs[sdir ^ c.sessionDirOfDir0].addressId;
            if (own !== null && ids.includes(own)) this.control(s, 'remove-addr', c.subflowId, e.time, e.n);
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

  private readonly results = new Map<number, DiagnosisResult>();

  /** The decimated chart series of a session whose result() was made, or null. */
  series(id: number): DiagnosisResult['series'] | null {
    return this.results.get(id)?.series ?? null;
  }

  /** The diagnosis of session `s` (null when it carried no packets the diagnosis could use); made once, after the last packet. */
  result(s: Session): DiagnosisResult | null {
    const done = this.results.get(s.id);
    if (done) return done;
    const d = this.sessions[s.id];
    if (!d) return null;
    const labels = s.subflows.map((c) => ({ id: c.subflowId, client: c.sessionDirOfDir0 === 1 ? c.serverText : c.clientText, backup: c.dirs[0].backup || c.dirs[1].backup }));
    // Backup flags from MP_JOIN and MP_PRIO as the engine saw them.
    for (const l of labels) d.subflow(l.id).backup ||= l.backup;
    return this.keep(s, summarize(d, labels));
  }

  /** Adds the conflict marks to a session's result and keeps it. */
  private keep(s: Session, r: DiagnosisResult): DiagnosisResult {
    // Conflicting data (different bytes for the same data-level range) as marks, from the streams' own list.
    for (const dir of [0, 1] as const) {
      const marks = r.series.seq[dir === 0 ? 'c2s' : 's2c'];
      const times = new Map(marks.map((m) => [m.n, m]));
      for (const c of s.streams[dir].conflicts) {
        // Placed at the repeat mark of the same packet (conflicting bytes are always a repeat); else not drawn.
        const at = times.get(c.packet);
        if (at) marks.push({ t: at.t, start: c.offset, end: c.offset + c.length, subflow: at.subflow, kind: 'conflict', n: c.packet });
      }
      marks.sort((a, b) => a.t - b.t || a.n - b.n);
    }
    this.results.set(s.id, r);
    return r;
  }
}
