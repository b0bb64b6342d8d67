/**
 * `mptcpscope live`: capture on interfaces, analyze incrementally with the same engine as `analyze`, log
 * events and findings as they happen (or show them in the TUI with --tui), and on stop (-c, --duration,
 * SIGINT, SIGTERM, every interface gone) write the pcapng (-w) and the JSON report (--json), print the summary
 * and libpcap's counters, exit 0.
 */
import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../analyze/engine.js';
import { buildReport } from '../analyze/report.js';
import { formatSummary } from '../analyze/summary-text.js';
import { DiagnosisCollector } from '../analyze/diagnosis/feed.js';
import type { AnalysisReport, Finding } from '../analyze/report-types.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';
import type { CaptureRecord } from '../dissect/record.js';
import { PcapngWriter } from '../dissect/pcapng-writer.js';
import { CliError } from '../common/cli-error.js';
import { compileFilter, FilterError, filterErrorText, type CompiledFilter } from '../dissect/filter/index.js';
import type { PacketAnalysis } from '../analyze/packet-analysis.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { cannotWrite } from '../common/write-error.js';
import { exitProcess, guardTerminalStreams, markTerminalGone, terminalGone } from '../common/terminal.js';
import { LiveCapture, type LiveInterface } from './capture.js';
import { LiveLog, rateText } from './log.js';
import { loadPcap, type PcapDevice, type PcapModule, type PcapStats } from './pcap-module.js';
import { LiveReorder } from './reorder.js';
import { LiveTuiSource } from './tui-source.js';

export interface LiveOptions {
  interfaces: string[];
  filter?: string;
  /** Display filter (Wireshark's language) on what is shown: log lines, the TUI's list. */
  displayFilter?: string;
  /** Bytes per packet kept (libpcap snaplen). */
  snaplen: number;
  count?: number;
  /** Seconds. */
  duration?: number;
  /** pcapng output. */
  write?: string;
  /** JSON report output. */
  json?: string;
  bufferSize: number;
  promiscuous: boolean;
  color: boolean;
  /** Draw the status line (default: stdout is a terminal). */
  status?: boolean;
  /** Show the terminal UI instead of the log. */
  tui?: boolean;
  engine: Partial<EngineOptions>;
  version: string;
  /** How long records are held to restore time order across interfaces (seconds). */
  reorderWindow?: number;
}

/**
 * stdout lines, with the status line kept at the bottom on a terminal. A closed stdout stops the capture:
 * EPIPE quietly, any other error (a full disk) is kept in `writeError` and reported once the outputs are written.
 */
class Screen {
  closed = false;
  writeError: unknown;
  private status = '';

  constructor(private readonly tty: boolean, private readonly onClosed: () => void) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.closed) {
        this.closed = true;
        if (err.code !== 'EPIPE') this.writeError = err;
        this.onClosed();
      }
    });
    if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => undefined);
  }

  line(text: string): void {
    if (this.closed) return;
    process.stdout.write(this.tty && this.status ? `\r\x1b[K${text}\n${this.status}` : `${text}\n`);
  }

  setStatus(text: string): void {
    if (this.closed || !this.tty) return;
    this.status = text;
    process.stdout.write(`\r\x1b[K${text}`);
  }

  clearStatus(): void {
    if (this.closed || !this.tty || !this.status) return;
    this.status = '';
    process.stdout.write('\r\x1b[K');
  }

  text(s: string): void {
    if (!this.closed) process.stdout.write(s);
  }

  /** Resolves once stdout has taken everything written so far. */
  drain(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((res) => process.stdout.write('', () => setImmediate(res)));
  }
}

/** `-D`: the interfaces libpcap can capture on, one per line. */
export async function listInterfaces(): Promise<void> {
  const pcap = await loadPcap();
  let devs: PcapDevice[];
  try {
    devs = pcap.findalldevs();
  } catch (err) {
    throw new CliError(`cannot list interfaces: ${(err as Error).message}`);
  }
  const lines = devs.map((d, i) => {
    const addrs = (d.addresses ?? []).flatMap((a) => (a && a.addr ? [a.addr] : []));
    let line = `${i + 1}.${d.name}`;
    if (d.description) line += ` (${d.description})`;
    if (addrs.length) line += ` [${addrs.join(', ')}]`;
    if (d.flags === 'PCAP_IF_LOOPBACK') line += ' [Loopback]';
    return line;
  });
  process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
}

