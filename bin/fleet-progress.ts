/** The fleet's progress line on stderr (only on a terminal): files done out of total, and packets per second. */
export interface FleetProgress {
  update: (done: number, total: number, packets: number) => void;
  /** Clears the line (before other output is printed, and at the end). */
  clear: () => void;
}

export function fleetProgress(): FleetProgress {
  if (!process.stderr.isTTY) return { update: () => undefined, clear: () => undefined };
  const start = Date.now();
  let last = 0;
  let shown = false;
  return {
    update: (done, total, packets) => {
      const now = Date.now();
      if (done < total && now - last < 200) return;
      last = now;
      shown = true;
      const secs = Math.max((now - start) / 1000, 0.001);
      process.stderr.write(`\r\x1b[K${done}/${total} files, ${Math.round(packets / secs).toLocaleString('en-US')} packets/s`);
    },
    clear: () => { if (shown) { process.stderr.write('\r\x1b[K'); shown = false; } },
  };
}
