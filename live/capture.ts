/**
 * Capture on one or more interfaces at once through libpcap (the `pcap` module), handing out CaptureRecords:
 * `n` counts packets across interfaces in arrival order, `iface` is the interface's index in the order given,
 * `linktype` comes from the pcap session, timestamps are libpcap's microseconds.
 *
 * pcap hands each packet in a buffer it reuses for the next one: records carry a copy. Sessions are never
 * closed here (closing one on an idle interface can block): the program ends with process.exit once its
 * outputs are written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { CliError } from '../common/cli-error.js';
import type { CaptureRecord } from '../dissect/record.js';
import { linktypeOf, type PcapModule, type PcapSessionLike, type PcapStats } from './pcap-module.js';

export interface LiveCaptureOptions {
  interfaces: string[];
  /** BPF expression, compiled by libpcap and applied in the kernel. */
  filter?: string;
  snaplen: number;
  /** Kernel capture buffer per interface, bytes. */
  bufferSize: number;
  promiscuous: boolean;
}

export interface LiveInterface {
  index: number;
  name: string;
  linktype: number;
  /** The link type as pcap names it. */
  linkTypeName: string;
  session: PcapSessionLike;
  /** lost: the interface disappeared or went down, and capture on it stopped (libuv stops polling a socket in error). */
  state: 'capturing' | 'lost';
  /** Why it was lost, e.g. 'the interface disappeared'. */
  lostReason?: string;
  packets: number;
  bytes: number;
  /** /sys/class/net/NAME existed when the capture started, so it can tell whether the interface is still there. */
  sysfs: boolean;
}

export interface LiveCaptureHooks {
  /** Each packet, in arrival order. The record and its data are the receiver's to keep. */
  onRecord(rec: CaptureRecord): void;
  /** An interface disappeared or went down: capture on it has stopped (`iface.lostReason` says why). */
  onInterfaceLost(iface: LiveInterface): void;
  /** An exception thrown by a hook: capture cannot go on correctly. */
  onFatal(err: unknown): void;
}

const LE = endianness() === 'LE';

const sysPath = (name: string): string => `/sys/class/net/${name}`;

/** An interface's state as /sys shows it (the network namespace's own, under `ip netns exec`). */
function sysState(name: string): 'up' | 'down' | 'gone' {
  let flags: string;
  try {
    flags = readFileSync(`${sysPath(name)}/flags`, 'utf8');
  } catch {
    return existsSync(sysPath(name)) ? 'up' : 'gone';
  }
  return (parseInt(flags, 16) & 1) !== 0 ? 'up' : 'down';
}

function permissionProblem(msg: string): boolean {
  return /permission|not permitted|EPERM|EACCES|access denied/i.test(msg);
}

function noSuchDevice(msg: string): boolean {
  return /no such device|doesn't exist|does not exist|ENODEV|ENXIO/i.test(msg);
}

export class LiveCapture {
  readonly ifaces: LiveInterface[] = [];
  /** Packets handed out so far (the last `n`). */
  n = 0;
  private stopped = false;
  /** Interfaces whose read failed, while the reason is looked into: libpcap status and when. */
  private readonly failing = new Map<LiveInterface, { status: number; since: number }>();
  private watchdog: NodeJS.Timeout | null = null;

  constructor(private readonly pcap: PcapModule, private readonly opts: LiveCaptureOptions, private readonly hooks: LiveCaptureHooks) {}

  /** Opens every interface, or throws a one-line CliError naming the first that cannot be captured on. */
  open(): void {
    // libpcap warnings (e.g. "no IPv4 address assigned" from pcap_lookupnet) matter only for filters that
    // use the netmask; pcap would print them with console.warn.
    this.pcap.warningHandler = () => undefined;
    for (const name of this.opts.interfaces) this.openOne(name);
  }

  private sessionOptions(name: string, filter: string | undefined): Parameters<PcapModule['createSession']>[1] {
    return {
      filter: filter ?? '',
      snap_length: this.opts.snaplen,
      buffer_size: this.opts.bufferSize,
      buffer_timeout: 0, // immediate mode: each packet as soon as it is captured
      // Linux's "any" device does not do promiscuous mode (libpcap would fail with a warning).
      promiscuous: this.opts.promiscuous && name !== 'any',
    };
  }

