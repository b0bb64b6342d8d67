/**
 * Value kinds of fields (Wireshark's FT_* types grouped by how they compare), how a literal of the filter
 * text becomes a value of a kind, and how values compare. Every value is a plain JS value:
 *   uint/int/bool/framenum: number; u64: bigint; ipv4: number (host order); ipv6, ether, bytes: Buffer;
 *   string: string; reltime/abstime: number (seconds); none: null (presence only).
 */
import { FilterError } from './errors.js';
import { parseBigInteger, parseInteger } from './parser.js';

export type Kind = 'uint' | 'int' | 'u64' | 'bool' | 'framenum' | 'ipv4' | 'ipv6' | 'ether' | 'bytes' | 'string' | 'reltime' | 'abstime' | 'none';

export type Value = number | bigint | Buffer | string | null;

/** A literal value: the value and, for addresses, a CIDR prefix length. */
export interface Literal {
  v: Value;
  /** For ipv4/ipv6: the prefix length when written as CIDR, else -1. */
  prefix: number;
}

export const isNumeric = (k: Kind): boolean => k === 'uint' || k === 'int' || k === 'bool' || k === 'framenum' || k === 'reltime' || k === 'abstime';
export const isBytesLike = (k: Kind): boolean => k === 'bytes' || k === 'ether' || k === 'ipv6' || k === 'none';

const KIND_NAMES: Record<Kind, string> = {
  uint: 'unsigned integer', int: 'signed integer', u64: 'unsigned integer (8 bytes)', bool: 'boolean',
  framenum: 'frame number', ipv4: 'IPv4 address', ipv6: 'IPv6 address', ether: 'Ethernet address',
  bytes: 'byte sequence', string: 'character string', reltime: 'time offset', abstime: 'date and time', none: 'label',
};
export const kindName = (k: Kind): string => KIND_NAMES[k];

function bad(text: string, kind: Kind, pos: number, len: number, why = ''): FilterError {
  return new FilterError(`"${text}" is not a valid ${kindName(kind)}${why ? ` (${why})` : ''}`, pos, len, 'value');
}

/** Bytes written as hex pairs separated by ':', '.', '-' (or one run of hex pairs, or a single hex byte). */
export function parseBytes(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{1,2}([:.\-][0-9a-fA-F]{1,2})*$/.test(text)) {
    return Buffer.from(text.split(/[:.\-]/).map((h) => parseInt(h, 16)));
  }
  if (/^([0-9a-fA-F]{2})+$/.test(text)) return Buffer.from(text, 'hex');
  return null;
}

