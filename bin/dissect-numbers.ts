/**
 * The numbers `dissect`'s text forms take from the analysis engine, as Wireshark shows them: the TCP window
 * with the SYNs' window scale applied (tcp.window_size), and DSNs / DATA_ACKs relative to the IDSN of their
 * sequence space, the first data byte being 1 (mptcp.dss.dsn, mptcp.ack). `--absolute-seq` keeps wire DSNs.
 */
import type { AnalysisEngine, PacketAnalysis, PacketObserver } from '../analyze/engine.js';
import type { Session } from '../analyze/model.js';
import { relativeOfWire } from '../analyze/relative-dsn.js';
import type { MptcpOption } from '../dissect/mptcp.js';
import type { RelativeDsns } from '../dissect/mptcp-text.js';
import type { TreeNumbers } from '../dissect/packet-tree.js';

export class DissectNumbers implements PacketObserver {
  /** The last packet's window, scaled when its connection's SYNs were seen, and the shift (-1 unknown). */
  window = 0;
  windowShift = -1;
  private session: Session | null = null;
  /** Data-level direction of the last packet's sender: 0 c2s, 1 s2c. */
  private sdir: 0 | 1 = 0;
  /** The engine's relative DSN of the packet (a reference for widening 32-bit DSNs), and its DATA_ACK. */
  private dsn: number | null = null;
  private dataAck: number | null = null;

  constructor(private readonly engine: AnalysisEngine, private readonly absoluteSeq: boolean) {
    engine.observe(this);
  }

  packet(_pkt: unknown, _rec: unknown, a: PacketAnalysis): void {
    this.window = a.window;
    this.windowShift = a.windowShift;
    this.session = a.session >= 0 && a.dir !== null ? (this.engine.sessions[a.session] ?? null) : null;
    this.sdir = a.dir === 's2c' ? 1 : 0;
    this.dsn = a.dsn;
    this.dataAck = a.dataAck;
  }

  /** Relative DSN / DATA_ACK of an option of the last packet, or null (wire values) when unknown or not wanted. */
  relative(o: MptcpOption): RelativeDsns | null {
    const s = this.session;
    if (this.absoluteSeq || s === null || o.malformed || o.truncated) return null;
    const near = this.dsn ?? s.lastOffset[this.sdir] + 1;
    const out: RelativeDsns = {};
    if (o.subtype === 'DSS') {
      if (o.dsn !== undefined) {
        const v = relativeOfWire(s, this.sdir, o.dsn, o.dsn64 === true, near);
        if (v !== null) out.dsn = String(v);
      }
      if (o.dataAck !== undefined) {
        // The engine's value when it has one (same arithmetic); else widened near the peer's delivery point.
        const peer = (this.sdir ^ 1) as 0 | 1;
        const v = this.dataAck ?? relativeOfWire(s, peer, o.dataAck, o.dataAck64 === true, s.streams[peer].next + 1);
        if (v !== null) out.dataAck = String(v);
      }
    } else if (o.subtype === 'MP_FAIL' && o.dsn !== undefined) {
      // MP_FAIL names data its sender received (RFC 8684 §3.7): the peer's sequence space. Its DSN is 64 bits.
      const v = relativeOfWire(s, (this.sdir ^ 1) as 0 | 1, o.dsn, true, 0);
      if (v !== null) out.dsn = String(v);
    }
    return out.dsn !== undefined || out.dataAck !== undefined ? out : null;
  }

  /** The extras of the `-V` tree for the last packet. */
  tree(): TreeNumbers {
    return { window: { scaled: this.window, shift: this.windowShift }, relative: (o) => this.relative(o) };
  }
}
