/**
 * Living with a terminal that can go away (SIGHUP: the terminal window closed, ssh dropped, tmux
 * kill-session).
 *
 * - Once the terminal is gone, writes to it fail with EIO (or EPIPE, ENXIO, EBADF): those errors are
 *   expected and ignored instead of becoming uncaught exceptions.
 * - Node 20 restores the terminal modes of stdin/stdout/stderr on exit (node::ResetStdio) and aborts with
 *   `Assertion failed ... ResetStdio` when tcsetattr fails on a hung-up terminal (nodejs/node#51519, fixed
 *   upstream by #58200, not in 20.x). `exitProcess` avoids that path: when the terminal is gone it closes
 *   the descriptors that were terminals first, and ResetStdio skips a descriptor that is closed.
 */
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** Which of fds 0, 1, 2 were terminals when the program started (isatty fails on a hung-up terminal). */
const WAS_TTY = [0, 1, 2].map((fd) => isatty(fd));

let gone = false;
let guarded = false;
const listeners: Array<() => void> = [];

/** Errors that mean "the terminal (or the reader of a pipe) is not there any more". */
export function isGoneError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EIO' || code === 'EPIPE' || code === 'ENXIO' || code === 'EBADF' || code === 'ENOTTY' || code === 'ERR_STREAM_DESTROYED';
}

/** True once a hangup was seen or a terminal write failed with EIO. */
export function terminalGone(): boolean {
  return gone;
}

/** Records that the terminal went away (idempotent); calls the `onTerminalGone` callbacks once. */
export function markTerminalGone(): void {
  if (gone) return;
  gone = true;
  guardTerminalStreams();
  for (const fn of listeners.splice(0)) {
    try { fn(); } catch { /* best effort */ }
  }
}

/** Called once when the terminal goes away (a hangup, or EIO on a terminal stream). */
export function onTerminalGone(fn: () => void): void {
  if (gone) fn();
  else listeners.push(fn);
}

/**
 * Catches write and read errors of the standard streams that are terminals: EIO and friends mark the
 * terminal gone and are ignored; anything else is rethrown as it would have been.
 */
export function guardTerminalStreams(opts: { stdin?: boolean } = {}): void {
  if (!guarded) {
    guarded = true;
    if (WAS_TTY[1]) guard(process.stdout);
    if (WAS_TTY[2]) guard(process.stderr);
  }
  // process.stdin is created on first use: only those that read the keyboard guard it.
  if (opts.stdin && WAS_TTY[0] && !stdinGuarded) {
    stdinGuarded = true;
    guard(process.stdin);
  }
}

let stdinGuarded = false;

function guard(s: NodeJS.EventEmitter): void {
    s.on('error', (err: unknown) => {
      if (isGoneError(err)) { markTerminalGone(); return; }
      // Not a terminal problem: let it surface like an unhandled error would.
      process.nextTick(() => { throw err; });
    });
}

/**
 * Ends the process with `code`. When the terminal is gone, the standard descriptors that were terminals
 * are closed first so that Node's exit-time terminal reset (which would abort on the dead terminal) skips
 * them. Call it only after every output file is written.
 */
export function exitProcess(code: number): never {
  if (gone) {
    for (const fd of [0, 1, 2]) {
      if (!WAS_TTY[fd]) continue;
      try { closeSync(fd); } catch { /* already closed */ }
    }
  }
  process.exit(code);
}
