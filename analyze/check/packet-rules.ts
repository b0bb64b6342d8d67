/**
 * Packet-level rules of `check` (rules file `packets:`): each compiles a display filter once and counts the
 * packets it selects while the capture is analyzed, keeping the first packet numbers as evidence.
 */
import { decodePacketInChunk } from '../../dissect/decode.js';
import { newDecodedPacket } from '../../dissect/packet.js';
import type { CaptureRecord } from '../../dissect/record.js';
import { compileFilter, FilterRuntime, type CompiledFilter, type FilterAnalysis } from '../../dissect/filter/index.js';
import type { AnalysisEngine } from '../engine.js';
import type { PacketRule } from './rules.js';

/** Packet numbers kept per rule as evidence (the count is exact). */
const MAX_KEPT = 50;

export interface PacketRuleMatches {
  rule: PacketRule;
  count: number;
  packets: number[];
}

/** Counts the matches of every packet rule; `onRecord` goes in analyzeFile's hook (after the engine's push). */
export class PacketRuleCounter {
  readonly matches: PacketRuleMatches[];
  private readonly filters: CompiledFilter[];
  private readonly p = newDecodedPacket();
  private readonly analysis: FilterAnalysis = { session: -1, subflow: -1, dir: '' };
  private readonly needsAnalysis: boolean;

  constructor(rules: readonly PacketRule[]) {
    const runtime = new FilterRuntime();
    this.filters = rules.map((r) => compileFilter(r.filter, { runtime }));
    this.matches = rules.map((rule) => ({ rule, count: 0, packets: [] }));
    this.needsAnalysis = this.filters.some((f) => f.needsAnalysis);
  }

  readonly onRecord = (rec: CaptureRecord, engine: AnalysisEngine): void => {
    const p = decodePacketInChunk(rec, this.p);
    let a: FilterAnalysis | null = null;
    if (this.needsAnalysis) {
      const tag = engine.lastTag;
      this.analysis.session = tag ? tag.session : -1;
      this.analysis.subflow = tag ? tag.subflow : -1;
      this.analysis.dir = tag ? tag.dir : '';
      a = this.analysis;
    }
    for (let i = 0; i < this.filters.length; i++) {
      if (!this.filters[i].match(rec, p, a)) continue;
      const m = this.matches[i];
      m.count++;
      if (m.packets.length < MAX_KEPT) m.packets.push(rec.n);
    }
  };
}
