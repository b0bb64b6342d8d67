// Builds Ethernet/IPv4/TCP frames with MPTCP options byte by byte (RFC 791, RFC 9293, RFC 8684 layouts),
// for what no capture can show: crafted mappings, wraps, conflicts.
import type { CaptureRecord } from '../../dissect/record.js';

export interface TcpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: string; // letters S A F R P
  options?: Buffer[];
  payload?: Buffer;
  /** Captured bytes limit (snaplen). */
  snaplen?: number;
  /** TCP window field (default 65535). */
  win?: number;
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };

export function tcpFrame(t: TcpSpec): Buffer {
  let opts = Buffer.concat(t.options ?? []);
  while (opts.length % 4) opts = Buffer.concat([opts, Buffer.from([1])]);
  const payload = t.payload ?? Buffer.alloc(0);
  const tcp = Buffer.alloc(20 + opts.length);
  tcp.writeUInt16BE(t.sport, 0);
  tcp.writeUInt16BE(t.dport, 2);
  tcp.writeUInt32BE(t.seq >>> 0, 4);
  tcp.writeUInt32BE((t.ack ?? 0) >>> 0, 8);
  tcp[12] = (tcp.length / 4) << 4;
  tcp[13] = [...t.flags].reduce((a, c) => a | (FLAG_BITS[c] ?? 0), 0);
  tcp.writeUInt16BE(t.win ?? 65535, 14);
  opts.copy(tcp, 20);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + tcp.length + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from(t.src.split('.').map(Number)).copy(ip, 12);
  Buffer.from(t.dst.split('.').map(Number)).copy(ip, 16);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, tcp, payload]);
}

export function record(n: number, time: number, frame: Buffer, snaplen = 262144): CaptureRecord {
  const data = frame.subarray(0, Math.min(frame.length, snaplen));
  return { n, iface: 0, linktype: 1, tsSec: Math.floor(time), tsNsec: Math.round((time % 1) * 1e9), tsDigits: 6, caplen: data.length, len: frame.length, data };
}

const mp = (bytes: number[]): Buffer => Buffer.from([30, bytes.length + 2, ...bytes]);
const hexBytes = (h: string): number[] => [...Buffer.from(h, 'hex')];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const u64 = (v: bigint): number[] => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt.asUintN(64, v)); return [...b]; };
const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];

export const opt = {
  mpcSyn: (version: number, flags: number, key?: string) => mp([0x00 | version, flags, ...(key ? hexBytes(key) : [])]),
  mpcAck: (version: number, flags: number, skey: string, rkey: string) => mp([version, flags, ...hexBytes(skey), ...hexBytes(rkey)]),
  joinSyn: (token: string, nonce: string, id: number, backup = false) => mp([0x10 | (backup ? 1 : 0), id, ...hexBytes(token), ...hexBytes(nonce)]),
  joinSynAck: (hmac8: string, nonce: string, id: number) => mp([0x10, id, ...hexBytes(hmac8), ...hexBytes(nonce)]),
  joinAck: (hmac20: string) => mp([0x10, 0, ...hexBytes(hmac20)]),
  /** DSS with a mapping: 32-bit or 64-bit DSN, optional 64-bit data ACK, optional checksum, DATA_FIN. */
  dss: (m: { dsn: bigint; dsn64: boolean; ssn: number; len: number; fin?: boolean; ack?: bigint; csum?: number }) => {
    const flags = 0x04 | (m.dsn64 ? 0x08 : 0) | (m.fin ? 0x10 : 0) | (m.ack !== undefined ? 0x03 : 0);
    return mp([0x20, flags, ...(m.ack !== undefined ? u64(m.ack) : []), ...(m.dsn64 ? u64(m.dsn) : u32(Number(m.dsn & 0xffffffffn))), ...u32(m.ssn), ...u16(m.len), ...(m.csum !== undefined ? u16(m.csum) : [])]);
  },
  dataAck: (ack: bigint) => mp([0x20, 0x03, ...u64(ack)]),
  /** TCP window scale option (RFC 7323). */
  wscale: (shift: number) => Buffer.from([3, 3, shift]),
  /** MP_FASTCLOSE carrying the receiver's key (RFC 8684 §3.5). */
  fastclose: (key: string) => mp([0x70, 0x00, ...hexBytes(key)]),
  /** MP_FAIL with a 64-bit DSN (RFC 8684 §3.7). */
  mpFail: (dsn: bigint) => mp([0x60, 0x00, ...u64(dsn)]),
};
