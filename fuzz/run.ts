/**
 * Mutation fuzzer runner: `npm run fuzz -- [--cases N | --seconds T] [--seed S] [--workers W] [--time-limit MS]`.
 *
 * Cases run in worker threads (in-process: reader, dissector, analysis, report), so the main thread can
 * watch them: a case still running after --hang-limit is a hang, its worker is terminated and replaced.
 * Crashes (any exception but CaptureInputError, a broken dissector bound, a case slower than --time-limit
 * twice in a row, a hang) are stored as test/regressions/crash-<hash>.pcap with a note beside them,
 * de-duplicated by signature. Exits 1 when anything crashed.
 */
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadCorpus, type Corpus } from './corpus.js';
import { makeCase } from './mutate.js';
import { crashSignature, saveCrash, type CaseOutcome, type CrashKind } from './harness.js';
import type { CrashMessage, WorkerData } from './worker.js';

interface Args {
  cases: number;
  seconds: number;
  seed: number;
  workers: number;
  timeLimitMs: number;
  hangLimitMs: number;
  out: string;
  root: string;
  start: number;
  keep: number;
  quiet: boolean;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`fuzz: ${msg}\n`);
  process.stderr.write(
    'usage: npm run fuzz -- [--cases N] [--seconds T] [--seed S] [--workers W] [--time-limit MS]\n' +
      '                       [--hang-limit MS] [--start INDEX] [--out DIR] [--keep K] [--quiet]\n' +
      '  --cases N       run N cases (default 10000 unless --seconds is given)\n' +
      '  --seconds T     run for T seconds (with --cases: whichever ends first)\n' +
      '  --seed S        run seed (default: from the clock; printed so the run can be repeated)\n' +
      '  --workers W     worker threads (default 1)\n' +
      '  --time-limit MS a case slower than this twice is a crash (default 2000)\n' +
      '  --hang-limit MS a case still running after this is a hang (default 20000)\n' +
      '  --start INDEX   first case index (default 0)\n' +
      '  --out DIR       where crashing inputs go (default test/regressions)\n' +
      '  --keep K        inputs kept per distinct crash signature (default 2)\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    cases: -1, seconds: -1, seed: Math.floor(Math.random() * 0x7fffffff), workers: 1, timeLimitMs: 2000,
    hangLimitMs: 20000, out: 'test/regressions', root: process.cwd(), start: 0, keep: 2, quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quiet') { a.quiet = true; continue; }
    if (k === '-h' || k === '--help') usage();
    const v = argv[++i];
    if (v === undefined) usage(`${k} needs a value`);
    const num = Number(v);
    const int = (): number => { if (!Number.isFinite(num) || num < 0) usage(`${k}: not a number: ${v}`); return Math.floor(num); };
    switch (k) {
      case '--cases': a.cases = int(); break;
      case '--seconds': a.seconds = int(); break;
      case '--seed': a.seed = int() >>> 0; break;
      case '--workers': a.workers = Math.max(1, int()); break;
      case '--time-limit': a.timeLimitMs = int(); break;
      case '--hang-limit': a.hangLimitMs = int(); break;
      case '--start': a.start = int(); break;
      case '--out': a.out = v; break;
      case '--root': a.root = v; break;
      case '--keep': a.keep = int(); break;
      default: usage(`unknown option ${k}`);
    }
  }
  if (a.cases < 0 && a.seconds < 0) a.cases = 10000;
  return a;
}

interface Lane {
  k: number;
  worker: Worker | null;
  slots: Int32Array;
  shared: SharedArrayBuffer;
  lastCur: number;
  lastDone: number;
  since: number;
  finished: boolean;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const outDir = resolve(args.root, args.out);
  const end = args.cases >= 0 ? args.start + args.cases : -1;
  const deadline = args.seconds >= 0 ? performance.now() + args.seconds * 1000 : Infinity;
  let corpus: Corpus | null = null;
  const getCorpus = async (): Promise<Corpus> => (corpus ??= await loadCorpus(args.root));
  const c0 = await getCorpus();
  process.stdout.write(
    `fuzz: seed ${args.seed}, ${args.cases >= 0 ? `${args.cases} cases` : 'unbounded'}${args.seconds >= 0 ? `, ${args.seconds} s` : ''}, ` +
      `${args.workers} worker(s), corpus ${c0.captures.length} captures / ${c0.captures.reduce((n, c) => n + c.records.length, 0)} records\n`,
  );

  const signatures = new Map<string, { count: number; saved: string[]; first: string }>();
  let crashes = 0;
  const t0 = performance.now();

