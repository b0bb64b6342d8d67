/**
 * Writes the hand-minimised reproducers of the bugs the fuzzer and the property tests found
 * (test/regressions/repro-*.pcap, each with its note). The fuzzer's own inputs for the same bugs are kept
 * beside them as crash-<hash>.pcap. Run: `npx tsc -p fuzz/tsconfig.json && node fuzz/dist/fuzz/make-repros.js`.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { opt, tcpFrame, type TcpSpec } from '../test/helpers/craft.js';
import { pcapFile, type PcapPacket } from '../test/helpers/pcap.js';

const DIR = process.argv[2] ?? 'test/regressions';
const T0 = 1700000000;
const C = '10.0.0.1';
const S = '10.0.0.2';
const CK = '0102030405060708';
const SK = 'a1a2a3a4a5a6a7a8';

function at(sec: number, frame: Buffer, caplen?: number): PcapPacket {
  const data = caplen === undefined ? frame : frame.subarray(0, caplen);
  return { data, len: frame.length, sec: T0 + Math.floor(sec), frac: Math.round((sec % 1) * 1e6) };
}

const c2s = (t: Partial<TcpSpec>): TcpSpec => ({ src: C, dst: S, sport: 40000, dport: 5201, seq: 1000, ack: 0, flags: 'A', ...t });
const s2c = (t: Partial<TcpSpec>): TcpSpec => ({ src: S, dst: C, sport: 5201, dport: 40000, seq: 9000, ack: 0, flags: 'A', ...t });

function idsnOf(key: string): bigint {
  const d = createHash('sha256').update(Buffer.from(key, 'hex')).digest();
  return d.readBigUInt64BE(d.length - 8);
}

/** v1 MP_CAPABLE handshake at times t, t + 1 ms, t + 2 ms (client ISN 1000, server ISN 9000). */
function handshake(t: number): PcapPacket[] {
  return [
    at(t, tcpFrame(c2s({ seq: 1000, flags: 'S', options: [opt.mpcSyn(1, 0x01)] }))),
    at(t + 0.001, tcpFrame(s2c({ seq: 9000, ack: 1001, flags: 'SA', options: [opt.mpcSyn(1, 0x01, SK)] }))),
    at(t + 0.002, tcpFrame(c2s({ seq: 1001, ack: 9001, options: [opt.mpcAck(1, 0x01, CK, SK)] }))),
  ];
}

interface Repro {
  name: string;
  packets: PcapPacket[];
  note: string;
}

