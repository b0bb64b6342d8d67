import { EXIT_WRITE_FAILURE, writeErrorText } from '../common/write-error.js';

/**
 * Batched writing to stdout. process.stdout writes are synchronous on Linux for files, pipes and
 * terminals, so batching bounds memory.
 *
 * Write errors arrive asynchronously as 'error' events on process.stdout and end the program:
 * - EPIPE (the reader went away, e.g. `| head -1`): quietly, with status 0;
 * - anything else (ENOSPC on a full disk, EIO, ...): with one line on stderr and status 74 (EX_IOERR),
 *   never a stack trace.
 */
export class StdoutBatcher {
  private pending = '';
  /** Output can no longer be written; callers may check it to stop early. */
  closed = false;

  constructor(private readonly limit = 1 << 16) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      this.closed = true;
      if (err.code === 'EPIPE') process.exit(0);
      process.stderr.write(`mptcpscope: cannot write standard output: ${writeErrorText(err)}\n`);
      process.exit(EXIT_WRITE_FAILURE);
    });
    // A closed stderr (e.g. `2>&1 | head -1`) has nowhere left to report to: never crash on it.
    if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => undefined);
  }

  /** Every text written is ASCII (NDJSON): encode it as one-byte characters, the cheapest encoding. */
  asciiOnly = false;

  write(s: string): void {
    this.pending += s;
    if (this.pending.length >= this.limit) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    process.stdout.write(this.asciiOnly ? Buffer.from(this.pending, 'latin1') : this.pending);
    this.pending = '';
  }
}

/** Writes a whole text to stdout with the same error handling as StdoutBatcher (EPIPE: quiet exit 0). */
export function writeStdout(text: string): void {
  const out = new StdoutBatcher(Infinity);
  out.write(text);
  out.flush();
}
