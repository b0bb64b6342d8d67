import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { readCapture, readCaptureStream } from '../dissect/capture-reader.js';
import type { ReadOptions, ReadSummary } from '../dissect/capture-reader.js';
import { CaptureInputError } from '../dissect/record.js';
import type { CaptureInterface, CaptureRecord } from '../dissect/record.js';

// ------------------------------------------------------------------------------------------
// Helper writers

interface PcapRec {
  sec: number;
  frac: number;
  data: Buffer;
  len?: number;
  /** Override the caplen field (for corrupt records). */
  caplen?: number;
}

function u32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function pcap(opts: { le: boolean; nano: boolean; linktype?: number; snaplen?: number }, recs: PcapRec[]): Buffer {
  const { le, nano } = opts;
  const parts: Buffer[] = [
    u32(nano ? 0xa1b23c4d : 0xa1b2c3d4, le),
    u16(2, le),
    u16(4, le),
    u32(0, le),
    u32(0, le),
    u32(opts.snaplen ?? 65535, le),
    u32(opts.linktype ?? 1, le),
  ];
  for (const r of recs) {
    parts.push(u32(r.sec, le), u32(r.frac, le), u32(r.caplen ?? r.data.length, le), u32(r.len ?? r.data.length, le), r.data);
  }
  return Buffer.concat(parts);
}

function pad4(b: Buffer): Buffer {
  const p = (4 - (b.length % 4)) % 4;
  return p ? Buffer.concat([b, Buffer.alloc(p)]) : b;
}

function block(type: number, body: Buffer, le: boolean): Buffer {
  const b = pad4(body);
  const total = 12 + b.length;
  return Buffer.concat([u32(type, le), u32(total, le), b, u32(total, le)]);
}

function option(code: number, value: Buffer, le: boolean): Buffer {
  return Buffer.concat([u16(code, le), u16(value.length, le), pad4(value)]);
}

function endOpt(le: boolean): Buffer {
  return Buffer.concat([u16(0, le), u16(0, le)]);
}

function shb(le: boolean, withOptions = false): Buffer {
  const body = [u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), Buffer.from('ffffffffffffffff', 'hex')];
  if (withOptions) body.push(option(4, Buffer.from('test-writer'), le), endOpt(le));
  return block(0x0a0d0d0a, Buffer.concat(body), le);
}

function idb(
  le: boolean,
  linktype: number,
  snaplen: number,
  o: { name?: string; tsresol?: number; tsoffset?: bigint } = {},
): Buffer {
  const opts: Buffer[] = [];
  if (o.name !== undefined) opts.push(option(2, Buffer.from(o.name), le));
  if (o.tsresol !== undefined) opts.push(option(9, Buffer.from([o.tsresol]), le));
  if (o.tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    if (le) v.writeBigInt64LE(o.tsoffset);
    else v.writeBigInt64BE(o.tsoffset);
    opts.push(option(14, v, le));
  }
  if (opts.length) opts.push(endOpt(le));
  return block(1, Buffer.concat([u16(linktype, le), u16(0, le), u32(snaplen, le), ...opts]), le);
}

function epb(le: boolean, ifid: number, ts: bigint, data: Buffer, len = data.length, withOptions = false, caplen = data.length): Buffer {
  const hi = Number(ts >> 32n);
  const lo = Number(ts & 0xffffffffn);
  const body = [u32(ifid, le), u32(hi, le), u32(lo, le), u32(caplen, le), u32(len, le), pad4(data)];
  if (withOptions) body.push(option(1, Buffer.from('a comment'), le), endOpt(le));
  return block(6, Buffer.concat(body), le);
}

function pb(le: boolean, ifid: number, ts: bigint, data: Buffer, len = data.length): Buffer {
  const hi = Number(ts >> 32n);
  const lo = Number(ts & 0xffffffffn);
  return block(2, Buffer.concat([u16(ifid, le), u16(0, le), u32(hi, le), u32(lo, le), u32(data.length, le), u32(len, le), pad4(data)]), le);
}

function spb(le: boolean, data: Buffer, len = data.length): Buffer {
  return block(3, Buffer.concat([u32(len, le), data]), le);
}

