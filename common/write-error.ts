/**
 * Output write failures: one readable line and exit status 74 (EX_IOERR from sysexits.h), for every output
 * a command writes (files, directories, standard output).
 */
import { CliError } from './cli-error.js';

/** Exit status of a command whose output could not be written. */
export const EXIT_WRITE_FAILURE = 74;

/** What an errno code means for a write, in words, e.g. ENOSPC -> "no space left on device". */
const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  // For a write, a missing path component is a missing directory: the file itself is being created.
  ENOENT: 'no such directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  EEXIST: 'file exists',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ETXTBSY: 'text file busy',
  EBADF: 'bad file descriptor (closed output)',
  EPIPE: 'the reader closed the pipe',
  ENXIO: 'no reader on the other end (FIFO)',
  EAGAIN: 'output would block',
  ENODEV: 'no such device',
  ESTALE: 'stale file handle',
};

/** One-line text for a write error: the errno's meaning, else the first line of the error's message. */
export function writeErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  if (code && WRITE_ERRORS[code]) return WRITE_ERRORS[code];
  const message = e instanceof Error ? e.message : String(err);
  // Node's messages look like "EXDEV: cross-device link not permitted, rename 'a' -> 'b'": keep the words.
  const words = /^[A-Z0-9_]+: ([^,]+)/.exec(message);
  return (words ? words[1] : message).split('\n')[0] || String(code ?? 'unknown error');
}

/**
 * The error to throw when `target` could not be written (or created): "cannot write T: no space left on
 * device", exit status 74. Only system errors (those with an errno code) are output failures: anything else
 * (a CliError, a bug) is returned unchanged.
 */
export function cannotWrite(target: string, err: unknown, verb = 'write'): unknown {
  if (err instanceof CliError || typeof (err as NodeJS.ErrnoException | undefined)?.code !== 'string') return err;
  return new CliError(`cannot ${verb} ${target}: ${writeErrorText(err)}`, EXIT_WRITE_FAILURE);
}
