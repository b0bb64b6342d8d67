/**
 * The TUI's analysis state: the analysis engine (the same one `analyze` uses), the compact packet index, the
 * per-session chart series and stream previews. Fed one record at a time by any CaptureSource; everything the
 * panes show is derived from it by the pure view modules (view-*.ts).
 */
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../analyze/engine.js';
import { DiagnosisCollector } from '../analyze/diagnosis/feed.js';
import type { Conn, Session } from '../analyze/model.js';
import type { Finding } from '../analyze/report-types.js';
import { decodePacket } from '../dissect/decode.js';
import { endpointText } from '../dissect/address.js';
import { newDecodedPacket, type DecodedPacket } from '../dissect/packet.js';
import type { CaptureRecord } from '../dissect/record.js';
import type { PacketAnalysis } from '../analyze/packet-analysis.js';
import { DIR_NONE, PacketIndex, TAG_NONE, unmatchedTag } from './packet-index.js';
import { SessionSeries } from './series.js';
import { StreamPreview } from './stream-preview.js';

export interface ModelInfo {
  /** What is being shown: a file name or an interface. */
  label: string;
  format?: string;
  truncated: boolean;
  /** The source has ended (the engine's streams are then finished). */
  finished: boolean;
  /** Reading ended on this error. */
  error?: string;
  warnings: string[];
}

export class TuiModel {
  readonly engine: AnalysisEngine;
  readonly index = new PacketIndex();
  readonly series = new Map<number, SessionSeries>();
  readonly previews = new Map<number, [StreamPreview, StreamPreview]>();
  readonly info: ModelInfo;
  /** Grows on every change; views redraw when it moved. */
  version = 0;
  /** Findings seen so far (all sessions and none), for the status bar. */
  findingCounts = { error: 0, warning: 0, info: 0 };
  private readonly p: DecodedPacket = newDecodedPacket();
  /** Unmatched connections by "src|dst" endpoint text (both orders), and their number. */
  private readonly unmatchedByEndpoints = new Map<string, number>();
  private unmatchedSeen = 0;

  constructor(label: string, opts: Partial<EngineOptions> = {}) {
    this.info = { label, truncated: false, finished: false, warnings: [] };
    this.engine = new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS, ...opts }, {
      session: (s) => this.onSession(s),
      finding: (f) => this.onFinding(f),
    });
    // The engine's verdicts on each packet go into the index beside it.
    this.engine.observe({ packet: (_pkt, _rec, a) => { this.analysis = a; } });
    this.diagnosis = new DiagnosisCollector(this.engine);
    // The per-subflow sequence chart: the highest data-level offset each subflow carried, per bucket.
    this.engine.observe({
      packet: (_p, _rec, a) => {
        if (a.dsn === null || a.payloadLength === 0 || a.session < 0 || a.dir === null) return;
        this.series.get(a.session)?.addSequence(a.time - this.engine.firstTime, a.subflow, a.dir === 'c2s' ? 0 : 1, a.dsn - 1 + a.payloadLength);
      },
    });
  }

  /** The engine's verdicts on the packet being ingested (set by the observer during push). */
  private analysis: PacketAnalysis | null = null;

  /** Why each session performed as it did (analyze/diagnosis), final once the source has ended. */
  readonly diagnosis: DiagnosisCollector;

  private onSession(s: Session): void {
    const pv: [StreamPreview, StreamPreview] = [new StreamPreview(), new StreamPreview()];
    s.streams[0].sink = pv[0];
    s.streams[1].sink = pv[1];
    this.previews.set(s.id, pv);
  }

  private onFinding(f: Finding): void {
    this.findingCounts[f.severity]++;
  }

  /** Seconds since the first packet of the capture. */
  relTime(rec: CaptureRecord): number {
    const first = this.engine.firstTime;
    return first < 0 ? 0 : rec.tsSec + rec.tsNsec / 1e9 - first;
  }

  /** Analyzes and indexes one record (valid only during the call). */
  ingest(rec: CaptureRecord): void {
    const p = decodePacket(rec, this.p);
    this.analysis = null;
    this.engine.push(rec, p);
    const tag = this.engine.lastTag;
    let session = TAG_NONE;
    let subflow = -1;
    let dir = DIR_NONE;
    if (tag) {
      session = tag.session;
      subflow = tag.subflow;
      dir = tag.dir === 'c2s' ? 0 : 1;
      const s = this.engine.sessions[tag.session];
      const t = this.relTime(rec);
      let ser = this.series.get(s.id);
      if (!ser) this.series.set(s.id, (ser = new SessionSeries(t)));
      ser.add(t, tag.subflow, p.payloadLength, s.streams[0].next, s.streams[1].next);
    } else if (p.isTcp && this.engine.unmatched.length > 0) {
      const k = this.unmatchedOf(p);
      if (k >= 0) session = unmatchedTag(k);
    }
    this.index.add(rec, p, session, subflow, dir, this.analysis);
    this.version++;
  }

  /** The number of the unmatched connection a packet belongs to, or -1. */
  private unmatchedOf(p: DecodedPacket): number {
    const list = this.engine.unmatched;
    while (this.unmatchedSeen < list.length) {
      const c: Conn = list[this.unmatchedSeen];
      this.unmatchedByEndpoints.set(`${c.clientText}|${c.serverText}`, this.unmatchedSeen);
      this.unmatchedByEndpoints.set(`${c.serverText}|${c.clientText}`, this.unmatchedSeen);
      this.unmatchedSeen++;
    }
    const src = endpointText(p.ipVersion, p.data, p.srcOffset, p.sport);
    const dst = endpointText(p.ipVersion, p.data, p.dstOffset, p.dport);
    return this.unmatchedByEndpoints.get(`${src}|${dst}`) ?? -1;
  }

  /** The source ended: closes the data-level streams (final completeness and findings). */
  finish(end: { format?: string; truncated: boolean; error?: Error }): void {
    if (this.info.finished) return;
    this.engine.finish();
    this.info.finished = true;
    this.info.format = end.format;
    this.info.truncated = end.truncated;
    if (end.error) this.info.error = end.error.message;
    this.version++;
  }

  warning(message: string): void {
    if (this.info.warnings.length < 100) this.info.warnings.push(message);
    this.version++;
  }

  /** Subflow count of all sessions. */
  get subflowCount(): number {
    let n = 0;
    for (const s of this.engine.sessions) n += s.subflows.length;
    return n;
  }
}