function statsLine(i: LiveInterface, s: PcapStats | undefined): string {
  const downs = i.downPeriods.length;
  const state = i.state === 'lost' ? ` (capture stopped: ${i.lostReason})`
    : i.state === 'down' ? ' (down at the end)'
      : downs > 0 ? ` (went down ${downs === 1 ? 'once' : `${downs} times`}, reopened)` : '';
  if (!s) return `${i.name}: ${i.packets} packets captured, counters unavailable${state}`;
  return `${i.name}: ${i.packets} packets captured, ${s.ps_recv} received by filter, ${s.ps_drop} dropped by kernel, ${s.ps_ifdrop} dropped by interface${state}`;
}

/**
 * The capture side shared by the log and the TUI: interfaces, the pcapng writer, time order across
 * interfaces, the -c / --duration stops, and the outputs at the end. Records go to `deliver` in time order.
 */
class LiveRun {
  readonly capture: LiveCapture;
  writer: PcapngWriter | null = null;
  readonly reorder: LiveReorder | null;
  stopping = false;
  stopReason = '';
  fatal: unknown;
  wireBytes = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private resolveStopped: () => void = () => undefined;
  readonly stopped = new Promise<void>((r) => { this.resolveStopped = r; });
  /** Called once when the capture stops, before `stopped` resolves. */
  onStop: () => void = () => undefined;
  /** Called when an interface disappeared or went down (capture on it stopped). */
  onInterfaceLost: (iface: LiveInterface) => void = () => undefined;
  /** Called when an interface went down (`up` false) or came back and was reopened (`up` true). */
  onInterfaceState: (iface: LiveInterface, up: boolean) => void = () => undefined;
  private stopCalled = false;

  constructor(pcap: PcapModule, private readonly opts: LiveOptions, private readonly deliver: (rec: CaptureRecord) => void) {
    this.reorder = opts.interfaces.length > 1 ? new LiveReorder(deliver, opts.reorderWindow ?? 0.1) : null;
    this.capture = new LiveCapture(pcap, {
      interfaces: opts.interfaces, filter: opts.filter, snaplen: opts.snaplen, bufferSize: opts.bufferSize, promiscuous: opts.promiscuous,
    }, {
      onRecord: (rec) => this.onRecord(rec),
      onInterfaceLost: (iface) => {
        this.onInterfaceLost(iface);
        if (this.capture.active === 0) this.stop('capture stopped on every interface');
      },
      onInterfaceDown: (iface) => this.onInterfaceState(iface, false),
      onInterfaceUp: (iface) => this.onInterfaceState(iface, true),
      onFatal: (err) => {
        this.fatal = err;
        this.stop('internal error');
      },
    });
  }

  /** Opens every interface and the pcapng output; throws a one-line CliError. Synchronous. */
  open(): void {
    this.capture.open();
    if (!this.opts.write) return;
    try {
      this.writer = new PcapngWriter(this.opts.write, { application: `mptcpscope ${this.opts.version} live` });
      for (const i of this.capture.ifaces) {
        this.writer.addInterface({ linktype: i.linktype, snaplen: this.opts.snaplen, name: i.name, filter: this.opts.filter, tsDigits: 6 });
      }
    } catch (err) {
      this.writer?.abort();
      this.writer = null;
      throw cannotWrite(this.opts.write, err);
    }
  }

  private onRecord(rec: CaptureRecord): void {
    if (this.stopping) return;
    // Read while stopping on -c (the rings are drained): past the count.
    if (this.opts.count !== undefined && rec.n > this.opts.count) return;
    this.wireBytes += rec.len;
    if (this.writer) {
      try {
        this.writer.writePacket({ iface: rec.iface, tsSec: rec.tsSec, tsFrac: rec.tsNsec / 1000, len: rec.len, data: rec.data });
      } catch (err) {
        this.fatal = cannotWrite(this.opts.write!, err);
        this.stop('write error');
        return;
      }
    }
    if (this.reorder) this.reorder.push(rec);
    else this.deliver(rec);
    if (this.opts.count !== undefined && rec.n >= this.opts.count) this.stop(`${this.opts.count} packets captured`);
  }

  /** Starts the timers: time-order release, pcapng flushes, --duration. */
  start(): void {
    this.capture.startWatching();
    const reorder = this.reorder;
    if (reorder) this.every(20, () => reorder.release(Date.now() / 1000));
    const writer = this.writer;
    if (writer) {
      this.every(1000, () => {
        try {
          writer.flush();
        } catch (err) {
          this.fatal = cannotWrite(this.opts.write!, err);
          this.stop('write error');
        }
      });
    }
    if (this.opts.duration !== undefined) this.timers.push(setTimeout(() => this.stop(`${this.opts.duration} s elapsed`), this.opts.duration * 1000));
  }

