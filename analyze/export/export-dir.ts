/**
 * The export directory: one subdirectory per table, one Parquet file per capture in each, and a marker file
 * that says the directory is an mptcpscope export. A directory that exists, is not empty and has no marker is
 * somebody else's: it is refused before anything is written into it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { CliError } from '../../common/cli-error.js';
import { TABLE_NAMES } from './tables.js';

export const EXPORT_MARKER = '.mptcpscope-export';
/** Bumped when a column changes meaning or type (docs/tables.md). */
export const TABLES_VERSION = 1;

/** Checks DIR (creating it when missing) and makes it an export directory. Throws CliError (exit 2) for a foreign one. */
export function prepareExportDir(dir: string): void {
  let entries: string[] | null = null;
  try {
    if (!statSync(dir).isDirectory()) throw new CliError(`${dir} exists and is not a directory`);
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new CliError(`cannot read ${dir}: ${code ?? (err as Error).message}`);
  }
  const marker = join(dir, EXPORT_MARKER);
  if (entries !== null && entries.length > 0) {
    if (!entries.includes(EXPORT_MARKER)) throw new CliError(`${dir} exists and is not an mptcpscope export (no ${EXPORT_MARKER} file): give a new or empty directory`);
    let version = -1;
    try { version = (JSON.parse(readFileSync(marker, 'utf8')) as { tablesVersion?: number }).tablesVersion ?? -1; } catch { /* unreadable */ }
    if (version !== TABLES_VERSION) throw new CliError(`${dir} holds an export with tables version ${version}, not ${TABLES_VERSION}: export into a new directory`);
  }
  try {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(marker)) writeFileSync(marker, `${JSON.stringify({ tool: 'mptcpscope', tablesVersion: TABLES_VERSION })}\n`);
    for (const t of TABLE_NAMES) mkdirSync(join(dir, t), { recursive: true });
  } catch (err) {
    throw new CliError(`cannot write ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 74);
  }
}

/**
 * A capture's id, the name of its file in every table: the file name without its capture extension, and 8 hex
 * digits of the sha256 of its absolute path, so two captures of the same name in different directories do not
 * replace each other, and exporting the same path again replaces its files.
 */
export function captureId(file: string): string {
  const stem = basename(file).replace(/\.(pcap|pcapng|cap)(\.gz)?$/i, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'capture';
  return `${stem}-${createHash('sha256').update(resolve(file)).digest('hex').slice(0, 8)}`;
}
