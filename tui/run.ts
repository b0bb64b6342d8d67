/**
 * `mptcpscope tui FILE`: checks everything that can fail before the screen is taken over (the file opens and
 * is a capture, stdout and stdin are terminals), then runs the UI on a file source.
 */
import { readCapture } from '../dissect/capture-reader.js';
import { CliError } from '../common/cli-error.js';
import { compileFilter, FilterError, filterErrorText } from '../dissect/filter/index.js';
import { exitProcess, guardTerminalStreams, markTerminalGone, onTerminalGone } from '../common/terminal.js';
import { FileSource, type CaptureSource } from './source.js';
import { TuiModel } from './model.js';

/** Throws a CliError (exit 2: the reason, the expression and a caret under the problem) for a bad -Y expression. */
export function checkDisplayFilter(expr: string | undefined): void {
  if (expr === undefined) return;
  try {
    compileFilter(expr);
  } catch (err) {
    if (err instanceof FilterError) throw new CliError(`bad display filter: ${filterErrorText(expr, err)}`);
    throw err;
  }
}

/** Throws a CaptureInputError / CliError (one line, exit 2) when FILE cannot be shown. */
export async function checkTuiInput(file: string, out: { isTTY?: boolean } = process.stdout, inp: { isTTY?: boolean } = process.stdin, displayFilter?: string): Promise<void> {
  if (file === '-') throw new CliError('tui reads a capture file, not stdin (the keyboard is its input)');
  checkDisplayFilter(displayFilter);
  // Opening the file and reading its header (up to the first record) proves it is a readable capture.
  await readCapture(file, () => false);
  if (!out.isTTY) throw new CliError('tui needs a terminal: standard output is not a terminal');
  if (!inp.isTTY) throw new CliError('tui needs a terminal: standard input is not a terminal');
}

/**
 * Runs the UI on any source until the user quits; resolves with the exit status (0 for q, 130 for Ctrl-C,
 * 128 + n for a signal) once the terminal has been restored. The model may be passed in to be used afterwards.
 */
export async function runTuiOn(source: CaptureSource, model: TuiModel = new TuiModel(source.label), displayFilter: string | null = null): Promise<number> {
  const { TuiApp } = await import('./app.js');
  return new Promise<number>((resolve) => {
    const installed: Array<[string, (...args: unknown[]) => void]> = [];
    const on = (event: string, fn: (...args: unknown[]) => void): void => { process.on(event, fn); installed.push([event, fn]); };
    const done = (code: number): void => {
      for (const [event, fn] of installed) process.removeListener(event, fn);
      resolve(code);
    };
    // EIO/EPIPE on the terminal once it is gone are expected, not errors.
    guardTerminalStreams({ stdin: true });
    const app = new TuiApp(model, source, done, displayFilter);
    // Whatever goes wrong, the terminal is given back first, then one line is printed.
    const fatal = (err: unknown): void => {
      app.destroy();
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`mptcpscope: internal error: ${msg}${process.argv.includes('--debug') && err instanceof Error ? `\n${err.stack}` : ''}\n`);
      exitProcess(70);
    };
    on('uncaughtException', fatal);
    on('unhandledRejection', fatal);
    for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGQUIT', 131]] as const) on(sig, () => app.quit(code));
    // The terminal went away: nothing is drawn or restored any more (it would fail, and the caller's outputs
    // come first); the UI just stops.
    on('SIGHUP', () => markTerminalGone());
    // A hung-up terminal also shows as the end of the keyboard input (reads fail with EIO).
    process.stdin.once('end', () => markTerminalGone());
    onTerminalGone(() => app.hangup(129));
    app.start();
  });
}

export async function runTui(file: string, displayFilter?: string): Promise<number> {
  await checkTuiInput(file, process.stdout, process.stdin, displayFilter);
  return runTuiOn(new FileSource(file), undefined, displayFilter ?? null);
}