  every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(() => { if (!this.stopping) fn(); }, ms));
  }

  stop(reason: string): void {
    if (this.stopping || this.stopCalled) return;
    this.stopCalled = true;
    this.stopReason = reason;
    // Reads what the rings still hold (those records are kept), then stops.
    this.capture.stop();
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.onStop();
    this.resolveStopped();
  }

  /** Total of libpcap's drop counters. */
  static drops(stats: Array<PcapStats | undefined>): number {
    return stats.reduce((a, s) => a + (s ? s.ps_drop + s.ps_ifdrop : 0), 0);
  }

  /**
   * After stop: releases held records, lets the caller finish its engine, builds the report (plus the
   * CAPTURE_DROPS finding), commits the pcapng and writes the JSON report.
   */
  /** The diagnosis observing the engine, when the caller attached one (its verdicts go into the report). */
  diagnosis?: DiagnosisCollector;

  finish(engine: AnalysisEngine, finishEngine: () => void, onFinding: (f: Finding) => void): { report: AnalysisReport; stats: Array<PcapStats | undefined> } {
    const stats = this.capture.stats();
    if (this.fatal !== undefined) throw this.fatal;
    this.reorder?.flush();
    finishEngine();
    const names = this.opts.interfaces;
    const report = buildReport(engine, { file: `live:${names.join(',')}`, format: 'pcapng', truncated: false, version: this.opts.version }, this.diagnosis);
    const dropped = LiveRun.drops(stats);
    if (dropped > 0) {
      const per = this.capture.ifaces.map((i, k) => `${i.name}: ${stats[k]?.ps_drop ?? '?'} by the kernel, ${stats[k]?.ps_ifdrop ?? '?'} by the interface`).join('; ');
      const f: Finding = {
        severity: 'warning', code: 'CAPTURE_DROPS',
        message: `${dropped} packets were dropped before the capture saw them (${per}): the analysis misses them`,
        packets: [],
      };
      report.findings.push(f);
      onFinding(f);
    }
    if (this.writer) {
      try {
        const now = Date.now();
        for (const [k, i] of this.capture.ifaces.entries()) {
          const st = stats[k];
          this.writer.writeInterfaceStats(i.index, Math.floor(now / 1000), (now % 1000) * 1000, st
            ? { received: st.ps_recv, interfaceDropped: st.ps_ifdrop, osDropped: st.ps_drop, delivered: i.packets }
            : { delivered: i.packets });
        }
        this.writer.commit();
      } catch (err) {
        throw cannotWrite(this.opts.write!, err);
      }
      this.writer = null;
    }
    if (this.opts.json) writeFileAtomic(this.opts.json, JSON.stringify(report, null, 2) + '\n');
    return { report, stats };
  }

  /** Removes what was not committed (a failure or a second signal). */
  abortOutputs(): void {
    this.writer?.abort();
    this.writer = null;
  }

  /** The closing lines on stderr: why the capture stopped, late records, each interface's counters. */
  closingLines(stats: Array<PcapStats | undefined>): string {
    let s = `live: stopped (${this.stopReason})\n`;
    if (this.reorder && this.reorder.late > 0) {
      s += `warning: ${this.reorder.late} packets arrived more than ${this.reorder.windowSeconds} s late across interfaces and were analyzed out of time order\n`;
    }
    for (const [k, i] of this.capture.ifaces.entries()) s += `${statsLine(i, stats[k])}\n`;
    return s;
  }

  describe(): string {
    const desc = this.capture.ifaces.map((i) => `${i.name} (link type ${i.linktype})`).join(', ');
    return `capturing on ${desc}, snaplen ${this.opts.snaplen}${this.opts.filter ? `, filter '${this.opts.filter}'` : ''}`;
  }
}

const clock = (ms: number): string => new Date(ms).toTimeString().slice(0, 8);

/**
 * An interface went down (a log line) or came back (a log line, and the CAPTURE_INTERFACE_DOWN finding: a gap
 * in the capture, not drops).
 */
function interfaceStateLine(engine: AnalysisEngine, run: LiveRun, iface: LiveInterface, up: boolean, say: (line: string) => void): void {
  if (!up) {
    say(`interface ${iface.name} went down: capture on it resumes when it comes back up`);
    return;
  }
  const p = iface.downPeriods[iface.downPeriods.length - 1];
  say(`interface ${iface.name} is up again after ${((p.to! - p.from) / 1000).toFixed(1)} s: capture on it reopened`);
  downFinding(engine, run, iface, p);
}

