/**
 * `mptcpscope live` on real kernel MPTCP traffic: two network namespaces joined by two veth links, the
 * client's subflow endpoint on the second link, captures/tools/mptcp_app.py moving data both ways and
 * recording the sha256 of what it sent. Must run as root (CI does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, ensureBuilt, lines, runCli, type CliResult } from './helpers/cli.js';
import { createTopology, requireRoot, requireTools, run, type Topology } from './helpers/netns.js';
import { readCapture } from '../dissect/capture-reader.js';
import type { CaptureInterface } from '../dissect/record.js';
import type { AnalysisReport, SessionReport } from '../analyze/report-types.js';
import Ajv2020 from 'ajv/dist/2020.js';

const APP = join(ROOT, 'captures', 'tools', 'mptcp_app.py');
const PORT = 5201;
// Together more than one 1 MiB hash batch: `analyze` of the written pcapng then hashes on its worker thread,
// and its digests are checked against the applications' and the live report's.
const CBYTES = 700_000;
const SBYTES = 600_000;

interface Bg {
  child: ChildProcess;
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
}

const children: ChildProcess[] = [];

function background(argv: string[], env?: Record<string, string>): Bg {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
  return { child, done, stdout: () => Buffer.concat(out).toString(), stderr: () => Buffer.concat(err).toString() };
}

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

const validateReport = new Ajv2020({ allErrors: true, strict: false }).compile(readJson(join(ROOT, 'docs', 'analyze.schema.json')));
function expectValidReport(report: unknown): void {
  validateReport(report);
  expect(validateReport.errors ?? []).toEqual([]);
}

/** What must be the same between the live report and `analyze` of the pcapng written by live. */
function essence(s: SessionReport): unknown {
  return {
    id: s.id, version: s.version, client: s.client, server: s.server, fallback: s.fallback, checksum: s.checksum, packets: s.packets,
    subflows: s.subflows.map((f) => ({
      id: f.id, client: f.client, server: f.server, join: f.join, hmac: f.hmac, packets: f.packets, bytes: f.bytes,
      payloadBytes: f.payloadBytes, dataBytes: f.dataBytes, closed: f.closed, firstPacket: f.firstPacket, lastPacket: f.lastPacket,
    })),
    data: Object.fromEntries((['c2s', 's2c'] as const).map((d) => [d, { bytes: s.data[d].bytes, complete: s.data[d].complete, sha256: s.data[d].sha256, missing: s.data[d].missing }])),
    events: s.events.map((e) => `${e.n} ${e.type} ${e.subflow ?? ''}`),
  };
}

