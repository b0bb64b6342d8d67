// Crafted MPTCP conversations fed packet by packet into the analysis engine, with the RFC arithmetic (IDSN,
// token, DSS checksum, MP_JOIN HMAC) recomputed here independently of the engine.
import { createHash, createHmac } from 'node:crypto';
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../../analyze/engine.js';
import { buildReport } from '../../analyze/report.js';
import { decodePacket } from '../../dissect/decode.js';
import { newDecodedPacket } from '../../dissect/packet.js';
import { opt, record, tcpFrame, type TcpSpec } from './craft.js';

export const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const C = '10.0.0.1';
export const S = '10.0.0.2';
export const KEY_S = '0123456789abcdef';

/** IDSN = low 64 bits of SHA-1 (v0) / SHA-256 (v1) of the key. */
export function idsnOf(key: string, version: number): bigint {
  const d = createHash(version === 0 ? 'sha1' : 'sha256').update(Buffer.from(key, 'hex')).digest();
  return d.readBigUInt64BE(d.length - 8);
}
export function tokenOf(key: string, version: number): string {
  return createHash(version === 0 ? 'sha1' : 'sha256').update(Buffer.from(key, 'hex')).digest('hex').slice(0, 8);
}

/** RFC 1071 checksum over a byte string. */
function inetChecksum(bytes: Buffer): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
/** DSS checksum (RFC 8684 §3.3.1): pseudo-header of 64-bit DSN, subflow sequence, data-level length, then the data. */
export function dssChecksum(dsn: bigint, ssn: number, len: number, payload: Buffer): number {
  const ph = Buffer.alloc(16);
  ph.writeBigUInt64BE(dsn, 0);
  ph.writeUInt32BE(ssn, 8);
  ph.writeUInt16BE(len, 12);
  return inetChecksum(Buffer.concat([ph, payload]));
}

/** v1 MP_JOIN HMAC (RFC 8684 §3.2): HMAC-SHA256 keyed with key1||key2 over nonce1||nonce2, as hex. */
export function joinHmacV1(key1: string, key2: string, nonce1: string, nonce2: string): string {
  return createHmac('sha256', Buffer.from(key1 + key2, 'hex')).update(Buffer.from(nonce1 + nonce2, 'hex')).digest('hex');
}

export class Trace {
  readonly engine: AnalysisEngine;
  n = 0;
  private t = 1_700_000_000;
  private readonly p = newDecodedPacket();
  constructor(opts: Partial<EngineOptions> = {}) {
    this.engine = new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS, maxUnmatched: 100, ...opts });
  }
  send(spec: TcpSpec): number {
    const rec = record(++this.n, (this.t += 0.001), tcpFrame(spec), spec.snaplen);
    this.engine.push(rec, decodePacket(rec, this.p));
    return this.n;
  }
  report(truncated = false) {
    this.engine.finish();
    return buildReport(this.engine, { file: 'crafted', format: 'pcap', truncated, version: 'test' });
  }
}

export interface Flow { cport: number; sport: number; cisn: number; sisn: number; csrc?: string }

/** Handshake of an initial subflow with MP_CAPABLE (v0: keys in SYN and SYN/ACK; v1: keys in SYN/ACK and ACK). */
export function handshake(tr: Trace, version: number, ckey: string, skey: string, flags = 0x01): Flow {
  const f: Flow = { cport: 40000, sport: 443, cisn: 1000, sisn: 5000 };
  tr.send({ src: C, dst: S, sport: f.cport, dport: f.sport, seq: f.cisn, flags: 'S', options: [version === 0 ? opt.mpcSyn(0, flags, ckey) : opt.mpcSyn(1, flags)] });
  tr.send({ src: S, dst: C, sport: f.sport, dport: f.cport, seq: f.sisn, ack: f.cisn + 1, flags: 'SA', options: [opt.mpcSyn(version, flags, skey)] });
  tr.send({ src: C, dst: S, sport: f.cport, dport: f.sport, seq: f.cisn + 1, ack: f.sisn + 1, flags: 'A', options: [opt.mpcAck(version, flags, ckey, skey)] });
  return f;
}

/** Client data on a subflow: `rel` is the subflow-relative sequence number of the first byte (1-based). */
export function c2s(tr: Trace, f: Flow, rel: number, payload: Buffer, dss: Buffer | null, snaplen?: number): number {
  return tr.send({ src: f.csrc ?? C, dst: S, sport: f.cport, dport: f.sport, seq: f.cisn + rel, ack: f.sisn + 1, flags: 'PA', options: dss ? [dss] : [], payload, snaplen });
}

/** Server segment on a subflow (`rel`: its relative sequence number; `ackRel`: the client bytes acknowledged + 1). */
export function s2c(tr: Trace, f: Flow, rel: number, ackRel: number, payload: Buffer, options: Buffer[] = [], flags = 'A'): number {
  return tr.send({ src: S, dst: f.csrc ?? C, sport: f.sport, dport: f.cport, seq: f.sisn + rel, ack: f.cisn + ackRel, flags, options, payload });
}
