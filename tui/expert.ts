/**
 * Expert info for the detail pane, as Wireshark shows it under a packet: what the analysis says about this
 * packet. Worked out on demand for the one packet shown, from the analysis state (keys, nonces, IDSNs, the
 * findings naming the packet) and the packet's own bytes:
 *
 * - the session, subflow and data-level direction;
 * - the DSN and DATA_ACK relative to the IDSNs (first data byte = 1, as Wireshark's relative DSN);
 * - an MP_JOIN HMAC as valid or invalid, with the expected value when invalid (RFC 8684 §3.2);
 * - a DSS checksum as correct or wrong, with the expected value (RFC 8684 §3.3.1), when the mapping's data is
 *   all in this packet;
 * - "retransmission of #N" (the same subflow bytes sent before on this subflow), "reinjection of #N" (the
 *   same data-level bytes sent before on another subflow), "conflicts with #N" (named by DATA_CONFLICT);
 * - the findings that name the packet.
 *
 * Earlier packets are found by walking the index backwards (headers only, bounded), not by keeping per-packet
 * state during the analysis.
 */
import type { Conn, Session } from '../analyze/model.js';
import type { Finding } from '../analyze/report-types.js';
import { joinHmac } from '../analyze/mptcp-crypto.js';
import { chunkSum, dssPseudoHeaderSum, fold16 } from '../analyze/ones-complement.js';
import { decodePacket } from '../dissect/decode.js';
import { newDecodedPacket, type DecodedPacket } from '../dissect/packet.js';
import { mptcpOptionsOf } from '../dissect/tcp-options.js';
import type { MptcpOption } from '../dissect/mptcp.js';
import { DIR_NONE, V_RETRANSMISSION } from './packet-index.js';
import type { DetailLine } from './view-detail.js';
import type { TuiModel } from './model.js';

/** How far back (packets) the search for an earlier copy goes. */
const LOOKBACK = 200_000;
const TWO64 = 1n << 64n;
const TWO32 = 1n << 32n;

const scratch = newDecodedPacket();

function dssOf(opts: MptcpOption[]): MptcpOption | undefined {
  return opts.find((o) => o.subtype === 'DSS' && !o.malformed && !o.truncated);
}

/** The relative value of a DSN or DATA_ACK: (value - idsn) modulo 2^64 (2^32 for a 32-bit field). */
export function relativeSeq(value: string, is64: boolean | undefined, idsn: bigint): bigint {
  const v = BigInt(value);
  return is64 ? (((v - idsn) % TWO64) + TWO64) % TWO64 : (((v - (idsn % TWO32)) % TWO32) + TWO32) % TWO32;
}

/**
 * The DSS checksum the sender should have put in: the ones' complement of the sum over the pseudo-header
 * (64-bit DSN, relative subflow sequence, data-level length, zero checksum) and the mapped payload.
 */
export function expectedDssChecksum(dsn64: bigint, subflowSeq: number, length: number, payload: Buffer, from: number): number {
  const hi = Number(dsn64 >> 32n);
  const lo = Number(dsn64 & 0xffffffffn);
  const sum = dssPseudoHeaderSum(hi, lo, subflowSeq, length, 0) + chunkSum(payload, from, from + length, 0);
  return (~fold16(sum)) & 0xffff;
}

/** The subflow's TCP direction (0: its SYN sender's) of a packet in session direction `sdir`. */
const tcpDirOf = (c: Conn, sdir: number): number => sdir ^ c.sessionDirOfDir0;

function hmacLines(s: Session, c: Conn, o: MptcpOption, add: (text: string, style?: DetailLine['style']) => void): void {
  if (o.subtype !== 'MP_JOIN' || !o.senderHmac || (o.phase !== 'SYN/ACK' && o.phase !== 'ACK')) return;
  // A: the initiator (the subflow's SYN sender), B: the responder.
  const sideA = s.side(c.sessionDirOfDir0);
  const sideB = s.side(c.sessionDirOfDir0 ^ 1);
  const nonceA = c.dirs[0].nonce;
  const nonceB = c.dirs[1].nonce;
  if (!sideA.key || !sideB.key || !nonceA || !nonceB) {
    add(`MP_JOIN ${o.phase} HMAC: unverifiable (${!sideA.key || !sideB.key ? 'keys' : 'nonces'} not seen)`, 'warning');
    return;
  }
  const expected = o.phase === 'SYN/ACK'
    ? joinHmac(s.version, sideB.key, sideA.key, nonceB, nonceA, 8)
    : joinHmac(s.version, sideA.key, sideB.key, nonceA, nonceB, 20);
  const carried = o.senderHmac.toLowerCase();
  if (expected === carried) add(`MP_JOIN ${o.phase} HMAC ${carried}: valid`, 'note');
  else add(`MP_JOIN ${o.phase} HMAC ${carried}: INVALID, expected ${expected}`, 'error');
}

