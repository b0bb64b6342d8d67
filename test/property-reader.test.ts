// Property tests for the capture reader, seeded and bounded: over arbitrary bytes (fully random, or shaped as
// pcap / pcapng with random and lying length fields) it returns or throws CaptureInputError, nothing else, and
// never hangs; every record keeps the documented bounds; and the result does not depend on how the input is
// cut into chunks, on gzip, or on reading from a file instead of a stream.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readCapture, readCaptureStream, type ReadOptions } from '../dissect/capture-reader.js';
import { CaptureInputError, type CaptureRecord } from '../dissect/record.js';

const SEED = 0x72656164;

interface Outcome {
  records: string[];
  warnings: string[];
  error?: string;
  summary?: string;
}

const HANG_MS = 10_000;

function recordText(r: CaptureRecord): string {
  return `${r.n}|${r.iface}|${r.linktype}|${r.tsSec}|${r.tsNsec}|${r.tsDigits}|${r.caplen}|${r.len}|${r.data.toString('hex')}`;
}

/** Checks the documented bounds of one record; returns its text form. */
function checked(r: CaptureRecord, expectN: number, maxRecord: number): string {
  expect(r.n).toBe(expectN);
  expect(r.caplen).toBe(r.data.length);
  expect(r.caplen).toBeLessThanOrEqual(maxRecord + 65536);
  expect(Number.isInteger(r.tsNsec) && r.tsNsec >= 0 && r.tsNsec <= 999_999_999, `tsNsec ${r.tsNsec}`).toBe(true);
  expect(Number.isFinite(r.tsSec)).toBe(true);
  expect(r.tsDigits).toBeGreaterThanOrEqual(0);
  expect(r.tsDigits).toBeLessThanOrEqual(9);
  return recordText(r);
}

