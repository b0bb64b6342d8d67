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
import { CliError } from '../common/cli-error.js';
import {
  compileFields, compileFilter, fieldsHeader, fieldsLine, filterErrorText, FilterError, DEFAULT_FIELDS_FORMAT,
  type CompiledFields, type CompiledFilter, type FieldsFormat, type FilterAnalysis,
} from '../dissect/filter/index.js';

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
  /** -Y: a Wireshark display filter. */
  displayFilter?: string;
  /** -T fields: the fields to print and tshark's -E options. */
  fields?: { names: string[]; format: FieldsFormat };
}

/** -T / -e / -E as tshark takes them, checked: -e needs -T fields and the reverse. */
export function fieldsOptions(form: string | undefined, names: string[] | undefined, eopts: string[] | undefined): DissectOptions['fields'] {
  if (form !== 'fields') {
    if (names?.length) throw new CliError('-e needs -T fields');
    if (eopts?.length) throw new CliError('-E needs -T fields');
    return undefined;
  }
  if (!names?.length) throw new CliError('-T fields needs at least one -e FIELD');
  const format: FieldsFormat = { ...DEFAULT_FIELDS_FORMAT };
  for (const o of eopts ?? []) {
    const m = /^([a-z]+)=(.*)$/.exec(o);
    if (!m) throw new CliError(`-E ${o}: expected NAME=VALUE`);
    const [, k, v] = m;
    const yes = (x: string): boolean => {
      if (/^(y|yes|true|1)$/i.test(x)) return true;
      if (/^(n|no|false|0)$/i.test(x)) return false;
      throw new CliError(`-E ${o}: expected y or n`);
    };
    switch (k) {
      case 'header': format.header = yes(v); break;
      case 'separator': format.separator = v === '/t' ? '\t' : v === '/s' ? ' ' : v; if (format.separator.length !== 1) throw new CliError(`-E ${o}: expected /t, /s or one character`); break;
      case 'occurrence': if (v !== 'f' && v !== 'l' && v !== 'a') throw new CliError(`-E ${o}: expected f, l or a`); format.occurrence = v; break;
      case 'aggregator': format.aggregator = v === '/s' ? ' ' : v; if (format.aggregator.length !== 1) throw new CliError(`-E ${o}: expected /s or one character`); break;
      case 'quote': if (v !== 'n' && v !== 'd' && v !== 's') throw new CliError(`-E ${o}: expected n, d or s`); format.quote = v; break;
      default: throw new CliError(`-E ${o}: unknown option (header, separator, occurrence, aggregator, quote)`);
    }
  }
  return { names, format };
}

/** A filter error as one message: the reason, then the expression with a caret under the offending text. */
function filterCliError(what: string, expr: string, err: FilterError): CliError {
  return new CliError(`${what}: ${filterErrorText(expr, err)}`);
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

  let filter: CompiledFilter | null = null;
  let fields: CompiledFields | null = null;
  try {
    if (opts.displayFilter !== undefined) filter = compileFilter(opts.displayFilter);
  } catch (err) {
    if (err instanceof FilterError) throw filterCliError('invalid display filter (-Y)', opts.displayFilter!, err);
    throw err;
  }
  if (opts.fields) {
    try {
      fields = compileFields(opts.fields.names, { runtime: filter?.runtime });
    } catch (err) {
      if (err instanceof FilterError) throw new CliError(`-e ${opts.fields.names[err.pos]}: ${err.reason}`);
      throw err;
    }
  }
  const needsAnalysis = (filter?.needsAnalysis ?? false) || (fields?.needsAnalysis ?? false);
  // The text forms run the engine too: scaled windows and relative DSNs come from its connection state.
  const textForm = !opts.json && !opts.fields;
  const engine = opts.sessions || needsAnalysis || textForm ? new AnalysisEngine({ ...DEFAULT_ENGINE_OPTIONS, historyBytes: 0 }) : null;
  const numbers = engine && textForm ? new DissectNumbers(engine, opts.absoluteSeq === true) : null;
  // The engine's per-packet verdicts (a reused object), for the analysis fields of the filter and the field list.
  let analysis: FilterAnalysis | null = null;
  if (engine && needsAnalysis) engine.observe({ packet: (_pkt, _rec, a) => { analysis = a; } });
  const fmt = opts.fields?.format;
  if (fields && fmt?.header) out.write(fieldsHeader(fields.names, fmt) + '\n');

  const onRecord = (rec: CaptureRecord): boolean => {
    if (t0s < 0) { t0s = rec.tsSec; t0n = rec.tsNsec; }
    decodePacketInChunk(rec, p);
    if (engine) engine.push(rec, p);
    const tag = opts.sessions && engine ? engine.lastTag : null;
    const a: FilterAnalysis | null = analysis;
    // The filter sees every packet, in order, before --mptcp: its stateful fields (tcp.stream, ...) need them all.
    if (filter && !filter.match(rec, p, a)) {
      if (fields) fields.runtime.begin(rec, p, a); // keep the field list's state in step too
      return true;
    }
    if (opts.mptcp) {
      if (!p.isTcp || mptcpOptionsOf(p).length === 0) { if (fields) fields.runtime.begin(rec, p, a); return true; }
    }
    if (fields && fmt) {
      out.write(fieldsLine(fields.values(rec, p, a), fmt) + '\n');
    } else if (opts.json) {
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
  const onFormat = (f: 'pcap' | 'pcapng'): void => {
    if (filter) filter.runtime.interfaceIds = f === 'pcapng';
    if (fields) fields.runtime.interfaceIds = f === 'pcapng';
  };
  await readCapture(file, onRecord, { onWarning: warn, onFormat });
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
