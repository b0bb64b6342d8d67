/**
 * `follow`: a session's data-level byte stream, like Wireshark's Follow TCP Stream at the MPTCP level.
 * Bytes are printed as the reassembler delivers them; gaps are reported, never filled.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFile } from '../analyze/analyze-file.js';
import type { StreamSink } from '../analyze/data-stream.js';
import type { Session } from '../analyze/model.js';
import { StdoutBatcher } from './output.js';
import { CliError } from '../common/cli-error.js';
import { cannotWrite } from '../common/write-error.js';
import { warn } from './warn.js';

export type FollowMode = 'ascii' | 'hex' | 'raw';
export type FollowDir = 'c2s' | 's2c' | 'both';

export interface FollowOptions {
  session?: number;
  dir: FollowDir;
  mode: FollowMode;
  exportDir?: string;
}

const DIR_NAMES = ['c2s', 's2c'] as const;

function asciiText(b: Buffer): string {
  let s = '';
  for (const c of b) s += c === 0x0a || c === 0x09 || (c >= 0x20 && c < 0x7f) ? String.fromCharCode(c) : '.';
  return s;
}

function hexLines(b: Buffer, offset: number): string {
  let out = '';
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    const hex = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const txt = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    out += `${(offset + i).toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${txt}\n`;
  }
  return out;
}

/** Prints one session's stream(s) to stdout. */
class FollowPrinter {
  private lastDir = -1;
  constructor(private readonly out: StdoutBatcher, private readonly mode: FollowMode, private readonly both: boolean) {}

  sink(dir: number): StreamSink {
    return {
      data: (offset, bytes) => this.data(dir, offset, bytes),
      gap: (offset, length, reason, packet) => this.gap(dir, offset, length, reason, packet),
    };
  }

  private header(dir: number, offset: number): void {
    if (this.mode === 'raw' || (this.lastDir === dir && !this.both)) return;
    if (this.lastDir !== dir) this.out.write(`${this.lastDir >= 0 && this.mode === 'ascii' ? '\n' : ''}=== ${DIR_NAMES[dir]} at data offset ${offset} ===\n`);
    this.lastDir = dir;
  }

  private data(dir: number, offset: number, bytes: Buffer): void {
    if (this.mode === 'raw') { this.out.flush(); process.stdout.write(Buffer.from(bytes)); return; }
    this.header(dir, offset);
    this.out.write(this.mode === 'hex' ? hexLines(bytes, offset) : asciiText(bytes));
  }

  private gap(dir: number, offset: number, length: number, reason: string, packet: number): void {
    const msg = `[gap in ${DIR_NAMES[dir]}: ${length} bytes missing at data offset ${offset} (${reason}${packet >= 0 ? `, see packet ${packet}` : ''})]`;
    if (this.mode === 'raw') { warn(msg.slice(1, -1)); return; }
    this.header(dir, offset);
    this.out.write(`${this.mode === 'ascii' ? '\n' : ''}${msg}\n`);
  }
}

/** Writes every direction to a temporary file; complete ones are renamed into place at the end. */
class Exporter {
  private readonly files = new Map<string, { fd: number; tmp: string; target: string }>();
  constructor(private readonly dir: string) {
    try { mkdirSync(dir, { recursive: true }); } catch (err) { throw cannotWrite(dir, err, 'create'); }
  }

  attach(s: Session): void {
    for (let d = 0; d < 2; d++) {
      const target = join(this.dir, `session-${s.id}-${DIR_NAMES[d]}.bin`);
      const tmp = `${target}.${process.pid}.tmp`;
      let fd: number;
      try { fd = openSync(tmp, 'w'); } catch (err) { throw cannotWrite(target, err); }
      this.files.set(`${s.id}/${d}`, { fd, tmp, target });
      const write = (bytes: Buffer): void => {
        try {
          for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
        } catch (err) {
          throw cannotWrite(target, err);
        }
      };
      s.streams[d].sink = { data: (_o, bytes) => write(bytes), gap: () => undefined };
    }
  }

  finish(sessions: Session[]): string[] {
    const lines: string[] = [];
    for (const s of sessions) {
      for (let d = 0; d < 2; d++) {
        const f = this.files.get(`${s.id}/${d}`);
        if (!f) continue;
        const st = s.streams[d];
        try {
          closeSync(f.fd);
          f.fd = -1;
          if (st.complete) renameSync(f.tmp, f.target);
        } catch (err) {
          throw cannotWrite(f.target, err);
        }
        if (st.complete) lines.push(`${f.target}: ${st.delivered} bytes`);
        else { rmSync(f.tmp, { force: true }); lines.push(`session ${s.id} ${DIR_NAMES[d]}: not exported, incomplete (${st.missing} bytes missing)`); }
      }
    }
    return lines;
  }

  abort(): void {
    for (const f of this.files.values()) {
      if (f.fd >= 0) try { closeSync(f.fd); } catch { /* already closed */ }
      rmSync(f.tmp, { force: true });
    }
  }
}

export async function runFollow(file: string, opts: FollowOptions): Promise<void> {
  if (opts.exportDir === undefined && opts.session === undefined) throw new CliError('follow needs --session ID (or --export DIR)');
  if (opts.mode === 'raw' && opts.dir === 'both') throw new CliError('--raw needs --dir c2s or --dir s2c (two raw streams cannot share stdout)');
  const out = new StdoutBatcher();
  const printer = new FollowPrinter(out, opts.mode, opts.dir === 'both');
  const exporter = opts.exportDir !== undefined ? new Exporter(opts.exportDir) : null;
  const onAbort = (): void => { exporter?.abort(); process.exit(130); };
  process.once('SIGINT', onAbort);
  process.once('SIGTERM', onAbort);
  try {
    const res = await analyzeFile(file, {}, {
      onWarning: warn,
      diagnosis: false,
      listener: {
        session: (s) => {
          if (exporter) { exporter.attach(s); return; }
          if (s.id !== opts.session) return;
          for (let d = 0; d < 2; d++) if (opts.dir === 'both' || opts.dir === DIR_NAMES[d]) s.streams[d].sink = printer.sink(d);
        },
      },
    });
    out.flush();
    if (exporter) {
      for (const line of exporter.finish(res.engine.sessions)) process.stderr.write(`${line}\n`);
      return;
    }
    const n = res.engine.sessions.length;
    if (opts.session! >= n) throw new CliError(`no session ${opts.session} in ${file} (it has ${n} session${n === 1 ? '' : 's'}: ids 0..${Math.max(0, n - 1)})`);
  } catch (err) {
    exporter?.abort();
    throw err;
  }
}