  private openOne(name: string): void {
    let session: PcapSessionLike;
    try {
      session = this.pcap.createSession(name, this.sessionOptions(name, this.opts.filter));
    } catch (err) {
      throw this.openError(name, err);
    }
    const linktype = linktypeOf(session.link_type);
    const iface: LiveInterface = {
      index: this.ifaces.length, name, linktype, linkTypeName: session.link_type, session, state: 'capturing', packets: 0, bytes: 0,
      sysfs: name !== 'any' && existsSync(sysPath(name)),
    };
    if (linktype < 0) throw new CliError(`cannot capture on ${name}: unknown link type (${session.link_type})`);
    this.ifaces.push(iface);
    session.on('packet', (p) => {
      if (this.stopped) return;
      try {
        const h = p.header;
        const tsSec = LE ? h.readUInt32LE(0) : h.readUInt32BE(0);
        const tsUsec = LE ? h.readUInt32LE(4) : h.readUInt32BE(4);
        const caplen = Math.min(LE ? h.readUInt32LE(8) : h.readUInt32BE(8), p.buf.length);
        const len = LE ? h.readUInt32LE(12) : h.readUInt32BE(12);
        const data = Buffer.allocUnsafe(caplen);
        p.buf.copy(data, 0, 0, caplen);
        iface.packets++;
        iface.bytes += len;
        this.hooks.onRecord({ n: ++this.n, iface: iface.index, linktype, tsSec, tsNsec: tsUsec * 1000, tsDigits: 6, caplen, len, data });
      } catch (err) {
        // An exception must not unwind through libpcap's dispatch (pcap would make it fatal).
        this.stopped = true;
        this.hooks.onFatal(err);
      }
    });
    // Replace pcap's read callback to see read errors (pcap ignores them). A negative result other than -2
    // (break) means the interface went down (PCAP_ERROR_IFACE_NOT_UP, -9) or disappeared (PCAP_ERROR); either
    // way no more packets come from that socket.
    const inner = session.session;
    inner.read_callback = () => {
      if (this.stopped || iface.state === 'lost') return;
      let r: number;
      try {
        r = inner.dispatch(session.buf, session.header);
      } catch {
        r = -1;
      }
      if (r >= 0 || r === -2 || this.stopped) return;
      iface.state = 'lost';
      this.failing.set(iface, { status: r, since: Date.now() });
      this.watch();
    };
  }

  /**
   * Looks after the interfaces: one whose /sys entry went, or whose IFF_UP flag went off, is lost (after it
   * goes down the kernel reports an error on the capture socket and libuv stops polling it). For one whose read
   * failed, the reason is settled here: the kernel reports the error while it unregisters the device, a moment
   * before its /sys entry goes.
   */
  private watch(): void {
    for (const i of this.ifaces) {
      if (i.state !== 'capturing' || !i.sysfs) continue;
      const st = sysState(i.name);
      if (st !== 'up') this.lose(i, st === 'gone' ? 'the interface disappeared' : 'the interface went down');
    }
    for (const [i, f] of this.failing) {
      const st = i.sysfs ? sysState(i.name) : 'unknown';
      if (st === 'gone') this.lose(i, 'the interface disappeared');
      else if (Date.now() - f.since >= 1000 || this.stopped) this.settle(i, f.status, st);
    }
  }

  private settle(i: LiveInterface, status: number, st: string): void {
    if (status === -9 || st === 'down') this.lose(i, 'the interface went down');
    else if (st === 'up') this.lose(i, `a read error (libpcap status ${status})`);
    else this.lose(i, 'the interface disappeared or failed (libpcap read error)');
  }

  private lose(i: LiveInterface, reason: string): void {
    this.failing.delete(i);
    if (i.lostReason !== undefined) return;
    i.state = 'lost';
    i.lostReason = reason;
    this.hooks.onInterfaceLost(i);
  }

  /** Starts looking after the interfaces (every 250 ms). */
  startWatching(): void {
    if (!this.watchdog) this.watchdog = setInterval(() => { if (!this.stopped) this.watch(); }, 250);
  }

  /** The one-line error for an interface that cannot be opened, telling a bad filter from a bad interface. */
  private openError(name: string, err: unknown): CliError {
    const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    if (this.opts.filter) {
      // The filter is compiled after the interface is activated: if the interface opens without it, the
      // filter was the problem. (The probe session is left to process.exit, like the others.)
      let opensWithout = false;
      try {
        this.pcap.createSession(name, { ...this.sessionOptions(name, undefined), buffer_size: 1 << 16, snap_length: 128 });
        opensWithout = true;
      } catch {
        // the interface itself is the problem
      }
      if (opensWithout) return new CliError(`bad capture filter '${this.opts.filter}' (on ${name}): ${msg}`);
    }
    if (permissionProblem(msg)) return new CliError(`cannot capture on ${name}: ${msg} (capture needs root or CAP_NET_RAW)`);
    if (noSuchDevice(msg)) return new CliError(`no such interface: ${name} (libpcap: ${msg}); mptcpscope live -D lists the interfaces`);
    return new CliError(`cannot capture on ${name}: ${msg}`);
  }

  /** Stops handing out packets (sessions stay open until the process exits); settles pending losses. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    for (const [i, f] of this.failing) {
      const st = i.sysfs ? sysState(i.name) : 'unknown';
      if (st === 'gone') this.lose(i, 'the interface disappeared');
      else this.settle(i, f.status, st);
    }
  }

  /** libpcap's counters of every interface (undefined where they cannot be read). */
  stats(): Array<PcapStats | undefined> {
    return this.ifaces.map((i) => {
      try {
        return i.session.stats();
      } catch {
        return undefined;
      }
    });
  }

  /** Interfaces still capturing. */
  get active(): number {
    return this.ifaces.filter((i) => i.state !== 'lost').length;
  }
}
