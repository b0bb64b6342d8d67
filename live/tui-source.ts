/**
 * The TUI's CaptureSource for live capture (`live --tui`): records come from LiveRun (already in time order);
 * they are held until the UI has started, then handed over as they come, with a batch call at a steady pace so
 * the UI redraws. The UI's stop() (q, Ctrl-C) asks the capture to stop; the capture stopping ends the source.
 */
import type { CaptureRecord } from '../dissect/record.js';
import type { CaptureSource, SourceEnd, SourceHandlers, SourceProgress } from '../tui/source.js';

export class LiveTuiSource implements CaptureSource {
  readonly live = true;
  private handlers: SourceHandlers | null = null;
  private readonly pending: CaptureRecord[] = [];
  private readonly pendingWarnings: string[] = [];
  private ended: SourceEnd | null = null;
  private endDelivered = false;
  private stopRequested = false;
  private readonly progress: SourceProgress = { packets: 0, bytes: 0, done: false };
  /** Set by the caller: the UI wants the capture to stop. */
  onStopRequest: () => void = () => undefined;

  constructor(readonly label: string) {}

  start(handlers: SourceHandlers): void {
    this.handlers = handlers;
    for (const m of this.pendingWarnings.splice(0)) handlers.warning?.(m);
    for (const rec of this.pending.splice(0)) this.deliver(rec);
    handlers.batch({ ...this.progress });
    if (this.ended) this.deliverEnd();
  }

  stop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.onStopRequest();
  }

  /** One record, owned by the receiver. */
  record(rec: CaptureRecord): void {
    if (this.ended) return;
    if (this.handlers) this.deliver(rec);
    else this.pending.push(rec);
  }

  private deliver(rec: CaptureRecord): void {
    this.progress.packets++;
    this.handlers!.record(rec);
  }

  /** Called at a steady pace while capturing: lets the UI redraw. */
  batch(wireBytes: number): void {
    this.progress.bytes = wireBytes;
    if (this.handlers && !this.ended) this.handlers.batch({ ...this.progress });
  }

  warning(message: string): void {
    if (this.handlers) this.handlers.warning?.(message);
    else this.pendingWarnings.push(message);
  }

  /** The capture stopped (every record was handed over before). */
  end(error?: Error): void {
    if (this.ended) return;
    this.progress.done = true;
    this.ended = { progress: { ...this.progress }, format: 'pcapng', truncated: false, error, stopped: this.stopRequested };
    if (this.handlers) this.deliverEnd();
  }

  private deliverEnd(): void {
    if (this.endDelivered || !this.handlers || !this.ended) return;
    this.endDelivered = true;
    this.handlers.batch({ ...this.ended.progress });
    this.handlers.end(this.ended);
  }
}
