/**
 * The bytes of one packet as captured, for the bytes pane and the detail pane's checks, read on demand from
 * the capture file at the record's offset (the index keeps only the headers: no payload is held in memory).
 * A gzip file or a live capture has no offsets to read from: then the kept headers are what there is.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { PacketIndex } from './packet-index.js';

export interface PacketBytes {
  bytes: Buffer;
  /** Every captured byte (false: only the kept headers). */
  complete: boolean;
}

export class PacketBytesReader {
  private fd: number | null = null;
  private usable: boolean;

  /** `path`: the capture file (null for live capture). */
  constructor(private readonly path: string | null) {
    this.usable = path !== null;
  }

  private open(): number | null {
    if (!this.usable || this.path === null) return null;
    if (this.fd !== null) return this.fd;
    try {
      const fd = openSync(this.path, 'r');
      const magic = Buffer.alloc(2);
      readSync(fd, magic, 0, 2, 0);
      // Offsets in a gzip file are offsets in the decompressed stream: not readable in place.
      if (magic[0] === 0x1f && magic[1] === 0x8b) { closeSync(fd); this.usable = false; return null; }
      this.fd = fd;
      return fd;
    } catch {
      this.usable = false;
      return null;
    }
  }

  /** The bytes of index position i: all of them when the file can be read, else the kept headers. */
  read(index: PacketIndex, i: number): PacketBytes {
    const caplen = index.capLen[i];
    const pos = index.pos[i];
    const fd = pos >= 0 ? this.open() : null;
    if (fd !== null) {
      const buf = Buffer.alloc(caplen);
      try {
        if (readSync(fd, buf, 0, caplen, pos) === caplen) return { bytes: buf, complete: true };
      } catch {
        // fall back to the headers
      }
    }
    const h = index.headers(i);
    return { bytes: Buffer.from(h), complete: h.length >= caplen };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export interface HexLine {
  /** The offset column, the hex and the ASCII columns. */
  text: string;
  /** Character ranges [from, to) of `text` to highlight (the selected field's bytes). */
  marks: Array<[number, number]>;
}

const printable = (c: number): string => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.');

/**
 * A hex dump as Wireshark's bytes pane shows it: 16 bytes a line, offset, hex in two groups of 8, ASCII;
 * bytes in [hlFrom, hlTo) are marked in both columns.
 */
export function hexDumpLines(bytes: Buffer, hlFrom = -1, hlTo = -1): HexLine[] {
  const out: HexLine[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const n = Math.min(16, bytes.length - off);
    let hex = '';
    let ascii = '';
    const marks: Array<[number, number]> = [];
    const prefix = off.toString(16).padStart(4, '0') + '  ';
    const asciiStart = prefix.length + 16 * 3 + 1 + 1;
    for (let k = 0; k < 16; k++) {
      if (k === 8) hex += ' ';
      if (k < n) {
        const at = off + k;
        const col = prefix.length + hex.length;
        hex += bytes[at].toString(16).padStart(2, '0') + ' ';
        ascii += printable(bytes[at]);
        if (at >= hlFrom && at < hlTo) {
          marks.push([col, col + 2]);
          marks.push([asciiStart + k, asciiStart + k + 1]);
        }
      } else hex += '   ';
    }
    out.push({ text: `${prefix}${hex} ${ascii}`, marks: mergeMarks(marks) });
  }
  return out;
}

/** Joins touching and overlapping ranges (neighbouring hex bytes highlight as one run, spaces included). */
function mergeMarks(m: Array<[number, number]>): Array<[number, number]> {
  m.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const r of m) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}
