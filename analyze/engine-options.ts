/** Limits of the analysis engine and what it tells incremental consumers. */
import type { Session } from './model.js';
import type { Finding, SessionEvent } from './report-types.js';

export interface EngineOptions {
  /** Out-of-order bytes buffered per data-level direction before a gap is declared. */
  maxBuffer: number;
  /** Recently delivered bytes kept per direction to compare retransmitted copies. */
  historyBytes: number;
  /** TCP connections tracked at once. */
  maxConnections: number;
  /** Events kept per session. */
  maxEvents: number;
  /** Unmatched connections listed individually (the rest are counted). */
  maxUnmatched: number;
  /** Out-of-order bytes buffered by all streams together before gaps are declared. */
  maxTotalBuffer: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  maxBuffer: 64 * 1024 * 1024,
  historyBytes: 256 * 1024,
  maxConnections: 1_000_000,
  maxEvents: 10_000,
  maxUnmatched: 1_000,
  maxTotalBuffer: 512 * 1024 * 1024,
};

/** What the engine tells incremental consumers (live log, TUI). */
export interface EngineListener {
  session?(s: Session): void;
  event?(s: Session, e: SessionEvent): void;
  finding?(f: Finding): void;
}