function downFinding(engine: AnalysisEngine, run: LiveRun, iface: LiveInterface, p: { from: number; to: number | null }): void {
  const until = p.to === null ? 'the end of the capture' : clock(p.to);
  const secs = ((p.to ?? Date.now()) - p.from) / 1000;
  engine.finding(null, 'warning', 'CAPTURE_INTERFACE_DOWN',
    `interface ${iface.name} was down from ${clock(p.from)} to ${until} (${secs.toFixed(1)} s): a gap in the capture on it; packets before and after it are kept`,
    run.capture.n > 0 ? [run.capture.n] : []);
}

/** Interfaces still down when the capture stops: their open gap is a finding too. */
function stillDownFindings(engine: AnalysisEngine, run: LiveRun): void {
  for (const i of run.capture.ifaces) {
    const p = i.downPeriods[i.downPeriods.length - 1];
    if (i.state === 'down' && p && p.to === null) downFinding(engine, run, i, p);
  }
}

/** The CAPTURE_INTERFACE_LOST finding (logged by the engine's listener, kept in the report). */
function lostFinding(engine: AnalysisEngine, run: LiveRun, iface: LiveInterface): void {
  const others = run.capture.active > 0 ? 'the other interfaces went on' : 'no interface is left';
  engine.finding(null, 'warning', 'CAPTURE_INTERFACE_LOST',
    `interface ${iface.name}: ${iface.lostReason}; capture on it stopped after ${iface.packets} packets, ${others}`,
    run.capture.n > 0 ? [run.capture.n] : []);
}

export async function runLive(opts: LiveOptions): Promise<void> {
  const names = opts.interfaces;
  if (names.length === 0) throw new CliError('live needs at least one -i IFACE (mptcpscope live -D lists the interfaces)');
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new CliError(`interface ${dup} given twice`);
  if (opts.write && opts.json && resolve(opts.write) === resolve(opts.json)) throw new CliError('-w and --json name the same file');
  if (opts.json) {
    try {
      accessSync(dirname(opts.json), constants.W_OK);
    } catch (err) {
      throw cannotWrite(opts.json, err);
    }
  }
  let display: CompiledFilter | undefined;
  if (opts.displayFilter !== undefined) {
    try {
      display = compileFilter(opts.displayFilter);
    } catch (err) {
      if (err instanceof FilterError) throw new CliError(`bad display filter: ${filterErrorText(opts.displayFilter, err)}`);
      throw err;
    }
  }
  if (opts.tui) {
    if (!process.stdout.isTTY) throw new CliError('live --tui needs a terminal: standard output is not a terminal');
    if (!process.stdin.isTTY) throw new CliError('live --tui needs a terminal: standard input is not a terminal');
  }
  const pcap = await loadPcap();
  if (opts.tui) return runWithTui(pcap, opts);
  return runWithLog(pcap, opts, display);
}

