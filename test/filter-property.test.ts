// Property tests of the display-filter language (fast-check): the parser round-trips through the canonical
// text, random input never throws anything but a FilterError, and `not (A)` selects the complement of A.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket, type DecodedPacket } from '../dissect/packet.js';
import type { CaptureRecord } from '../dissect/record.js';
import { compileFilter, FilterError, formatFilter, parseFilter, lookupField, type Expr } from '../dissect/filter/index.js';
import { ROOT } from './oracles/common.js';

const isField = (n: string): boolean => lookupField(n) !== undefined;

/** Removes source spans so trees can be compared. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === 'object' && !Buffer.isBuffer(x)) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (k !== 'pos' && k !== 'len') o[k] = strip(v);
    return o;
  }
  return x;
}

const FIELDS = ['tcp.options.mptcp.subtype', 'tcp.port', 'tcp.len', 'ip.addr', 'tcp.flags', 'tcp.flags.syn', 'frame.number',
  'tcp.options.mptcp.addrid', 'tcp.payload', 'tcp.stream', 'tcp.options.mptcp.rawdataseqno', 'ipv6.addr', 'eth.src'];
const field = fc.constantFrom(...FIELDS);
const intLit = fc.oneof(fc.nat(70000).map(String), fc.nat(255).map((n) => `0x${n.toString(16)}`), fc.nat(64).map((n) => `0${n.toString(8)}`));
const cmpOp = fc.constantFrom('==', '!=', '===', '!==', '~=', '<', '>', '<=', '>=', 'eq', 'ne', 'lt', 'gt', 'le', 'ge', 'any_eq', 'all_ne', 'all_eq', 'any_ne');

/** Well-typed random expressions over integer fields (so they compile), as source text. */
const typedExpr: fc.Arbitrary<string> = fc.letrec((tie) => ({
  atom: fc.oneof(
    fc.tuple(fc.constantFrom('tcp.options.mptcp.subtype', 'tcp.port', 'tcp.len', 'frame.number', 'tcp.options.mptcp.addrid', 'tcp.stream'), cmpOp, intLit).map(([f, o, v]) => `${f} ${o} ${v}`),
    fc.tuple(fc.constantFrom('tcp.options.mptcp.subtype', 'tcp.port'), fc.array(fc.tuple(fc.nat(9000), fc.option(fc.nat(9000))), { minLength: 1, maxLength: 3 }))
      .map(([f, ms]) => `${f} in {${ms.map(([a, b]) => (b === null ? String(a) : `${Math.min(a, b)}..${Math.max(a, b)}`)).join(', ')}}`),
    fc.constantFrom('tcp.options.mptcp.subtype', 'tcp.flags.syn', 'tcp.payload', 'ipv6.addr', 'tcp.flags & 0x12', 'ip.addr == 10.0.1.0/24', 'tcp.payload contains 00', 'tcp.flags.str matches "a.*s"'),
    fc.tuple(fc.constantFrom('any', 'all'), fc.constantFrom('tcp.port', 'tcp.options.mptcp.subtype'), fc.constantFrom('==', '!=', '>'), intLit).map(([q, f, o, v]) => `${q} ${f} ${o} ${v}`),
  ),
  expr: fc.oneof(
    { depthSize: 'small' },
    tie('atom') as fc.Arbitrary<string>,
    fc.tuple(tie('expr') as fc.Arbitrary<string>, fc.constantFrom('&&', '||', '^^', 'and', 'or', 'xor'), tie('expr') as fc.Arbitrary<string>).map(([a, o, b]) => `(${a}) ${o} (${b})`),
    (tie('expr') as fc.Arbitrary<string>).map((a) => `!(${a})`),
    (tie('expr') as fc.Arbitrary<string>).map((a) => `not ${a.startsWith('(') ? a : `(${a})`}`),
  ),
})).expr;

