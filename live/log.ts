/**
 * The live log: one line per event worth seeing while the capture runs (new session, join with its HMAC
 * verdict, ADD_ADDR/REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST, fallback, DATA_FIN, subflow FIN and RST) and one per
 * finding, fed by the engine's listener; plus the status line drawn on a terminal.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { EngineListener } from '../analyze/engine.js';
import type { Session } from '../analyze/model.js';
import type { Finding, SessionEvent } from '../analyze/report-types.js';
import type { CaptureRecord } from '../dissect/record.js';
import { relativeDsnText } from '../analyze/relative-dsn.js';

/** Local time of day with microseconds, as tcpdump prints it. */
export function clockText(tsSec: number, usec: number): string {
  const d = new Date(tsSec * 1000);
  const p2 = (v: number): string => String(v).padStart(2, '0');
  return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(usec).padStart(6, '0')}`;
}

export function rateText(bytesPerSecond: number): string {
  const bits = bytesPerSecond * 8;
  if (bits >= 1e9) return `${(bits / 1e9).toFixed(2)} Gbit/s`;
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(2)} Mbit/s`;
  return `${(bits / 1e3).toFixed(1)} kbit/s`;
}

const who = (e: SessionEvent): string => (e.dir === 's2c' ? 'server' : 'client');

/** The text of an event worth a line, or null. */
export function eventText(s: Session, e: SessionEvent): string | null {
  const sub = e.subflow !== undefined ? s.subflows[e.subflow] : undefined;
  switch (e.type) {
    case 'MP_CAPABLE':
      if (e.phase !== 'SYN') return null;
      return `new MPTCP v${e.version} session ${e.client} → ${e.server}${e.checksum ? ' (DSS checksums requested)' : ''}`;
    case 'MP_JOIN_ESTABLISHED': {
      if (!sub) return `subflow ${e.subflow} joined: HMAC ${e.hmac}`;
      const ids = `${sub.dirs[0].addressId ?? '?'}/${sub.dirs[1].addressId ?? '?'}`;
      const backup = sub.dirs[0].backup || sub.dirs[1].backup ? ', backup' : '';
      return `subflow ${e.subflow} joined ${sub.clientText} → ${sub.serverText} (address ids ${ids}${backup}): HMAC ${e.hmac}`;
    }
    case 'ADD_ADDR': {
      const port = e.port !== undefined ? ` port ${e.port}` : '';
      const hmac = e.hmac !== undefined ? `, HMAC ${e.hmac}` : '';
      return `${who(e)} ${e.echo ? 'echoes' : 'announces'} ADD_ADDR id ${e.addressId} ${e.address}${port}${hmac}`;
    }
    case 'REMOVE_ADDR':
      return `${who(e)} sends REMOVE_ADDR id ${(e.addressIds as number[] | undefined)?.join(',') ?? '?'}`;
    case 'MP_PRIO':
      return `${who(e)} sends MP_PRIO on subflow ${e.subflow}: backup ${e.backup ? 'on' : 'off'}${e.addressId !== undefined ? ` for address id ${e.addressId}` : ''}`;
    case 'MP_FAIL':
      return `${who(e)} sends MP_FAIL on subflow ${e.subflow} at DSN ${relativeDsnText(s, e, String(e.dsn))}: corrupted data`;
    case 'MP_FASTCLOSE':
      return `${who(e)} sends MP_FASTCLOSE on subflow ${e.subflow}: session closed abruptly`;
    case 'MP_TCPRST':
      return `${who(e)} resets subflow ${e.subflow} with MP_TCPRST (${e.reasonName})`;
    case 'FALLBACK':
      return `fell back to plain TCP: ${e.reason}`;
    case 'DATA_FIN':
      return `${who(e)} sends DATA_FIN`;
    case 'FIN':
      return `${who(e)} closes subflow ${e.subflow} (FIN)${sub && sub.closed === 'FIN' ? ': both sides closed' : ''}`;
    case 'RST':
      return `${who(e)} resets subflow ${e.subflow} (RST)`;
    default:
      return null;
  }
}

export interface LiveLogOptions {
  /** Writes one line (without its newline). */
  write(line: string): void;
  color: boolean;
  /** Interface names by index. */
  ifaceNames: string[];
}

/** Turns engine callbacks into log lines; `current` is the record being analyzed (for time and interface). */
export class LiveLog {
  current: CaptureRecord | null = null;
  private readonly c: ChalkInstance;
  private readonly width: number;
  /** `${n}|${type}` of the last event line: a finding with the same code on the same packet says it again. */
  private lastEvent = '';
  lines = 0;

  constructor(private readonly opts: LiveLogOptions) {
    this.c = new Chalk({ level: opts.color ? 1 : 0 });
    this.width = Math.max(3, ...opts.ifaceNames.map((n) => n.length));
  }

  private prefix(n?: number): string {
    const r = this.current;
    let time: string;
    let iface = '';
    if (r) {
      time = clockText(r.tsSec, Math.floor(r.tsNsec / 1000));
      iface = this.opts.ifaceNames[r.iface] ?? String(r.iface);
    } else {
      const now = Date.now();
      time = clockText(Math.floor(now / 1000), (now % 1000) * 1000);
      iface = '-';
    }
    const num = n !== undefined ? `#${n}` : '';
    return `${this.c.dim(time)} ${iface.padEnd(this.width)} ${num.padEnd(7)}`;
  }

  /** With a display filter: lines about the current record wait for `release()`. */
  holding = false;
  private held: string[] = [];

  line(text: string, n?: number): void {
    const l = `${this.prefix(n)} ${text}`;
    if (this.holding && this.current) { this.held.push(l); return; }
    this.lines++;
    this.opts.write(l);
  }

  /** The current record passed the display filter (its held lines are written) or not (they are dropped). */
  release(show: boolean): void {
    const held = this.held;
    this.held = [];
    if (!show) return;
    for (const l of held) { this.lines++; this.opts.write(l); }
  }

  listener(): EngineListener {
    return {
      event: (s, e) => {
        const text = eventText(s, e);
        if (text === null) return;
        this.lastEvent = `${e.n}|${e.type}`;
        const t = e.type === 'MP_CAPABLE' ? this.c.bold(text) : e.type === 'MP_FAIL' ? this.c.red(text) : text;
        this.line(`session ${s.id}: ${t}`, e.n);
      },
      finding: (f) => this.finding(f),
    };
  }

  finding(f: Finding): void {
    const n = f.packets[0];
    if (n !== undefined && this.lastEvent === `${n}|${f.code}`) return;
    const sev = f.severity === 'error' ? this.c.red('ERROR') : f.severity === 'warning' ? this.c.yellow('WARNING') : this.c.cyan('INFO');
    const where = f.session !== undefined ? ` session ${f.session}${f.subflow !== undefined ? ` subflow ${f.subflow}` : ''}` : '';
    this.line(`${sev} ${f.code}${where}: ${f.message}`, n);
  }
}
