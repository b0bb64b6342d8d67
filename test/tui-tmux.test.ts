// `mptcpscope tui` in a real pseudo-terminal (tmux): the first screen, keys, help, charts, the filter, quitting
// with q and Ctrl-C with the exit status and the terminal restored, 80x24 and resizing.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, runCli, BIN, ROOT, q } from './helpers/cli.js';
import { Tmux, requireTmux } from './helpers/tmux.js';
import { dssChecksums, hasTshark } from './helpers/dss-oracle.js';
import { HELP_LINES } from '../tui/help.js';
import { readCapture } from '../dissect/capture-reader.js';

const CAP = 'captures/v1-two-subflows.pcap';

interface Subflow { client: string; server: string }

describe('tui in a pseudo-terminal (tmux)', () => {
  let tmux: Tmux;
  let dir: string;
  let subflows: Subflow[];

  // A missing tmux fails every test here with a clear message (a failure in beforeAll would show as skipped tests).
  let missing: Error | null = null;
  const needTmux = (): void => { if (missing) throw missing; };

  beforeAll(async () => {
    try { requireTmux(); } catch (err) { missing = err as Error; return; }
    ensureBuilt();
    tmux = new Tmux();
    dir = mkdtempSync(join(tmpdir(), 'mptcpscope-tui-'));
    const r = await runCli(['analyze', '--json', CAP]);
    subflows = (JSON.parse(r.stdout) as { sessions: Array<{ subflows: Subflow[] }> }).sessions[0].subflows;
    expect(subflows).toHaveLength(2);
  });

  afterAll(() => {
    tmux?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Starts the TUI in a session; the shell records the terminal modes before and after and the exit status,
   * then stays (sleeping) so the terminal state the TUI left can be inspected.
   */
  function startTui(name: string, cols: number, rows: number, file = CAP): { exitFile: string; before: string; after: string } {
    const files = { exitFile: join(dir, `${name}.exit`), before: join(dir, `${name}.stty-before`), after: join(dir, `${name}.stty-after`) };
    const cmd = `cd ${q(ROOT)} && stty -g > ${q(files.before)}; env -u NODE_OPTIONS -u FORCE_COLOR LANG=C.UTF-8 ${q(process.execPath)} ${q(BIN)} tui ${file}; `
      + `st=$?; stty -g > ${q(files.after)}; echo EXIT=$st > ${q(files.exitFile)}; exec sleep 120`;
    tmux.start(name, cols, rows, cmd);
    return files;
  }

  async function waitForExit(name: string, exitFile: string): Promise<string> {
    await tmux.waitFor(name, () => existsSync(exitFile) && readFileSync(exitFile, 'utf8').includes('\n'), 'the exit status file');
    return readFileSync(exitFile, 'utf8').trim();
  }

  function expectRestored(name: string, files: { before: string; after: string }): void {
    // The shell saw the same terminal modes after the TUI as before it (raw mode and echo given back).
    expect(readFileSync(files.after, 'utf8')).toBe(readFileSync(files.before, 'utf8'));
    // Out of the alternate screen, cursor shown, keypad and mouse modes off.
    expect(tmux.display(name, '#{alternate_on} #{cursor_flag} #{keypad_flag} #{keypad_cursor_flag} #{mouse_any_flag}')).toBe('0 1 0 0 0');
    // What is left on the (normal) screen is not the UI.
    expect(tmux.capture(name)).not.toContain('Sessions (');
  }

  it('120x40: shows the session and both subflows, navigates to a packet detail, help, charts, filter, quits with q', async () => {
    needTmux();
    const files = startTui('big', 120, 40);
    const first = await tmux.waitFor('big', (s) => s.includes('Session 0') && subflows.every((sf) => s.includes(sf.client)) && s.includes('| read'), 'the first screen');
    const lines = first.split('\n');
    // The session and both subflows, each with its client and server endpoint and HMAC verdict.
    expect(lines.some((l) => l.includes(`Session 0  MPTCP v1  ${subflows[0].client} → ${subflows[0].server}  2 subflows`))).toBe(true);
    const sf0 = lines.find((l) => l.includes(`sf 0  ${subflows[0].client}`))!;
    const sf1 = lines.find((l) => l.includes(`sf 1  ${subflows[1].client}`))!;
    expect(sf0).toMatch(new RegExp(`→ ${subflows[0].server}  ids 0/0  backup no   hmac initial  FIN`));
    expect(sf1).toMatch(new RegExp(`→ ${subflows[1].server}  ids 2/0  backup no   hmac valid    FIN`));
    // The packets of the session, and the status bar.
    expect(first).toContain('Packets: session 0 (460)');
    expect(first).toMatch(/ +1 +0\.000000 +0 c2s 10\.0\.1\.1:\d+ +10\.0\.1\.2:5201 +\[S\] .*MP_CAPABLE v1/);
    expect(lines[39]).toMatch(/^ v1-two-subflows\.pcap \| 460 pkts  1 sess  2 sf \| read \| \?:help/);
    expect(tmux.display('big', '#{alternate_on}')).toBe('1');

    // Tab to the packets, down to packet 4 (MP_CAPABLE with data), Enter: its detail.
    tmux.send('big', 'Tab', 'j', 'j', 'j', 'Enter');
    await tmux.waitFor('big', (s) => s.includes('Detail: packet #4'), 'the detail of packet 4');
    // The whole tree: Tab to the detail pane, z zooms it.
    tmux.send('big', 'Tab', 'z');
    const detail = await tmux.waitFor('big', (s) => /^\S+ Detail: packet #4/.test(s) && !s.includes('Sessions ('), 'the zoomed detail of packet 4');
    for (const text of ['Frame 4: 1514 bytes on wire', 'Multipath TCP: MP_CAPABLE (subtype 0), length 22', 'senderKey: ', 'receiverKey: ', 'dataLevelLength: 1424', 'MPTCP session 0, subflow 0, c2s']) {
      expect(detail).toContain(text);
    }
    // The detail follows the packet cursor (no Enter): packet 5 is a DSS.
    tmux.send('big', 'z', 'BTab', 'j', 'Tab', 'z');
    const dss = await tmux.waitFor('big', (s) => /^\S+ Detail: packet #5/.test(s), 'the detail of packet 5');
    for (const text of ['Multipath TCP: DSS (subtype 2)', 'dataAck: ', 'dsn: ', 'subflowSeq: 1', 'dataLevelLength: 1424', 'relative DATA_ACK ']) expect(dss).toContain(text);
    tmux.send('big', 'z', 'BTab');
    await tmux.waitFor('big', (s) => s.includes('Sessions (1)') && s.includes('Detail: packet #5'), 'the panes back');

    // Help opens with ? and closes with q.
    tmux.send('big', '?');
    const help = await tmux.waitFor('big', (s) => s.includes('Help: keys') && s.includes('Tab / Shift-Tab'), 'the help');
    expect(help).not.toContain('Packets: session 0');
    // Longer than the screen: it scrolls (End shows its last lines).
    tmux.send('big', 'End');
    const helpEnd = await tmux.waitFor('big', (s) => s.includes('Help: keys') && s.includes('quit at once'), 'the end of the help');
    expect(helpEnd).toContain('Ctrl-C              quit at once');
    tmux.send('big', 'q');
    await tmux.waitFor('big', (s) => !s.includes('Help: keys') && s.includes('Packets: session 0') && s.includes('Detail: packet #5'), 'the main view after help');

    // Charts of the session, then back.
    tmux.send('big', 'c');
    const charts = await tmux.waitFor('big', (s) => s.includes('Throughput per subflow') && s.includes('Data-level bytes delivered'), 'the charts');
    expect(charts).toContain('sf0');
    expect(charts).toContain('sf1');
    expect(charts).toContain('c2s');
    tmux.send('big', 'q');
    await tmux.waitFor('big', (s) => !s.includes('Throughput per subflow') && s.includes('Packets: session 0'), 'the main view after the charts');

    // Filter the list to MP_JOIN, Enter on the first one: the join's fields.
    tmux.send('big', '/');
    await tmux.waitFor('big', (s) => s.split('\n')[39].startsWith('/_'), 'the filter prompt');
    tmux.type('big', 'MP_JOIN');
    tmux.send('big', 'Enter');
    const filtered = await tmux.waitFor('big', (s) => s.includes('Packets: session 0 (3) filter: MP_JOIN'), 'the filtered list');
    expect(filtered).toMatch(/ +12 +0\.\d{6} +1 c2s 10\.0\.2\.1:\d+ +10\.0\.1\.2:5201 +\[S\] .*MP_JOIN SYN id=2/);
    tmux.send('big', 'Home', 'Enter');
    await tmux.waitFor('big', (s) => s.includes('Detail: packet #12'), 'the detail of packet 12');
    tmux.send('big', 'Tab', 'z');
    const join = await tmux.waitFor('big', (s) => /^\S+ Detail: packet #12/.test(s), 'the zoomed detail of packet 12');
    for (const text of ['Multipath TCP: MP_JOIN (subtype 1)', 'phase: SYN', 'receiverToken: ', 'senderNonce: ', 'MPTCP session 0, subflow 1, c2s']) expect(join).toContain(text);
    tmux.send('big', 'z', 'BTab');
    await tmux.waitFor('big', (s) => s.includes('Sessions (1)'), 'the panes back');

    // q first leaves the filtered view, then quits.
    tmux.send('big', 'q');
    await tmux.waitFor('big', (s) => s.includes('Packets: session 0 (460)'), 'the unfiltered list');
    expect(existsSync(files.exitFile)).toBe(false);
    tmux.send('big', 'q');
    expect(await waitForExit('big', files.exitFile)).toBe('EXIT=0');
    expectRestored('big', files);
  });

  it('80x24: fits, redraws on resize, and Ctrl-C quits at once with the terminal restored', async () => {
    needTmux();
    const files = startTui('small', 80, 24);
    const first = await tmux.waitFor('small', (s) => s.includes('Session 0') && subflows.every((sf) => s.includes(sf.client)) && s.includes('| read'), 'the first screen at 80x24');
    const lines = first.split('\n');
    expect(lines.some((l) => l.includes(`sf 1  ${subflows[1].client} → ${subflows[1].server}  ids 2/0  backup no   hmac valid`))).toBe(true);
    expect(first).toContain('Packets: session 0 (460)');
    expect(lines[23]).toMatch(/^ v1-two-subflows\.pcap \| 460 pkts  1 sess  2 sf \| read \| \?:help/);
    expect(lines[23].length).toBeLessThanOrEqual(80);
    // A larger terminal is used at once: the status bar moves to the new last row.
    tmux.resize('small', 100, 30);
    await tmux.waitFor('small', (s) => /^ v1-two-subflows\.pcap .*\?:help/.test(s.split('\n')[29] ?? ''), 'the redraw at 100x30');
    tmux.send('small', 'C-c');
    expect(await waitForExit('small', files.exitFile)).toBe('EXIT=130');
    expectRestored('small', files);
  });
  it('g goes to a packet: the checksum-mismatch packet #17 shows the carried and expected DSS checksum, and its bytes', async () => {
    needTmux();
    const file = 'captures/checksum-rewrite.pcap';
    startTui('goto', 120, 40, file);
    await tmux.waitFor('goto', (s) => s.includes('| read'), 'the capture read');
    tmux.send('goto', 'g');
    await tmux.waitFor('goto', (s) => s.split('\n')[39].startsWith('go to packet: _'), 'the go-to prompt');
    tmux.type('goto', '17');
    tmux.send('goto', 'Enter');
    const screen = await tmux.waitFor('goto', (s) => s.includes('Detail: packet #17') && s.includes('Bytes: packet #17'), 'packet 17');
    // The packet list's cursor row is #17.
    expect(screen).toMatch(/^\S +17 +0\.\d{6} +1 s2c 10\.0\.1\.2:5201 /m);
    if (hasTshark()) {
      const { carried, expected } = dssChecksums(file, 17);
      const hex = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
      expect(screen).toContain(`DSS checksum ${hex(carried)}: WRONG, expected ${hex(expected)}`);
    } else expect(screen).toMatch(/DSS checksum 0x[0-9a-f]{4}: WRONG, expected 0x[0-9a-f]{4}/);
    // The bytes pane starts with the packet's first 16 bytes as captured.
    let first: Buffer | undefined;
    await readCapture(file, (rec) => { if (rec.n === 17) { first = Buffer.from(rec.data.subarray(0, 16)); return false; } return true; });
    const hexes = [...first!].map((x) => x.toString(16).padStart(2, '0'));
    expect(screen).toContain(`0000  ${hexes.slice(0, 8).join(' ')}  ${hexes.slice(8).join(' ')}`);
    // Tab to the detail, select a line: its bytes are named in the bytes pane's title.
    tmux.send('goto', 'Tab');
    for (let k = 0; k < 30; k++) {
      const now = tmux.capture('goto');
      if (/Bytes: packet #17, 1514 bytes, selected \d+-\d+/.test(now) && /Multipath TCP: DSS/.test(now.split('\n').find((l) => l.includes('Multipath TCP: DSS')) ?? '')) break;
      tmux.send('goto', 'j');
    }
    await tmux.waitFor('goto', (s) => /Bytes: packet #17, 1514 bytes, selected \d+-\d+/.test(s), 'a selected field');
    tmux.send('goto', 'C-c');
  });

  it('80x24: overlays wrap instead of cutting (help, findings), z zooms a pane, too small below 60x16', async () => {
    needTmux();
    startTui('wrap', 80, 24, 'captures/checksum-rewrite.pcap');
    await tmux.waitFor('wrap', (s) => s.includes('| read'), 'the capture read');
    // Help: page through it; every word of every help line shows up (nothing is cut at the border).
    tmux.send('wrap', '?');
    let seen = '';
    let last = '';
    for (let k = 0; k < 10; k++) {
      const s = await tmux.waitFor('wrap', (x) => x.includes('Help: keys'), 'the help');
      seen += s;
      if (s === last) break;
      last = s;
      tmux.send('wrap', 'PageDown');
      await new Promise((r) => setTimeout(r, 200));
    }
    const words = HELP_LINES.join(' ').split(/\s+/).filter(Boolean);
    for (const w of words) expect(seen, `help word '${w}'`).toContain(w);
    tmux.send('wrap', 'q', 't');
    const tl = await tmux.waitFor('wrap', (s) => s.includes('Findings and timeline'), 'the findings');
    // The longest finding message ends on screen (wrapped, not cut).
    expect(tl).toContain('altered in transit');
    expect(tl).toMatch(/interference +packets #52/);
    tmux.send('wrap', 'q');
    // Zoom the bytes pane (Tab three times from the sessions pane).
    tmux.send('wrap', 'Tab', 'Tab', 'Tab', 'z');
    const z = await tmux.waitFor('wrap', (s) => /^\S+ Bytes: packet #\d+/.test(s.split('\n')[0]), 'the zoomed bytes pane');
    expect(z).not.toContain('Sessions (');
    tmux.send('wrap', 'z');
    await tmux.waitFor('wrap', (s) => s.includes('Sessions (1)') && s.includes('Bytes: packet'), 'the panes back');
    // Sideways in the packet list: bounded by the longest row, the No. column stays.
    tmux.send('wrap', 'BTab', 'BTab', ...Array.from({ length: 40 }, () => 'Right')); // from the bytes pane back to the packets
    const side = await tmux.waitFor('wrap', (s) => /Packets: session 0 \(470\) →\d+/.test(s), 'the list scrolled sideways');
    const shift = Number(/Packets: session 0 \(470\) →(\d+)/.exec(side)![1]);
    expect(shift).toBeLessThan(40 * 8);
    tmux.send('wrap', 'Right', 'Right');
    await new Promise((r) => setTimeout(r, 300));
    expect(Number(/→(\d+)/.exec(await tmux.waitFor('wrap', (s) => s.includes('Packets:'), 'the list'))![1])).toBe(shift);
    expect(side).toMatch(/^\S +1 /m);
    tmux.send('wrap', ...Array.from({ length: 40 }, () => 'Left'), 'BTab');
    await tmux.waitFor('wrap', (s) => /Packets: session 0 \(470\) /.test(s) && !/\(470\) →/.test(s), 'the list back at the left');
    // Nothing is drawn in black (unreadable on dark terminals): not the borders, the placeholders, the charts.
    const black = /\x1b\[(?:\d+;)*30m/;
    expect(tmux.run(['capture-pane', '-p', '-e', '-t', 'wrap'])).not.toMatch(black);
    tmux.send('wrap', 'c');
    await tmux.waitFor('wrap', (s) => s.includes('Throughput per subflow') && s.includes('sf1'), 'the charts');
    const charts = tmux.run(['capture-pane', '-p', '-e', '-t', 'wrap']);
    expect(charts).not.toMatch(black);
    // The legend is a line of its own above each plot.
    const legend = charts.split('\n').findIndex((l) => l.includes('sf0') && l.includes('sf1'));
    expect(charts.split('\n')[legend + 1]).toContain('Throughput per subflow');
    tmux.send('wrap', 'q');
    await tmux.waitFor('wrap', (s) => s.includes('Sessions (1)'), 'the panes after the charts');
    tmux.resize('wrap', 50, 12);
    await tmux.waitFor('wrap', (s) => s.startsWith('terminal too small (50x12): needs 60x16'), 'the too-small line');
    tmux.resize('wrap', 80, 24);
    await tmux.waitFor('wrap', (s) => s.includes('Sessions (1)'), 'the panes after growing again');
    tmux.send('wrap', 'C-c');
  });

  it('hangup (tmux kill-session): tui exits without the Node 20 ResetStdio assertion', async () => {
    needTmux();
    // The shell ignores SIGHUP so it can record the status: the UI sees its terminal hang up (reads fail).
    const err = join(dir, 'hup.err');
    const st = join(dir, 'hup.status');
    tmux.start('hup', 80, 24, `cd ${q(ROOT)} && trap '' HUP; env LANG=C.UTF-8 ${q(process.execPath)} ${q(BIN)} tui ${CAP} 2>${q(err)}; echo $? > ${q(st)}`);
    await tmux.waitFor('hup', (s) => s.includes('| read'), 'the first screen');
    tmux.run(['kill-session', '-t', 'hup']);
    const deadline = Date.now() + 10_000;
    while (!existsSync(st) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(st, 'utf8').trim()).toBe('129');
    expect(readFileSync(err, 'utf8')).not.toMatch(/Assertion|ResetStdio|EIO/);
    // A real SIGHUP (the shell does not ignore it and the kernel hangs the session up).
    const err2 = join(dir, 'hup2.err');
    tmux.start('hup2', 80, 24, `cd ${q(ROOT)} && exec env LANG=C.UTF-8 ${q(process.execPath)} ${q(BIN)} tui ${CAP} 2>${q(err2)}`);
    await tmux.waitFor('hup2', (s) => s.includes('| read'), 'the first screen');
    tmux.run(['kill-session', '-t', 'hup2']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(readFileSync(err2, 'utf8')).not.toMatch(/Assertion|ResetStdio|EIO/);
  });
  it('F finds by expression, n / N repeat; w saves the listed packets; Follow Stream pages, switches view and direction, e saves', async () => {
    needTmux();
    startTui('keys', 120, 40);
    await tmux.waitFor('keys', (s) => s.includes('| read'), 'the capture read');
    const status = (s: string): string => s.split('\n')[39];
    tmux.send('keys', 'F');
    await tmux.waitFor('keys', (s) => status(s).startsWith('find: _'), 'the find prompt');
    tmux.type('keys', 'tcp.options.mptcp.subtype == 1');
    tmux.send('keys', 'Enter');
    await tmux.waitFor('keys', (s) => s.includes('Detail: packet #12') && status(s).includes("found #12 matching 'tcp.options.mptcp.subtype == 1'"), 'the first join');
    tmux.send('keys', 'n');
    await tmux.waitFor('keys', (s) => s.includes('Detail: packet #13'), 'the next join');
    tmux.send('keys', 'N', 'N');
    await tmux.waitFor('keys', (s) => s.includes('Detail: packet #14'), 'the previous join, wrapping around to the last');
    // The display filter with a shortcut, then w writes what is listed.
    tmux.send('keys', '/');
    tmux.type('keys', 'join');
    tmux.send('keys', 'Enter');
    await tmux.waitFor('keys', (s) => s.includes('Packets: session 0 (3) filter: join'), 'the filtered list');
    const out = join(dir, 'joins.pcapng');
    tmux.send('keys', 'w', 'C-u');
    tmux.type('keys', out);
    tmux.send('keys', 'Enter');
    await tmux.waitFor('keys', (s) => status(s).includes('wrote 3 packets'), 'the save message');
    const saved: number[] = [];
    await readCapture(out, (rec) => { saved.push(rec.len); });
    expect(saved).toHaveLength(3);
    tmux.send('keys', 'q');
    // Follow Stream: the whole c2s (250000 bytes), hex view, then s2c, saved with e.
    tmux.send('keys', 's');
    await tmux.waitFor('keys', (s) => s.includes('=== c2s: 250000 bytes delivered (complete); bytes 0-'), 'the stream');
    tmux.send('keys', 'm');
    const hex = await tmux.waitFor('keys', (s) => s.includes('c2s, hex') && /00000000 {2}[0-9a-f]{2} /.test(s), 'the hex view');
    expect(hex).toMatch(/00000010 {2}/);
    tmux.send('keys', 'End');
    await tmux.waitFor('keys', (s) => /bytes \d+-249999 shown/.test(s), 'the last page');
    tmux.send('keys', 'd');
    await tmux.waitFor('keys', (s) => s.includes('=== s2c: 220000 bytes delivered (complete)'), 'the other direction');
    const file = join(dir, 's2c.bin');
    tmux.send('keys', 'e', 'C-u');
    tmux.type('keys', file);
    tmux.send('keys', 'Enter');
    await tmux.waitFor('keys', (s) => status(s).includes('wrote 220000 bytes of s2c'), 'the saved direction');
    const meta = JSON.parse(readFileSync(join(ROOT, 'captures', 'v1-two-subflows.meta.json'), 'utf8')) as { server: { sent: { sha256: string } } };
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(meta.server.sent.sha256);
    tmux.send('keys', 'C-c');
  });

  it('SIGTERM gives the terminal back and exits 143; Ctrl-L redraws', async () => {
    needTmux();
    const files = startTui('term', 80, 24);
    await tmux.waitFor('term', (s) => s.includes('| read'), 'the first screen');
    tmux.send('term', 'C-l');
    await tmux.waitFor('term', (s) => s.includes('Sessions (1)') && s.includes('| read'), 'the screen after Ctrl-L');
    // The UI is the child of the pane's shell.
    const shell = tmux.display('term', '#{pane_pid}');
    const child = spawnSync('pgrep', ['-P', shell], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    expect(child).toMatch(/^\d+$/);
    process.kill(Number(child), 'SIGTERM');
    expect(await waitForExit('term', files.exitFile)).toBe('EXIT=143');
    expectRestored('term', files);
  });

});
