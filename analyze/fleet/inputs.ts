/**
 * The captures named on a command line: files as given, directories walked (recursively, in name order) for
 * .pcap, .pcapng and .cap files and their .gz forms. Order is the order of the arguments, so output can follow it.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const CAPTURE_NAME = /\.(pcap|pcapng|cap)(\.gz)?$/i;

export interface ExpandedInputs {
  files: string[];
  /** Directories that held no capture (said once each, not an error by themselves). */
  emptyDirs: string[];
}

export function expandInputs(args: readonly string[]): ExpandedInputs {
  const files: string[] = [];
  const emptyDirs: string[] = [];
  for (const arg of args) {
    let isDir = false;
    try { isDir = arg !== '-' && statSync(arg).isDirectory(); } catch { /* missing: reported when read */ }
    if (!isDir) { files.push(arg); continue; }
    const before = files.length;
    walk(arg, files, new Set());
    if (files.length === before) emptyDirs.push(arg);
  }
  return { files, emptyDirs };
}

function walk(dir: string, out: string[], seen: Set<string>): void {
  let real: string;
  try { real = realpathSync(dir); } catch { return; }
  if (seen.has(real)) return; // a symlink loop
  seen.add(real);
  let names: string[];
  try { names = readdirSync(dir).sort(); } catch { return; }
  for (const name of names) {
    const path = join(dir, name);
    let st;
    try { st = statSync(path); } catch { continue; }
    if (st.isDirectory()) walk(path, out, seen);
    else if (st.isFile() && CAPTURE_NAME.test(name)) out.push(path);
  }
}
