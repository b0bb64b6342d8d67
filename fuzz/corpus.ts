/**
 * The fuzzer's seed corpus: the project's real captures read once into plain packet records, each with the
 * offsets of its IP and TCP headers and its TCP options (found with the project's own decoder on the
 * unmodified bytes), so mutations can aim at length fields instead of only at random bytes.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket } from '../dissect/packet.js';

/** Where a TCP option sits inside a record's data. */
export interface OptionSpot {
  off: number;
  kind: number;
  len: number;
}

/** Header offsets inside a record's data (-1: not there). */
export interface PacketLayout {
  l3: number;
  ipVersion: number;
  tcp: number;
  tcpHl: number;
  options: OptionSpot[];
}

export interface SeedRecord {
  tsSec: number;
  tsNsec: number;
  len: number;
  linktype: number;
  data: Buffer;
  layout: PacketLayout;
}

export interface SeedCapture {
  /** Path relative to the repository root. */
  name: string;
  /** The file as it is on disk. */
  raw: Buffer;
  snaplen: number;
  records: SeedRecord[];
  /** Index of records that carry at least one MPTCP option (to aim windows at MPTCP traffic). */
  mptcpRecords: number[];
}

export interface Corpus {
  captures: SeedCapture[];
}

const NO_LAYOUT: PacketLayout = { l3: -1, ipVersion: 0, tcp: -1, tcpHl: 0, options: [] };

/** Layout of a frame of `linktype`, from the project's decoder (used on unmodified bytes only). */
export function layoutOf(linktype: number, data: Buffer): PacketLayout {
  const p = newDecodedPacket();
  decodePacket({ n: 1, iface: 0, linktype, tsSec: 0, tsNsec: 0, tsDigits: 6, caplen: data.length, len: data.length, data }, p);
  if (p.ipVersion === 0 || p.l3Offset < 0) return NO_LAYOUT;
  const layout: PacketLayout = { l3: p.l3Offset, ipVersion: p.ipVersion, tcp: -1, tcpHl: 0, options: [] };
  if (!p.isTcp) return layout;
  layout.tcp = p.tcpOffset;
  layout.tcpHl = p.tcpHeaderLength;
  const end = Math.min(p.tcpOffset + p.tcpHeaderLength, data.length);
  for (let o = p.tcpOffset + 20; o < end; ) {
    const kind = data[o];
    if (kind === 0) break;
    if (kind === 1) { o++; continue; }
    if (o + 1 >= end) break;
    const len = data[o + 1];
    if (len < 2 || o + len > end) break;
    layout.options.push({ off: o, kind, len });
    o += len;
  }
  return layout;
}

function listCaptures(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) listCaptures(path, out);
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) out.push(path);
  }
}

/** All capture files under `dirs` (recursively), sorted for a stable corpus order. */
export function capturePaths(root: string, dirs = ['captures']): string[] {
  const out: string[] = [];
  for (const d of dirs) listCaptures(join(root, d), out);
  return out;
}

/**
 * Reads every capture into a corpus. `maxRecords` bounds the records kept per capture (the first ones:
 * handshakes live there; big captures are mostly bulk data that repeats).
 */
export async function loadCorpus(root: string, opts: { maxRecords?: number; dirs?: string[] } = {}): Promise<Corpus> {
  const maxRecords = opts.maxRecords ?? 4000;
  const captures: SeedCapture[] = [];
  for (const path of capturePaths(root, opts.dirs)) {
    const records: SeedRecord[] = [];
    const mptcpRecords: number[] = [];
    let snaplen = 262144;
    await readCapture(path, (rec) => {
      const data = Buffer.from(rec.data);
      const layout = layoutOf(rec.linktype, data);
      if (layout.options.some((o) => o.kind === 30)) mptcpRecords.push(records.length);
      records.push({ tsSec: rec.tsSec, tsNsec: rec.tsNsec, len: rec.len, linktype: rec.linktype, data, layout });
      return records.length < maxRecords;
    }, { onInterface: (i, iface) => { if (i === 0) snaplen = iface.snaplen; } });
    if (records.length === 0) continue;
    captures.push({ name: relative(root, path), raw: readFileSync(path), snaplen, records, mptcpRecords });
  }
  if (captures.length === 0) throw new Error(`no captures found under ${root}`);
  return { captures };
}
