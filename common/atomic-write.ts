import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cannotWrite } from './write-error.js';

/**
 * Writes a file through a temporary sibling and a rename, so the target is never half-written. A target
 * that exists and is not a regular file (/dev/null, /dev/stdout, a FIFO) is written directly: renaming over
 * it would replace the device or pipe. Failures throw a CliError with exit status 74 and a readable line
 * ("cannot write out.json: no space left on device"). Returns the number of bytes written.
 */
export function writeFileAtomic(target: string, data: string | Buffer): number {
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  let special = false;
  try { special = !statSync(target).isFile(); } catch { /* does not exist yet */ }
  if (special) {
    try { writeFileSync(target, data); } catch (err) { throw cannotWrite(target, err); }
    return bytes;
  }
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (err) {
    try { rmSync(tmp, { force: true }); } catch { /* never created (e.g. a parent is not a folder) */ }
    throw cannotWrite(target, err);
  }
  return bytes;
}