async function runWithLog(pcap: PcapModule, opts: LiveOptions, display?: CompiledFilter): Promise<void> {
  // Everything from here to the end of setup is synchronous: no packet is handled before it is complete.
  const tty = opts.status ?? Boolean(process.stdout.isTTY);
  let run: LiveRun | undefined;
  guardTerminalStreams();
  const screen = new Screen(tty, () => run?.stop('standard output closed'));
  const log = new LiveLog({ write: (l) => screen.line(l), color: opts.color, ifaceNames: opts.interfaces });
  const engine = new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS, ...opts.engine }, log.listener());
  const decoded = newDecodedPacket();
  // -Y: the lines of a packet are held until the packet is matched (after the engine gave its verdicts).
  let verdicts: PacketAnalysis | null = null;
  if (display?.needsAnalysis) engine.observe({ packet: (_p, _r, a) => { verdicts = a; } });
  log.holding = display !== undefined;
  run = new LiveRun(pcap, opts, (rec) => {
    log.current = rec;
    try {
      const p = decodePacket(rec, decoded);
      engine.push(rec, p);
      if (display) log.release(display.match(rec, p, verdicts));
    } finally {
      log.current = null;
    }
  });
  const r = run;
  r.diagnosis = new DiagnosisCollector(engine);
  r.onInterfaceLost = (iface) => lostFinding(engine, r, iface);
  r.onInterfaceState = (iface, up) => interfaceStateLine(engine, r, iface, up, (l) => log.line(l));
  r.open();
  r.start();
  if (tty) {
    const started = Date.now();
    let lastBytes = 0;
    let lastTime = started;
    r.every(1000, () => {
      const now = Date.now();
      const rate = ((r.wireBytes - lastBytes) * 1000) / Math.max(1, now - lastTime);
      lastBytes = r.wireBytes;
      lastTime = now;
      const subflows = engine.sessions.reduce((a, s) => a + s.subflows.length, 0);
      const drops = LiveRun.drops(r.capture.stats());
      screen.setStatus(`[${((now - started) / 1000).toFixed(0)} s] ${r.capture.n} packets, ${engine.sessions.length} sessions, ${subflows} subflows, ${rateText(rate)}${drops ? `, ${drops} dropped` : ''}`);
    });
  }
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!r.stopping) { r.stop(sig); return; }
    // A second signal while finishing: give up at once, leaving no partial output.
    r.abortOutputs();
    exitProcess(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The terminal went away: finish the same way (the outputs are what is left); writes to it are dropped.
  process.on('SIGHUP', () => {
    markTerminalGone();
    screen.closed = true;
    onSignal('SIGHUP');
  });
  process.stderr.write(`live: ${r.describe()}; Ctrl-C stops\n`);

  await r.stopped;
  try {
    screen.clearStatus();
    stillDownFindings(engine, r);
    const { report, stats } = r.finish(engine, () => engine.finish(), (f) => log.finding(f));
    screen.text('\n' + formatSummary(report, opts.color));
    process.stderr.write(r.closingLines(stats));
    await screen.drain();
  } catch (err) {
    r.abortOutputs();
    throw err;
  }
  if (screen.writeError !== undefined) throw cannotWrite('standard output', screen.writeError);
  // pcap sessions on idle interfaces keep the event loop alive and closing them can block: end here.
  exitProcess(0);
}

async function runWithTui(pcap: PcapModule, opts: LiveOptions): Promise<void> {
  // Load the UI before capturing, so that no await separates opening the interfaces from feeding the UI.
  const [{ runTuiOn }, { TuiModel }] = await Promise.all([import('../tui/run.js'), import('../tui/model.js')]);
  const label = `live ${opts.interfaces.join(', ')}`;
  const model = new TuiModel(label, opts.engine);
  const source = new LiveTuiSource(label);
  const run = new LiveRun(pcap, opts, (rec) => source.record(rec));
  source.onStopRequest = () => run.stop(terminalGone() ? 'SIGHUP: the terminal went away' : 'the UI was closed');
  run.onStop = () => {
    // Every held record reaches the UI's engine before the source ends (the UI then finishes the engine).
    run.reorder?.flush();
    source.end(run.fatal instanceof Error ? run.fatal : undefined);
  };
  run.onInterfaceState = (iface, up) => interfaceStateLine(model.engine, run, iface, up, (l) => source.warning(l));
  run.onInterfaceLost = (iface) => {
    lostFinding(model.engine, run, iface);
    source.warning(`${iface.name}: ${iface.lostReason}; capture on it stopped`);
  };
  run.open();
  run.start();
  run.every(100, () => source.batch(run.wireBytes));
  // The outputs are written as soon as the capture stops (-c, --duration, q), even while the UI stays open.
  const settled = run.stopped
    .then(() => { stillDownFindings(model.engine, run); })
    .then(() => run.finish(model.engine, () => model.finish({ format: 'pcapng', truncated: false }), () => undefined))
    .then((ok) => ({ ok, err: undefined }), (err: unknown) => {
      source.warning(`capture outputs not written: ${err instanceof Error ? err.message : String(err)}`);
      return { ok: undefined, err };
    });
  // The UI handles keys and signals (q, Ctrl-C, SIGTERM) and resolves once its screen is gone.
  const code = await runTuiOn(source, model, opts.displayFilter ?? null);
  run.stop(code === 0 ? 'the UI was closed' : `the UI was closed (status ${code})`);
  const result = await settled;
  if (!result.ok) {
    run.abortOutputs();
    throw result.err;
  }
  // The outputs are committed: only now is the terminal written to (after a hangup it is not there).
  if (!terminalGone()) {
    process.stdout.write(formatSummary(result.ok.report, opts.color));
    process.stderr.write(run.closingLines(result.ok.stats));
    await new Promise<void>((res) => process.stdout.write('', () => setImmediate(res)));
  } else {
    process.stderr.write(run.closingLines(result.ok.stats));
  }
  // Quitting with a signal (Ctrl-C, SIGTERM, a hangup) is the ordinary way to end a live capture: still a success.
  exitProcess(code === 130 || code === 143 || code === 129 ? 0 : code);
}
