/**
 * Findings and session events, shared by the parts of the engine: one finding per fact (repeats add packet
 * numbers), events bounded per session, both passed on to the engine's listener and to the packet analysis.
 */
import type { StreamClock } from './data-stream.js';
import type { EngineListener } from './engine-options.js';
import type { Session } from './model.js';
import type { PacketAnalysis } from './packet-analysis.js';
import type { Finding, Severity, SessionEvent } from './report-types.js';

const MAX_FINDING_PACKETS = 50;

/** The time of the packet being analyzed (`now`) and of the capture's first packet (`first`, -1 before it). */
export interface EngineClock extends StreamClock {
  first: number;
}

export class FindingLog {
  /** Findings not tied to one session. */
  readonly findings: Finding[] = [];
  private readonly index = new Map<string, Finding>();
  /** Set while observers are attached: codes naming the current packet are added to `analysis.findings`. */
  analysis: PacketAnalysis | null = null;

  constructor(private readonly maxEvents: number, private readonly listener: EngineListener, readonly clock: EngineClock) {}

  /** Seconds since the first packet, rounded to the nanosecond. */
  rel(time: number): number {
    return Math.round((time - this.clock.first) * 1e9) / 1e9;
  }

  event(s: Session, e: SessionEvent): void {
    if (s.events.length >= this.maxEvents) {
      if (s.eventsDropped++ === 0) this.finding(s, 'warning', 'EVENT_LIMIT', `more than ${this.maxEvents} events: later events not listed (--max-events)`, e.n);
      return;
    }
    s.events.push(e);
    this.listener.event?.(s, e);
  }

  /** Records a finding; repeats of the same code on the same session add packet numbers instead of new findings. */
  finding(s: Session | null, severity: Severity, code: string, message: string, packets: number | number[], subflow?: number): void {
    const list = s ? s.findings : this.findings;
    const key = `${s ? s.id : '-'}|${code}|${subflow ?? ''}|${code === 'MALFORMED_OPTION' || code === 'DSS_CHECKSUM_MISMATCH' || code === 'HMAC_INVALID' ? '' : message}`;
    const pk = Array.isArray(packets) ? packets : [packets];
    const a = this.analysis;
    if (a !== null && pk.includes(a.n) && !a.findings.includes(code)) a.findings.push(code);
    const existing = this.index.get(key);
    if (existing) {
      existing.count = (existing.count ?? 1) + 1;
      for (const x of pk) if (existing.packets.length < MAX_FINDING_PACKETS && !existing.packets.includes(x)) existing.packets.push(x);
      return;
    }
    const f: Finding = { severity, code, message, packets: pk.slice(0, MAX_FINDING_PACKETS) };
    if (s) f.session = s.id;
    if (subflow !== undefined) f.subflow = subflow;
    this.index.set(key, f);
    list.push(f);
    this.listener.finding?.(f);
  }
}
