/** Running one fuzz case, classifying its outcome, and storing crashing inputs under test/regressions/. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PipelineInvariantError, runPipeline, type PipelineOptions } from './pipeline.js';

export type CrashKind = 'exception' | 'invariant' | 'slow' | 'hang';

export interface CaseOutcome {
  crash?: CrashKind;
  /** Error name and message, or what was slow. */
  error?: string;
  stack?: string;
  ms: number;
  refused: boolean;
}

export async function runCase(bytes: Buffer, timeLimitMs: number, opts: PipelineOptions = {}): Promise<CaseOutcome> {
  const t0 = performance.now();
  try {
    const r = await runPipeline(bytes, opts);
    const ms = performance.now() - t0;
    if (ms > timeLimitMs) return { crash: 'slow', error: `took ${ms.toFixed(0)} ms, over the ${timeLimitMs} ms limit`, ms, refused: r.refused !== undefined };
    return { ms, refused: r.refused !== undefined };
  } catch (e) {
    const ms = performance.now() - t0;
    const err = e instanceof Error ? e : new Error(String(e));
    return {
      crash: e instanceof PipelineInvariantError ? 'invariant' : 'exception',
      error: `${err.name}: ${err.message}`,
      stack: err.stack ?? String(e),
      ms,
      refused: false,
    };
  }
}

/**
 * A crash's identity for de-duplication: kind, the message with numbers blanked, and the first frames of the
 * stack that lie in the project's code.
 */
export function crashSignature(o: CaseOutcome): string {
  const msg = (o.error ?? '').replace(/\d+/g, 'N').slice(0, 160);
  if (o.crash === 'slow' || o.crash === 'hang') return o.crash;
  const frames = (o.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l) && /(dissect|analyze|fuzz)[\\/]/.test(l))
    .slice(0, 3)
    .map((l) => l.trim().replace(/^at /, '').replace(/\(.*[\\/]((dissect|analyze|fuzz)[\\/][^:]+):(\d+):\d+\)/, '($1:$3)').replace(/^.*[\\/]((dissect|analyze|fuzz)[\\/][^:]+):(\d+):\d+$/, '$1:$3'));
  return `${o.crash}|${msg}|${frames.join(' < ')}`;
}

export function shortHash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export interface CrashNote {
  kind: CrashKind;
  error: string;
  stack?: string;
  seed?: number;
  index?: number;
  steps?: string[];
  ms?: number;
}

/** Writes `crash-<hash>.pcap` and its note `crash-<hash>.txt` into `dir`; returns the capture's path. */
export function saveCrash(dir: string, bytes: Buffer, note: CrashNote): string {
  mkdirSync(dir, { recursive: true });
  const name = `crash-${shortHash(bytes)}`;
  const path = join(dir, `${name}.pcap`);
  if (!existsSync(path)) writeFileSync(path, bytes);
  const lines = [
    `${name}.pcap: ${note.kind}`,
    `error: ${note.error}`,
    note.seed !== undefined ? `found by: npm run fuzz -- --seed ${note.seed} --start ${note.index} --cases 1 (with the corpus and mutator of the time)` : '',
    note.ms !== undefined ? `time: ${note.ms.toFixed(1)} ms` : '',
    note.steps?.length ? `mutations:\n${note.steps.map((s) => `  - ${s}`).join('\n')}` : '',
    note.stack ? `stack:\n${note.stack}` : '',
    'status: open (edit this line when fixed: "fixed in <file>: <what>")',
  ];
  writeFileSync(join(dir, `${name}.txt`), lines.filter(Boolean).join('\n') + '\n');
  return path;
}
