/**
 * The decoded layers of one packet, filled in place by `decodePacket` into a reused object.
 * Addresses and options stay as offsets into the packet bytes until a consumer asks for text.
 */
export interface DecodedPacket {
  /**
   * Buffer holding the packet bytes: the record's `data` (decodePacket), or the reader's whole chunk
   * (decodePacketInChunk). Every offset below is absolute into it; the captured bytes end at `end`.
   */
  data: Buffer;
  /** Offset of the first captured byte in `data` (0 for decodePacket). */
  start: number;
  /** Offset just past the last captured byte in `data` (never use data.length as the bound). */
  end: number;
  /** Why decoding stopped before TCP, if it did (unknown link type, not IP, not TCP, truncated header, ...). */
  note: string;
  /** Offset of the network-layer header, or -1. */
  l3Offset: number;
  /** 4 or 6 when an IP header was decoded, else 0. */
  ipVersion: number;
  /** Offsets of the source and destination address bytes inside `data`. */
  srcOffset: number;
  dstOffset: number;
  /** IP protocol of the transport header (6 for TCP), -1 if unknown. */
  protocol: number;
  /** Total bytes of the IP payload on the wire, from the IP length fields (not from caplen). */
  ipPayloadLength: number;
  /** True when this is a non-first IP fragment (no transport header present). */
  fragment: boolean;
  /** True when a TCP header was decoded. */
  isTcp: boolean;
  tcpOffset: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** TCP flags byte plus the NS bit at 0x100. */
  flags: number;
  win: number;
  /** TCP header length in bytes (data offset * 4). */
  tcpHeaderLength: number;
  /** TCP payload length on the wire (from the IP length). */
  payloadLength: number;
  /** Offset of the TCP payload inside `data`. */
  payloadOffset: number;
  /** Payload bytes actually captured (<= payloadLength). */
  payloadCaptured: number;
}

export function newDecodedPacket(): DecodedPacket {
  return {
    data: Buffer.alloc(0), start: 0, end: 0, note: '', l3Offset: -1, ipVersion: 0, srcOffset: 0, dstOffset: 0, protocol: -1,
    ipPayloadLength: 0, fragment: false, isTcp: false, tcpOffset: 0, sport: 0, dport: 0, seq: 0, ack: 0,
    flags: 0, win: 0, tcpHeaderLength: 0, payloadLength: 0, payloadOffset: 0, payloadCaptured: 0,
  };
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
export const TCP_NS = 0x100;

const FLAG_LETTERS: Array<[number, string]> = [
  [TCP_FIN, 'F'], [TCP_SYN, 'S'], [TCP_RST, 'R'], [TCP_PSH, 'P'], [TCP_ACK, 'A'], [TCP_URG, 'U'],
  [TCP_ECE, 'E'], [TCP_CWR, 'C'], [TCP_NS, 'N'],
];

/** TCP flags as letters in the order F S R P A U E C N, e.g. "SA" for SYN+ACK (precomputed for all 512 values). */
const FLAG_TEXT: string[] = [];
for (let v = 0; v < 512; v++) {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (v & bit) s += letter;
  FLAG_TEXT.push(s);
}

export function tcpFlagsText(flags: number): string {
  return FLAG_TEXT[flags & 0x1ff];
}
