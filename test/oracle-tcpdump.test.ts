// Compares `mptcpscope dissect --json` with tcpdump's MPTCP printer (print-mptcp.c) on every packet:
//  - test/oracles/<name>.tcpdump.txt: tcpdump 4.99.3 `-# -n -v` on every capture (refresh.sh);
//  - the upstream golden outputs shipped with the public captures: tcpdump's tests/*.out (a newer
//    print-mptcp.c than 4.99.3: MP_TCPRST, MP_CAPABLE flags and data_len) and ptcpdump's expected files.
// Checked per MPTCP option: subtype, length, and every value tcpdump prints (MP_CAPABLE version, flags,
// keys, data_len; MP_JOIN backup, id, token, nonce, hmac; DSS fin, ack, seq, subseq, len, csum; ADD_ADDR
// version/echo, id, address, port, hmac; REMOVE_ADDR ids; MP_PRIO backup, id; MP_FAIL seq; MP_FASTCLOSE key;
// MP_TCPRST flags and reason), plus the packet's endpoints and TCP flags.
//
// Where tcpdump refuses an option ("[bad opt]") we must have marked it malformed or truncated, except for
// tcpdump limitations listed in `tcpdumpLimitation` (each with the RFC text that makes our decode right).
// tcpdump 4.99.3 predates MP_TCPRST (RFC 8684 §3.6, subtype 8) and prints it as "unknown": accepted for
// subtypes >= 8; the golden outputs (newer printer) decode it and its flags and reason are compared.
// tcpdump 4.99.3 also omits data_len of the 22-byte MP_CAPABLE (RFC 8684 §3.1); the goldens print it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ORACLES, ROOT, SHARED_PUBLIC, dissectJson, ensureBuilt, loadIndex, subtypeValue, type Capture, type JsonOption,
  type JsonPacket,
} from './oracles/common.js';

/** One packet of tcpdump text: its number and all its lines joined. */
interface TdPacket {
  n: number;
  text: string;
}

/**
 * Splits tcpdump output into packets. Numbered output (`-#`, tcpdump's tests) starts each packet with
 * "<n>  "; unnumbered output (ptcpdump) has one packet per unindented line.
 */
function tcpdumpPackets(text: string): TdPacket[] {
  const lines = text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));
  const numbered = lines.length > 0 && lines.every((l) => /^\s*\d+ {2}\S/.test(l) || /^\s/.test(l));
  const out: TdPacket[] = [];
  for (const l of lines) {
    const m = numbered ? /^\s*(\d+) {2}(.*)$/.exec(l) : /^\S/.test(l) ? [l, String(out.length + 1), l] : null;
    if (m) out.push({ n: Number(m[1]), text: m[2] });
    else if (out.length > 0) out[out.length - 1].text += ` ${l.trim()}`;
  }
  return out;
}

/** The text inside "options [...]", split into options at top-level commas. */
function tcpOptions(text: string): string[] | undefined {
  const start = text.indexOf('options [');
  if (start < 0) return undefined;
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = start + 'options ['.length; i < text.length; i++) {
    const ch = text[i];
    if (ch === ']' && depth === 0) { out.push(cur); return out; }
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur); // cut short ("[|tcp]")
  return out;
}

/** tcpdump's subtype words (print-mptcp.c mptcp_options[]) -> our subtype names. */
const TD_SUBTYPES: Record<string, string> = {
  capable: 'MP_CAPABLE', join: 'MP_JOIN', dss: 'DSS', 'add-addr': 'ADD_ADDR', 'rem-addr': 'REMOVE_ADDR',
  prio: 'MP_PRIO', fail: 'MP_FAIL', 'fast-close': 'MP_FASTCLOSE', tcprst: 'MP_TCPRST',
};

/** tcpdump's TCP flag characters (print-tcp.c tcp_flag_values) from our letters. */
function tcpdumpFlags(letters: string): string {
  const map: Record<string, string> = { F: 'F', S: 'S', R: 'R', P: 'P', A: '.', U: 'U', E: 'E', C: 'W', N: 'e' };
  const s = [...letters].map((l) => map[l]).join('');
  return s === '' ? 'none' : s;
}

const big = (hex: string): bigint => BigInt(`0x${hex}`);
const bigText = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/**
 * A "[bad opt]" from tcpdump on an option we decode as valid, when the RFC says we are right.
 * Returns the justification, or undefined when tcpdump's refusal is not a known limitation.
 */
function tcpdumpLimitation(o: JsonOption): string | undefined {
  // tcpdump 4.99.3's mp_capable_print accepts lengths 4/12/20/22 only. RFC 8684 §3.1: "the MP_CAPABLE ... in
  // the third ACK with data ... contains the Data-Level Length field and, if checksums are in use (A flag),
  // the Checksum field" -- length 24 (figure 4).
  if (o.subtype === 'MP_CAPABLE' && o.length === 24 && o.version === 1 && o.flags?.includes('A')
      && o.checksum !== undefined && o.dataLevelLength !== undefined) {
    return 'RFC 8684 §3.1: MP_CAPABLE length 24 carries data-level length and checksum';
  }
  return undefined;
}

