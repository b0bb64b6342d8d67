#!/usr/bin/env node
// mptcpscope benchmark runner (plain Node ESM, no build step).
//
//   node bench/run.mjs                 # every measurement, 3 runs each
//   node bench/run.mjs --runs 5        # more runs
//   node bench/run.mjs --only analyze-1m,tshark
//   node bench/run.mjs --profile       # analyze headers-1m once under --cpu-prof
//   node bench/run.mjs --and-profile   # the table, then the profile (same code)
//   node bench/run.mjs --json out.json # also write the raw figures
//   node bench/run.mjs --only analyze-1m,export-1m,fleet-check-j1,fleet-check-j2   # issue 18's rows
//
// Captures come from bench/make-bench-captures.sh, in
// ${MPTCPSCOPE_BENCH_DIR:-$HOME/.cache/mptcpscope-bench} (--dir to override).
// Every command runs as a child process with stdout to /dev/null, under
// /usr/bin/time -f '%e %M %U %S' when present (peak RSS = ru_maxrss of the
// child, CPU = user + system), else with /proc/<pid>/status VmHWM and
// /proc/<pid>/stat polled every 10 ms.  Wall time is taken with
// process.hrtime around the child.  The runs go round-robin over the
// commands (1st run of each, then 2nd, ...).  Rates use the MEDIAN wall
// time; "best" uses the minimum.  PASS/FAIL is judged on medians.
// (Do not use `analyze -o /dev/null` as root: -o writes through a temporary
// file and a rename, which would replace /dev/null with a regular file.)
//
// Options:
//   --runs N            runs per command (default 3, env BENCH_RUNS)
//   --dir DIR           capture directory
//   --only a,b          only these measurement ids (see --list)
//   --list              print the measurement ids and exit
//   --tshark-packets N  run tshark on the first N packets of headers-1m (an
//                       editcap -r slice) instead of the whole file; 0 = whole
//                       file (default 0, env BENCH_TSHARK_PACKETS)
//   --profile [ID]      run one measurement (default analyze-1m) once under
//                       node --cpu-prof --cpu-prof-dir=bench/profiles and print
//                       the top self-time functions
//   --and-profile       measure as usual, then profile analyze-1m once with the
//                       same code (same snapshot)
//   --top N             functions to print with --profile (default 25)
//   --json FILE         write all figures as JSON
//   --keep-env          run the commands with this shell's environment as is (by default NODE_EXTRA_CA_CERTS
//                       is removed from it: see STRIPPED_ENV)
//   --no-snapshot       run dist/ in place.  By default dist/ is first copied
//                       to a temporary directory (node_modules linked), so a
//                       rebuild by someone else during the run cannot mix two
//                       versions of the code into one set of figures
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, createReadStream, cpSync, symlinkSync, renameSync } from 'node:fs';
import { tmpdir, homedir, cpus, totalmem, loadavg } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
let CLI = join(ROOT, 'dist/bin/mptcpscope.js');
let SNAP = null; // the snapshot's root, standing in for ROOT in the figures
let CODE = null; // codeVersion() of what is measured
const NODE = process.execPath;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
// The environment of the measured commands (see --keep-env).
let CHILD_ENV = process.env;
// Set on this sandbox (a CA bundle for its proxy). Node 20 reads and parses that file at every start, before any
// JavaScript runs: about 40 ms per process here, more than a tenth of a full-300m run. mptcpscope makes no TLS
// connections, and a user's shell does not normally set it, so it is removed unless --keep-env.
const STRIPPED_ENV = ['NODE_EXTRA_CA_CERTS'];