const repros: Repro[] = [
  {
    name: 'repro-tcp-payload-offset-past-caplen',
    packets: (() => {
      const nops = Buffer.alloc(40, 1);
      const full = tcpFrame(c2s({ options: [nops], payload: Buffer.from('0123456789') }));
      const lowDoff = Buffer.from(tcpFrame(c2s({ seq: 2000 })));
      lowDoff[14 + 20 + 12] = 0x10; // data offset 1 word
      return [at(1, full), at(2, full, 14 + 20 + 30), at(3, lowDoff)];
    })(),
    note: [
      'dissect (fixed): decodeTcp reported a payloadOffset past the captured bytes.',
      'Packet 2: a 60-byte TCP header cut by the snaplen after 30 bytes: payloadOffset was 94 with 64 bytes captured.',
      'Packet 3: TCP data offset 1 (below 5): payloadOffset was left stale from packet 1 (94 with 54 bytes captured).',
      'Broke the documented bound payloadCaptured <= data.length - payloadOffset (test/property-decode.test.ts).',
      'Fixed in dissect/tcp.ts: payloadOffset stops at the end of the captured bytes, and is set for data offsets below 5.',
    ].join('\n'),
  },
  {
    name: 'repro-capture-duration-negative',
    packets: [at(10, tcpFrame(c2s({}))), at(9, tcpFrame(s2c({})))],
    note: [
      'analyze (fixed in commit 43a4a9a): capture.duration is negative (-1) when the last packet is older than the first,',
      'which docs/analyze.schema.json forbids (minimum 0). Merged captures are not always in time order.',
      'Cause: AnalysisEngine.push sets lastTime to the time of the last packet, not the latest time;',
      'report.ts computes duration = lastTime - firstTime.',
      'Fix proposed then (analyze/engine.ts push): `if (time > this.lastTime) this.lastTime = time;` and',
      '`if (this.firstTime < 0 || time < this.firstTime) ...` kept as the first packet time for event times, with',
      'report.ts duration = round3(Math.max(0, engine.lastTime - start)).',
    ].join('\n'),
  },
  {
    name: 'repro-session-duration-negative',
    packets: [
      at(10, tcpFrame(c2s({ flags: 'S', options: [opt.mpcSyn(1, 0x01)] }))),
      at(9, tcpFrame(s2c({ ack: 1001, flags: 'SA', options: [opt.mpcSyn(1, 0x01, SK)] }))),
      at(20, tcpFrame({ src: '10.9.9.9', dst: S, sport: 1, dport: 2, seq: 1, flags: 'A' })),
    ],
    note: [
      'analyze (fixed in commit 43a4a9a): sessions[0].duration is negative (-1): the SYN/ACK is older than the SYN.',
      'docs/analyze.schema.json requires duration >= 0.',
      'Cause: AnalysisEngine.push sets `s.end = time` for every session packet (not the latest time).',
      'Fix proposed then (analyze/engine.ts push): `if (time > s.end) s.end = time;` (and the same for conn.end).',
    ].join('\n'),
  },
  {
    name: 'repro-rtt-negative',
    packets: [
      at(10, tcpFrame(c2s({ flags: 'S', options: [opt.mpcSyn(1, 0x01)] }))),
      at(10.001, tcpFrame(s2c({ ack: 1001, flags: 'SA', options: [opt.mpcSyn(1, 0x01, SK)] }))),
      at(9, tcpFrame(c2s({ seq: 1001, ack: 9001, options: [opt.mpcAck(1, 0x01, CK, SK)] }))),
      at(11, tcpFrame(c2s({ seq: 1001, ack: 9001 }))),
    ],
    note: [
      'analyze (fixed in commit 43a4a9a): sessions[0].subflows[0].rttMs is -1000: the third ACK is older than the SYN.',
      'docs/analyze.schema.json requires rttMs >= 0.',
      'Cause: onOption (MP_CAPABLE and MP_JOIN third ACK) sets conn.rttMs = (time - conn.synTime) * 1000 unchecked.',
      'Fix proposed then (analyze/engine.ts): set rttMs only when time >= conn.synTime (leave it absent otherwise).',
    ].join('\n'),
  },
  {
    name: 'repro-reorder-delay-negative',
    packets: (() => {
      const base = idsnOf(CK) + 1n;
      // Data offsets 100..199 and 200..299 arrive; 0..99 never does. Subflow sequence = 1 + data offset.
      const seg = (t: number, off: number) => at(t, tcpFrame(c2s({
        seq: 1001 + off, ack: 9001, flags: 'PA', payload: Buffer.alloc(100, off / 100),
        options: [opt.dss({ dsn: base + BigInt(off), dsn64: true, ssn: 1 + off, len: 100 })],
      })));
      return [...handshake(0), seg(1, 100), seg(2, 200)];
    })(),
    note: [
      'analyze (fixed in commit 43a4a9a): sessions[0].data.c2s.reorderDelay.p50Ms is -1000, which docs/analyze.schema.json forbids.',
      'The first 100 data bytes were never captured; bytes 100-199 (t=1 s) and 200-299 (t=2 s) wait in the',
      'stream. At finish() DataStream declares the gap and calls drain(first.arrival): the second piece is',
      'delivered with delay first.arrival - its own arrival = -1 s. skipToPending (buffer limit) and release()',
      '(checksummed mappings, delivered with their own packet time) do the same.',
      'Fix proposed then (analyze/data-stream.ts drain): `this.delays.add(Math.max(0, time - q.arrival));` (or drain',
      'with the latest time seen rather than the first piece\'s arrival).',
    ].join('\n'),
  },
];

for (const r of repros) {
  const bytes = pcapFile(r.packets, { linktype: 1 });
  writeFileSync(join(DIR, `${r.name}.pcap`), bytes);
  writeFileSync(join(DIR, `${r.name}.txt`), `${r.name}.pcap (made by fuzz/make-repros.ts)\n${r.note}\n`);
  process.stdout.write(`wrote ${join(DIR, r.name)}.pcap (${bytes.length} bytes)\n`);
}