function checksumLines(s: Session, sdir: number, p: DecodedPacket, o: MptcpOption, bytes: Buffer | null, add: (text: string, style?: DetailLine['style']) => void): void {
  if (o.checksum === undefined || o.dsn === undefined || o.dataLevelLength === undefined || o.subflowSeq === undefined) return;
  const carried = parseInt(o.checksum, 16);
  const len = o.dataLevelLength;
  const hex = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
  if (len === 0) return; // a DATA_FIN alone: nothing to check
  if (len > p.payloadLength) {
    add(`DSS checksum ${hex(carried)}: covers ${len} bytes, more than this packet carries (verdict in the session's findings)`, 'note');
    return;
  }
  if (!bytes || bytes.length < p.payloadOffset + len) {
    add(`DSS checksum ${hex(carried)}: not checked here (the payload is not at hand)`, 'note');
    return;
  }
  let dsn: bigint;
  if (o.dsn64) dsn = BigInt(o.dsn);
  else {
    const idsn = s.side(sdir).idsn;
    if (idsn === undefined) { add(`DSS checksum ${hex(carried)}: not checked here (32-bit DSN and the IDSN is unknown)`, 'note'); return; }
    // The upper 32 bits from the IDSN (a session shorter than 4 GiB per direction).
    dsn = (idsn & ~0xffffffffn) | BigInt(o.dsn);
    if (dsn < idsn) dsn += TWO32;
  }
  const expected = expectedDssChecksum(dsn, o.subflowSeq, len, bytes, p.payloadOffset);
  if (expected === carried) add(`DSS checksum ${hex(carried)}: correct`, 'note');
  else add(`DSS checksum ${hex(carried)}: WRONG, expected ${hex(expected)} (the data was altered after the sender computed it)`, 'error');
}

/** Whether [a, a+la) and [b, b+lb) overlap in 32-bit sequence space. */
function overlaps32(a: number, la: number, b: number, lb: number): boolean {
  if (la <= 0 || lb <= 0) return false;
  return ((a - b) >>> 0) < lb || ((b - a) >>> 0) < la;
}

/** The earlier packet (index position) sending the same subflow bytes on the same subflow and direction, or -1. */
function retransmissionOf(model: TuiModel, i: number, p: DecodedPacket): number {
  const ix = model.index;
  const seq = p.seq;
  const len = p.payloadLength;
  const sess = ix.session[i];
  const sf = ix.subflow[i];
  const dir = ix.dir[i];
  const q = newDecodedPacket();
  for (let k = i - 1; k >= 0 && k >= i - LOOKBACK; k--) {
    if (ix.session[k] !== sess || ix.subflow[k] !== sf || ix.dir[k] !== dir || ix.payloadLen[k] === 0) continue;
    const r = decodePacket(ix.record(k), q);
    if (r.isTcp && overlaps32(seq, len, r.seq, r.payloadLength)) return k;
  }
  return -1;
}

/** The earlier packet of the session and direction whose DSS maps data-level bytes overlapping [dsn, dsn+len), or -1. */
function sameDataOf(model: TuiModel, i: number, dsn: bigint, len: number, otherSubflowOnly: boolean): number {
  const ix = model.index;
  const sess = ix.session[i];
  const dir = ix.dir[i];
  const sf = ix.subflow[i];
  const q = newDecodedPacket();
  for (let k = i - 1; k >= 0 && k >= i - LOOKBACK; k--) {
    if (ix.session[k] !== sess || ix.dir[k] !== dir || ix.payloadLen[k] === 0) continue;
    if (otherSubflowOnly && ix.subflow[k] === sf) continue;
    const r = decodePacket(ix.record(k), q);
    const d = dssOf(mptcpOptionsOf(r));
    if (!d || d.dsn === undefined || !d.dataLevelLength) continue;
    const start = BigInt(d.dsn);
    const end = start + BigInt(d.dataLevelLength);
    if (start < dsn + BigInt(len) && dsn < end) return k;
  }
  return -1;
}

/** The findings (of the packet's session and the capture) that name packet number n. */
export function findingsNaming(model: TuiModel, n: number, session: number): Finding[] {
  const eng = model.engine;
  const out: Finding[] = [];
  const lists = [eng.findings, ...(session >= 0 && eng.sessions[session] ? [eng.sessions[session].findings] : [])];
  for (const list of lists) for (const f of list) if (f.packets.includes(n)) out.push(f);
  return out;
}

/**
 * Expert info lines for index position i. `bytes`: the packet as captured when at hand (for the checksum),
 * else null.
 */