describe('mptcpscope live (root, network namespaces)', () => {
  let topo: Topology;
  let work: string;

  beforeAll(() => {
    requireRoot('test/live.test.ts');
    requireTools(['ip', 'ethtool', 'tc', 'python3', 'tmux']);
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'mptcpscope-live-'));
    topo = createTopology({ paths: 2, rate: '4mbit' });
    topo.nsExec('c', ['ip', 'mptcp', 'endpoint', 'add', topo.caddr(2), 'dev', topo.cdev(2), 'id', '2', 'subflow']);
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    topo?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Sends N UDP datagrams from the client namespace to ADDR (port 9: nothing listens there). */
  const udp = (addr: string, n: number): string[] => [...topo.prefix('c'), 'python3', '-c',
    `import socket, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor _ in range(${n}):\n    s.sendto(b'mptcpscope', ('${addr}', 9)); time.sleep(0.02)\n`];

  /** `mptcpscope live ARGS` in the client namespace, in the background. */
  const live = (args: string[], env?: Record<string, string>): Bg => background([...topo.prefix('c'), process.execPath, BIN, 'live', ...args], env);
  const ready = (bg: Bg): Promise<void> => waitFor('live to start capturing', () => bg.stderr().includes('capturing on') || bg.child.exitCode !== null);

  it('captures a two-subflow transfer on two interfaces: the report reproduces both hashes, and the pcapng re-analyzes the same', async () => {
    const pcapng = join(work, 'transfer.pcapng');
    const json = join(work, 'transfer.json');
    const lv = live(['-i', topo.cdev(1), '-i', topo.cdev(2), '-f', `tcp port ${PORT}`, '--duration', '8', '-w', pcapng, '--json', json, '--no-color']);
    // Beside it, the same capture with a display filter on the log: only the join's packets show.
    const lvY = live(['-i', topo.cdev(1), '-i', topo.cdev(2), '-f', `tcp port ${PORT}`, '--duration', '8', '--no-color', '-Y', 'tcp.options.mptcp.subtype == 1 && mptcpscope.subflow == 1']);
    await ready(lv);
    await ready(lvY);
    expect(lv.child.exitCode, lv.stderr()).toBeNull();

    const srvReady = join(work, 'server.ready');
    const server = background([...topo.prefix('s'), 'python3', APP, 'server', '--bind', '0.0.0.0', '--port', String(PORT), '--seed', '61',
      '--bytes', String(SBYTES), '--peer-bytes', String(CBYTES), '--ready', srvReady, '--report', join(work, 'server.json'), '--timeout', '20']);
    await waitFor('the server to listen', () => existsSync(srvReady) || server.child.exitCode !== null);
    const client = background([...topo.prefix('c'), 'python3', APP, 'client', '--connect', topo.saddr(1), '--port', String(PORT), '--seed', '61',
      '--bytes', String(CBYTES), '--peer-bytes', String(SBYTES), '--report', join(work, 'client.json'), '--timeout', '20']);
    const [c, s] = await withTimeout(Promise.all([client.done, server.done]), 25_000, 'the transfer');
    expect(c.code, c.stderr).toBe(0);
    expect(s.code, s.stderr).toBe(0);
    const cli = readJson<{ sent: { bytes: number; sha256: string }; max_additional_subflows_seen: number }>(join(work, 'client.json'));
    const srv = readJson<{ sent: { bytes: number; sha256: string } }>(join(work, 'server.json'));
    expect(cli.sent.bytes).toBe(CBYTES);
    expect(srv.sent.bytes).toBe(SBYTES);

    const r = await withTimeout(lv.done, 15_000, 'live to stop after --duration');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stopped \(8 s elapsed\)/);
    expect(r.stderr).toMatch(new RegExp(`${topo.cdev(1)}: \\d+ packets captured, \\d+ received by filter, 0 dropped by kernel`));
    // The log: the new session, the join with its HMAC verdict, then the summary.
    expect(r.stdout).toMatch(new RegExp(`session 0: new MPTCP v1 session ${topo.caddr(1).replace(/\./g, '\\.')}:\\d+ → ${topo.saddr(1).replace(/\./g, '\\.')}:${PORT}`));
    expect(r.stdout).toMatch(new RegExp(`session 0: subflow 1 joined ${topo.caddr(2).replace(/\./g, '\\.')}:\\d+ → .*: HMAC valid`));
    expect(r.stdout).toMatch(/client sends DATA_FIN/);
    expect(r.stdout).toMatch(/session 0: (client|server) closes subflow [01] \(FIN\)/);
    expect(r.stdout).toMatch(/Session 0: MPTCP v1/);
    const y = await withTimeout(lvY.done, 15_000, 'live -Y to stop');
    expect(y.code, y.stderr).toBe(0);
    const yLog = y.stdout.slice(0, y.stdout.indexOf('Session 0: MPTCP'));
    expect(yLog).toMatch(/session 0: subflow 1 joined .*: HMAC valid/);
    expect(yLog).not.toMatch(/new MPTCP v1 session|DATA_FIN/);
    // The summary is of everything captured.
    expect(y.stdout).toMatch(/Session 0: MPTCP v1/);

    const report = readJson<AnalysisReport>(json);
    expectValidReport(report);
    expect(report.capture.format).toBe('pcapng');
    expect(report.capture.linktypes).toEqual([1]);
    expect(report.sessions).toHaveLength(1);
    const sess = report.sessions[0];
    expect(sess.subflows).toHaveLength(2);
    expect(sess.subflows[1].join).toBe(true);
    expect(sess.subflows[1].hmac).toBe('valid');
    expect(sess.subflows[1].client).toMatch(new RegExp(`^${topo.caddr(2).replace(/\./g, '\\.')}:`));
    expect(sess.data.c2s.complete).toBe(true);
    expect(sess.data.c2s.bytes).toBe(CBYTES);
    expect(sess.data.c2s.sha256).toBe(cli.sent.sha256);
    expect(sess.data.s2c.complete).toBe(true);
    expect(sess.data.s2c.sha256).toBe(srv.sent.sha256);
    expect(report.findings.filter((f) => f.code === 'CAPTURE_DROPS')).toEqual([]);

    // The pcapng: one IDB per interface with its name, Ethernet, µs timestamps; every packet of the report.
    const ifaces: CaptureInterface[] = [];
    let packets = 0;
    const seen = new Set<number>();
    const sum = await readCapture(pcapng, (rec) => { packets++; seen.add(rec.iface); }, { onInterface: (i, d) => { ifaces[i] = d; } });
    expect(sum.format).toBe('pcapng');
    expect(sum.truncated).toBe(false);
    expect(ifaces.map((i) => [i.name, i.linktype, i.tsDigits])).toEqual([[topo.cdev(1), 1, 6], [topo.cdev(2), 1, 6]]);
    expect(packets).toBe(report.capture.packets);
    expect([...seen].sort()).toEqual([0, 1]);
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // analyze of the written file gives the same sessions and hashes.
    const a = await runCli(['analyze', '--json', pcapng]);
    expect(a.code, a.stderr).toBe(0);
    const again = JSON.parse(a.stdout) as AnalysisReport;
    expect(again.capture.packets).toBe(report.capture.packets);
    expect(again.sessions.map(essence)).toEqual(report.sessions.map(essence));
  });

  it('stops cleanly on SIGTERM and on SIGINT, writing every output', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const pcapng = join(work, `idle-${sig}.pcapng`);
      const json = join(work, `idle-${sig}.json`);
      const lv = live(['-i', topo.cdev(1), '-f', `tcp port ${PORT}`, '-w', pcapng, '--json', json]);
      await ready(lv);
      lv.child.kill(sig);
      const r = await withTimeout(lv.done, 10_000, `live to stop on ${sig}`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`stopped (${sig})`);
      const report = readJson<AnalysisReport>(json);
      expect(report.capture.packets).toBe(0);
      expect(report.sessions).toEqual([]);
      const sum = await readCapture(pcapng, () => undefined);
      expect(sum.packets).toBe(0);
      expect(sum.interfaces.map((i) => i.name)).toEqual([topo.cdev(1)]);
    }
  });

  it('-c COUNT stops after COUNT packets', async () => {
    const pcapng = join(work, 'count.pcapng');
    const json = join(work, 'count.json');
    const lv = live(['-i', topo.cdev(1), '-c', '5', '-w', pcapng, '--json', json, 'udp', 'port', '9']);
    await ready(lv);
    const sender = background(udp(topo.saddr(1), 20));
    const r = await withTimeout(lv.done, 10_000, 'live to stop after -c 5');
    await sender.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('stopped (5 packets captured)');
    expect(readJson<AnalysisReport>(json).capture.packets).toBe(5);
    expect((await readCapture(pcapng, () => undefined)).packets).toBe(5);
  });

  /** One line on stderr, exit 2, nothing written. */
  async function expectUsageError(args: string[], pattern: RegExp, env?: Record<string, string>, prefix: string[] = topo.prefix('c')): Promise<void> {
    const dir = mkdtempSync(join(work, 'err-'));
    const bg = background([...prefix, process.execPath, BIN, 'live', ...args, '-w', join(dir, 'x.pcapng'), '--json', join(dir, 'x.json')], env);
    const r = await withTimeout(bg.done, 10_000, `live ${args.join(' ')}`);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual([]);
  }

  it('a display filter that does not compile: exit 2, the reason and a caret, nothing captured', async () => {
    const bg = background([...topo.prefix('c'), process.execPath, BIN, 'live', '-i', topo.cdev(1), '-Y', 'mptcpscope.subflw == 1']);
    const r = await withTimeout(bg.done, 10_000, 'live -Y bad');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mptcpscope: bad display filter: .*mptcpscope\.subflow/);
    expect(r.stderr).toMatch(/\^~+/);
    expect(r.stderr).not.toContain('capturing on');
  });

  it('a BPF filter that does not compile: exit 2, one line with what libpcap said', async () => {
    await expectUsageError(['-i', topo.cdev(1), '-f', 'tcp and ('], /^mptcpscope: bad capture filter 'tcp and \(' .*syntax error/);
  });

  it('an interface that does not exist: exit 2, one line', async () => {
    await expectUsageError(['-i', topo.cdev(1), '-i', 'nosuch0'], /^mptcpscope: no such interface: nosuch0/);
  });

  it('the pcap module missing: exit 2, one line saying how to install it', async () => {
    await expectUsageError(['-i', topo.cdev(1)], /^mptcpscope: live capture needs .*apt-get install libpcap-dev.*npm rebuild pcap/,
      { MPTCPSCOPE_PCAP_MODULE: 'mptcpscope-no-such-pcap-module' });
  });

  it('no permission to capture: exit 2, one line naming root or CAP_NET_RAW', async () => {
    const setpriv = run(['sh', '-c', 'command -v setpriv || true']).trim();
    expect(setpriv, 'setpriv (util-linux) is needed to drop CAP_NET_RAW').not.toBe('');
    await expectUsageError(['-i', topo.cdev(1)], /capture needs root or CAP_NET_RAW/, undefined, [...topo.prefix('c'), setpriv, '--bounding-set', '-net_raw']);
  });

  it('--tui without a terminal: exit 2, one line', async () => {
    const r = await runCli(['live', '-i', 'lo', '--tui']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('mptcpscope: live --tui needs a terminal: standard output is not a terminal\n');
  });

  /**
   * Runs a shell command line in a detached tmux session on a tmux server of its own (other test files use
   * tmux too: a shared server that is exiting refuses new sessions); returns helpers to read and type.
   */
  function tmux(name: string, command: string): { screen(): string; keys(...k: string[]): void; kill(): void } {
    const socket = join(work, `tmux-${name}`);
    const tm = (...args: string[]): string[] => ['tmux', '-S', socket, ...args];
    run(tm('new-session', '-d', '-s', name, '-x', '150', '-y', '40', command));
    return {
      screen: () => run(tm('capture-pane', '-p', '-t', name), true),
      keys: (...k: string[]) => { run(tm('send-keys', '-t', name, ...k)); },
      kill: () => { run(tm('kill-server'), true); },
    };
  }
  const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const liveCommand = (args: string[], status: string): string =>
    `${[...topo.prefix('c'), process.execPath, BIN, 'live', ...args].map(shq).join(' ')} 2>${shq(status)}.err; echo $? >${shq(status)}; sleep 60`;

  it('on a terminal: a status line with sessions, subflows and the rate', async () => {
    const status = join(work, 'tty-status');
    const t = tmux(`mpscope-tty-${topo.id}`, liveCommand(['-i', topo.cdev(1), '--duration', '3', 'udp', 'port', '9'], status));
    try {
      await waitFor('live to start on the terminal', () => existsSync(`${status}.err`) && readFileSync(`${status}.err`, 'utf8').includes('capturing on'));
      run(udp(topo.saddr(1), 10));
      await waitFor('the status line', () => /\[\d+ s\] 10 packets, 0 sessions, 0 subflows, [\d.]+ [kMG]bit\/s/.test(t.screen()), 5000);
      await waitFor('live to stop', () => existsSync(status), 8000);
      expect(readFileSync(status, 'utf8').trim()).toBe('0');
      // tmux shows the program's last output a moment after it exits.
      await waitFor('the summary on the terminal', () => t.screen().includes('live:' + topo.cdev(1) + ': 10 packets'), 5000);
      // The status line is erased before the summary.
      expect(t.screen()).not.toMatch(/\[\d+ s\] \d+ packets/);
    } finally {
      t.kill();
    }
  });

  it('--tui: the terminal UI fed by the capture; outputs written when the capture stops, q ends with 0', async () => {
    const status = join(work, 'tui-status');
    const pcapng = join(work, 'tui.pcapng');
    const json = join(work, 'tui.json');
    const t = tmux(`mpscope-tui-${topo.id}`, liveCommand(['-i', topo.cdev(1), '-i', topo.cdev(2), '--tui', '-c', '20', '-w', pcapng, '--json', json, 'udp', 'port', '9'], status));
    try {
      await waitFor('the UI', () => /live .*\| 0 pkts/.test(t.screen()), 8000);
      run(udp(topo.saddr(1), 12));
      run(udp(topo.saddr(2), 12));
      await waitFor('the capture to stop after -c 20', () => /20 pkts .*capture stopped/.test(t.screen()), 8000);
      // The cursor stayed on the last row, so the list (and the detail) followed the new packets.
      await waitFor('the detail of a late packet', () => Number(/Detail: packet #(\d+)/.exec(t.screen())?.[1] ?? 0) >= 15, 5000);
      // The UI stays open; the outputs are already there.
      await waitFor('the JSON report', () => existsSync(json));
      expect(readJson<AnalysisReport>(json).capture.packets).toBe(20);
      expect((await readCapture(pcapng, () => undefined)).packets).toBe(20);
      t.keys('q');
      await waitFor('live to exit', () => existsSync(status), 5000);
      expect(readFileSync(status, 'utf8').trim()).toBe('0');
      expect(readFileSync(`${status}.err`, 'utf8')).toContain('stopped (20 packets captured)');
      await waitFor('the summary on the terminal', () => t.screen().includes(`live:${topo.cdev(1)},${topo.cdev(2)}: 20 packets`), 5000);
    } finally {
      t.kill();
    }
  });

  it('-D lists the interfaces', async () => {
    const bg = background([...topo.prefix('c'), process.execPath, BIN, 'live', '-D']);
    const r = await withTimeout(bg.done, 10_000, 'live -D');
    expect(r.code, r.stderr).toBe(0);
    const names = lines(r.stdout).map((l) => /^\d+\.(\S+)/.exec(l)?.[1]);
    expect(names).toEqual(expect.arrayContaining([topo.cdev(1), topo.cdev(2), 'lo', 'any']));
  });

  it('a hangup of plain live (tmux kill-session): stops as on SIGINT, writes its outputs, no ResetStdio abort', async () => {
    const json = join(work, 'hup-log.json');
    const err = join(work, 'hup-log.err');
    const cmd = `exec ${[...topo.prefix('c'), process.execPath, BIN, 'live', '-i', topo.cdev(1), '--json', json, 'udp', 'port', '9'].map(shq).join(' ')} 2>${shq(err)}`;
    const t = tmux(`mpscope-huplog-${topo.id}`, cmd);
    try {
      await waitFor('live to start', () => existsSync(err) && readFileSync(err, 'utf8').includes('capturing on'), 8000);
      run(udp(topo.saddr(1), 3));
    } finally {
      t.kill();
    }
    await waitFor('the report', () => existsSync(json), 10_000);
    expect(readJson<AnalysisReport>(json).capture.packets).toBe(3);
    await waitFor('the closing lines', () => readFileSync(err, 'utf8').includes(`${topo.cdev(1)}: 3 packets captured`), 10_000);
    const stderr = readFileSync(err, 'utf8');
    expect(stderr).toContain('live: stopped (SIGHUP)');
    expect(stderr).not.toMatch(/Assertion|ResetStdio|EIO/);
  });

  it('--tui: a hangup (tmux kill-session) during a transfer still commits the pcapng and the JSON report, before any terminal cleanup', async () => {
    const pcapng = join(work, 'hup.pcapng');
    const json = join(work, 'hup.json');
    const err = join(work, 'hup.err');
    const cmd = `exec ${[...topo.prefix('c'), process.execPath, BIN, 'live', '-i', topo.cdev(1), '-i', topo.cdev(2), '--tui', '-w', pcapng, '--json', json, '-f', `tcp port ${PORT + 1}`].map(shq).join(' ')} 2>${shq(err)}`;
    const t = tmux(`mpscope-hup-${topo.id}`, cmd);
    let server: Bg | undefined;
    try {
      await waitFor('the UI', () => /live .*\| \d+ pkts/.test(t.screen()), 8000);
      const srvReady = join(work, 'hup-server.ready');
      server = background([...topo.prefix('s'), 'python3', APP, 'server', '--bind', '0.0.0.0', '--port', String(PORT + 1), '--seed', '7',
        '--bytes', '300000', '--peer-bytes', '300000', '--ready', srvReady, '--report', join(work, 'hup-server.json'), '--timeout', '20']);
      await waitFor('the server to listen', () => existsSync(srvReady) || server!.child.exitCode !== null);
      background([...topo.prefix('c'), 'python3', APP, 'client', '--connect', topo.saddr(1), '--port', String(PORT + 1), '--seed', '7',
        '--bytes', '300000', '--peer-bytes', '300000', '--report', join(work, 'hup-client.json'), '--timeout', '20']);
      // Mid-transfer: packets on screen, then the terminal goes away.
      await waitFor('packets in the UI', () => /\| [1-9]\d* pkts/.test(t.screen()), 8000);
    } finally {
      t.kill();
    }
    await waitFor('the pcapng renamed into place', () => existsSync(pcapng) && existsSync(json), 10_000);
    await server?.done;
    const capinfos = run(['capinfos', '-c', '-M', pcapng]);
    const count = Number(/Number of packets:\s+(\d+)/.exec(capinfos)?.[1]);
    expect(count).toBeGreaterThan(0);
    const report = readJson<AnalysisReport>(json);
    expectValidReport(report);
    expect(report.capture.packets).toBe(count);
    expect(report.sessions.length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(work).filter((f) => f.startsWith('.hup') && f.endsWith('.tmp'))).toEqual([]);
    await waitFor('live to exit', () => readFileSync(err, 'utf8').includes('live: stopped'), 10_000);
    const stderr = readFileSync(err, 'utf8');
    expect(stderr).toContain('live: stopped (SIGHUP: the terminal went away)');
    expect(stderr).not.toMatch(/Assertion|ResetStdio|EIO|Segmentation/);
  });

  it('an interface that goes down and comes back: reopened, both logged, the gap a finding (not drops), packets of both periods kept', async () => {
    const json = join(work, 'flap.json');
    const pcapng = join(work, 'flap.pcapng');
    const lv = live(['-i', topo.cdev(1), '-i', topo.cdev(2), '--json', json, '-w', pcapng, '--no-color', 'udp', 'port', '9']);
    await ready(lv);
    run(udp(topo.saddr(2), 20));
    run(['ip', '-n', topo.client, 'link', 'set', topo.cdev(2), 'down']);
    await waitFor('the went-down line', () => lv.stdout().includes(`interface ${topo.cdev(2)} went down`));
    run(['ip', '-n', topo.client, 'link', 'set', topo.cdev(2), 'up']);
    // At once: the datagrams sent right after the link is back must not be lost.
    run(udp(topo.saddr(2), 50));
    await waitFor('the up-again line', () => lv.stdout().includes(`interface ${topo.cdev(2)} is up again`));
    run(udp(topo.saddr(2), 20));
    await new Promise((r) => setTimeout(r, 300));
    lv.child.kill('SIGINT');
    const r = await withTimeout(lv.done, 10_000, 'live to stop');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`interface ${topo.cdev(2)} is up again after [\\d.]+ s: capture on it reopened`));
    expect(r.stdout).toMatch(new RegExp(`WARNING CAPTURE_INTERFACE_DOWN: interface ${topo.cdev(2)} was down from`));
    expect(r.stderr).toMatch(new RegExp(`${topo.cdev(2)}: 90 packets captured, \\d+ received by filter, 0 dropped by kernel.*\\(went down once, reopened\\)`));
    const report = readJson<AnalysisReport>(json);
    expectValidReport(report);
    const codes = report.findings.map((f) => f.code);
    expect(codes).toContain('CAPTURE_INTERFACE_DOWN');
    expect(codes).not.toContain('CAPTURE_DROPS');
    expect(codes).not.toContain('CAPTURE_INTERFACE_LOST');
    // Every datagram, from before the flap and after it, once each (tshark-independent count by content).
    const payloads: string[] = [];
    await readCapture(pcapng, (rec) => { if (rec.iface === 1) payloads.push(rec.data.subarray(rec.data.length - 10).toString('latin1')); });
    expect(payloads).toHaveLength(90);
    expect(payloads.every((p) => p === 'mptcpscope')).toBe(true);
  });

  // Last: it deletes the second link.
  it('an interface that disappears: capture goes on on the others, a log line and a finding say so', async () => {
    const json = join(work, 'lost.json');
    const pcapng = join(work, 'lost.pcapng');
    const lv = live(['-i', topo.cdev(1), '-i', topo.cdev(2), '--json', json, '-w', pcapng, 'udp', 'port', '9']);
    await ready(lv);
    run(udp(topo.saddr(2), 5));
    await new Promise((r) => setTimeout(r, 300));
    run(['ip', '-n', topo.client, 'link', 'del', topo.cdev(2)]);
    await waitFor('the lost-interface line', () => lv.stdout().includes('CAPTURE_INTERFACE_LOST')).catch((e: Error) => {
      throw new Error(`${e.message}: stdout ${lv.stdout()} stderr ${lv.stderr()}`);
    });
    run(udp(topo.saddr(1), 5));
    await new Promise((r) => setTimeout(r, 300));
    lv.child.kill('SIGINT');
    const r = await withTimeout(lv.done, 10_000, 'live to stop');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`WARNING CAPTURE_INTERFACE_LOST: interface ${topo.cdev(2)}: the interface disappeared; capture on it stopped after 5 packets, the other interfaces went on`));
    expect(r.stderr).toMatch(new RegExp(`${topo.cdev(2)}: 5 packets captured.*\\(capture stopped: the interface disappeared\\)`));
    // Nothing left unread in the ring: what the filter received was captured.
    const recv = new RegExp(`${topo.cdev(2)}: (\\d+) packets captured, (\\d+) received by filter`).exec(r.stderr);
    if (recv) expect(recv[1]).toBe(recv[2]);
    const report = readJson<AnalysisReport>(json);
    expectValidReport(report);
    expect(report.findings.map((f) => f.code)).toContain('CAPTURE_INTERFACE_LOST');
    // Packets from both interfaces are kept: the datagrams sent on path 2 before the loss, on path 1 after it.
    const perIface = [0, 0];
    await readCapture(pcapng, (rec) => { perIface[rec.iface]++; });
    expect(perIface).toEqual([5, 5]);
    expect(report.capture.packets).toBe(perIface[0] + perIface[1]);
  });
});