// ------------------------------------------------------------------ options
function parseArgs(argv) {
  const o = {
    runs: Number(process.env.BENCH_RUNS ?? 3),
    dir: process.env.MPTCPSCOPE_BENCH_DIR ?? join(homedir(), '.cache/mptcpscope-bench'),
    only: null, list: false, profile: null, top: 25, json: null,
    tsharkPackets: Number(process.env.BENCH_TSHARK_PACKETS ?? 0),
    snapshot: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) die(`${a} needs a value`); return argv[++i]; };
    if (a === '--runs') o.runs = Number(val());
    else if (a === '--dir') o.dir = resolve(val());
    else if (a === '--only') o.only = val().split(',');
    else if (a === '--list') o.list = true;
    else if (a === '--tshark-packets') o.tsharkPackets = Number(val());
    else if (a === '--profile') o.profile = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'analyze-1m';
    else if (a === '--top') o.top = Number(val());
    else if (a === '--and-profile') o.andProfile = true;
    else if (a === '--json') o.json = resolve(val());
    else if (a === '--no-snapshot') o.snapshot = false;
    else if (a === '--keep-env') o.keepEnv = true;
    else if (a === '-h' || a === '--help') {
      const src = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
      console.log(src.slice(1, src.findIndex((l) => l.startsWith('import'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else die(`unknown option ${a}`);
  }
  if (!(o.runs >= 1)) die('--runs must be >= 1');
  return o;
}
function die(msg) { console.error(`bench: ${msg}`); process.exit(2); }
function have(cmd) { return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0; }

// ------------------------------------------------------------------ captures
function capture(dir, name) {
  const pcap = join(dir, `${name}.pcap`);
  const meta = join(dir, `${name}.json`);
  if (!existsSync(pcap) || !existsSync(meta)) return null;
  const m = JSON.parse(readFileSync(meta, 'utf8'));
  return { name, file: pcap, packets: m.packets, bytes: statSync(pcap).size, meta: m };
}

/**
 * headers-8m: headers-4m twice, the copy shifted by 200 s (editcap -t, mergecap -a), so 8x headers-1m. Only
 * for memory: it shows whether peak RSS keeps growing with the file or levels off. Derived once and cached.
 */
function derive8m(dir, four) {
  const pcap = join(dir, 'headers-8m.pcap');
  const meta = join(dir, 'headers-8m.json');
  if (!four || !have('editcap') || !have('mergecap')) return null;
  if (!existsSync(pcap) || !existsSync(meta)) {
    const shifted = join(dir, 'headers-4m-shifted.tmp.pcap');
    const tmp = join(dir, 'headers-8m.tmp.pcap');
    let r = spawnSync('editcap', ['-t', '200', four.file, shifted]);
    if (r.status === 0) r = spawnSync('mergecap', ['-a', '-F', 'pcap', '-w', tmp, four.file, shifted]);
    rmSync(shifted, { force: true });
    if (r.status !== 0) { rmSync(tmp, { force: true }); console.error(`bench: headers-8m not made: ${String(r.stderr).trim()}`); return null; }
    renameSync(tmp, pcap);
    writeFileSync(meta, JSON.stringify({ packets: 2 * four.packets, derivedFrom: 'headers-4m.pcap twice (editcap -t 200, mergecap -a)' }) + '\n');
  }
  return capture(dir, 'headers-8m');
}

/**
 * SPLIT_PIECES captures of real kernel traffic: headers-1m four times in a row (editcap -t shifts each copy by
 * 200 s, mergecap -a appends them), cut with editcap -c into pieces of about 28,000 packets (3.6 MB) each.
 * Pieces start mid-connection, as captures of long-lived traffic do.
 */
const SPLIT_PIECES = 200;
const SPLIT_COPIES = 4;
function makeSplitFleet(dir, whole) {
  if (!whole) die('headers-1m is needed for the split fleet (run: sudo bash bench/make-bench-captures.sh)');
  if (!have('editcap') || !have('mergecap')) die('editcap and mergecap are needed for the split fleet');
  mkdirSync(dir, { recursive: true });
  const copies = [];
  for (let k = 0; k < SPLIT_COPIES; k++) {
    const f = join(dir, `..copy${k}.pcap`);
    const r = spawnSync('editcap', ['-t', String(200 * k), whole.file, f]);
    if (r.status !== 0) die(`editcap -t failed: ${r.stderr}`);
    copies.push(f);
  }
  const long = join(dir, '..long.pcap');
  let r = spawnSync('mergecap', ['-a', '-F', 'pcap', '-w', long, ...copies]);
  for (const f of copies) rmSync(f, { force: true });
  if (r.status !== 0) die(`mergecap failed: ${r.stderr}`);
  const per = Math.ceil((whole.packets * SPLIT_COPIES) / SPLIT_PIECES);
  r = spawnSync('editcap', ['-F', 'pcap', '-c', String(per), long, join(dir, 'piece.pcap')]);
  rmSync(long, { force: true });
  if (r.status !== 0) die(`editcap -c failed: ${r.stderr}`);
  const files = readdirSync(dir);
  return { name: `${files.length} pieces of headers-1m x${SPLIT_COPIES}`, file: dir, packets: whole.packets * SPLIT_COPIES, bytes: files.reduce((n, f) => n + statSync(join(dir, f)).size, 0), files: files.length };
}

// ------------------------------------------------------------------ measuring
/** Runs argv once (stdout -> /dev/null); returns { seconds, rssKB, status, stderr }. */
function runOnce(argv, env = {}) {
  return new Promise((resolveRun, reject) => {
    const tmp = mkdtempSync(join(tmpdir(), 'mptcpscope-bench-'));
    const timeOut = join(tmp, 'time');
    const full = TIME ? [TIME, '-f', '%e %M %U %S', '-o', timeOut, ...argv] : argv;
    const devnull = openSync('/dev/null', 'w');
    const t0 = process.hrtime.bigint();
    const child = spawn(full[0], full.slice(1), { stdio: ['ignore', devnull, 'pipe'], env: { ...CHILD_ENV, ...env } });
    closeSync(devnull);
    let stderr = '';
    child.stderr.on('data', (d) => { if (stderr.length < 20000) stderr += d; });
    let hwm = 0;
    let ticks = 0;
    let poll = null;
    if (!TIME) {
      poll = setInterval(() => {
        try {
          const s = readFileSync(`/proc/${child.pid}/status`, 'utf8');
          const m = /VmHWM:\s+(\d+) kB/.exec(s);
          if (m) hwm = Math.max(hwm, Number(m[1]));
          const st = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
          const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
          ticks = Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
        } catch { /* exited */ }
      }, 10);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (poll) clearInterval(poll);
      let rssKB = hwm;
      let cpuS = ticks / 100; // USER_HZ
      const status = code;
      if (TIME) {
        const t = readFileSync(timeOut, 'utf8').trim().split('\n');
        // "Command exited with non-zero status N" comes first when the child failed
        const last = t[t.length - 1].split(' ');
        rssKB = Number(last[1]);
        cpuS = Number(last[2]) + Number(last[3]);
      }
      rmSync(tmp, { recursive: true, force: true });
      resolveRun({ seconds, rssKB, cpuS, status: signal ? `signal ${signal}` : status, stderr });
    });
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

async function warm(file) { // page cache, so the first run is not the only one reading the disk
  if (statSync(file).isDirectory()) { for (const f of readdirSync(file)) await warm(join(file, f)); return; }
  await new Promise((res, rej) => createReadStream(file, { highWaterMark: 1 << 22 }).on('data', () => {}).on('end', res).on('error', rej));
}

/**
 * The fleet: FLEET_COPIES symbolic links to each capture shipped in captures/ (top level), i.e. >= 200 small
 * real captures in one directory, and their packets in all (counted once with analyze --json).
 */
const FLEET_COPIES = 16;
function makeFleet(dir) {
  const src = join(ROOT, 'captures');
  const caps = readdirSync(src).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
  mkdirSync(dir, { recursive: true });
  for (let k = 0; k < FLEET_COPIES; k++) for (const f of caps) symlinkSync(join(src, f), join(dir, `${String(k).padStart(2, '0')}-${f}`));
  const r = spawnSync(NODE, [CLI, 'analyze', '--json', '--jobs', '1', ...caps.map((f) => join(src, f))], { encoding: 'utf8', maxBuffer: 1 << 28, env: CHILD_ENV });
  const packets = r.stdout.trim().split('\n').reduce((n, l) => n + JSON.parse(l).capture.packets, 0);
  const bytes = caps.reduce((n, f) => n + statSync(join(src, f)).size, 0);
  return { name: `fleet of ${caps.length * FLEET_COPIES} captures`, file: dir, packets: packets * FLEET_COPIES, bytes: bytes * FLEET_COPIES, files: caps.length * FLEET_COPIES };
}

/**
 * Runs every command `runs` times, round-robin (run 1 of each, then run 2 of
 * each, ...), so a change in machine load during the benchmark hits all
 * commands alike instead of whichever happened to be running.
 */
async function measureAll(todo, runs) {
  for (const f of new Set(todo.map((m) => m.cap.file))) await warm(f);
  const res = new Map(todo.map((m) => [m.id, []]));
  for (let i = 0; i < runs; i++) {
    for (const m of todo) {
      // Again before every run: this machine's kernel (DAMON, pageout) reclaims page cache left idle for
      // half a minute, e.g. while tshark runs, and a run must not measure the disk.
      await warm(m.cap.file);
      const r = await runOnce(m.argv, m.env);
      if (!(m.okStatus ?? [0]).includes(r.status)) {
        console.error(`\n${m.id}: exit ${r.status}\n${r.stderr}`);
        throw new Error(`${m.id} failed`);
      }
      res.get(m.id).push(r);
      process.stderr.write(`  run ${i + 1}/${runs} ${m.id.padEnd(12)} ${r.seconds.toFixed(2)} s wall, ${r.cpuS.toFixed(2)} s CPU, ${(r.rssKB / 1024).toFixed(0)} MB\n`);
    }
  }
  return todo.map((m) => summarize(m, res.get(m.id)));
}

function summarize(m, res) {
  const secs = res.map((r) => r.seconds);
  const cpu = res.map((r) => r.cpuS);
  const rss = res.map((r) => r.rssKB / 1024);
  const med = median(secs);
  return {
    id: m.id, label: m.label, command: m.shown, file: m.cap.name,
    packets: m.cap.packets, mb: m.cap.bytes / 1e6, runs: res.length,
    seconds: secs, minS: Math.min(...secs), medianS: med,
    cpuSeconds: cpu, cpuMedianS: median(cpu),
    pps: m.cap.packets / med, mbps: m.cap.bytes / 1e6 / med,
    ppsCpu: m.cap.packets / median(cpu),
    ppsBest: m.cap.packets / Math.min(...secs),
    rssMB: rss, rssMinMB: Math.min(...rss), rssMedianMB: median(rss),
    mptcpscope: m.mptcpscope,
  };
}

// ------------------------------------------------------------------ table
function table(rows, cols) {
  const w = cols.map((c) => Math.max(c.h.length, ...rows.map((r) => String(c.f(r)).length)));
  const line = (cells) => '| ' + cells.map((s, i) => (cols[i].left ? String(s).padEnd(w[i]) : String(s).padStart(w[i]))).join(' | ') + ' |';
  const out = [line(cols.map((c) => c.h)), '|' + cols.map((c, i) => (c.left ? ':' : '-') + '-'.repeat(w[i]) + (c.left ? '-' : ':')).join('|') + '|'];
  for (const r of rows) out.push(line(cols.map((c) => c.f(r))));
  return out.join('\n');
}
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmt = (n, d = 2) => n.toFixed(d);

// ------------------------------------------------------------------ profile
function profileTop(file, top) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = p;
  let total = 0;
  // timeDeltas[i] is the time between sample i-1 and sample i: sample i
  // stands for the time until the next sample
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < samples.length ? timeDeltas[i + 1] : 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
    total += dt;
  }
  const agg = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    let url = cf.url || '';
    if (url.startsWith('file://')) url = relative(SNAP ?? ROOT, fileURLToPath(url));
    const where = url ? `${url}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}\t${where}`;
    agg.set(key, (agg.get(key) ?? 0) + us);
  }
  const rows = [...agg].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us], i) => {
    const [fn, where] = k.split('\t');
    return { rank: i + 1, fn, where, ms: us / 1000, pct: (100 * us) / total };
  });
  return { rows, totalMs: total / 1000 };
}

