/** What changed in one packet between the two captures: window, TTL, TCP options, payload bytes. */
import { SUBTYPE_NAMES } from '../dissect/mptcp.js';
import type { DirStats } from './pair.js';
import type { Obs } from './side.js';

const TCP_OPTION_NAMES: Record<number, string> = {
  2: 'MSS', 3: 'window scale', 4: 'SACK permitted', 5: 'SACK', 8: 'timestamps', 19: 'TCP-MD5', 28: 'user timeout',
  29: 'TCP-AO', 30: 'MPTCP', 34: 'TCP Fast Open', 253: 'experimental', 254: 'experimental',
};

/** Name of one TCP option: MPTCP options by subtype (MP_CAPABLE, DSS, ...), others by kind. */
function optionName(buf: Buffer, off: number, len: number): string {
  const kind = buf[off];
  if (kind === 30 && len >= 3) return SUBTYPE_NAMES[buf[off + 2] >> 4] ?? `MPTCP subtype ${buf[off + 2] >> 4}`;
  return TCP_OPTION_NAMES[kind] ?? `option ${kind}`;
}

/** The options as name -> list of hex bodies (NOP and EOL padding dropped). */
function optionList(buf: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let off = 0;
  while (off < buf.length) {
    const kind = buf[off];
    if (kind === 0) break;
    if (kind === 1) { off++; continue; }
    const len = off + 1 < buf.length ? buf[off + 1] : 0;
    if (len < 2 || off + len > buf.length) break;
    const name = optionName(buf, off, len);
    const body = buf.toString('hex', off, off + len);
    const list = out.get(name);
    if (list) list.push(body);
    else out.set(name, [body]);
    off += len;
  }
  return out;
}

/**
 * Records the differences between copies `oa` (capture A) and `ob` (capture B) of one packet. For pieces of
 * resegmented segments, `fromA`/`fromB` and `length` give the shared payload bytes.
 */
export function compareHeaders(oa: Obs, ob: Obs, ds: DirStats, fromA: number, fromB: number, length = -1): void {
  if (oa.win !== ob.win) ds.window.add(oa.n, ob.n);
  if (oa.ttl >= 0 && ob.ttl >= 0) {
    const delta = oa.ttl - ob.ttl;
    ds.ttlDelta.set(delta, (ds.ttlDelta.get(delta) ?? 0) + 1);
    ds.ttlEvidence.add(oa.n, ob.n);
  }
  if (length < 0 && !oa.options.equals(ob.options)) diffOptions(oa, ob, ds);
  comparePayload(oa, ob, ds, fromA, fromB, length < 0 ? Math.min(oa.len, ob.len) : length);
}

function diffOptions(oa: Obs, ob: Obs, ds: DirStats): void {
  const la = optionList(oa.options);
  const lb = optionList(ob.options);
  for (const [name, bodies] of la) {
    const other = lb.get(name);
    if (!other) ds.option(`0:${name}`).add(oa.n, ob.n);
    else if (bodies.join() !== other.join()) ds.option(`changed:${name}`).add(oa.n, ob.n);
  }
  for (const name of lb.keys()) if (!la.has(name)) ds.option(`1:${name}`).add(oa.n, ob.n);
}

function comparePayload(oa: Obs, ob: Obs, ds: DirStats, fromA: number, fromB: number, length: number): void {
  const n = Math.min(length, oa.payload.length - fromA, ob.payload.length - fromB);
  if (n <= 0) return;
  if (oa.payload.compare(ob.payload, fromB, fromB + n, fromA, fromA + n) === 0) return;
  let first = -1;
  let differing = 0;
  for (let i = 0; i < n; i++) {
    if (oa.payload[fromA + i] !== ob.payload[fromB + i]) {
      if (first < 0) first = i;
      differing++;
    }
  }
  ds.payloadCount++;
  if (ds.payload.length >= 50) return;
  const at = fromA + first;
  ds.payload.push({
    a: oa.n, b: ob.n, payloadOffset: at, dataOffset: dataOffsetOf(oa, at), differingBytes: differing,
    bytesA: oa.payload.toString('hex', at, Math.min(fromA + n, at + 16)),
    bytesB: ob.payload.toString('hex', fromB + first, Math.min(fromB + n, fromB + first + 16)),
  });
}

/** Data-level offset (first data byte 0) of payload byte `at` of `o`, from the engine's DSN of its first byte. */
function dataOffsetOf(o: Obs, at: number): number | null {
  return o.dsn === null ? null : o.dsn - 1 + at;
}
