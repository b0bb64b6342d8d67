/**
 * The diagnosis input as a flat record stream, so the per-session work can run elsewhere than the analysis
 * (offload.ts: on a worker thread). The feed (feed.ts) writes one record per packet observation and per
 * control event, in the order it would have called the session diagnosers; `DiagnosisReplay` reads them back
 * into the same calls, so the diagnosis made from the records is the one made in place.
 */
import type { ControlKind, PacketObservation } from './observation.js';
import { newObservation } from './observation.js';
import { SessionDiagnoser } from './session-diagnoser.js';
import { objectArray } from '../v8-arrays.js';
import { summarize, type DiagnosisResult, type SubflowLabel } from './summarize.js';

/** Numbers per record. */
export const RECORD_SLOTS = 16;

/** Record kinds (slot 0): a packet observation, or a control event. */
export const REC_OBSERVATION = 0;
export const CONTROL_KINDS: readonly ControlKind[] = ['rst', 'fin', 'remove-addr', 'mp-prio-backup', 'mp-prio-normal'];

/** Writes the record of observation `o` of session `session` at record index `i` of `f`. */
export function writeObservation(f: Float64Array, i: number, session: number, o: PacketObservation): void {
  const b = i * RECORD_SLOTS;
  f[b] = REC_OBSERVATION;
  f[b + 1] = session;
  f[b + 2] = o.n;
  f[b + 3] = o.time;
  f[b + 4] = o.subflow;
  f[b + 5] = o.dir;
  f[b + 6] = o.flags;
  f[b + 7] = o.seq;
  f[b + 8] = o.len;
  f[b + 9] = o.ack;
  f[b + 10] = o.win;
  f[b + 11] = o.tsval;
  f[b + 12] = o.tsecr;
  f[b + 13] = o.sackBlocks;
  f[b + 14] = o.dataStart;
  f[b + 15] = o.dataAck;
}

/** Writes a control event record. */
export function writeControl(f: Float64Array, i: number, session: number, kind: ControlKind, subflow: number, t: number, n: number): void {
  const b = i * RECORD_SLOTS;
  f[b] = 1 + CONTROL_KINDS.indexOf(kind);
  f[b + 1] = session;
  f[b + 2] = n;
  f[b + 3] = t;
  f[b + 4] = subflow;
}

/** What the end of the diagnosis needs to know of a session from the engine. */
export interface SessionMeta {
  id: number;
  /** Subflows flagged backup by MP_JOIN or MP_PRIO (by id), and the labels of the report. */
  backup: Array<{ id: number; backup: boolean }>;
  labels: SubflowLabel[];
}

/** Replays records into session diagnosers and summarizes them. */
export class DiagnosisReplay {
  private readonly sessions: Array<SessionDiagnoser | undefined> = objectArray();
  private readonly o = newObservation();

  /** Applies the first `count` records of `f`. */
  apply(f: Float64Array, count: number): void {
    const o = this.o;
    for (let i = 0; i < count; i++) {
      const b = i * RECORD_SLOTS;
      const kind = f[b];
      const id = f[b + 1];
      let d = this.sessions[id];
      if (d === undefined) d = this.sessions[id] = new SessionDiagnoser(id);
      if (kind !== REC_OBSERVATION) {
        d.control(CONTROL_KINDS[kind - 1], f[b + 4], f[b + 3], f[b + 2]);
        continue;
      }
      o.n = f[b + 2];
      o.time = f[b + 3];
      o.subflow = f[b + 4];
      o.dir = f[b + 5] as 0 | 1;
      o.flags = f[b + 6];
      o.seq = f[b + 7];
      o.len = f[b + 8];
      o.ack = f[b + 9];
      o.win = f[b + 10];
      o.tsval = f[b + 11];
      o.tsecr = f[b + 12];
      o.sackBlocks = f[b + 13];
      o.dataStart = f[b + 14];
      o.dataAck = f[b + 15];
      o.conflict = false;
      d.observe(o);
    }
  }

  /** The result of each session in `metas` (null when it had no diagnoser), as DiagnosisCollector.result makes it before the conflict marks. */
  results(metas: SessionMeta[]): Array<DiagnosisResult | null> {
    return metas.map((m) => {
      const d = this.sessions[m.id];
      if (!d) return null;
      for (const b of m.backup) d.subflow(b.id).backup ||= b.backup;
      return summarize(d, m.labels);
    });
  }
}
