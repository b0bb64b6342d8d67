import { Chalk, type ChalkInstance } from 'chalk';
import { readCapture } from '../dissect/capture-reader.js';
import { decodePacketInChunk } from '../dissect/decode.js';
import { newDecodedPacket, tcpFlagsText, type DecodedPacket } from '../dissect/packet.js';
import { packetJsonLine } from '../dissect/packet-json.js';
import { endpointText, ipText } from '../dissect/address.js';
import { dateTimeText, secondsBetween, timestampText } from '../dissect/timestamp.js';
import { mptcpOptionsOf } from '../dissect/tcp-options.js';
import { layerTreeLines } from '../dissect/packet-tree.js';
import { mptcpShort } from '../dissect/mptcp-text.js';
import { linktypeName } from '../dissect/link.js';
import type { CaptureRecord } from '../dissect/record.js';
import { AnalysisEngine, DEFAULT_ENGINE_OPTIONS } from '../analyze/engine.js';
import { StdoutBatcher } from './output.js';
import { warn } from './warn.js';
import { DissectNumbers } from './dissect-numbers.js';

export interface DissectOptions {
  json?: boolean;
  verbose?: boolean;
  count?: number;
  mptcp?: boolean;
  absolute?: boolean;
  color?: boolean;
  /** Tag packets with their MPTCP session and subflow (runs the analysis engine alongside). */
  sessions?: boolean;
  /** Text forms: DSNs and DATA_ACKs as on the wire instead of relative to the IDSN. */
  absoluteSeq?: boolean;
}

/** Per-direction initial sequence numbers, so text lines show relative seq/ack as tshark does. */
class RelativeSeq {
  private readonly isn = new Map<string, number>();

  private key(p: DecodedPacket, reverse: boolean): string {
    const a = endpointText(p.ipVersion, p.data, p.srcOffset, p.sport);
    const b = endpointText(p.ipVersion, p.data, p.dstOffset, p.dport);
    return reverse ? `${b}>${a}` : `${a}>${b}`;
  }

  relative(p: DecodedPacket): { seq: number; ack: number } {
    const fwd = this.key(p, false);
    if (p.flags & 0x02 && !this.isn.has(fwd)) this.isn.set(fwd, p.seq);
    const s0 = this.isn.get(fwd);
    const a0 = this.isn.get(this.key(p, true));
    return {
      seq: s0 === undefined ? p.seq : (p.seq - s0) >>> 0,
      ack: a0 === undefined ? p.ack : (p.ack - a0) >>> 0,
    };
  }
}

export async function runDissect(file: string, opts: DissectOptions): Promise<void> {
  const out = new StdoutBatcher();
  out.asciiOnly = opts.json === true;
  const color = opts.color ?? false;
  const c = new Chalk({ level: color ? 1 : 0 });
  const p = newDecodedPacket();
  const rel = new RelativeSeq();
  const limit = opts.count ?? Infinity;
  let shown = 0;
  let t0s = -1;
  let t0n = 0;

  // The text forms always run the engine: scaled windows and relative DSNs come from its connection state.
  const engine = opts.sessions || !opts.json ? new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS, historyBytes: 0 }) : null;
  const numbers = engine && !opts.json ? new DissectNumbers(engine, opts.absoluteSeq === true) : null;

  const onRecord = (rec: CaptureRecord): boolean => {
    if (t0s < 0) { t0s = rec.tsSec; t0n = rec.tsNsec; }
    decodePacketInChunk(rec, p);
    if (engine) engine.push(rec, p);
    const tag = opts.sessions && engine ? engine.lastTag : null;
    if (opts.mptcp) {
      if (!p.isTcp || mptcpOptionsOf(p).length === 0) return true;
    }
    if (opts.json) {
      out.write(packetJsonLine(rec, p, tag) + '\n');
    } else {
      const t = opts.absolute ? dateTimeText(rec.tsSec, rec.tsNsec, rec.tsDigits)
        : secondsBetween(t0s, t0n, rec.tsSec, rec.tsNsec).toFixed(6);
      const line = packetLine(rec, p, t, rel, c, numbers);
      out.write((tag ? `${line}  ${c.magenta(`[s${tag.session}/sf${tag.subflow} ${tag.dir}]`)}` : line) + '\n');
      if (opts.verbose) out.write(packetTree(rec, p, c, numbers));
    }
    shown++;
    return shown < limit && !out.closed;
  };
  await readCapture(file, onRecord, { onWarning: warn });
  // A write error on this last batch is reported by StdoutBatcher (EPIPE: exit 0; else one line, 74).
  out.flush();
}

type Colors = ChalkInstance;

function packetLine(rec: CaptureRecord, p: DecodedPacket, t: string, rel: RelativeSeq, c: Colors, numbers: DissectNumbers | null): string {
  const head = `${String(rec.n).padStart(5)} ${t.padStart(11)}`;
  if (!p.isTcp) {
    const addrs = p.ipVersion ? `${ipText(p.ipVersion, p.data, p.srcOffset)} → ${ipText(p.ipVersion, p.data, p.dstOffset)} ` : '';
    return `${head} ${addrs}${c.dim(p.note || 'not TCP')} len=${rec.len}`;
  }
  const { seq, ack } = rel.relative(p);
  const src = endpointText(p.ipVersion, p.data, p.srcOffset, p.sport);
  const dst = endpointText(p.ipVersion, p.data, p.dstOffset, p.dport);
  let line = `${head} ${src} → ${dst} [${tcpFlagsText(p.flags)}] seq=${seq}`;
  if (p.flags & 0x10) line += ` ack=${ack}`;
  line += ` win=${numbers ? numbers.window : p.win} len=${p.payloadLength}`;
  for (const o of mptcpOptionsOf(p)) {
    const s = mptcpShort(o, numbers?.relative(o));
    line += '  ' + (o.malformed ? c.red(s) : o.truncated ? c.yellow(s) : c.cyan(s));
  }
  return line;
}

function packetTree(rec: CaptureRecord, p: DecodedPacket, c: Colors, numbers: DissectNumbers | null): string {
  const lines = [`  Frame ${rec.n}: ${rec.len} bytes on wire, ${rec.caplen} captured, interface ${rec.iface}, ${linktypeName(rec.linktype)} (${rec.linktype}), time ${dateTimeText(rec.tsSec, rec.tsNsec, rec.tsDigits)} (epoch ${timestampText(rec.tsSec, rec.tsNsec, rec.tsDigits)})`];
  for (const l of layerTreeLines(p, p.payloadCaptured, numbers?.tree())) {
    const text = l.style === 'error' ? c.red(l.text) : l.style === 'warning' ? c.yellow(l.text) : l.style === 'mptcp' ? c.bold(l.text) : l.text;
    lines.push(`${'  '.repeat(l.depth + 1)}${text}`);
  }
  return lines.join('\n') + '\n';
}
