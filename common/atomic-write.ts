import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from './cli-error.js';

/**
 * Writes a file through a temporary sibling and a rename, so the target is never half-written. A target
 * that exists and is not a regular file (/dev/null, /dev/stdout, a FIFO) is written directly: renaming over
 * it would replace the device or pipe.
 */
export function writeFileAtomic(target: string, data: string | Buffer): void {
  let special = false;
  try { special = !statSync(target).isFile(); } catch { /* does not exist yet */ }
  if (special) {
    try { writeFileSync(target, data); } catch (err) { throw new CliError(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`); }
    return;
  }
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
