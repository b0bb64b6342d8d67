/**
 * Packet-level rules of `check` (rules file `packets:`): each compiles a display filter once and counts the
 * packets it selects while the capture is analyzed, keeping the first packet numbers as evidence.
 */
import type { DecodedPacket } from '../../dissect/packet.js';
import type { CaptureRecord } from '../../dissect/record.js';
import { compileFilter, FilterRuntime, type CompiledFilter } from '../../dissect/filter/index.js';
import type { PacketAnalysis, PacketObserver } from '../packet-analysis.js';
import type { PacketRule } from './rules.js';

/** Packet numbers kept per rule as evidence (the count is exact). */
const MAX_KEPT = 50;

export interface PacketRuleMatches {
  rule: PacketRule;
  count: number;
  packets: number[];
}

/** Counts the matches of every packet rule: an engine observer (analyzeFile's `observer` hook). */
export class PacketRuleCounter implements PacketObserver {
  readonly matches: PacketRuleMatches[];
  private readonly filters: CompiledFilter[];

  constructor(rules: readonly PacketRule[]) {
    const runtime = new FilterRuntime();
    this.filters = rules.map((r) => compileFilter(r.filter, { runtime }));
    this.matches = rules.map((rule) => ({ rule, count: 0, packets: [] }));
  }

  packet(p: DecodedPacket, rec: CaptureRecord, a: PacketAnalysis): void {
    for (let i = 0; i < this.filters.length; i++) {
      if (!this.filters[i].match(rec, p, a)) continue;
      const m = this.matches[i];
      m.count++;
      if (m.packets.length < MAX_KEPT) m.packets.push(rec.n);
    }
  }
}