export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function parseIpv6(text: string): Buffer | null {
  let s = text;
  const out = Buffer.alloc(16);
  // A dotted IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIpv4(v4[2]);
    if (n === null) return null;
    s = `${v4[1]}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const g = h.split(':');
    if (g.some((x) => !/^[0-9a-fA-F]{1,4}$/.test(x))) return null;
    return g.map((x) => parseInt(x, 16));
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return null;
  head.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  tail.forEach((g, i) => out.writeUInt16BE(g, 16 - (tail.length - i) * 2));
  return out;
}

const TRUE_WORDS = new Set(['true', 'True', 'TRUE']);
const FALSE_WORDS = new Set(['false', 'False', 'FALSE']);

/**
 * Reads an unquoted word (or a quoted string, `quoted`) as a value of `kind`, Wireshark's way: numbers in any
 * base, booleans as True/False or numbers, addresses with optional /prefix, bytes as hex pairs.
 */
export function parseLiteral(text: string, kind: Kind, quoted: boolean, pos: number, len: number): Literal {
  switch (kind) {
    case 'uint': case 'int': case 'framenum': {
      if (quoted) throw new FilterError(`${kindName(kind)} cannot be converted from a string ("${text}")`, pos, len, 'type');
      const n = parseInteger(text);
      if (n === null || !Number.isSafeInteger(n)) throw bad(text, kind, pos, len);
      if (kind !== 'int' && n < 0) throw bad(text, kind, pos, len, 'negative');
      return { v: n, prefix: -1 };
    }
    case 'u64': {
      if (quoted) throw new FilterError(`${kindName(kind)} cannot be converted from a string ("${text}")`, pos, len, 'type');
      const n = parseBigInteger(text);
      if (n === null || n < 0n || n > 0xffffffffffffffffn) throw bad(text, kind, pos, len);
      return { v: n, prefix: -1 };
    }
    case 'bool': {
      if (quoted) throw new FilterError(`${kindName(kind)} cannot be converted from a string ("${text}")`, pos, len, 'type');
      if (TRUE_WORDS.has(text)) return { v: 1, prefix: -1 };
      if (FALSE_WORDS.has(text)) return { v: 0, prefix: -1 };
      const n = parseInteger(text);
      if (n === null) throw bad(text, kind, pos, len, 'use True, False or a number');
      return { v: n !== 0 ? 1 : 0, prefix: -1 };
    }
    case 'reltime': case 'abstime': {
      if (kind === 'abstime') {
        const t = Date.parse(text.includes('T') || !/^\d{4}-/.test(text) ? text : text.replace(' ', 'T'));
        if (!Number.isFinite(t)) throw bad(text, kind, pos, len, 'use ISO 8601, e.g. "2026-07-04T12:34:56Z"');
        const frac = /\.(\d+)/.exec(text);
        return { v: Math.floor(t / 1000) + (frac ? Number(`0.${frac[1]}`) : 0), prefix: -1 };
      }
      if (quoted || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) throw bad(text, kind, pos, len, 'seconds, e.g. 1.5');
      return { v: Number(text), prefix: -1 };
    }
    case 'ipv4': {
      const [addr, pre, extra] = text.split('/');
      const n = extra === undefined ? parseIpv4(addr) : null;
      if (n === null) throw bad(text, kind, pos, len, 'host names are not resolved');
      if (pre === undefined) return { v: n, prefix: -1 };
      const p = /^\d{1,2}$/.test(pre) ? Number(pre) : 99;
      if (p > 32) throw bad(text, kind, pos, len, 'the prefix length is 0 to 32');
      return { v: n, prefix: p };
    }
    case 'ipv6': {
      const [addr, pre, extra] = text.split('/');
      const b = extra === undefined ? parseIpv6(addr) : null;
      if (b === null) throw bad(text, kind, pos, len, 'host names are not resolved');
      if (pre === undefined) return { v: b, prefix: -1 };
      const p = /^\d{1,3}$/.test(pre) ? Number(pre) : 999;
      if (p > 128) throw bad(text, kind, pos, len, 'the prefix length is 0 to 128');
      return { v: b, prefix: p };
    }
    case 'ether': {
      const b = quoted ? null : parseBytes(text);
      if (!b || b.length !== 6) throw bad(text, kind, pos, len, 'six hex bytes, e.g. 00:1b:21:aa:bb:cc');
      return { v: b, prefix: -1 };
    }
    case 'bytes': case 'none': {
      if (quoted) return { v: Buffer.from(text, 'latin1'), prefix: -1 };
      const b = parseBytes(text);
      if (b) return { v: b, prefix: -1 };
      // A hex integer of one byte is a one-byte sequence (wireshark-filter(4), "implicit type conversions").
      const m = /^0[xX]([0-9a-fA-F]{1,2})$/.exec(text);
      if (m) return { v: Buffer.from([parseInt(m[1], 16)]), prefix: -1 };
      throw bad(text, kind, pos, len, 'hex bytes like 16:03:01 or a quoted string');
    }
    case 'string':
      return { v: text, prefix: -1 };
  }
}

/** Three-way comparison of two values of the same kind. */
export function compareValues(kind: Kind, a: Value, b: Value): number {
  switch (kind) {
    case 'u64': return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
    case 'ipv6': case 'ether': case 'bytes': case 'none': return Buffer.compare(a as Buffer, b as Buffer);
    case 'string': return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    default: return (a as number) - (b as number);
  }
}

export function equalValues(kind: Kind, a: Value, b: Value): boolean {
  switch (kind) {
    case 'ipv6': case 'ether': case 'bytes': case 'none': return (a as Buffer).equals(b as Buffer);
    default: return a === b;
  }
}

/** Whether `v` lies in the CIDR block `net/prefix`. */
export function inPrefix(kind: Kind, v: Value, net: Value, prefix: number): boolean {
  if (kind === 'ipv4') {
    if (prefix === 0) return true;
    const mask = prefix >= 32 ? 0xffffffff : (~0 << (32 - prefix)) >>> 0;
    return (((v as number) & mask) >>> 0) === (((net as number) & mask) >>> 0);
  }
  const a = v as Buffer;
  const b = net as Buffer;
  let bits = prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}
