/** A user-facing error: one line on stderr and an exit status (2 for usage and input, 1 for a failed check). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = 2) {
    super(message);
    this.name = 'CliError';
  }
}
