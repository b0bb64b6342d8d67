/**
 * Follow Stream for the TUI: one session's data-level byte streams, whole, read page by page.
 *
 * For a capture file the streams are rebuilt by a second analysis pass over the file (the same engine as
 * `follow`), each direction spooled to a temporary file as it is delivered; the view reads only the bytes it
 * shows. Nothing of the stream stays in memory. For a live capture there is no file to read again: the view
 * has the bounded preview the model keeps (the first 64 KiB per direction) and says so.
 */
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, basename, join } from 'node:path';
import { analyzeFile } from '../analyze/analyze-file.js';
import type { StreamSink } from '../analyze/data-stream.js';
import type { StreamPreview } from './stream-preview.js';

export interface StreamGap {
  /** Position in the delivered bytes where the gap falls. */
  at: number;
  /** Data-level offset and length of what is missing. */
  offset: number;
  length: number;
  reason: string;
}

export interface StreamPages {
  /** Bytes delivered in direction d (0 c2s, 1 s2c) that can be read. */
  length(d: number): number;
  read(d: number, from: number, len: number): Buffer;
  gaps(d: number): readonly StreamGap[];
  /** A line about what is shown (e.g. only a preview). */
  note?: string;
  /** Writes direction d to `path` (atomically); false when this source cannot. */
  save(d: number, path: string): void;
  close(): void;
}

const MAX_GAPS = 10_000;

class SpoolSink implements StreamSink {
  length = 0;
  readonly gaps: StreamGap[] = [];
  constructor(private readonly fd: number) {}

  data(_offset: number, bytes: Buffer): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.length + done);
    this.length += bytes.length;
  }

  gap(offset: number, length: number, reason: string): void {
    if (this.gaps.length < MAX_GAPS) this.gaps.push({ at: this.length, offset, length, reason });
  }
}

/** A session's streams spooled to temporary files by a second pass over the capture file. */
export class SpooledStreams implements StreamPages {
  private constructor(private readonly dir: string, private readonly fds: [number, number], private readonly sinks: [SpoolSink, SpoolSink], private readonly paths: [string, string]) {}