interface Stats {
  packets: number;
  mptcpPackets: number;
  options: number;
  values: number;
  badOptMalformed: number;
  badOptLimitation: number;
}

/** Compares one tcpdump packet with our decode; returns the disagreements. */
function comparePacket(td: TdPacket, p: JsonPacket, s: Stats): string[] {
  const d: string[] = [];
  const same = (what: string, theirs: unknown, mine: unknown): void => {
    s.values++;
    const t = JSON.stringify(theirs, bigText);
    const m = JSON.stringify(mine, bigText);
    if (t !== m) d.push(`${what}: tcpdump ${t} ours ${m}`);
  };
  s.packets++;
  const ep = /(\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\]/.exec(td.text);
  const opts = p.mptcp ?? [];
  if (!ep) {
    if (opts.length > 0) d.push(`tcpdump shows no TCP header, we decode ${opts.length} MPTCP option(s)`);
    return d;
  }
  same('src', ep[1], p.src);
  same('sport', Number(ep[2]), p.sport);
  same('dst', ep[3], p.dst);
  same('dport', Number(ep[4]), p.dport);
  same('TCP flags', ep[5], tcpdumpFlags(p.flags ?? ''));

  const all = tcpOptions(td.text) ?? [];
  const badAt = all.findIndex((t) => t.includes('[bad opt]'));
  const shown = badAt < 0 ? all : all.slice(0, badAt + 1);
  const tdOpts = shown.map((t) => t.trim()).filter((t) => t.startsWith('mptcp '));
  if (tdOpts.length > 0 || opts.length > 0) s.mptcpPackets++;
  // Every MPTCP option before a "[bad opt]" (or all of them) must be printed.
  const cut = badAt >= 0 || /\[\|tcp\]/.test(td.text);
  if (cut) { if (tdOpts.length > opts.length) d.push(`tcpdump shows ${tdOpts.length} MPTCP options, we decode ${opts.length}`); }
  else same('MPTCP option count', tdOpts.length, opts.length);

  tdOpts.forEach((tok, i) => {
    const o = opts[i];
    if (!o) return;
    s.options++;
    const m = /^mptcp (\d+) ([a-z-]+)(.*)$/s.exec(tok);
    if (!m) { d.push(`unparsed option ${tok}`); return; }
    const [, lenText, word, rest] = m;
    same(`opt ${i} length`, Number(lenText), o.length);
    const st = subtypeValue(o) ?? -1;
    if (word === 'unknown') same(`opt ${i} subtype (tcpdump "unknown")`, true, st > 7 || o.subtype === 'UNKNOWN');
    else same(`opt ${i} subtype`, TD_SUBTYPES[word], o.subtype);

    if (rest.includes('[bad opt]')) {
      if (o.malformed !== undefined || o.truncated) { s.badOptMalformed++; return; }
      const why = tcpdumpLimitation(o);
      if (why) { s.badOptLimitation++; return; }
      d.push(`opt ${i}: tcpdump says [bad opt], we decode ${JSON.stringify(o)}`);
      return;
    }
    if (o.malformed !== undefined || o.truncated) { d.push(`opt ${i}: tcpdump decodes "${tok}", we say ${o.malformed ?? 'truncated'}`); return; }
    const num = (re: RegExp): number | undefined => { const x = re.exec(rest); return x ? Number(x[1]) : undefined; };
    const hexv = (re: RegExp): bigint | undefined => { const x = re.exec(rest); return x ? big(x[1]) : undefined; };
    const word1 = (w: string): boolean => new RegExp(`(^| )${w}( |$)`).test(rest);
    switch (o.subtype) {
      case 'MP_CAPABLE': {
        same(`opt ${i} version`, num(/^ v(\d+)/), o.version);
        const fl = /flags \[([A-H]*)\]/.exec(rest);
        if (fl) same(`opt ${i} flags`, fl[1], o.flags);
        else same(`opt ${i} A (checksum required) flag ("csum")`, word1('csum'), o.flags?.includes('A') ?? false);
        const brace = /\{([^}]*)\}/.exec(rest);
        const items = brace ? brace[1].split(',') : [];
        const keys = items.filter((x) => x.startsWith('0x')).map((x) => big(x.slice(2)));
        same(`opt ${i} keys`, keys, [o.senderKey, o.receiverKey].filter((k) => k !== undefined).map((k) => big(k!)));
        const dl = items.find((x) => x.startsWith('data_len='));
        if (dl) same(`opt ${i} data_len`, Number(dl.slice('data_len='.length)), o.dataLevelLength);
        const cs = items.find((x) => x.startsWith('csum'));
        if (cs) same(`opt ${i} csum`, parseInt(cs.replace(/^csum[ =]0x/, ''), 16), parseInt(o.checksum ?? 'x', 16));
        break;
      }
      case 'MP_JOIN':
        if (o.phase !== 'ACK') {
          same(`opt ${i} backup`, word1('backup'), o.backup);
          same(`opt ${i} id`, num(/ id (\d+)/), o.addressId);
          same(`opt ${i} nonce`, hexv(/ nonce 0x([0-9a-f]+)/), big(o.senderNonce!));
        }
        if (o.phase === 'SYN') same(`opt ${i} token`, hexv(/ token 0x([0-9a-f]+)/), big(o.receiverToken!));
        if (o.phase === 'SYN/ACK') same(`opt ${i} hmac`, hexv(/ hmac 0x([0-9a-f]+)/), big(o.senderHmac!));
        if (o.phase === 'ACK') same(`opt ${i} hmac`, /hmac 0x([0-9a-f]+)/.exec(rest)?.[1], o.senderHmac);
        break;
      case 'DSS': {
        same(`opt ${i} fin`, word1('fin'), o.dataFin);
        same(`opt ${i} ack`, / ack (\d+)/.exec(rest)?.[1], o.dataAck);
        same(`opt ${i} seq`, / seq (\d+)/.exec(rest)?.[1], o.dsn);
        same(`opt ${i} subseq`, num(/ subseq (\d+)/), o.subflowSeq);
        same(`opt ${i} len`, num(/ len (\d+)/), o.dataLevelLength);
        const cs = / csum 0x([0-9a-f]+)/.exec(rest);
        same(`opt ${i} csum`, cs ? parseInt(cs[1], 16) : undefined, o.checksum === undefined ? undefined : parseInt(o.checksum, 16));
        break;
      }
      case 'ADD_ADDR': {
        const v = /^ (v0-ip4|v0-ip6|v1-echo|v1|v0)\b/.exec(rest)?.[1];
        if (v === 'v1' || v === 'v1-echo') same(`opt ${i} echo`, v === 'v1-echo', o.echo);
        else if (v) same(`opt ${i} v0 IPVer`, v === 'v0-ip6' ? 6 : 4, o.echo === undefined ? o.ipVersion : `v1 echo=${o.echo}`);
        same(`opt ${i} id`, num(/ id (\d+)/), o.addressId);
        const a = / id \d+ (\S+)/.exec(rest)?.[1];
        if (o.ipVersion === 4 && a) {
          const [addr, port] = a.split(':');
          same(`opt ${i} address`, addr, o.address);
          same(`opt ${i} port`, port === undefined ? undefined : Number(port), o.port);
        } else same(`opt ${i} address`, a?.startsWith(o.address ?? '?'), true);
        same(`opt ${i} hmac`, hexv(/ hmac 0x([0-9a-f]+)/), o.hmac === undefined ? undefined : big(o.hmac));
        break;
      }
      case 'REMOVE_ADDR':
        same(`opt ${i} ids`, / id((?: \d+)+)/.exec(rest)?.[1].trim().split(' ').map(Number), o.addressIds);
        break;
      case 'MP_PRIO':
        same(`opt ${i} backup`, word1('backup') ? true : word1('non-backup') ? false : undefined, o.backup);
        same(`opt ${i} id`, num(/ id (\d+)/), o.addressId);
        break;
      case 'MP_FAIL':
        same(`opt ${i} seq`, / seq (\d+)/.exec(rest)?.[1], o.dsn);
        break;
      case 'MP_FASTCLOSE':
        same(`opt ${i} key`, hexv(/ key 0x([0-9a-f]+)/), big(o.receiverKey!));
        break;
      case 'MP_TCPRST':
        if (word === 'tcprst') {
          const fl = /flags \[([^\]]*)\]/.exec(rest)?.[1];
          same(`opt ${i} flags`, fl === 'none' ? '' : fl, o.flags);
          same(`opt ${i} reason`, / reason (.+)$/.exec(rest)?.[1], o.reasonName);
        }
        break;
      default:
        break;
    }
  });
  return d;
}

