/**
 * The observer API of the analysis engine (docs/engine.md).
 *
 *   engine.observe({ packet(pkt, rec, a) { ... } });
 *
 * After each packet the engine calls every observer's `packet` with the decoded packet, its record and `a`, ONE
 * reused mutable object describing what the engine made of that packet. Read what you need during the call
 * (copy it to keep it): the next packet overwrites it, and `pkt`/`rec` are reused too. Without observers the
 * engine fills almost nothing of it (the per-packet cost is a flag test).
 *
 * Everything in `a` is what was known when the packet was analyzed. Some facts come later: a finding can be
 * raised at a later packet (a DSS checksum is decided when the last byte of its mapping arrives, DATA_INCOMPLETE
 * at the end) and then names earlier packets. `a.findings` lists only the codes raised while this packet was
 * analyzed that name it. A two-pass consumer gets every finding code per packet number from the final report
 * with `findingCodesByPacket(report.findings)`.
 */
import type { CaptureRecord } from '../dissect/record.js';
import type { DecodedPacket } from '../dissect/packet.js';
import type { Finding, HmacVerdict } from './report-types.js';

export type DataDir = 'c2s' | 's2c';

export interface PacketAnalysis {
  /** Packet number (1-based, as in the capture) and time (epoch seconds). */
  n: number;
  time: number;
  /** Stable id of the TCP connection (0, 1, … in order of first packet, like tshark's tcp.stream); -1 for non-TCP. */
  connection: number;
  /** Session id and subflow id, or -1 when the packet belongs to no session. */
  session: number;
  subflow: number;
  /** Data-level direction (the session's client to server is 'c2s'), null outside a session. */
  dir: DataDir | null;
  /** TCP direction relative to the connection's client (the SYN sender, or the first sender seen); null for non-TCP. */
  tcpDir: DataDir | null;
  /** TCP payload length on the wire. */
  payloadLength: number;
  /** Subflow-relative sequence number (first payload byte = 1) and acknowledgment number; null when the ISN is unknown. */
  seq: number | null;
  ack: number | null;
  /** TCP receive window with the window scale of the SYNs applied (RFC 7323); the raw field when the scale is unknown. */
  window: number;
  /** The shift applied to `window` (0..14), or -1 when the SYNs were not seen (the window is then the raw field). */
  windowShift: number;
  /** The segment repeats subflow bytes already seen on its subflow (a TCP retransmission). */
  retransmission: boolean;
  /** The segment carries subflow bytes not seen before but below the subflow's highest sequence (it fills a hole). */
  outOfOrder: boolean;
  /** The segment carries data-level bytes first sent on another subflow: the packet number of that first copy, else -1. */
  reinjectionOf: number;
  /** The segment carries data-level bytes that differ from an earlier copy: that copy's packet number, else -1. */
  conflictWith: number;
  /**
   * Data sequence number relative to the IDSN (the first data byte is 1, as Wireshark shows it) of the packet's
   * first payload byte (through the mapping covering it), or of its DSS mapping when it carries no payload; null
   * when no mapping covers it or the data-level start is unknown (when the keys were not captured, numbers are
   * relative to the first 64-bit DSN seen).
   */
  dsn: number | null;
  /** DATA_ACK relative to the peer's IDSN (the next byte expected; 1 = nothing received), null when absent or unknown. */
  dataAck: number | null;
  /** MP_JOIN HMAC verdict decided at this packet (SYN/ACK or third ACK), or the ADD_ADDR HMAC verdict; else null. */
  hmac: HmacVerdict | null;
  /** DSS checksum verdict of a mapping completed at this packet: true valid, false mismatch; null when none was decided. */
  checksum: boolean | null;
  /** Codes of the findings raised while analyzing this packet that name it. */
  findings: string[];
  /**
   * Data-level in-order delivery in `dir`: the relative DSN up to which every byte is accounted for (delivered or
   * declared a gap) after this packet (0 = nothing yet), and whether this packet advanced it. Issue 14 builds
   * stall detection on it. -1 outside a session.
   */
  dataDeliveredTo: number;
  dataAdvanced: boolean;
}

export interface PacketObserver {
  /** Called after each packet was analyzed; `a` is reused (see above). */
  packet(pkt: DecodedPacket, rec: CaptureRecord, a: PacketAnalysis): void;
  /** Called once by `engine.finish()`, after the last findings were raised. */
  finish?(): void;
  /**
   * False when the observer never reads `reinjectionOf` and `conflictWith`: when no observer does, the engine
   * skips its log of first copies, the costliest part of filling the analysis.
   */
  readonly copies?: boolean;
}

export function newPacketAnalysis(): PacketAnalysis {
  return {
    n: 0, time: 0, connection: -1, session: -1, subflow: -1, dir: null, tcpDir: null, payloadLength: 0, seq: null, ack: null,
    window: 0, windowShift: -1, retransmission: false, outOfOrder: false, reinjectionOf: -1, conflictWith: -1, dsn: null,
    dataAck: null, hmac: null, checksum: null, findings: [], dataDeliveredTo: -1, dataAdvanced: false,
  };
}

/** Clears the per-packet fields before a packet is analyzed. */
export function resetPacketAnalysis(a: PacketAnalysis, n: number, clock: { readonly now: number }): void {
  a.n = n;
  // The time from the engine's clock: a double argument would be boxed on every call that is not inlined.
  a.time = clock.now;
  a.connection = -1;
  a.session = -1;
  a.subflow = -1;
  a.dir = null;
  a.tcpDir = null;
  a.payloadLength = 0;
  a.seq = null;
  a.ack = null;
  a.window = 0;
  a.windowShift = -1;
  a.retransmission = false;
  a.outOfOrder = false;
  a.reinjectionOf = -1;
  a.conflictWith = -1;
  a.dsn = null;
  a.dataAck = null;
  a.hmac = null;
  a.checksum = null;
  if (a.findings.length > 0) a.findings.length = 0;
  a.dataDeliveredTo = -1;
  a.dataAdvanced = false;
}

/**
 * Finding codes per packet number, from a final report's findings (for two-pass consumers). Each finding lists
 * at most 50 packets (its `count` says how often it occurred).
 */
export function findingCodesByPacket(findings: readonly Finding[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const f of findings) {
    for (const n of f.packets) {
      const list = out.get(n);
      if (list === undefined) out.set(n, [f.code]);
      else if (!list.includes(f.code)) list.push(f.code);
    }
  }
  return out;
}