/** Custom block (0x00000BAD): PEN + payload. */
function customBlock(le: boolean): Buffer {
  return block(0x00000bad, Buffer.concat([u32(32473, le), Buffer.from('custom payload!')]), le);
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

// ------------------------------------------------------------------------------------------
// Collecting helpers

/** A record's enumerable fields, kept after the callback (the reader's `buf`/`off` are not). */
type Got = Pick<CaptureRecord, 'n' | 'iface' | 'linktype' | 'tsSec' | 'tsNsec' | 'tsDigits' | 'caplen' | 'len' | 'data'>;

function copyRec(r: CaptureRecord): Got {
  return {
    n: r.n, iface: r.iface, linktype: r.linktype, tsSec: r.tsSec, tsNsec: r.tsNsec, tsDigits: r.tsDigits,
    caplen: r.caplen, len: r.len, data: Buffer.from(r.data),
  };
}

interface Result {
  recs: Got[];
  warnings: string[];
  ifaces: [number, CaptureInterface][];
  summary: ReadSummary;
}

async function readAll(path: string, opts: ReadOptions = {}): Promise<Result> {
  const recs: Got[] = [];
  const warnings: string[] = [];
  const ifaces: [number, CaptureInterface][] = [];
  const summary = await readCapture(path, (r) => {
    expect(r.data.length).toBe(r.caplen);
    recs.push(copyRec(r));
  }, { ...opts, onWarning: (m) => warnings.push(m), onInterface: (i, f) => ifaces.push([i, { ...f }]) });
  return { recs, warnings, ifaces, summary };
}

async function readStreamAll(chunks: Buffer[], opts: ReadOptions = {}): Promise<Result> {
  const recs: Got[] = [];
  const warnings: string[] = [];
  const ifaces: [number, CaptureInterface][] = [];
  const summary = await readCaptureStream(Readable.from(chunks), (r) => {
    recs.push(copyRec(r));
  }, { ...opts, onWarning: (m) => warnings.push(m), onInterface: (i, f) => ifaces.push([i, { ...f }]) });
  return { recs, warnings, ifaces, summary };
}

function split(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** Reference timestamp conversion. */
function refTs(ts: bigint, unitsPerSec: bigint): [number, number] {
  return [Number(ts / unitsPerSec), Number(((ts % unitsPerSec) * 1000000000n) / unitsPerSec)];
}

let dir = '';
let counter = 0;
function tmpFile(content: Buffer, name = `cap${counter++}.bin`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mptcpscope-reader-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------
// pcap

const pcapRecs: PcapRec[] = [
  { sec: 1700000000, frac: 123456, data: bytes(60, 1) },
  { sec: 1700000001, frac: 999999, data: bytes(1, 2), len: 1514 },
  { sec: 0xfffffffe, frac: 0, data: bytes(0, 3), len: 40 },
  { sec: 1700000002, frac: 7, data: bytes(101, 4) },
];

describe('pcap', () => {
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      it(`${le ? 'little' : 'big'}-endian, ${nano ? 'ns' : 'µs'} magic`, async () => {
        const recs = pcapRecs.map((r) => ({ ...r, frac: nano ? r.frac * 1000 + 321 : r.frac }));
        const path = tmpFile(pcap({ le, nano, linktype: 113, snaplen: 262144 }, recs));
        const { recs: got, warnings, ifaces, summary } = await readAll(path);
        expect(warnings).toEqual([]);
        expect(summary).toEqual({
          packets: 4, format: 'pcap', truncated: false, bytesRead: 24 + 16 * 4 + 162,
          interfaces: [{ linktype: 113, snaplen: 262144, tsDigits: nano ? 9 : 6 }],
        });
        expect(ifaces).toEqual([[0, { linktype: 113, snaplen: 262144, tsDigits: nano ? 9 : 6 }]]);
        expect(got.length).toBe(4);
        got.forEach((g, i) => {
          const r = recs[i];
          expect(g).toEqual({
            n: i + 1, iface: 0, linktype: 113, tsSec: r.sec, tsNsec: nano ? r.frac : r.frac * 1000,
            tsDigits: nano ? 9 : 6, caplen: r.data.length, len: r.len ?? r.data.length, data: r.data,
          });
        });
      });
    }
  }

  it('masks the link type to its low 16 bits (FCS bits set)', async () => {
    const path = tmpFile(pcap({ le: true, nano: false, linktype: 0x14000001 }, pcapRecs.slice(0, 1)));
    const { recs, summary } = await readAll(path);
    expect(recs[0].linktype).toBe(1);
    expect(summary.interfaces[0].linktype).toBe(1);
  });

  it('accepts caplen > snaplen when within maxRecordBytes', async () => {
    const path = tmpFile(pcap({ le: true, nano: false, snaplen: 64 }, [{ sec: 1, frac: 2, data: bytes(1000, 9) }]));
    const { recs, warnings } = await readAll(path);
    expect(warnings).toEqual([]);
    expect(recs.length).toBe(1);
    expect(recs[0].caplen).toBe(1000);
    expect(recs[0].data).toEqual(bytes(1000, 9));
  });

  it('normalizes an out-of-range fraction field into the seconds', async () => {
    const path = tmpFile(pcap({ le: true, nano: false }, [{ sec: 10, frac: 2500000, data: bytes(4, 1) }]));
    const { recs } = await readAll(path);
    expect([recs[0].tsSec, recs[0].tsNsec]).toEqual([12, 500000000]);
  });

  it('snaplen 0 and an empty capture (header only) are fine', async () => {
    const path = tmpFile(pcap({ le: false, nano: true, snaplen: 0 }, []));
    const { recs, warnings, summary } = await readAll(path);
    expect(recs).toEqual([]);
    expect(warnings).toEqual([]);
    expect(summary).toMatchObject({ packets: 0, format: 'pcap', truncated: false, bytesRead: 24 });
    expect(summary.interfaces).toEqual([{ linktype: 1, snaplen: 0, tsDigits: 9 }]);
  });
});

// ------------------------------------------------------------------------------------------
// pcapng

const T0 = 1700000000123456789n; // ns since epoch, > 2^53
const TRES20 = 0x80 | 20; // 2^-20 s

interface Expected {
  iface: number;
  linktype: number;
  ts: [number, number];
  tsDigits: number;
  data: Buffer;
  len: number;
}

/** Two sections (LE then BE), several interfaces/resolutions and every packet block type. */
function buildPcapng(): { file: Buffer; expected: Expected[] } {
  const expected: Expected[] = [];
  const parts: Buffer[] = [];
  // Section 1, little-endian.
  let le = true;
  parts.push(shb(le, true));
  parts.push(idb(le, 1, 65535, { name: 'eth0', tsresol: 9 }));
  parts.push(idb(le, 113, 128, { name: 'any', tsresol: 6 }));
  parts.push(customBlock(le));
  const d1 = bytes(54, 1);
  parts.push(epb(le, 0, T0, d1, 1500, true));
  expected.push({ iface: 0, linktype: 1, ts: refTs(T0, 1000000000n), tsDigits: 9, data: d1, len: 1500 });
  const tUs = 1700000000654321n;
  const d2 = bytes(77, 2);
  parts.push(epb(le, 1, tUs, d2));
  expected.push({ iface: 1, linktype: 113, ts: [1700000000, 654321000], tsDigits: 6, data: d2, len: 77 });
  parts.push(block(0x12345678, bytes(37, 5), le)); // unknown block type
  parts.push(block(4, Buffer.concat([u16(0, le), u16(0, le)]), le)); // NRB (skipped)
  const d3 = bytes(200, 3);
  parts.push(spb(le, d3, 300)); // SPB: caplen = min(300, 65535, room 200) = 200
  expected.push({ iface: 0, linktype: 1, ts: [0, 0], tsDigits: 9, data: d3, len: 300 });
  const d4 = bytes(13, 4);
  parts.push(pb(le, 1, tUs + 1n, d4, 99)); // obsolete Packet Block
  expected.push({ iface: 1, linktype: 113, ts: [1700000000, 654322000], tsDigits: 6, data: d4, len: 99 });
  // ns timestamp exactly on a second boundary and max 64-bit value.
  parts.push(epb(le, 0, 1700000001000000000n, bytes(1, 8)));
  expected.push({ iface: 0, linktype: 1, ts: [1700000001, 0], tsDigits: 9, data: bytes(1, 8), len: 1 });
  parts.push(epb(le, 0, 0xffffffffffffffffn, bytes(2, 9)));
  expected.push({ iface: 0, linktype: 1, ts: refTs(0xffffffffffffffffn, 1000000000n), tsDigits: 9, data: bytes(2, 9), len: 2 });

  // Section 2, big-endian: the interface list restarts.
  le = false;
  parts.push(shb(le));
  parts.push(idb(le, 101, 0, { tsresol: TRES20 }));
  parts.push(idb(le, 228, 96)); // default resolution (µs), no options
  parts.push(customBlock(le));
  const t2 = (1700000003n << 20n) + 777777n;
  const d5 = bytes(40, 5);
  parts.push(epb(le, 0, t2, d5));
  expected.push({ iface: 0, linktype: 101, ts: refTs(t2, 1n << 20n), tsDigits: 7, data: d5, len: 40 });
  const d6 = bytes(33, 6);
  parts.push(epb(le, 1, 1700000004000001n, d6, 33, true));
  expected.push({ iface: 1, linktype: 228, ts: [1700000004, 1000], tsDigits: 6, data: d6, len: 33 });
  const d7 = bytes(16, 7);
  parts.push(spb(le, d7, 16)); // snaplen 0 = unlimited
  expected.push({ iface: 0, linktype: 101, ts: [0, 0], tsDigits: 7, data: d7, len: 16 });
  return { file: Buffer.concat(parts), expected };
}

function checkPcapng(res: Result, expected: Expected[]): void {
  expect(res.warnings).toEqual([]);
  expect(res.recs.length).toBe(expected.length);
  res.recs.forEach((g, i) => {
    const e = expected[i];
    expect(g).toEqual({
      n: i + 1, iface: e.iface, linktype: e.linktype, tsSec: e.ts[0], tsNsec: e.ts[1], tsDigits: e.tsDigits,
      caplen: e.data.length, len: e.len, data: e.data,
    });
  });
  expect(res.ifaces).toEqual([
    [0, { linktype: 1, snaplen: 65535, name: 'eth0', tsDigits: 9 }],
    [1, { linktype: 113, snaplen: 128, name: 'any', tsDigits: 6 }],
    [0, { linktype: 101, snaplen: 0, tsDigits: 7 }],
    [1, { linktype: 228, snaplen: 96, tsDigits: 6 }],
  ]);
  expect(res.summary.format).toBe('pcapng');
  expect(res.summary.packets).toBe(expected.length);
  expect(res.summary.truncated).toBe(false);
  expect(res.summary.interfaces).toEqual([
    { linktype: 101, snaplen: 0, tsDigits: 7 },
    { linktype: 228, snaplen: 96, tsDigits: 6 },
  ]);
}

describe('pcapng', () => {
  it('two sections (LE, BE), interfaces, resolutions, EPB/SPB/PB, skipped blocks', async () => {
    const { file, expected } = buildPcapng();
    const res = await readAll(tmpFile(file));
    checkPcapng(res, expected);
    expect(res.summary.bytesRead).toBe(file.length);
  });

  it('big-endian first section, power-of-2 and ns resolutions', async () => {
    const le = false;
    const t9 = 1234567890987654321n;
    const t2 = (1n << 40n) + 12345n; // 2^-24 s resolution
    const file = Buffer.concat([
      shb(le),
      idb(le, 1, 262144, { tsresol: 9 }),
      idb(le, 1, 262144, { tsresol: 0x80 | 24 }),
      idb(le, 1, 262144, { tsresol: 3 }),
      idb(le, 1, 262144, { tsresol: 12 }),
      idb(le, 1, 262144, { tsresol: 6, tsoffset: 1000000000n }),
      epb(le, 0, t9, bytes(3, 1)),
      epb(le, 1, t2, bytes(3, 2)),
      epb(le, 2, 1700000000999n, bytes(3, 3)),
      epb(le, 3, 12345678901234567n, bytes(3, 4)), // picoseconds: sub-ns digits dropped
      epb(le, 4, 700000000000007n, bytes(3, 5)),
    ]);
    const { recs, warnings, summary } = await readAll(tmpFile(file));
    expect(warnings).toEqual([]);
    expect(recs.map((r) => [r.iface, r.tsSec, r.tsNsec, r.tsDigits])).toEqual([
      [0, ...refTs(t9, 1000000000n), 9],
      [1, ...refTs(t2, 1n << 24n), 8],
      [2, 1700000000, 999000000, 3],
      [3, 12345, 678901234, 9],
      [4, 1700000000, 7000, 6],
    ]);
    expect(summary.interfaces.map((i) => i.tsDigits)).toEqual([9, 8, 3, 9, 6]);
  });

  it('exact ns conversion for many 64-bit timestamps', async () => {
    const le = true;
    const stamps: bigint[] = [];
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 500; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      stamps.push(i % 2 ? x : x >> BigInt(i % 40));
    }
    stamps.push(0n, 999999999n, 1000000000n, (1n << 53n) - 1n, 1n << 53n, (1n << 32n) * 1000000000n - 1n);
    const parts = [shb(le), idb(le, 1, 0, { tsresol: 9 }), idb(le, 1, 0, { tsresol: 6 })];
    for (const t of stamps) parts.push(epb(le, 0, t, bytes(1, 0)), epb(le, 1, t, bytes(1, 0)));
    const { recs } = await readAll(tmpFile(Buffer.concat(parts)));
    expect(recs.length).toBe(stamps.length * 2);
    stamps.forEach((t, i) => {
      expect([recs[2 * i].tsSec, recs[2 * i].tsNsec]).toEqual(refTs(t, 1000000000n));
      expect([recs[2 * i + 1].tsSec, recs[2 * i + 1].tsNsec]).toEqual(refTs(t, 1000000n));
    });
  });

  it('SPB caplen is limited by the interface snaplen', async () => {
    const le = true;
    const d = bytes(100, 1);
    const file = Buffer.concat([shb(le), idb(le, 1, 64), spb(le, d, 1000)]);
    const { recs } = await readAll(tmpFile(file));
    expect(recs.length).toBe(1);
    expect(recs[0]).toMatchObject({ caplen: 64, len: 1000, iface: 0, tsSec: 0, tsNsec: 0 });
    expect(recs[0].data).toEqual(d.subarray(0, 64));
  });

  it('EPB caplen larger than its block is clamped with a warning', async () => {
    const le = true;
    const d = bytes(20, 1);
    const head = Buffer.concat([shb(le), idb(le, 1, 0)]);
    const file = Buffer.concat([head, epb(le, 0, 5n, d, 5000, false, 5000), epb(le, 0, 6n, d)]);
    const { recs, warnings } = await readAll(tmpFile(file));
    expect(recs.length).toBe(2);
    expect(recs[0]).toMatchObject({ n: 1, caplen: 20, len: 5000 });
    expect(recs[0].data).toEqual(d);
    expect(recs[1]).toMatchObject({ n: 2, caplen: 20, tsNsec: 6000 });
    expect(warnings).toEqual([
      `packet record at byte ${head.length} claims caplen 5000, more than its block holds (20); truncated to 20`,
    ]);
  });

  it('EPB for an undefined interface is skipped with a warning', async () => {
    const le = true;
    const head = Buffer.concat([shb(le), idb(le, 1, 0)]);
    const file = Buffer.concat([head, epb(le, 3, 5n, bytes(4, 1)), epb(le, 0, 6n, bytes(4, 2))]);
    const { recs, warnings } = await readAll(tmpFile(file));
    expect(recs.map((r) => [r.n, r.iface])).toEqual([[1, 0]]);
    expect(warnings).toEqual([`packet block at byte ${head.length} refers to interface 3, which is not defined; skipped`]);
  });

  it('an absurd block length (4 GB) stops reading with a warning', async () => {
    const le = true;
    const good = Buffer.concat([shb(le), idb(le, 1, 0), epb(le, 0, 1n, bytes(10, 1))]);
    const bad = Buffer.concat([u32(6, le), u32(0xfffffff0, le), bytes(64, 2)]);
    const { recs, warnings, summary } = await readAll(tmpFile(Buffer.concat([good, bad, epb(le, 0, 2n, bytes(10, 2))])));
    expect(recs.length).toBe(1);
    expect(warnings).toEqual([
      `pcapng block at byte ${good.length} (type 0x00000006) claims length 4294967280, more than the limit of 327680; stopping here`,
    ]);
    expect(summary.truncated).toBe(false);
  });

  it('a block length that is not a multiple of 4 stops reading with a warning', async () => {
    const le = false;
    const good = Buffer.concat([shb(le), idb(le, 1, 0), epb(le, 0, 1n, bytes(10, 1))]);
    const bad = Buffer.concat([u32(6, le), u32(41, le), bytes(64, 2)]);
    const { recs, warnings } = await readAll(tmpFile(Buffer.concat([good, bad])));
    expect(recs.length).toBe(1);
    expect(warnings).toEqual([`pcapng block at byte ${good.length} (type 0x00000006) has an invalid length 41; stopping here`]);
  });

  it('a large unknown block is skipped without buffering it', async () => {
    const le = true;
    const big = block(0x40000bad, bytes(1 << 20, 3), le); // > block limit of 327680
    const file = Buffer.concat([shb(le), idb(le, 1, 0), epb(le, 0, 1n, bytes(10, 1)), big, epb(le, 0, 2n, bytes(10, 2))]);
    const whole = await readAll(tmpFile(file));
    expect(whole.warnings).toEqual([]);
    expect(whole.recs.map((r) => r.n)).toEqual([1, 2]);
    const streamed = await readStreamAll(split(file, 100000));
    expect(streamed.recs).toEqual(whole.recs);
  });
});

