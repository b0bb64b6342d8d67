/**
 * The fleet pool (analyze/check/report/export over several captures) starts this same script as its workers:
 * worker threads marked in workerData, child processes marked in the environment. Such a worker serves captures
 * to its parent; returns false in the ordinary command line.
 */
import { isMainThread, workerData } from 'node:worker_threads';

const FLEET_WORKER = 'MPTCPSCOPE_FLEET_WORKER';

export async function serveFleetIfWorker(): Promise<boolean> {
  const thread = !isMainThread && Boolean((workerData as Record<string, unknown> | null)?.[FLEET_WORKER]);
  const child = isMainThread && process.env[FLEET_WORKER] === '1' && typeof process.send === 'function';
  if (!thread && !child) return false;
  const { boundHeapGrowth } = await import('./heap-policy.js');
  boundHeapGrowth();
  const serve = await import('../analyze/fleet/serve.js');
  if (thread) serve.serveThread(); else serve.serveProcess();
  return true;
}
