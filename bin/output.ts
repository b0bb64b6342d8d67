/**
 * Batched writing to stdout. process.stdout writes are synchronous on Linux for files, pipes and
 * terminals, so batching bounds memory.
 *
 * Write errors arrive asynchronously as 'error' events on process.stdout. They never throw here:
 * - EPIPE (the reader went away, e.g. `| head`): `closed` becomes true, further output is dropped and
 *   the caller stops reading at its next check; the program then ends quietly with status 0.
 * - anything else (ENOSPC on a full disk, EIO, ...): `closed` becomes true and `failure` holds the
 *   error, which the caller turns into one line on stderr (see `writeFailure`).
 */
export class StdoutBatcher {
  private pending = '';
  /** Output can no longer be written (reader gone or write error): stop producing it. */
  closed = false;
  /** The write error that closed the output, unless it was EPIPE. */
  failure: NodeJS.ErrnoException | undefined;

  constructor(private readonly limit = 1 << 16) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      this.closed = true;
      this.pending = '';
      if (err.code !== 'EPIPE' && this.failure === undefined) this.failure = err;
    });
    // A closed stderr (e.g. `2>&1 | head -1`) has nowhere left to report to: never crash on it.
    if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => undefined);
  }

  write(s: string): void {
    if (this.closed) return;
    this.pending += s;
    if (this.pending.length >= this.limit) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    process.stdout.write(this.pending);
    this.pending = '';
  }

  /**
   * Flushes what is pending and resolves once stdout has taken it, or once a write error has been
   * reported, so a failure of the last write is seen before the program decides its exit status.
   */
  async end(): Promise<void> {
    this.flush();
    if (this.closed) return;
    // The callback runs once everything before it has been written (or has failed); error events
    // are emitted on a later tick, hence the setImmediate.
    await new Promise<void>((resolve) => {
      process.stdout.write('', () => setImmediate(resolve));
    });
  }
}

/** One-line text for a write error, e.g. "no space left on device". */
export function writeFailureText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOSPC': return 'no space left on device';
    case 'EIO': return 'input/output error';
    case 'EBADF': return 'standard output is closed';
    case 'EFBIG': return 'file too large';
    case 'EDQUOT': return 'disk quota exceeded';
    default: return (err.message || String(err.code)).split('\n')[0];
  }
}
