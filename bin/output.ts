/**
 * Batched writing to stdout. process.stdout writes are synchronous on Linux for files, pipes and
 * terminals, so batching bounds memory; a closed pipe (EPIPE, e.g. `| head`) ends the program quietly.
 */
export class StdoutBatcher {
  private pending = '';
  closed = false;

  constructor(private readonly limit = 1 << 16) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') { this.closed = true; process.exit(0); }
      throw err;
    });
  }

  write(s: string): void {
    this.pending += s;
    if (this.pending.length >= this.limit) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    process.stdout.write(this.pending);
    this.pending = '';
  }
}