  static async build(file: string, session: number): Promise<SpooledStreams> {
    const dir = mkdtempSync(join(tmpdir(), 'mptcpscope-follow-'));
    const paths: [string, string] = [join(dir, 'c2s.bin'), join(dir, 's2c.bin')];
    const fds: [number, number] = [openSync(paths[0], 'w+'), openSync(paths[1], 'w+')];
    const sinks: [SpoolSink, SpoolSink] = [new SpoolSink(fds[0]), new SpoolSink(fds[1])];
    try {
      await analyzeFile(file, {}, {
        listener: {
          session: (s) => {
            if (s.id !== session) return;
            s.streams[0].sink = sinks[0];
            s.streams[1].sink = sinks[1];
          },
        },
      });
    } catch (err) {
      for (const fd of fds) closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return new SpooledStreams(dir, fds, sinks, paths);
  }

  length(d: number): number {
    return this.sinks[d].length;
  }

  read(d: number, from: number, len: number): Buffer {
    const n = Math.max(0, Math.min(len, this.sinks[d].length - from));
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fds[d], buf, got, n - got, from + got);
      if (r <= 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  }

  gaps(d: number): readonly StreamGap[] {
    return this.sinks[d].gaps;
  }

  save(d: number, path: string): void {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      copyFileSync(this.paths[d], tmp);
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  close(): void {
    for (const fd of this.fds) {
      try { closeSync(fd); } catch { /* closed */ }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The bounded previews of a live session (nothing to read again). */
export class PreviewStreams implements StreamPages {
  readonly note: string;
  constructor(private readonly pv: [StreamPreview, StreamPreview]) {
    this.note = `live capture: the first ${pv[0].limit / 1024} KiB of each direction (follow the -w file afterwards for all of it)`;
  }

  length(d: number): number {
    return this.pv[d].length;
  }

  read(d: number, from: number, len: number): Buffer {
    const p = this.pv[d];
    return p.bytes.subarray(Math.min(from, p.length), Math.min(p.length, from + len));
  }

  gaps(d: number): readonly StreamGap[] {
    return this.pv[d].gaps;
  }

  save(d: number, path: string): void {
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, this.read(d, 0, this.length(d)));
      closeSync(fd);
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  close(): void {
    // nothing held
  }
}

export type FollowMode = 'ascii' | 'hex' | 'raw';

export interface PageLine {
  text: string;
  kind: 'data' | 'gap' | 'heading' | 'note';
}

const printable = (c: number): string => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.');

/** Bytes per line in hex and raw modes for a width. */
export function bytesPerLine(mode: FollowMode, width: number): number {
  if (mode === 'hex') return 16;
  return Math.max(4, Math.floor(width / 2));
}

/**
 * The lines of one page of direction d from byte `from`: `rows` lines at most, gaps where they fall.
 * Returns the lines and the byte position just after the last byte shown.
 */
export function pageLines(src: StreamPages, d: number, mode: FollowMode, from: number, rows: number, width: number): { lines: PageLine[]; next: number } {
  const lines: PageLine[] = [];
  const total = src.length(d);
  const gaps = src.gaps(d);
  let g = 0;
  while (g < gaps.length && gaps[g].at < from) g++;
  const dname = d === 0 ? 'c2s' : 's2c';
  let pos = from;
  const chunk = src.read(d, from, Math.max(4096, rows * Math.max(16, width) * 2));
  const at = (k: number): number => chunk[k - from];
  while (lines.length < rows) {
    while (g < gaps.length && gaps[g].at === pos && lines.length < rows) {
      const gp = gaps[g++];
      lines.push({ text: `[gap in ${dname}: ${gp.length} bytes missing at data offset ${gp.offset} (${gp.reason})]`, kind: 'gap' });
    }
    if (lines.length >= rows || pos >= total || pos - from >= chunk.length) break;
    const nextGap = g < gaps.length ? gaps[g].at : Infinity;
    const limit = Math.min(total, nextGap, from + chunk.length);
    if (mode === 'ascii') {
      let s = '';
      let p = pos;
      while (p < limit && s.length < width) {
        const c = at(p++);
        if (c === 0x0a) break;
        s += c === 0x09 ? ' ' : printable(c);
      }
      lines.push({ text: s, kind: 'data' });
      pos = p;
    } else {
      const per = bytesPerLine(mode, width);
      const end = Math.min(limit, pos + per);
      let hex = '';
      let txt = '';
      for (let p = pos; p < end; p++) {
        const c = at(p);
        if (mode === 'hex') {
          hex += (p - pos === 8 ? ' ' : '') + c.toString(16).padStart(2, '0') + ' ';
          txt += printable(c);
        } else hex += c.toString(16).padStart(2, '0');
      }
      lines.push({ text: mode === 'hex' ? `${pos.toString(16).padStart(8, '0')}  ${hex.padEnd(49)} ${txt}` : hex, kind: 'data' });
      pos = end;
    }
  }
  return { lines, next: pos };
}

/** Where the page before `from` starts (ascii: line breaks looked for backwards; hex/raw: fixed lines). */
export function previousPageStart(src: StreamPages, d: number, mode: FollowMode, from: number, rows: number, width: number): number {
  if (from <= 0) return 0;
  if (mode !== 'ascii') {
    const per = bytesPerLine(mode, width);
    const aligned = Math.ceil(from / per) * per;
    return Math.max(0, aligned - rows * per);
  }
  // Step back one line at a time: a line ends at a newline or after `width` characters.
  let pos = from;
  for (let r = 0; r < rows && pos > 0; r++) pos = previousLineStart(src, d, pos, width);
  return pos;
}

function previousLineStart(src: StreamPages, d: number, from: number, width: number): number {
  const back = Math.min(from, width + 1);
  const b = src.read(d, from - back, back);
  // b[back-1] is the byte just before `from`: a newline ending the previous line belongs to it.
  let k = back - 1;
  if (k >= 0 && b[k] === 0x0a) k--;
  for (; k >= 0; k--) if (b[k] === 0x0a) return from - back + k + 1;
  return Math.max(0, from - Math.min(width, from));
}
