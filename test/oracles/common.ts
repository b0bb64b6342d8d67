/**
 * Shared helpers of the oracle tests (test/oracle-*.test.ts): the capture index written by
 * test/oracles/refresh.sh, locating each capture, running the built CLI, and reading oracle files.
 */
import { execFile, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MptcpOption } from '../../dissect/mptcp.js';
import type { PacketJson } from '../../dissect/packet-json.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const ORACLES = join(ROOT, 'test', 'oracles');
/** The CLI under test; MPTCPSCOPE_CLI points the tests at another build (e.g. a deliberately broken one). */
export const CLI = process.env.MPTCPSCOPE_CLI ?? join(ROOT, 'dist', 'bin', 'mptcpscope.js');
/** Where the public captures live until they are copied into captures/public/. */
export const SHARED_PUBLIC = process.env.SHARED_PUBLIC ?? '/work/shared/captures-public';

/** One MPTCP option and one packet as printed by `dissect --json` (the types only; values come from the CLI). */
export type JsonOption = Omit<MptcpOption, 'subtypeValue'>;
export type JsonPacket = Omit<PacketJson, 'mptcp'> & { mptcp?: JsonOption[] };

export interface Capture {
  /** Oracle name: path under captures/ without extension, public/<project>/<file> for public captures. */
  name: string;
  /** The capture file to read, or undefined when it is not on this machine. */
  path?: string;
  /** Why the capture cannot be used (missing, or changed since the oracle was written). */
  problem?: string;
  sha256: string;
  frames: number;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every capture listed in test/oracles/index.tsv, located on disk and checked against its sha256. */
export function loadIndex(): Capture[] {
  const index = join(ORACLES, 'index.tsv');
  if (!existsSync(index)) return [];
  const lines = readFileSync(index, 'utf8').split('\n').filter((l) => l.length > 0);
  const out: Capture[] = [];
  for (const line of lines.slice(1)) {
    const [name, source, sum, frames] = line.split('\t');
    const candidates = [
      isAbsolute(source) ? source : join(ROOT, source),
      join(ROOT, 'captures', `${name}.pcap`),
      join(ROOT, 'captures', `${name}.pcapng`),
    ];
    if (name.startsWith('public/')) {
      const rest = name.slice('public/'.length);
      candidates.push(join(SHARED_PUBLIC, `${rest}.pcap`), join(SHARED_PUBLIC, `${rest}.pcapng`));
    }
    const present = [...new Set(candidates)].filter((c) => existsSync(c));
    const match = present.find((c) => sha256(c) === sum);
    const c: Capture = { name, sha256: sum, frames: Number(frames) };
    if (match) c.path = match;
    else if (present.length > 0) c.problem = `${present[0]} changed since its oracle was written: run bash test/oracles/refresh.sh`;
    else c.problem = `capture not found (${source})`;
    out.push(c);
  }
  return out;
}

/** Builds dist/ with `npm run build` when the CLI is missing. */
export function ensureBuilt(): void {
  if (!existsSync(CLI)) execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
}

/** Runs `mptcpscope dissect --json FILE` and returns its packets by frame number. */
export function dissectJson(file: string): Promise<Map<number, JsonPacket>> {
  return new Promise((res, rej) => {
    execFile(process.execPath, [CLI, 'dissect', '--json', file], { maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
      if (err) { rej(new Error(`dissect --json ${file} failed: ${err.message}\n${stderr}`)); return; }
      const m = new Map<number, JsonPacket>();
      for (const line of stdout.split('\n')) {
        if (line.length === 0) continue;
        const p = JSON.parse(line) as JsonPacket;
        m.set(p.n, p);
      }
      res(m);
    });
  });
}

/** A tshark `-T fields -E header=y` file: the header and one record per frame (field -> raw text). */
export interface Tsv {
  header: string[];
  rows: Array<Record<string, string>>;
}

export function readTsv(file: string): Tsv {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0].split('\t');
  const rows = lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const r: Record<string, string> = {};
    header.forEach((h, i) => { r[h] = cells[i] ?? ''; });
    return r;
  });
  return { header, rows };
}

/** A tshark aggregated field (`-E occurrence=a -E aggregator=,`) as a list; empty field -> []. */
export function list(v: string | undefined): string[] {
  return v === undefined || v === '' ? [] : v.split(',');
}

/** Hex text -> decimal text, as tshark prints FT_UINT32/FT_UINT64 fields. */
export function hexToDec(hex: string): string {
  return BigInt(`0x${hex}`).toString();
}

/** The MPTCP subtype number of an option from the JSON (RFC 8684 §7, IANA "MPTCP Option Subtypes"). */
export const SUBTYPE_VALUE: Record<string, number> = {
  MP_CAPABLE: 0, MP_JOIN: 1, DSS: 2, ADD_ADDR: 3, REMOVE_ADDR: 4, MP_PRIO: 5, MP_FAIL: 6, MP_FASTCLOSE: 7,
  MP_TCPRST: 8, MP_EXPERIMENTAL: 15,
};

export function subtypeValue(o: JsonOption): number | undefined {
  const v = SUBTYPE_VALUE[o.subtype];
  if (v !== undefined) return v;
  if (o.raw !== undefined && o.raw.length >= 2) return parseInt(o.raw.slice(0, 1), 16);
  return undefined;
}

/** Bits of a flag-letter string, the first letter being `firstBit` and each next one the bit below. */
export function letterBits(text: string | undefined, letters: string, firstBit: number): number {
  let v = 0;
  for (const ch of text ?? '') {
    const i = letters.indexOf(ch);
    if (i < 0) throw new Error(`unexpected flag letter ${ch} in ${text}`);
    v |= firstBit >> i;
  }
  return v;
}

/** DSS flag byte from its letters (RFC 8684 §3.3 figure 3: F m M a A, bits 4..0). */
export const dssFlagByte = (o: JsonOption): number => letterBits(o.flags, 'FmMaA', 0x10);
/** MP_CAPABLE flag byte from its letters (RFC 8684 §3.1: A..H, bits 7..0). */
export const mpcFlagByte = (o: JsonOption): number => letterBits(o.flags, 'ABCDEFGH', 0x80);
/** MP_TCPRST flag nibble from its letters (RFC 8684 §3.6: U V W T, bits 3..0). */
export const tcprstFlagBits = (o: JsonOption): number => letterBits(o.flags, 'UVWT', 0x08);

/** The DSS length implied by its flags, without checksum (RFC 8684 §3.3 figure 3). */
export function dssBaseLength(flags: number): number {
  let n = 4;
  if (flags & 0x01) n += flags & 0x02 ? 8 : 4;
  if (flags & 0x04) n += (flags & 0x08 ? 8 : 4) + 4 + 2;
  return n;
}

/**
 * Token and IDSN of a key: RFC 8684 §3.1/§3.2 (v1: SHA-256) and RFC 6824 §3.1/§3.2 (v0: SHA-1): the token is
 * the most significant 32 bits of the hash of the key, the IDSN its least significant 64 bits.
 */
export function tokenAndIdsn(keyHex: string, version: number): { token: bigint; idsn: bigint } {
  const h = createHash(version === 0 ? 'sha1' : 'sha256').update(Buffer.from(keyHex, 'hex')).digest();
  return { token: BigInt(h.readUInt32BE(0)), idsn: h.readBigUInt64BE(h.length - 8) };
}

export function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}