// ------------------------------------------------------------------ main
async function main() {
  const o = parseArgs(process.argv.slice(2));
  const caps = Object.fromEntries(['headers-1m', 'headers-4m', 'full-300m'].map((n) => [n, capture(o.dir, n)]));
  caps['headers-8m'] = derive8m(o.dir, caps['headers-4m']);
  const tmpdirBench = mkdtempSync(join(tmpdir(), 'mptcpscope-bench-slices-'));
  process.on('exit', () => rmSync(tmpdirBench, { recursive: true, force: true }));

  // tshark on a slice of headers-1m when asked (editcap -r keeps packets 1..N)
  let tsharkCap = caps['headers-1m'];
  if (tsharkCap && o.tsharkPackets > 0 && o.tsharkPackets < tsharkCap.packets && have('editcap')) {
    const f = join(tmpdirBench, `headers-1m-first-${o.tsharkPackets}.pcap`);
    const r = spawnSync('editcap', ['-r', tsharkCap.file, f, `1-${o.tsharkPackets}`]);
    if (r.status !== 0) die(`editcap failed: ${r.stderr}`);
    tsharkCap = { name: `headers-1m[1-${o.tsharkPackets}]`, file: f, packets: o.tsharkPackets, bytes: statSync(f).size };
  }

  // tshark -T json runs at a few thousand packets/s: the display-filter comparison gives it a 100k-packet slice
  // of headers-1m (rates are per packet; mptcpscope reads the whole file).
  let tsharkJsonCap = caps['headers-1m'];
  const FILTER_SLICE = 100_000;
  if (tsharkJsonCap && tsharkJsonCap.packets > FILTER_SLICE && have('editcap')) {
    const f = join(tmpdirBench, `headers-1m-first-${FILTER_SLICE}.pcap`);
    const r = spawnSync('editcap', ['-r', tsharkJsonCap.file, f, `1-${FILTER_SLICE}`]);
    if (r.status !== 0) die(`editcap failed: ${r.stderr}`);
    tsharkJsonCap = { name: `headers-1m[1-${FILTER_SLICE}]`, file: f, packets: FILTER_SLICE, bytes: statSync(f).size };
  }
  const FILTER = 'tcp.options.mptcp.subtype == 2';

  const fleetCap = { name: 'fleet (made at start)', file: join(tmpdirBench, 'fleet'), packets: 0, bytes: 0 };
  const splitCap = { name: 'headers-1m x4 in 200 pieces (made at start)', file: join(tmpdirBench, 'fleet-split'), packets: 0, bytes: 0 };
  const stripped = o.keepEnv ? [] : STRIPPED_ENV.filter((k) => process.env[k] !== undefined);
  if (stripped.length) CHILD_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !stripped.includes(k)));
  const cli = (...a) => [NODE, CLI, ...a];
  const all = [
    { id: 'analyze-1m', label: 'mptcpscope analyze --json', cap: caps['headers-1m'], argv: (f) => cli('analyze', '--json', f), mptcpscope: true },
    { id: 'analyze-4m', label: 'mptcpscope analyze --json', cap: caps['headers-4m'], argv: (f) => cli('analyze', '--json', f), mptcpscope: true },
    { id: 'analyze-8m', label: 'mptcpscope analyze --json', cap: caps['headers-8m'], argv: (f) => cli('analyze', '--json', f), mptcpscope: true },
    { id: 'dissect-1m', label: 'mptcpscope dissect --json', cap: caps['headers-1m'], argv: (f) => cli('dissect', '--json', f), mptcpscope: true },
    { id: 'analyze-full', label: 'mptcpscope analyze --json', cap: caps['full-300m'], argv: (f) => cli('analyze', '--json', f), mptcpscope: true },
    // Issue 18: a fleet of small captures checked on 1 and on 2 workers, in the same run (check exits 1: one
    // shipped capture fails its DSS checksums on purpose); export of the headers-only capture to Parquet.
    { id: 'fleet-check-j1', label: 'mptcpscope check --jobs 1 DIR', cap: fleetCap, argv: (f) => cli('check', '--jobs', '1', f), mptcpscope: true, okStatus: [0, 1] },
    { id: 'fleet-check-j2', label: 'mptcpscope check --jobs 2 DIR (child processes, the default)', cap: fleetCap, argv: (f) => cli('check', '--jobs', '2', f), mptcpscope: true, okStatus: [0, 1] },
    { id: 'fleet-check-j2t', label: 'mptcpscope check --jobs 2 DIR (worker threads)', cap: fleetCap, argv: (f) => cli('check', '--jobs', '2', f), mptcpscope: true, okStatus: [0, 1], env: { MPTCPSCOPE_POOL: 'thread' } },
    // The same on 200 captures of about 28,000 packets each (makeSplitFleet): a fleet whose work is more than
    // the start and JIT warm-up that each worker process pays once.
    { id: 'fleet-split-j1', label: 'mptcpscope check --jobs 1 DIR', cap: splitCap, argv: (f) => cli('check', '--jobs', '1', f), mptcpscope: true, okStatus: [0, 1] },
    { id: 'fleet-split-j2', label: 'mptcpscope check --jobs 2 DIR', cap: splitCap, argv: (f) => cli('check', '--jobs', '2', f), mptcpscope: true, okStatus: [0, 1] },
    { id: 'export-1m', label: 'mptcpscope export --parquet OUT', cap: caps['headers-1m'], argv: (f) => cli('export', '--parquet', join(tmpdirBench, 'export'), f), mptcpscope: true },
    { id: 'tshark', label: 'tshark -T fields -e mptcp.stream -e mptcp.dsn', cap: tsharkCap, tool: 'tshark',
      argv: (f) => ['tshark', '-n', '-r', f, '-T', 'fields', '-e', 'mptcp.stream', '-e', 'mptcp.dsn'] },
    // Issue 16: a display filter, same expression and JSON output on both sides.
    { id: 'dissect-filter-1m', label: `mptcpscope dissect -Y '${FILTER}' --json`, cap: caps['headers-1m'], argv: (f) => cli('dissect', '-Y', FILTER, '--json', f), mptcpscope: true },
    { id: 'tshark-filter', label: `tshark -Y '${FILTER}' -T json`, cap: tsharkJsonCap, tool: 'tshark',
      argv: (f) => ['tshark', '-n', '-r', f, '-Y', FILTER, '-T', 'json'] },
    { id: 'tcpdump', label: 'tcpdump -r -n', cap: caps['headers-1m'], tool: 'tcpdump', argv: (f) => ['tcpdump', '-r', f, '-n'] },
    // What was stripped costs, measured at the same moments: full-300m with the shell's environment as is.
    ...(stripped.length ? [{ id: 'analyze-full-env', label: `mptcpscope analyze --json, with ${stripped.join(', ')}`, cap: caps['full-300m'], argv: (f) => cli('analyze', '--json', f), mptcpscope: true, env: Object.fromEntries(stripped.map((k) => [k, process.env[k]])) }] : []),
    // The machine's speed at the moments of the other runs: one thread hashing the file with the same SHA-NI
    // code as node's crypto. This shared VM's speed moves by 20-45 % within an hour (BENCHMARKS.md).
    { id: 'sha256-ref', label: '(reference) openssl dgst -sha256', cap: caps['full-300m'], tool: 'openssl', argv: (f) => ['openssl', 'dgst', '-sha256', f] },
  ];
  if (o.list) { for (const m of all) console.log(`${m.id.padEnd(16)} ${m.label} on ${m.cap?.name ?? '(capture missing)'}`); return; }

  if (!existsSync(CLI)) die(`${relative(ROOT, CLI)} missing: run npm run build`);
  // Only the captures of the measurements asked for (--only) must exist.
  const wantedMeasurements = all.filter((m) => !o.only || o.only.includes(m.id));
  const wanted = new Set(wantedMeasurements.map((m) => m.cap?.name?.replace(/\[.*$/, '')));
  const missing = Object.entries(caps).filter(([n, c]) => !c && (wanted.has(undefined) || wanted.has(n))).map(([n]) => n);
  if (missing.length) die(`captures missing in ${o.dir}: ${missing.join(', ')} (run: sudo bash bench/make-bench-captures.sh)`);
  if (wantedMeasurements.some((m) => m.cap === fleetCap)) Object.assign(fleetCap, makeFleet(fleetCap.file));
  if (wantedMeasurements.some((m) => m.cap === splitCap)) Object.assign(splitCap, makeSplitFleet(splitCap.file, caps['headers-1m']));
  warnIfStale();
  CODE = codeVersion();
  if (o.snapshot) snapshot();

  for (const m of all) {
    if (!m.cap) { m.argv = []; m.shown = '(capture missing)'; continue; }
    m.shown = (m.argv(m.cap.file).map((a) => (a === NODE ? 'node' : SNAP && a.startsWith(SNAP + '/') ? relative(SNAP, a) : a.startsWith(ROOT + '/') ? relative(ROOT, a) : a.startsWith(o.dir + '/') ? `$BENCH_DIR/${relative(o.dir, a)}` : a.startsWith(tmpdirBench) ? (m.cap === fleetCap || m.cap === splitCap || m.id === 'export-1m' ? `$TMP/${relative(tmpdirBench, a)}` : `<editcap slice: ${m.cap.name}>`) : a)).join(' ')) + ' > /dev/null';
    m.argv = m.argv(m.cap.file);
  }

  if (o.profile) return profile(o, all);

  const todo = all.filter((m) => m.cap && (!o.only || o.only.includes(m.id)) && (!m.tool || have(m.tool)));
  for (const m of all) if (m.tool && !have(m.tool)) console.error(`bench: ${m.tool} not installed, skipped`);
  const env = { ...environment(), code: CODE, strippedEnv: stripped };
  console.error(`bench: ${todo.length} commands x ${o.runs} runs; captures in ${o.dir}; ${TIME ? '/usr/bin/time' : 'VmHWM polling'} for RSS; load average ${env.loadavgStart}`);
  const results = await measureAll(todo, o.runs);
  env.loadavgEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
  report(results, o, env);
  if (o.andProfile) await profile({ ...o, profile: 'analyze-1m' }, all);
}