async function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still reading after ${HANG_MS} ms`)), HANG_MS); });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function read(source: Buffer[] | string, maxRecordBytes?: number): Promise<Outcome> {
  const out: Outcome = { records: [], warnings: [] };
  const max = maxRecordBytes ?? 262144;
  const opts: ReadOptions = { onWarning: (m) => out.warnings.push(m), maxRecordBytes };
  const onRecord = (r: CaptureRecord) => { out.records.push(checked(r, out.records.length + 1, max)); };
  try {
    const s = typeof source === 'string'
      ? await withDeadline(readCapture(source, onRecord, opts), 'readCapture')
      : await withDeadline(readCaptureStream(Readable.from(source, { objectMode: false }), onRecord, opts), 'readCaptureStream');
    expect(s.packets).toBe(out.records.length);
    // bytesRead is how far the input was read, which after an early stop depends on the chunk sizes.
    if (typeof source !== 'string') {
      const all = Buffer.concat(source);
      if (!(all[0] === 0x1f && all[1] === 0x8b)) expect(s.bytesRead).toBeLessThanOrEqual(all.length);
    }
    out.summary = JSON.stringify({ format: s.format, interfaces: s.interfaces, truncated: s.truncated });
  } catch (e) {
    // The one allowed failure; anything else fails the property with its own stack.
    if (!(e instanceof CaptureInputError)) throw e;
    out.error = e.message;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shaped inputs

const u8 = fc.integer({ min: 0, max: 255 });
const mostly = <T,>(usual: fc.Arbitrary<T>, any: fc.Arbitrary<T>) => fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: any, weight: 1 });
/** null (no lie) `weight` times out of `weight + 1`. */
const rarely = <T,>(arb: fc.Arbitrary<T>, weight = 5) => fc.oneof({ arbitrary: fc.constant(null), weight }, { arbitrary: arb, weight: 1 });
const lying32 = fc.constantFrom(0, 1, 4, 11, 12, 16, 28, 32, 0xffffffff, 0xfffffff0, 0x7fffffff, 262145, 327680, 327681, 0x10000000);
const body = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

function w32(le: boolean, v: number): Buffer { const b = Buffer.alloc(4); if (le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); return b; }
function w16(le: boolean, v: number): Buffer { const b = Buffer.alloc(2); if (le) b.writeUInt16LE(v & 0xffff); else b.writeUInt16BE(v & 0xffff); return b; }

const pcapShaped = fc
  .record({
    magic: fc.constantFrom(0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34),
    le: fc.boolean(),
    snaplen: mostly(fc.constant(65535), fc.nat()),
    linktype: fc.integer({ min: 0, max: 300 }),
    records: fc.array(fc.record({
      sec: fc.nat(), frac: mostly(fc.integer({ min: 0, max: 999999 }), fc.nat()), data: body(120),
      caplen: rarely(lying32, 6), len: rarely(fc.nat(), 2),
    }), { maxLength: 8 }),
    cut: rarely(fc.nat(), 3),
  })
  .map((s) => {
    const parts = [w32(s.le, s.magic), w16(s.le, 2), w16(s.le, 4), w32(s.le, 0), w32(s.le, 0), w32(s.le, s.snaplen), w32(s.le, s.linktype)];
    for (const r of s.records) {
      parts.push(w32(s.le, r.sec), w32(s.le, r.frac), w32(s.le, r.caplen ?? r.data.length), w32(s.le, r.len ?? r.data.length));
      if (s.magic === 0xa1b2cd34) parts.push(Buffer.alloc(8));
      parts.push(r.data);
    }
    const b = Buffer.concat(parts);
    return s.cut === null ? b : b.subarray(0, s.cut % (b.length + 1));
  });

const pngBlock = fc.record({
  type: fc.constantFrom(1, 1, 2, 3, 6, 6, 6, 4, 5, 0x0a0d0d0a, 0xbad, 0x80000001),
  ifid: mostly(fc.constant(0), fc.integer({ min: 0, max: 3 })),
  linktype: fc.constantFrom(1, 101, 113, 276, 0, 9999),
  tsresol: rarely(mostly(fc.constantFrom(6, 9, 3, 0x80 | 10), u8), 2),
  tsoffset: rarely(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), 4),
  snaplen: mostly(fc.constant(0), fc.nat()),
  hi: mostly(fc.integer({ min: 0, max: 0x60000 }), fc.nat()),
  lo: fc.nat(),
  data: body(100),
  caplen: rarely(lying32, 6),
  len: rarely(lying32, 8),
  trail: rarely(lying32, 8),
  bomFlip: fc.boolean(),
});

const pcapngShaped = fc
  .record({
    le: fc.boolean(), version: mostly(fc.constant(1), fc.integer({ min: 0, max: 3 })), idb: mostly(fc.constant(true), fc.boolean()),
    blocks: fc.array(pngBlock, { maxLength: 8 }), cut: rarely(fc.nat(), 3),
  })
  .map((s) => {
    let le = s.le;
    const block = (type: number, inner: Buffer[], lenLie: number | null, trailLie: number | null): Buffer => {
      let b = Buffer.concat(inner);
      if (b.length % 4) b = Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]);
      const total = b.length + 12;
      return Buffer.concat([w32(le, type), w32(le, lenLie ?? total), b, w32(le, trailLie ?? total)]);
    };
    const shb = (flip: boolean) => {
      if (flip) le = !le;
      return block(0x0a0d0d0a, [w32(le, 0x1a2b3c4d), w16(le, s.version), w16(le, 0), Buffer.alloc(8, 0xff)], null, null);
    };
    const parts = [shb(false)];
    if (s.idb) parts.push(block(1, [w16(le, 1), w16(le, 0), w32(le, 0)], null, null));
    for (const k of s.blocks) {
      switch (k.type) {
        case 0x0a0d0d0a: parts.push(shb(k.bomFlip)); break;
        case 1: {
          const opts: Buffer[] = [];
          if (k.tsresol !== null) opts.push(w16(le, 9), w16(le, 1), Buffer.from([k.tsresol, 0, 0, 0]));
          if (k.tsoffset !== null) { const o = Buffer.alloc(8); if (le) o.writeBigInt64LE(k.tsoffset); else o.writeBigInt64BE(k.tsoffset); opts.push(w16(le, 14), w16(le, 8), o); }
          if (opts.length) opts.push(w16(le, 0), w16(le, 0));
          parts.push(block(1, [w16(le, k.linktype), w16(le, 0), w32(le, k.snaplen), ...opts], k.len, k.trail));
          break;
        }
        case 6:
          parts.push(block(6, [w32(le, k.ifid), w32(le, k.hi), w32(le, k.lo), w32(le, k.caplen ?? k.data.length), w32(le, k.data.length), k.data], k.len, k.trail));
          break;
        case 2:
          parts.push(block(2, [w16(le, k.ifid), w16(le, 0), w32(le, k.hi), w32(le, k.lo), w32(le, k.caplen ?? k.data.length), w32(le, k.data.length), k.data], k.len, k.trail));
          break;
        case 3:
          parts.push(block(3, [w32(le, k.caplen ?? k.data.length), k.data], k.len, k.trail));
          break;
        default:
          parts.push(block(k.type, [k.data], k.len, k.trail));
      }
    }
    const b = Buffer.concat(parts);
    return s.cut === null ? b : b.subarray(0, s.cut % (b.length + 1));
  });

const anyInput = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)), weight: 1 },
  { arbitrary: pcapShaped, weight: 2 },
  { arbitrary: pcapngShaped, weight: 3 },
);

/** The input split at random points. */
function split(b: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, b.length]) { if (c > prev) out.push(b.subarray(prev, c)); prev = Math.max(prev, c); }
  return out.length ? out : [b];
}

describe('capture reader over arbitrary bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mptcpscope-prop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns or throws CaptureInputError, keeps record bounds, never hangs (seeded)', async () => {
    let records = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(anyInput, mostly(fc.constant(null), fc.integer({ min: 1, max: 400 })), async (input, max) => {
        const o = await read([input], max ?? undefined);
        records += o.records.length;
        if (o.error) refused++;
      }),
      { seed: SEED, numRuns: 1500 },
    );
    // The shapes must get records out of the reader, not only refusals.
    expect(records).toBeGreaterThan(500);
    expect(refused).toBeLessThan(1500);
  });

  it('the same records, warnings and result however the input is cut into chunks (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(anyInput, fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), async (input, cuts) => {
        const whole = await read([input]);
        const chunked = await read(split(input, cuts));
        expect(chunked).toEqual(whole);
      }),
      { seed: SEED + 1, numRuns: 800 },
    );
  });

  it('gzip-compressed input reads the same as plain (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(pcapShaped, pcapngShaped), fc.array(fc.nat(), { maxLength: 4 }), async (input, cuts) => {
        if (input.length < 2) return;
        const plain = await read([input]);
        const gz = await read(split(gzipSync(input), cuts));
        expect(gz.records).toEqual(plain.records);
        expect(gz.error).toEqual(plain.error);
      }),
      { seed: SEED + 2, numRuns: 200 },
    );
  });

  it('corrupt or cut gzip data: CaptureInputError or a truncation warning, nothing else (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(pcapShaped, pcapngShaped), fc.nat(), fc.option(fc.tuple(fc.nat(), u8)), async (input, cut, flip) => {
        const gz = Buffer.from(gzipSync(input));
        if (flip) gz[flip[0] % gz.length] ^= flip[1] | 1;
        await read([gz.subarray(0, cut % (gz.length + 1))]);
      }),
      { seed: SEED + 3, numRuns: 200 },
    );
  });

  it('a file reads the same as a stream (seeded)', async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(anyInput, async (input) => {
        const path = join(dir, `in-${i++}.pcap`);
        writeFileSync(path, input);
        const fromFile = await read(path);
        const fromStream = await read([input]);
        expect(fromFile.records).toEqual(fromStream.records);
        expect(fromFile.warnings).toEqual(fromStream.warnings);
        expect(fromFile.error === undefined).toBe(fromStream.error === undefined);
      }),
      { seed: SEED + 4, numRuns: 60 },
    );
  });
});