interface Source {
  /** Label in test names and the summary. */
  label: string;
  capture: Capture;
  /** tcpdump text file. */
  file: string;
}

const captures = loadIndex();
const byName = new Map(captures.map((c) => [c.name, c]));
const sources: Source[] = [];
for (const c of captures) {
  const f = join(ORACLES, `${c.name}.tcpdump.txt`);
  if (existsSync(f)) sources.push({ label: `tcpdump 4.99.3: ${c.name}`, capture: c, file: f });
}
// Upstream golden outputs, from captures/public/ when copied there, else from the shared folder.
function goldenDir(project: string): string | undefined {
  for (const base of [join(ROOT, 'captures', 'public'), SHARED_PUBLIC]) {
    const d = join(base, project, 'expected');
    if (existsSync(d)) return d;
  }
  return undefined;
}
const tcpdumpGolden = goldenDir('tcpdump');
for (const f of tcpdumpGolden ? readdirSync(tcpdumpGolden).filter((x) => x.endsWith('.out')).sort() : []) {
  const c = byName.get(`public/tcpdump/${f.replace(/\.out$/, '')}`);
  if (c) sources.push({ label: `tcpdump golden: ${f}`, capture: c, file: join(tcpdumpGolden!, f) });
}
const ptcpdumpGolden = goldenDir('ptcpdump');
for (const f of ptcpdumpGolden ? readdirSync(ptcpdumpGolden).sort() : []) {
  const c = byName.get(`public/ptcpdump/${f.replace(/\.pcap\..*$/, '')}`);
  if (c) sources.push({ label: `ptcpdump golden: ${f}`, capture: c, file: join(ptcpdumpGolden!, f) });
}