  const record = (index: number, bytes: Buffer, steps: string[], o: CaseOutcome & { crash: CrashKind }): void => {
    crashes++;
    const sig = crashSignature(o);
    let s = signatures.get(sig);
    if (!s) { s = { count: 0, saved: [], first: o.error ?? '' }; signatures.set(sig, s); }
    s.count++;
    if (s.saved.length < args.keep) {
      const path = saveCrash(outDir, bytes, { kind: o.crash, error: o.error ?? '', stack: o.stack, seed: args.seed, index, steps, ms: o.ms });
      s.saved.push(path);
      process.stdout.write(`fuzz: CRASH (${o.crash}) case ${index}: ${o.error}\n      saved ${path}\n`);
    }
  };

  const lanes: Lane[] = [];
  const startLane = (lane: Lane, start: number): void => {
    lane.slots[0] = -1;
    lane.slots[2] = 0;
    const data: WorkerData = { root: args.root, seed: args.seed, start, stride: args.workers, end, timeLimitMs: args.timeLimitMs, shared: lane.shared };
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
    lane.worker = w;
    lane.lastCur = -1;
    lane.since = performance.now();
    w.on('message', (m: { type: string } & Partial<CrashMessage> & { error?: string }) => {
      if (m.type === 'crash') {
        const cm = m as CrashMessage;
        record(cm.index, Buffer.from(cm.bytes), cm.steps, { crash: cm.kind as CrashKind, error: cm.error, stack: cm.stack, ms: cm.ms, refused: false });
      } else if (m.type === 'done') {
        lane.finished = true;
      } else if (m.type === 'fatal') {
        process.stderr.write(`fuzz: worker ${lane.k} failed: ${m.error}\n`);
        lane.finished = true;
      }
    });
    w.on('error', (e) => {
      process.stderr.write(`fuzz: worker ${lane.k} error: ${e.stack ?? e.message}\n`);
      lane.finished = true;
    });
  };
  for (let k = 0; k < args.workers; k++) {
    const shared = new SharedArrayBuffer(16);
    const lane: Lane = { k, worker: null, slots: new Int32Array(shared), shared, lastCur: -1, lastDone: 0, since: 0, finished: false };
    lanes.push(lane);
    startLane(lane, args.start + k);
  }

  const done = (): number => lanes.reduce((n, l) => n + Atomics.load(l.slots, 1), 0);
  let lastReport = performance.now();
  let lastCount = 0;
  await new Promise<void>((resolveAll) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (now >= deadline) for (const l of lanes) Atomics.store(l.slots, 2, 1);
      for (const lane of lanes) {
        if (lane.finished) continue;
        const cur = Atomics.load(lane.slots, 0);
        const d = Atomics.load(lane.slots, 1);
        if (cur !== lane.lastCur || d !== lane.lastDone) { lane.lastCur = cur; lane.lastDone = d; lane.since = now; continue; }
        if (cur >= 0 && now - lane.since > args.hangLimitMs) {
          // The case never finished: terminate the worker (this stops even a busy loop) and go on after it.
          void lane.worker?.terminate();
          const c = makeCase(c0, args.seed, cur);
          record(cur, c.bytes, c.steps, { crash: 'hang', error: `still running after ${args.hangLimitMs} ms`, ms: now - lane.since, refused: false });
          Atomics.add(lane.slots, 1, 1);
          if ((end < 0 || cur + args.workers < end) && now < deadline) startLane(lane, cur + args.workers);
          else lane.finished = true;
        }
      }
      if (!args.quiet && now - lastReport >= 10000) {
        const n = done();
        process.stderr.write(`fuzz: ${n} cases, ${((n - lastCount) / ((now - lastReport) / 1000)).toFixed(0)} cases/s, ${crashes} crashes (${signatures.size} distinct)\n`);
        lastReport = now;
        lastCount = n;
      }
      if (lanes.every((l) => l.finished)) {
        clearInterval(timer);
        resolveAll();
      }
    }, 100);
  });
  for (const l of lanes) await l.worker?.terminate();

  const n = done();
  const secs = (performance.now() - t0) / 1000;
  process.stdout.write(`fuzz: seed ${args.seed}: ${n} cases in ${secs.toFixed(1)} s, ${(n / secs).toFixed(0)} cases/s, ${crashes} crashes (${signatures.size} distinct)\n`);
  for (const [sig, s] of signatures) {
    process.stdout.write(`  ${s.count} x ${sig}\n     first: ${s.first}\n${s.saved.map((p) => `     saved: ${p}\n`).join('')}`);
  }
  process.exitCode = crashes > 0 ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`fuzz: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 2;
});
