/**
 * Drives a program in a real pseudo-terminal through tmux, for tests of `mptcpscope tui`.
 *
 *   const t = new Tmux();                       // its own server socket: tmux -L mptcpscope-test-PID
 *   t.start('main', 120, 40, 'node dist/bin/mptcpscope.js tui FILE; echo EXIT=$? > /tmp/x');
 *   await t.waitFor('main', (s) => s.includes('Session 0'), 'the first screen');
 *   t.send('main', 'Tab', 'j', 'Enter');
 *   t.kill();                                   // in afterAll
 *
 * Panes stay after their command exits (remain-on-exit), so the screen left behind can be checked.
 * tmux is required: `requireTmux()` throws with a clear message when it is missing (CI installs it).
 */
import { spawnSync } from 'node:child_process';

export function requireTmux(): void {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('tmux is not installed: the tui pseudo-terminal tests need it (apt-get install tmux; CI installs it)');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Tmux {
  readonly socket = `mptcpscope-test-${process.pid}`;

  /** Runs a tmux command on this test's server; returns its stdout. */
  run(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** A detached session of cols x rows running `command` (with sh -c); its pane stays after the command ends. */
  start(name: string, cols: number, rows: number, command: string, env: Record<string, string> = {}): void {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    this.run(['new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), ...envArgs, command, ';', 'set-option', '-t', name, 'remain-on-exit', 'on']);
  }

  /** The visible text of the session's pane, one line per row. */
  capture(name: string): string {
    return this.run(['capture-pane', '-p', '-t', name]);
  }

  /** Sends keys by tmux name: 'Enter', 'Tab', 'BTab', 'C-c', 'q', 'j', ... */
  send(name: string, ...keys: string[]): void {
    this.run(['send-keys', '-t', name, ...keys]);
  }

  /** Sends text literally. */
  type(name: string, text: string): void {
    this.run(['send-keys', '-t', name, '-l', text]);
  }

  /** A tmux format for the session's pane, e.g. '#{alternate_on}'. */
  display(name: string, format: string): string {
    return this.run(['display-message', '-p', '-t', name, format]).trim();
  }

  resize(name: string, cols: number, rows: number): void {
    this.run(['resize-window', '-t', name, '-x', String(cols), '-y', String(rows)]);
  }

  /**
   * Polls the pane until `ok(screen)` holds on a settled screen; throws with the last screen after `timeoutMs`.
   * A terminal program draws a view in several writes, so a screen that already matches may still be
   * half drawn (CI once caught the help overlay over the old packet list): the match counts only when
   * the next capture, a moment later, is identical.
   */
  async waitFor(name: string, ok: (screen: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    let matched: string | undefined;
    for (;;) {
      screen = this.capture(name);
      if (ok(screen)) {
        if (screen === matched) return screen;
        matched = screen;
      } else {
        matched = undefined;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${screen}`);
      await sleep(matched === undefined ? 50 : 150);
    }
  }

  /** Ends this test's tmux server and everything in it. */
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { encoding: 'utf8' });
  }
}