// ------------------------------------------------------------------------------------------
// Chunking, gzip, streams

describe('streaming', () => {
  it('records straddling 1-byte and 7-byte chunks (pcapng and pcap)', async () => {
    const { file, expected } = buildPcapng();
    for (const size of [1, 7]) {
      const res = await readStreamAll(split(file, size));
      checkPcapng(res, expected);
      expect(res.summary.bytesRead).toBe(file.length);
    }
    const p = pcap({ le: false, nano: true }, pcapRecs);
    const whole = await readAll(tmpFile(p));
    for (const size of [1, 7]) {
      const res = await readStreamAll(split(p, size));
      expect(res.recs).toEqual(whole.recs);
      expect(res.summary).toEqual(whole.summary);
    }
  });

  it('gzip detected by magic, not by file name (file and stream)', async () => {
    const { file, expected } = buildPcapng();
    const gz = gzipSync(file);
    checkPcapng(await readAll(tmpFile(gz, 'compressed.pcapng')), expected);
    checkPcapng(await readStreamAll(split(gz, 7)), expected);
    checkPcapng(await readStreamAll(split(gz, 1)), expected);
    const p = pcap({ le: true, nano: false }, pcapRecs);
    const res = await readAll(tmpFile(gzipSync(p), 'plain-name.pcap'));
    expect(res.recs.length).toBe(4);
    expect(res.summary.bytesRead).toBe(p.length);
  });

  it('early stop when onRecord returns false', async () => {
    const path = tmpFile(pcap({ le: true, nano: false }, pcapRecs));
    const seen: number[] = [];
    const summary = await readCapture(path, (r) => {
      seen.push(r.n);
      return r.n < 2;
    });
    expect(seen).toEqual([1, 2]);
    expect(summary.packets).toBe(2);
    expect(summary.truncated).toBe(false);
    const gzSeen: number[] = [];
    const s2 = await readCapture(tmpFile(gzipSync(buildPcapng().file)), (r) => {
      gzSeen.push(r.n);
      return false;
    });
    expect(gzSeen).toEqual([1]);
    expect(s2.packets).toBe(1);
  });

  it('200k records from disk, across chunk boundaries', async () => {
    const N = 200000;
    const sizes = [14, 60, 61, 62, 63, 97, 1514];
    let total = 24;
    for (let i = 0; i < N; i++) total += 16 + sizes[i % sizes.length];
    const buf = Buffer.alloc(total);
    buf.writeUInt32LE(0xa1b23c4d, 0);
    buf.writeUInt16LE(2, 4);
    buf.writeUInt16LE(4, 6);
    buf.writeUInt32LE(262144, 16);
    buf.writeUInt32LE(1, 20);
    let o = 24;
    for (let i = 0; i < N; i++) {
      const n = sizes[i % sizes.length];
      buf.writeUInt32LE(1700000000 + Math.floor(i / 1000), o);
      buf.writeUInt32LE(i, o + 4);
      buf.writeUInt32LE(n, o + 8);
      buf.writeUInt32LE(n + 1, o + 12);
      buf.writeUInt32LE(i, o + 16);
      buf[o + 16 + n - 1] = i & 0xff;
      o += 16 + n;
    }
    const path = tmpFile(buf, 'big.pcap');
    let count = 0;
    let bad = 0;
    const summary = await readCapture(path, (r) => {
      const i = count++;
      const n = sizes[i % sizes.length];
      if (
        r.n !== i + 1 || r.tsNsec !== i || r.tsSec !== 1700000000 + Math.floor(i / 1000) || r.caplen !== n ||
        r.len !== n + 1 || r.data.readUInt32LE(0) !== i || r.data[n - 1] !== (i & 0xff)
      ) {
        bad++;
      }
    });
    expect(count).toBe(N);
    expect(bad).toBe(0);
    expect(summary).toMatchObject({ packets: N, truncated: false, bytesRead: total, format: 'pcap' });
  });
});

