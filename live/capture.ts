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
  /**
   * down: the interface went down; capture on it resumes (a new session) when it comes back up.
   * lost: the interface disappeared (or failed), and capture on it stopped for good.
   */
  state: 'capturing' | 'down' | 'lost';
  /** Why it was lost, e.g. 'the interface disappeared'. */
  lostReason?: string;
  packets: number;
  bytes: number;
  /** /sys/class/net/NAME existed when the capture started, so it can tell whether the interface is still there. */
  sysfs: boolean;
  /** Counters of the capture sessions replaced by a reopen, as they were then. */
  retired: Array<PcapStats | undefined>;
  /** When the interface was down (ms since the epoch; `to` null while it still is). */
  downPeriods: Array<{ from: number; to: number | null }>;
}

export interface LiveCaptureHooks {
  /** Each packet, in arrival order. The record and its data are the receiver's to keep. */
  onRecord(rec: CaptureRecord): void;
  /** An interface disappeared (or failed): capture on it has stopped for good (`iface.lostReason` says why). */
  onInterfaceLost(iface: LiveInterface): void;
  /** An interface went down: capture on it waits for it to come back. */
  onInterfaceDown?(iface: LiveInterface): void;
  /** A down interface came back up and capture on it was reopened (its last down period is closed). */
  onInterfaceUp?(iface: LiveInterface): void;
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
  /** Which packets each capture session hands out (µs since the epoch, from inclusive, to exclusive). */
  private readonly bounds = new Map<PcapSessionLike, { fromUs: number; toUs: number }>();
  /** Inside libpcap's dispatch (a packet callback): it must not be entered again. */
  private dispatching = false;

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
      sysfs: name !== 'any' && existsSync(sysPath(name)), retired: [], downPeriods: [],
    };
    if (linktype < 0) throw new CliError(`cannot capture on ${name}: unknown link type (${session.link_type})`);
    this.ifaces.push(iface);
    this.attach(iface, session, 0);
  }

  /**
   * Hands the packets of one capture session of an interface out as records, those stamped at or after
   * `fromUs` (µs since the epoch; a reopened session starts where the old one's drain ended), and watches
   * its reads for errors.
   */
  private attach(iface: LiveInterface, session: PcapSessionLike, fromUs: number): void {
    const bounds = { fromUs, toUs: Infinity };
    this.bounds.set(session, bounds);
    const linktype = iface.linktype;
    session.on('packet', (p) => {
      if (this.stopped) return;
      try {
        const h = p.header;
        const tsSec = LE ? h.readUInt32LE(0) : h.readUInt32BE(0);
        const tsUsec = LE ? h.readUInt32LE(4) : h.readUInt32BE(4);
        const ts = tsSec * 1e6 + tsUsec;
        // Around a reopen both sessions see the same packets: each is taken from one of them only.
        if (ts < bounds.fromUs || ts >= bounds.toUs) return;
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
    // (break) means the interface went down (PCAP_ERROR_IFACE_NOT_UP, -9) or disappeared (PCAP_ERROR); libuv
    // then stops polling the socket, so what follows is settled by watch(): down (wait for it to come back and
    // reopen) or gone (lost).
    const inner = session.session;
    inner.read_callback = () => {
      if (this.stopped || iface.session !== session || iface.state !== 'capturing') return;
      const r = this.dispatch(session);
      if (r >= 0 || r === -2 || this.stopped) return;
      if (!this.failing.has(iface)) this.failing.set(iface, { status: r, since: Date.now() });
      this.watch();
    };
  }

  /** Reads everything the session's ring holds now; libpcap's result (negative: an error). */
  private dispatch(session: PcapSessionLike): number {
    if (this.dispatching) return 0; // never re-enter libpcap from inside its own callback
    this.dispatching = true;
    try {
      return session.session.dispatch(session.buf, session.header);
    } catch {
      return -1;
    } finally {
      this.dispatching = false;
    }
  }

  /**
   * Looks after the interfaces. One whose /sys entry went is lost, one whose IFF_UP flag went off is down
   * (after it goes down the kernel reports an error on the capture socket and libuv stops polling it), and a
   * down one whose flag comes back is reopened. Before an interface is given up, what its capture ring still
   * holds is read. For one whose read failed, the reason is settled here: the kernel reports the error while
   * it unregisters the device, a moment before its /sys entry goes.
   */
  private watch(): void {
    for (const i of this.ifaces) {
      if (!i.sysfs || i.state === 'lost') continue;
      const st = sysState(i.name);
      if (st === 'gone') this.lose(i, 'the interface disappeared');
      else if (i.state === 'capturing' && st === 'down') this.down(i);
      else if (i.state === 'down' && st === 'up') this.reopen(i);
    }
    for (const [i, f] of this.failing) {
      if (i.state !== 'capturing') { this.failing.delete(i); continue; }
      const st = i.sysfs ? sysState(i.name) : 'unknown';
      if (st === 'gone') this.lose(i, 'the interface disappeared');
      else if (st === 'down' || (st === 'unknown' && f.status === -9)) this.down(i);
      else if (st === 'up') {
        // It went down and came back between two looks: a flap.
        this.down(i);
        this.reopen(i);
      } else if (Date.now() - f.since >= 1000 || this.stopped) this.lose(i, 'the interface disappeared or failed (libpcap read error)');
    }
  }

  /** The interface went down: what its ring holds is read, then it waits for the interface to come back. */
  private down(i: LiveInterface): void {
    this.failing.delete(i);
    if (i.state !== 'capturing') return;
    this.dispatch(i.session);
    i.state = 'down';
    i.downPeriods.push({ from: Date.now(), to: null });
    this.hooks.onInterfaceDown?.(i);
  }

  /**
   * The interface is up again: a new capture session is opened on it (the old socket is no longer polled).
   * The old socket saw the packets from the moment the link came back until now: they are read from it, up
   * to a cut just after the new session started, and the new session's packets are taken from that cut on.
   */
  private reopen(i: LiveInterface): void {
    if (this.stopped || i.state !== 'down') return;
    let next: PcapSessionLike;
    try {
      next = this.pcap.createSession(i.name, this.sessionOptions(i.name, this.opts.filter));
    } catch {
      return; // not ready yet: tried again on the next look
    }
    const cutUs = (Date.now() + 1) * 1000;
    const old = i.session;
    const oldBounds = this.bounds.get(old);
    if (oldBounds) oldBounds.toUs = cutUs;
    i.state = 'capturing';
    this.dispatch(old);
    i.retired.push(this.statsOf(old));
    i.session = next;
    this.attach(i, next, cutUs);
    const period = i.downPeriods[i.downPeriods.length - 1];
    if (period && period.to === null) period.to = Date.now();
    this.hooks.onInterfaceUp?.(i);
  }

  private statsOf(session: PcapSessionLike): PcapStats | undefined {
    try {
      return session.stats();
    } catch {
      return undefined;
    }
  }

  private lose(i: LiveInterface, reason: string): void {
    this.failing.delete(i);
    if (i.lostReason !== undefined) return;
    // Whatever is still in the ring was captured: read it before giving the interface up.
    if (i.state === 'capturing') this.dispatch(i.session);
    i.state = 'lost';
    i.lostReason = reason;
    const period = i.downPeriods[i.downPeriods.length - 1];
    if (period && period.to === null) period.to = Date.now();
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

  /**
   * Stops handing out packets (sessions stay open until the process exits), after reading what the
   * capturing interfaces' rings hold (unless called from inside a packet callback, e.g. by -c); settles
   * pending losses.
   */
  stop(): void {
    if (this.stopped) return;
    for (const i of this.ifaces) if (i.state === 'capturing' && !this.failing.has(i)) this.dispatch(i.session);
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    for (const [i, f] of this.failing) {
      const st = i.sysfs ? sysState(i.name) : 'unknown';
      if (st === 'gone') this.lose(i, 'the interface disappeared');
      else if (st === 'down' || f.status === -9) this.down(i);
      else this.lose(i, `a read error (libpcap status ${f.status})`);
    }
  }

  /**
   * libpcap's counters of every interface (undefined where they cannot be read): for an interface that was
   * reopened, the sum over its capture sessions, each counted up to when it was replaced.
   */
  stats(): Array<PcapStats | undefined> {
    return this.ifaces.map((i) => {
      let sum = this.statsOf(i.session);
      for (const r of i.retired) {
        if (!sum || !r) { sum = undefined; break; }
        sum = { ps_recv: sum.ps_recv + r.ps_recv, ps_drop: sum.ps_drop + r.ps_drop, ps_ifdrop: sum.ps_ifdrop + r.ps_ifdrop };
      }
      return sum;
    });
  }

  /** Interfaces not lost (capturing, or down and waiting to come back). */
  get active(): number {
    return this.ifaces.filter((i) => i.state !== 'lost').length;
  }
}