/** Token soup: arbitrary mixes of the language's pieces, mostly invalid. */
const soup = fc.array(fc.oneof(
  field, intLit, cmpOp, fc.constantFrom('(', ')', '{', '}', '[', ']', ':', '-', ',', '..', '&&', '||', '!', '^^', '&', 'and', 'or', 'not', 'xor', 'in', 'contains', 'matches', '~', 'any', 'all', '"a\\x41"', 'r"x\\y"', "'a'", '10.0.0.0/8', 'fe80::/10', '00:11:22', 'len(', 'count(', 'True', '"', "'", '\\'),
  fc.string({ maxLength: 4 }),
), { maxLength: 12 }).map((parts) => parts.join(' '));

describe('display filter properties', () => {
  it('parse -> format -> parse gives the same tree, and format is a fixed point', () => {
    fc.assert(fc.property(typedExpr, (src) => {
      const t1 = parseFilter(src, isField);
      const text = formatFilter(t1);
      const t2 = parseFilter(text, isField);
      expect(strip(t2)).toEqual(strip(t1));
      expect(formatFilter(t2)).toBe(text);
    }), { numRuns: 400 });
  });

  it('random text never throws anything but FilterError, and a FilterError points inside the text', () => {
    fc.assert(fc.property(fc.oneof(soup, fc.string({ maxLength: 30 }), typedExpr), (src) => {
      try {
        compileFilter(src);
      } catch (err) {
        expect(err).toBeInstanceOf(FilterError);
        const e = err as FilterError;
        expect(e.pos).toBeGreaterThanOrEqual(0);
        expect(e.pos).toBeLessThanOrEqual(src.length);
        expect(e.reason.length).toBeGreaterThan(0);
      }
    }), { numRuns: 1500 });
  });

  describe('on real packets', () => {
    const packets: Array<{ rec: CaptureRecord; p: DecodedPacket }> = [];
    const load = async (): Promise<void> => {
      if (packets.length) return;
      for (const f of ['captures/v1-four-subflows-addaddr.pcap', 'captures/remove-addr.pcap', 'captures/v1-ipv6.pcap']) {
        await readCapture(join(ROOT, f), (rec) => {
          const copy: CaptureRecord = { ...rec, data: Buffer.from(rec.data) };
          packets.push({ rec: copy, p: decodePacket(copy, newDecodedPacket()) });
        });
      }
    };

    it('not (A) selects exactly the packets A does not, and xor is (A and not B) or (not A and B)', async () => {
      await load();
      fc.assert(fc.property(typedExpr, typedExpr, (a, b) => {
        const fa = compileFilter(a);
        const fn = compileFilter(`not (${a})`);
        const fb = compileFilter(b);
        const fx = compileFilter(`(${a}) xor (${b})`);
        for (const { rec, p } of packets) {
          const va = fa.match(rec, p);
          expect(fn.match(rec, p)).toBe(!va);
          expect(fx.match(rec, p)).toBe(va !== fb.match(rec, p));
        }
      }), { numRuns: 60 });
    });

    it('whatever compiles from random text also evaluates on real packets without throwing', async () => {
      await load();
      let compiled = 0;
      fc.assert(fc.property(fc.oneof(soup, typedExpr), (src) => {
        let f;
        try { f = compileFilter(src); } catch (err) { expect(err).toBeInstanceOf(FilterError); return; }
        compiled++;
        for (const { rec, p } of packets) expect(typeof f.match(rec, p)).toBe('boolean');
      }), { numRuns: 150 });
      expect(compiled).toBeGreaterThan(10);
    });

    it('a compiled filter gives the same answers as its canonical text compiled again', async () => {
      await load();
      fc.assert(fc.property(typedExpr, (a) => {
        const f1 = compileFilter(a);
        const f2 = compileFilter(formatFilter(parseFilter(a, isField)));
        for (const { rec, p } of packets) expect(f2.match(rec, p)).toBe(f1.match(rec, p));
      }), { numRuns: 40 });
    });
  });
});