export function expertLines(model: TuiModel, i: number, bytes: Buffer | null): DetailLine[] {
  const ix = model.index;
  const out: DetailLine[] = [];
  const add = (text: string, style?: DetailLine['style']): void => { out.push(style ? { text, depth: 1, style } : { text, depth: 1 }); };
  const s = ix.session[i];
  const n = ix.n[i];
  const p = decodePacket(ix.record(i), scratch);
  if (s >= 0) {
    const sess = model.engine.sessions[s];
    const sdir = ix.dir[i];
    const dirText = sdir === DIR_NONE ? '' : sdir === 0 ? ', c2s (client to server)' : ', s2c (server to client)';
    add(`MPTCP session ${s}, subflow ${ix.subflow[i]}${dirText}${sess?.fallback ? ', session fell back to TCP' : ''}`, 'note');
    const conn = sess?.subflows[ix.subflow[i]];
    if (sess && conn && sdir !== DIR_NONE && p.isTcp) {
      const opts = mptcpOptionsOf(p);
      const dss = dssOf(opts);
      // Relative DSN and DATA_ACK as the engine placed them (its observer), else from the IDSNs here.
      const dsnRel = ix.dsnRel[i];
      const ackRel = ix.ackRel[i];
      if (!Number.isNaN(dsnRel)) add(`relative DSN ${dsnRel} (data-level bytes ${sdir === 0 ? 'c2s' : 's2c'})`);
      else if (dss?.dsn !== undefined) {
        const idsn = sess.side(sdir).idsn;
        if (idsn !== undefined) add(`relative DSN ${relativeSeq(dss.dsn, dss.dsn64, idsn)} (data-level bytes ${sdir === 0 ? 'c2s' : 's2c'})`);
      }
      if (!Number.isNaN(ackRel)) add(`relative DATA_ACK ${ackRel} (acknowledges ${sdir === 0 ? 's2c' : 'c2s'})`);
      else if (dss?.dataAck !== undefined) {
        const idsn = sess.side(sdir ^ 1).idsn;
        if (idsn !== undefined) add(`relative DATA_ACK ${relativeSeq(dss.dataAck, dss.dataAck64, idsn)} (acknowledges ${sdir === 0 ? 's2c' : 'c2s'})`);
      }
      for (const o of opts) hmacLines(sess, conn, o, add);
      if (dss) checksumLines(sess, sdir, p, dss, bytes, add);
      if (p.payloadLength > 0) {
        const d = conn.dirs[tcpDirOf(conn, sdir)];
        const rel = d.isn >= 0 ? (p.seq - d.isn) >>> 0 : -1;
        // The engine's verdicts (observer API); the first copy of a retransmission is looked up here.
        const analysed = ix.connection[i] >= 0;
        if (!analysed || (ix.verdicts[i] & V_RETRANSMISSION) !== 0) {
          const retx = retransmissionOf(model, i, p);
          if (retx >= 0) add(`retransmission of #${ix.n[retx]} (subflow bytes ${rel >= 0 ? `from ${rel} ` : ''}sent before on subflow ${ix.subflow[i]})`, 'warning');
          else if (analysed) add('retransmission (subflow bytes seen before)', 'warning');
        }
        if (ix.reinjectionOf[i] >= 0) {
          const first = ix.indexOf(ix.reinjectionOf[i]);
          add(`reinjection of #${ix.reinjectionOf[i]} (the same data-level bytes were sent on subflow ${first >= 0 ? ix.subflow[first] : '?'})`, 'warning');
        }
        if (ix.conflictWith[i] >= 0) add(`conflicts with #${ix.conflictWith[i]} (the same data-level bytes with different content)`, 'error');
        if (!analysed && dss?.dsn !== undefined && dss.dataLevelLength) {
          const idsn = sess.side(sdir).idsn;
          let dsn = BigInt(dss.dsn);
          if (!dss.dsn64 && idsn !== undefined) { dsn = (idsn & ~0xffffffffn) | dsn; if (dsn < idsn) dsn += TWO32; }
          const re = sameDataOf(model, i, dsn, Math.min(dss.dataLevelLength, p.payloadLength), true);
          if (re >= 0) add(`reinjection of #${ix.n[re]} (the same data-level bytes were sent on subflow ${ix.subflow[re]})`, 'warning');
        }
      }
    }
  } else if (s <= -2) {
    add(`unmatched subflow ${-2 - s} (tied to no session)`, 'warning');
  } else if (p.isTcp) {
    add('not part of an MPTCP session', 'note');
  }
  for (const f of findingsNaming(model, n, s)) {
    add(`${f.severity.toUpperCase()} ${f.code}: ${f.message}`, f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'note');
  }
  return out;
}