// ------------------------------------------------------------------------------------------
// Truncation, limits and errors

describe('damaged input', () => {
  it('truncated pcap: complete records delivered, one warning with the record offset', async () => {
    const p = pcap({ le: true, nano: false }, pcapRecs);
    const start4 = p.length - (16 + 101);
    for (const cut of [start4 + 3, start4 + 16, p.length - 1]) {
      const { recs, warnings, summary } = await readAll(tmpFile(p.subarray(0, cut)));
      expect(recs.length).toBe(3);
      expect(warnings).toEqual([`capture ends inside a packet record at byte ${start4}`]);
      expect(summary.truncated).toBe(true);
      expect(summary.bytesRead).toBe(cut);
    }
  });

  it('truncated pcapng and truncated gzip', async () => {
    const { file } = buildPcapng();
    const le = true;
    const head = Buffer.concat([shb(le, true), idb(le, 1, 0), epb(le, 0, 1n, bytes(10, 1))]);
    const cutFile = Buffer.concat([head, epb(le, 0, 2n, bytes(50, 1)).subarray(0, 30)]);
    for (const chunks of [null, 1, 7]) {
      const res = chunks === null ? await readAll(tmpFile(cutFile)) : await readStreamAll(split(cutFile, chunks));
      expect(res.recs.length).toBe(1);
      expect(res.warnings).toEqual([`capture ends inside a packet record at byte ${head.length}`]);
      expect(res.summary.truncated).toBe(true);
    }
    // A gzip stream cut short: whatever decompressed is delivered, then a truncation warning.
    const gz = gzipSync(file);
    const res = await readAll(tmpFile(gz.subarray(0, gz.length - 12)));
    expect(res.summary.truncated).toBe(true);
    expect(res.warnings.length).toBe(1);
    expect(res.warnings[0]).toMatch(/^(capture ends inside a packet record at byte \d+|compressed data ends early)/);
  });

  it('huge pcap caplen: warning and stop', async () => {
    const recs: PcapRec[] = [pcapRecs[0], { sec: 5, frac: 6, data: bytes(8, 1), caplen: 0x10000000 }, pcapRecs[1]];
    const p = pcap({ le: false, nano: false }, recs);
    const { recs: got, warnings, summary } = await readAll(tmpFile(p));
    expect(got.length).toBe(1);
    expect(warnings).toEqual([
      `packet record at byte ${24 + 16 + 60} claims caplen 268435456, more than the limit of 262144; ` +
        'stopping here (a pcap file cannot be resynchronized)',
    ]);
    expect(summary.packets).toBe(1);
    // A lower limit applies too.
    const r2 = await readAll(tmpFile(pcap({ le: true, nano: false }, pcapRecs)), { maxRecordBytes: 100 });
    expect(r2.recs.length).toBe(3);
    expect(r2.warnings[0]).toMatch(/claims caplen 101, more than the limit of 100;/);
  });

  it('not a capture', async () => {
    const path = tmpFile(Buffer.from('hello world, this is text\n'), 'notes.pcap');
    await expect(readCapture(path, () => {})).rejects.toThrow(
      new CaptureInputError(`${path} is not a pcap or pcapng capture (magic 0x68656c6c)`),
    );
    await expect(readCapture(path, () => {})).rejects.toBeInstanceOf(CaptureInputError);
    await expect(readCaptureStream(Readable.from([Buffer.from('GET / HTTP/1.1\r\n')]), () => {})).rejects.toThrow(
      'input is not a pcap or pcapng capture (magic 0x47455420)',
    );
    const gzText = tmpFile(gzipSync(Buffer.from('just text')));
    await expect(readCapture(gzText, () => {})).rejects.toThrow(`${gzText} is not a pcap or pcapng capture (magic 0x6a757374)`);
  });

  it('missing file, directory, empty file, tiny file, truncated header', async () => {
    const missing = join(dir, 'does-not-exist.pcap');
    await expect(readCapture(missing, () => {})).rejects.toThrow(new CaptureInputError(`cannot open ${missing}: no such file`));
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    await expect(readCapture(sub, () => {})).rejects.toThrow(new CaptureInputError(`cannot read ${sub}: is a directory`));
    const empty = tmpFile(Buffer.alloc(0));
    await expect(readCapture(empty, () => {})).rejects.toThrow(new CaptureInputError(`${empty} is empty`));
    const tiny = tmpFile(Buffer.from([0xd4, 0xc3]));
    await expect(readCapture(tiny, () => {})).rejects.toThrow(`${tiny} is not a pcap or pcapng capture (only 2 bytes)`);
    const hdr = tmpFile(pcap({ le: true, nano: false }, []).subarray(0, 20));
    await expect(readCapture(hdr, () => {})).rejects.toThrow(`${hdr}: pcap file header is truncated (20 of 24 bytes)`);
    const ng = tmpFile(shb(true).subarray(0, 20));
    await expect(readCapture(ng, () => {})).rejects.toThrow(`${ng}: pcapng section header block is truncated`);
    const badBom = Buffer.from(shb(true));
    badBom.writeUInt32LE(0x11223344, 8);
    const bb = tmpFile(badBom);
    await expect(readCapture(bb, () => {})).rejects.toThrow(`${bb}: pcapng section header at byte 0 has a bad byte-order magic 0x44332211`);
  });

  it('corrupt gzip data is a CaptureInputError', async () => {
    const gz = Buffer.from(gzipSync(pcap({ le: true, nano: false }, pcapRecs)));
    for (let i = 10; i < gz.length - 8; i++) gz[i] ^= 0x5a;
    const path = tmpFile(gz);
    const err = await readCapture(path, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureInputError);
    expect((err as Error).message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt gzip data \\(`));
  });

  it('gzip without its trailer: all data delivered, then one warning', async () => {
    const gz = gzipSync(pcap({ le: true, nano: false }, pcapRecs));
    const { recs, warnings, summary } = await readAll(tmpFile(gz.subarray(0, gz.length - 4)));
    expect(recs.length).toBe(4);
    expect(summary.truncated).toBe(true);
    expect(warnings).toEqual([`compressed data ends early (truncated gzip stream) after ${summary.bytesRead} bytes`]);
  });

  it('a read error under gzip is a CaptureInputError', async () => {
    const gz = gzipSync(buildPcapng().file);
    async function* src(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, 100);
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('link down');
    }
    await expect(readCaptureStream(Readable.from(src()), () => {})).rejects.toThrow(
      new CaptureInputError('cannot read input: link down'),
    );
  });

  it('stream read errors become CaptureInputError', async () => {
    const s = new Readable({
      read() {
        this.destroy(new Error('device went away'));
      },
    });
    await expect(readCaptureStream(s, () => {})).rejects.toThrow(new CaptureInputError('cannot read input: device went away'));
  });
});

// ------------------------------------------------------------------------------------------
// Public capture

const PUBLIC = '/work/shared/captures-public/tcpdump/mptcp-v0.pcap';

describe.runIf(existsSync(PUBLIC))('public capture', () => {
  it('mptcp-v0.pcap has 264 packets (MANIFEST, from tshark)', async () => {
    const { recs, warnings, summary } = await readAll(PUBLIC);
    expect(warnings).toEqual([]);
    expect(summary).toMatchObject({ packets: 264, format: 'pcap', truncated: false, bytesRead: 39394 });
    expect(recs.length).toBe(264);
    expect(recs.every((r) => r.linktype === 1 && r.iface === 0 && r.tsDigits === 6)).toBe(true);
    expect(recs[0]).toMatchObject({ n: 1, tsSec: 0x512b5f83, tsNsec: 0x0ab2e9 * 1000, caplen: 86, len: 86 });
  });
});

// ------------------------------------------------------------------------------------------
// Blocking reads (fleet workers): the same records, summaries, warnings and errors as the asynchronous path

describe('blocking reads', () => {
  /** Outcome of one read: its result (records as one digest, comparing thousands of Buffers is slow), or the error. */
  async function outcome(path: string, opts: ReadOptions): Promise<object> {
    try {
      const r = await readAll(path, opts);
      const h = createHash('sha256');
      for (const x of r.recs) h.update(JSON.stringify({ ...x, data: undefined })).update(x.data);
      return { records: r.recs.length, digest: h.digest('hex'), warnings: r.warnings, ifaces: r.ifaces, summary: r.summary };
    } catch (e) {
      return { error: (e as Error).message, input: e instanceof CaptureInputError };
    }
  }

  it('agree with asynchronous reads on pcap, pcapng, gzip, chunk-spanning, truncated and bad files', async () => {
    const { file: ng } = buildPcapng();
    // More than two 2 MiB chunks, records straddling each boundary.
    const many: PcapRec[] = [];
    for (let i = 0; i < 6000; i++) many.push({ sec: 1700000000 + i, frac: i, data: bytes(900 + (i % 300), i) });
    const big = pcap({ le: true, nano: false }, many);
    expect(big.length).toBeGreaterThan(4 << 20);
    const small = pcap({ le: false, nano: true }, pcapRecs);
    const missing = join(dir, 'blocking-missing.pcap');
    const sub = join(dir, 'blocking-dir');
    mkdirSync(sub);
    const files = [
      tmpFile(small), tmpFile(ng), tmpFile(big), tmpFile(gzipSync(big)), tmpFile(gzipSync(ng)),
      tmpFile(small.subarray(0, small.length - 5)), tmpFile(big.subarray(0, (2 << 20) + 77)),
      tmpFile(Buffer.from('not a capture at all\n')), tmpFile(Buffer.alloc(0)), tmpFile(Buffer.from([0xd4])),
      missing, sub,
    ];
    for (const f of files) {
      for (const opts of [{}, { maxRecordBytes: 1000 }]) {
        const want = await outcome(f, opts);
        const got = await outcome(f, { ...opts, blockingReads: true });
        expect(got, f).toEqual(want);
      }
    }
    // Several reads in turn reuse the chunk buffers: records of one file never show bytes of another.
    const a = await outcome(files[2], { blockingReads: true });
    const b = await readAll(files[0], { blockingReads: true });
    const c = await outcome(files[2], { blockingReads: true });
    expect(c).toEqual(a);
    expect(b.recs.map((r) => r.data)).toEqual(pcapRecs.map((r) => r.data));
  });

  it('stopping early (onRecord returns false) reads no further', async () => {
    const many: PcapRec[] = [];
    for (let i = 0; i < 3000; i++) many.push({ sec: 1700000000 + i, frac: i, data: bytes(1200, i) });
    const f = tmpFile(pcap({ le: true, nano: false }, many));
    for (const blockingReads of [false, true]) {
      let n = 0;
      const s = await readCapture(f, () => ++n < 10, { blockingReads });
      expect(n).toBe(10);
      expect(s.packets).toBe(10);
    }
  });
});
