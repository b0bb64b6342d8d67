import { statSync } from 'node:fs';

/**
 * A progress bar on stderr for long reads, only when stderr is a terminal and the input is a regular file.
 * Returns the callback for the reader and a function that clears the bar.
 */
export function progressBar(file: string, label: string): { onProgress?: (n: number) => void; done: () => void } {
  if (!process.stderr.isTTY || file === '-') return { done: () => undefined };
  let size = 0;
  try { size = statSync(file).size; } catch { return { done: () => undefined }; }
  if (size < 32 * 1024 * 1024) return { done: () => undefined };
  const start = Date.now();
  let last = 0;
  let shown = false;
  const width = 30;
  return {
    onProgress: (n: number) => {
      const now = Date.now();
      if (now - last < 200 || now - start < 500) return;
      last = now;
      shown = true;
      const frac = Math.min(1, n / size);
      const filled = Math.round(frac * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0)}% ${(n / 1e6).toFixed(0)}/${(size / 1e6).toFixed(0)} MB`);
    },
    done: () => { if (shown) process.stderr.write('\r\x1b[K'); },
  };
}
