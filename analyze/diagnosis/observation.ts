/**
 * What the diagnosis reads from one packet of an MPTCP session: sequence numbers, lengths, windows, timestamps
 * and options only (never payload bytes, so headers-only captures work). The feed (feed.ts) fills one reused
 * object per packet from the engine's packet analysis; unit tests fill it by hand.
 */
import { doubleFields, taggedFields } from '../v8-fields.js';

export interface PacketObservation {
  /** Packet number (1-based, as in the capture). */
  n: number;
  /** Seconds since the start of the capture. */
  time: number;
  /** Subflow id within the session. */
  subflow: number;
  /** Data-level direction of the packet's sender: 0 = c2s, 1 = s2c. */
  dir: 0 | 1;
  /** TCP flags byte (SYN 0x02, RST 0x04, FIN 0x01, ACK 0x10). */
  flags: number;
  /** Relative subflow sequence number of the first payload byte (the first byte after the SYN is 1); -1: unknown. */
  seq: number;
  /** TCP payload length on the wire. */
  len: number;
  /** Relative subflow acknowledgment of the other direction (same scale as its `seq`); -1: none or unknown. */
  ack: number;
  /** Advertised receive window in bytes with the SYNs' window scale applied; -1 when the scale is unknown. */
  win: number;
  /** TCP timestamp option values; -1: absent. */
  tsval: number;
  tsecr: number;
  /** SACK blocks in the packet. */
  sackBlocks: number;
  /** Data-level offset (0 = first data byte) of the first payload byte, through the DSS mapping; -1: unknown. */
  dataStart: number;
  /** DATA_ACK as a data-level offset of the other direction (0 = nothing acknowledged); -1: none in this packet. */
  dataAck: number;
  /** The engine found the data-level bytes of this segment to differ from an earlier copy. */
  conflict: boolean;
}

export function newObservation(): PacketObservation {
  const o: PacketObservation = { n: 0, time: 0, subflow: 0, dir: 0, flags: 0, seq: -1, len: 0, ack: -1, win: -1, tsval: -1, tsecr: -1, sackBlocks: 0, dataStart: -1, dataAck: -1, conflict: false };
  // Their final kinds from the start (v8-fields.ts): TSvals exceed V8's small integers; sequence numbers and
  // offsets may.
  doubleFields(o, ['time', 'tsval', 'tsecr']);
  taggedFields(o, ['seq', 'ack', 'win', 'dataStart', 'dataAck']);
  return o;
}

/** Control events that change which subflows may carry data (from the engine's session events). */
export type ControlKind = 'rst' | 'fin' | 'remove-addr' | 'mp-prio-backup' | 'mp-prio-normal';

export const TCPF_FIN = 0x01;
export const TCPF_SYN = 0x02;
export const TCPF_RST = 0x04;
export const TCPF_ACK = 0x10;
