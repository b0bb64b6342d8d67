/** Writes one warning line on stderr. */
export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
