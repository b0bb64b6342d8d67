import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every capture file (pcap, pcapng, gzipped or not) below `dir`, recursively; none when it is missing. */
export function captureFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return captureFiles(p);
    return /\.(pcap|pcapng)(\.gz)?$/.test(f) ? [p] : [];
  });
}