function warnIfStale() {
  const built = statSync(CLI).mtimeMs;
  const newer = [];
  for (const d of ['analyze', 'dissect', 'bin']) {
    const dir = join(ROOT, d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir, { recursive: true })) if (String(f).endsWith('.ts') && statSync(join(dir, String(f))).mtimeMs > built) newer.push(join(d, String(f)));
  }
  if (newer.length) console.error(`bench: WARNING: dist/ is older than ${newer.slice(0, 5).join(', ')}${newer.length > 5 ? ', ...' : ''} (npm run build?)`);
}

/** Copies dist/ (and package.json, for the version) to a temporary directory and runs it from there. */
function snapshot() {
  SNAP = mkdtempSync(join(tmpdir(), 'mptcpscope-bench-snapshot-'));
  cpSync(join(ROOT, 'dist'), join(SNAP, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(SNAP, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(SNAP, 'node_modules'));
  CLI = join(SNAP, 'dist/bin/mptcpscope.js');
  process.on('exit', () => rmSync(SNAP, { recursive: true, force: true }));
}

/** What code is measured: git HEAD (+ number of changed files), dist/ build time and a hash of dist/. */
function codeVersion() {
  const git = (...a) => spawnSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const h = createHash('sha256');
  const dist = join(ROOT, 'dist');
  let newest = 0;
  for (const f of readdirSync(dist, { recursive: true }).map(String).sort()) {
    const p = join(dist, f);
    const st = statSync(p);
    if (!st.isFile()) continue;
    newest = Math.max(newest, st.mtimeMs);
    h.update(f).update(readFileSync(p));
  }
  const dirty = git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).length;
  return { head: git('rev-parse', '--short', 'HEAD'), subject: git('log', '-1', '--format=%s'), modifiedFiles: dirty, distBuilt: new Date(newest).toISOString(), distSha256: h.digest('hex').slice(0, 16) };
}

function environment() {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: (/Model name:\s+(.*)/.exec(lscpu) ?? [])[1] ?? cpus()[0]?.model,
    memGB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(),
    node: process.version,
    tshark: have('tshark') ? spawnSync('tshark', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] : null,
    tcpdump: have('tcpdump') ? spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] : null,
    loadavgStart: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

function report(results, o, env) {
  const by = Object.fromEntries(results.map((r) => [r.id, r]));
  const rssOk = (r) => (r.mptcpscope ? (r.rssMedianMB < 256 ? ' PASS' : ' FAIL') : '');
  console.log(`\n${env.date}  ${env.nproc} CPU ${env.cpu}, ${env.memGB} GiB, Linux ${env.kernel}, node ${env.node}; load average ${env.loadavgStart} -> ${env.loadavgEnd}`);
  console.log(`code: ${env.code.head} "${env.code.subject}" (+${env.code.modifiedFiles} modified tracked files), dist/ built ${env.code.distBuilt}, dist sha256 ${env.code.distSha256}${o.snapshot ? ', run from a snapshot copy' : ''}`);
  if (env.strippedEnv.length) console.log(`environment of the commands: this shell's, without ${env.strippedEnv.join(', ')} (Node parses that CA file at every start; --keep-env keeps it)`);
  console.log(`${o.runs} runs each, round-robin; rates from the median wall time (best = from the min); MB = file size / 10^6; CPU = user + system time of the child (node also uses GC/IO threads); RSS = peak resident set (${TIME ? 'GNU time %M' : 'VmHWM'})\n`);
  console.log(table(results, [
    { h: 'command', f: (r) => r.label, left: true },
    { h: 'capture', f: (r) => r.file, left: true },
    { h: 'packets', f: (r) => fmtInt(r.packets) },
    { h: 'MB', f: (r) => fmt(r.mb, 1) },
    { h: 'min s', f: (r) => fmt(r.minS) },
    { h: 'median s', f: (r) => fmt(r.medianS) },
    { h: 'packets/s', f: (r) => fmtInt(r.pps) },
    { h: 'MB/s', f: (r) => fmt(r.mbps, 1) },
    { h: 'best packets/s', f: (r) => fmtInt(r.ppsBest) },
    { h: 'CPU s median', f: (r) => fmt(r.cpuMedianS) },
    { h: 'peak RSS MB min/median', f: (r) => `${fmt(r.rssMinMB, 0)} / ${fmt(r.rssMedianMB, 0)}${rssOk(r)}` },
  ]));

  const targets = [];
  const t = (name, value, ok) => targets.push({ name, value, result: ok === null ? '' : ok ? 'PASS' : 'FAIL' });
  const a1 = by['analyze-1m'], a4 = by['analyze-4m'], af = by['analyze-full'], d1 = by['dissect-1m'], ts = by.tshark;
  if (a1) t('analyze >= 1,000,000 packets/s (headers-1m)', `${fmtInt(a1.pps)} packets/s`, a1.pps >= 1e6);
  if (a1 && ts) t(`analyze >= 30x tshark (packets/s; tshark on ${ts.file})`, `${fmt(a1.pps / ts.pps, 2)}x (${fmtInt(a1.pps)} vs ${fmtInt(ts.pps)}); by CPU time ${fmt(a1.ppsCpu / ts.ppsCpu, 2)}x`, a1.pps / ts.pps >= 30);
  else if (a1) t('analyze >= 30x tshark', 'tshark not measured', null);
  if (a1 && by.tcpdump) t('(reference) analyze vs tcpdump -r -n, packets/s', `${fmt(a1.pps / by.tcpdump.pps, 2)}x`, null);
  const ms = results.filter((r) => r.mptcpscope);
  if (ms.length) { const worst = ms.reduce((a, b) => (b.rssMedianMB > a.rssMedianMB ? b : a)); t('peak RSS < 256 MB (every mptcpscope command, median)', `max ${fmt(worst.rssMedianMB, 0)} MB (${worst.id})`, worst.rssMedianMB < 256); }
  if (a1 && a4) { const g = a4.rssMedianMB / a1.rssMedianMB - 1; t('RSS flat: analyze headers-4m within 10% of headers-1m', `${fmt(a4.rssMedianMB, 0)} vs ${fmt(a1.rssMedianMB, 0)} MB (${g >= 0 ? '+' : ''}${fmt(100 * g, 1)}%)`, Math.abs(g) <= 0.10); }
  const a8 = by['analyze-8m'];
  if (a4 && a8) { const g = a8.rssMedianMB / a4.rssMedianMB - 1; t('(reference) RSS levels off: headers-8m vs headers-4m', `${fmt(a8.rssMedianMB, 0)} vs ${fmt(a4.rssMedianMB, 0)} MB (${g >= 0 ? '+' : ''}${fmt(100 * g, 1)}%)`, null); }
  if (af) t('full-payload analyze >= 500 MB/s (full-300m)', `${fmt(af.mbps, 1)} MB/s`, af.mbps >= 500);
  const df = by['dissect-filter-1m'], tf = by['tshark-filter'];
  if (df && tf) t(`dissect -Y --json >= 100x tshark -Y -T json (packets/s; tshark on ${tf.file})`, `${fmt(df.pps / tf.pps, 1)}x (${fmtInt(df.pps)} vs ${fmtInt(tf.pps)}); by CPU time ${fmt(df.ppsCpu / tf.ppsCpu, 1)}x`, df.pps / tf.pps >= 100);
  else if (df) t('dissect -Y --json >= 100x tshark -Y -T json', 'tshark not measured', null);
  if (d1) t('dissect --json >= 500,000 packets/s (headers-1m)', `${fmtInt(d1.pps)} packets/s`, d1.pps >= 5e5);
  const j1 = by['fleet-check-j1'], j2 = by['fleet-check-j2'];
  if (j1 && j2) t(`fleet: check --jobs 2 >= 1.7x faster than --jobs 1 (${j1.file}, medians)`, `${fmt(j1.medianS / j2.medianS, 2)}x (${fmt(j1.medianS)} vs ${fmt(j2.medianS)} s; CPU ${fmt(j1.cpuMedianS)} vs ${fmt(j2.cpuMedianS)} s)`, j1.medianS / j2.medianS >= 1.7);
  const s1 = by['fleet-split-j1'], s2 = by['fleet-split-j2'];
  if (s1 && s2) t(`fleet: check --jobs 2 >= 1.7x faster than --jobs 1 (${s1.file}, medians)`, `${fmt(s1.medianS / s2.medianS, 2)}x (${fmt(s1.medianS)} vs ${fmt(s2.medianS)} s; CPU ${fmt(s1.cpuMedianS)} vs ${fmt(s2.cpuMedianS)} s)`, s1.medianS / s2.medianS >= 1.7);
  const j2t = by['fleet-check-j2t'];
  if (j2 && j2t) t('(reference) fleet, --jobs 2: child processes vs worker threads (medians)', `processes ${fmt(j2.medianS)} s, threads ${fmt(j2t.medianS)} s (threads take ${fmt(j2t.medianS / j2.medianS, 2)}x)`, null);
  const ex = by['export-1m'];
  if (ex && a1) t('export --parquet takes <= 2x analyze --json (headers-1m, medians)', `${fmt(ex.medianS / a1.medianS, 2)}x (${fmt(ex.medianS)} vs ${fmt(a1.medianS)} s; CPU ${fmt(ex.cpuMedianS)} vs ${fmt(a1.cpuMedianS)} s)`, ex.medianS / a1.medianS <= 2);
  const withEnv = by['analyze-full-env'];
  if (af && withEnv) t(`(reference) full-payload analyze with ${env.strippedEnv.join(', ')} set, as in this shell`, `${fmt(withEnv.mbps, 1)} MB/s (median ${fmt(withEnv.medianS)} vs ${fmt(af.medianS)} s)`, null);
  const ref = by['sha256-ref'];
  if (af && ref) t('(reference) full-payload analyze vs openssl sha256 of the same file, one thread', `${fmt(af.mbps / ref.mbps, 2)}x (${fmt(af.mbps, 1)} vs ${fmt(ref.mbps, 1)} MB/s)`, null);
  if (targets.length) console.log('\n' + table(targets, [
    { h: 'target', f: (r) => r.name, left: true },
    { h: 'measured', f: (r) => r.value, left: true },
    { h: 'result', f: (r) => r.result, left: true },
  ]));
  console.log('\ncommands ($BENCH_DIR = ' + o.dir + '):');
  for (const r of results) console.log(`  ${r.id.padEnd(16)} ${r.command}`);
  if (o.json) {
    writeFileSync(o.json, JSON.stringify({ environment: env, runs: o.runs, results, targets }, null, 1) + '\n');
    console.error(`bench: figures written to ${o.json}`);
  }
}

async function profile(o, all) {
  const m = all.find((x) => x.id === o.profile);
  if (!m || !m.mptcpscope) die(`--profile needs an mptcpscope measurement id, one of: ${all.filter((x) => x.mptcpscope).map((x) => x.id).join(', ')}`);
  const dir = join(BENCH, 'profiles');
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  const argv = [NODE, '--cpu-prof', `--cpu-prof-dir=${dir}`, ...m.argv.slice(1)];
  console.error(`bench: profiling ${m.shown.replace(/^node /, `node --cpu-prof --cpu-prof-dir=${relative(ROOT, dir)} `)}`);
  await warm(m.cap.file);
  const r = await runOnce(argv);
  if (r.status !== 0) { console.error(r.stderr); die(`${m.id} failed under --cpu-prof`); }
  const made = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (!made.length) die('no .cpuprofile written');
  // Node writes one profile per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): the main thread is
  // thread 0; the sha256 worker of analyzeFile has its own.
  const threadOf = (f) => Number(f.split('.').at(-3));
  made.sort((a, b) => threadOf(a) - threadOf(b));
  const code = CODE;
  console.log(`\ncode: ${code.head} "${code.subject}" (+${code.modifiedFiles} modified tracked files), dist/ built ${code.distBuilt}, dist sha256 ${code.distSha256}${SNAP ? ', run from a snapshot copy' : ''}`);
  for (const name of made) {
    const file = join(dir, name);
    const { rows, totalMs } = profileTop(file, o.top);
    const thread = threadOf(name) === 0 ? 'main thread' : `worker thread ${threadOf(name)}`;
    console.log(`\nprofile of ${m.id} (${m.cap.name}, ${fmtInt(m.cap.packets)} packets), ${thread}: ${fmt(r.seconds)} s wall under the profiler, ${fmt(totalMs / 1000)} s sampled; ${relative(ROOT, file)}\n`);
    console.log(table(rows, [
      { h: '#', f: (x) => x.rank },
      { h: 'self ms', f: (x) => fmt(x.ms, 0) },
      { h: 'self %', f: (x) => fmt(x.pct, 1) },
      { h: 'function', f: (x) => x.fn, left: true },
      { h: 'where', f: (x) => x.where, left: true },
    ]));
  }
}

main().catch((e) => { console.error(`bench: ${e.message}`); process.exit(1); });