const decoded = new Map<string, Map<number, JsonPacket> | Error>();
const summary: Array<[string, Stats]> = [];

beforeAll(async () => {
  ensureBuilt();
  const names = [...new Set(sources.map((s) => s.capture.name))];
  await Promise.all(names.map(async (n) => {
    const c = byName.get(n)!;
    if (c.path) decoded.set(n, await dissectJson(c.path).catch((e: Error) => e));
  }));
}, 120_000);

afterAll(() => {
  if (summary.length === 0) return;
  const rows = summary.map(([n, s]) => `${n}\t${s.packets}\t${s.mptcpPackets}\t${s.options}\t${s.values}\t${s.badOptMalformed}\t${s.badOptLimitation}`);
  console.log(['tcpdump oracle\tpackets\tmptcp-pkts\toptions\tvalues\tbad-opt=malformed\tbad-opt=tcpdump-limit', ...rows].join('\n'));
});

function ours(c: Capture): Map<number, JsonPacket> {
  expect(c.problem, c.problem).toBeUndefined();
  const got = decoded.get(c.name)!;
  if (got instanceof Error) throw got;
  return got;
}

describe('tcpdump oracle: MPTCP options of every packet', () => {
  it('has tcpdump outputs and upstream golden outputs to compare with', () => {
    expect(sources.some((s) => s.label.startsWith('tcpdump 4.99.3'))).toBe(true);
    expect(sources.some((s) => s.label.startsWith('tcpdump golden'))).toBe(true);
    expect(sources.some((s) => s.label.startsWith('ptcpdump golden'))).toBe(true);
  });

  for (const src of sources) {
    it(src.label, () => {
      const mine = ours(src.capture);
      const pkts = tcpdumpPackets(readFileSync(src.file, 'utf8'));
      expect(pkts.length).toBeGreaterThan(0);
      const s: Stats = { packets: 0, mptcpPackets: 0, options: 0, values: 0, badOptMalformed: 0, badOptLimitation: 0 };
      const diffs: string[] = [];
      for (const td of pkts) {
        const p = mine.get(td.n);
        if (!p) { diffs.push(`packet ${td.n}: not in our output`); continue; }
        for (const x of comparePacket(td, p, s)) if (diffs.length < 40) diffs.push(`packet ${td.n} ${x}`);
        // ptcpdump's -S golden prints absolute TCP sequence numbers.
        if (src.file.includes('.-S.')) {
          const seq = /, seq (\d+)(?::\d+)?,/.exec(td.text);
          if (seq) { s.values++; if (Number(seq[1]) !== p.seq) diffs.push(`packet ${td.n} seq: ${seq[1]} ours ${p.seq}`); }
          const ack = /, ack (\d+),/.exec(td.text);
          if (ack) { s.values++; if (Number(ack[1]) !== p.ack) diffs.push(`packet ${td.n} ack: ${ack[1]} ours ${p.ack}`); }
        }
      }
      summary.push([src.label, s]);
      expect(diffs).toEqual([]);
    });
  }

  it('mptcp-dss-oobr: the DSS cut short (length 3) comes out malformed or truncated, without a crash', () => {
    const c = byName.get('public/tcpdump/mptcp-dss-oobr');
    expect(c, 'public/tcpdump/mptcp-dss-oobr is in the oracle index').toBeDefined();
    const p = ours(c!).get(1)!;
    const dss = (p.mptcp ?? []).filter((o) => o.subtype === 'DSS');
    expect(dss).toHaveLength(1);
    expect(dss[0].length).toBe(3);
    expect(dss[0].malformed !== undefined || dss[0].truncated === true).toBe(true);
    expect(dss[0].dataAck).toBeUndefined();
    expect(dss[0].dsn).toBeUndefined();
  });
});
