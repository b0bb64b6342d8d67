#!/usr/bin/env node
// Build step after `tsc`: bundles the command line (dist/bin/mptcpscope.js and everything it imports from
// dist/, plus commander and chalk) into dist/bin/mptcpscope.js and a few chunks in dist/bin/chunks/.
//
// Why: Node 20 resolves, reads and compiles every ES module on its own. The analyze path loads about 50 of
// them; as one file and a handful of chunks, every command starts about 20 ms sooner (0.16 s -> 0.13 s
// median to analyze a small capture, BENCHMARKS.md). The verbs' lazy imports stay lazy: each becomes a chunk.
//
// Kept external (loaded from node_modules as before): blessed and blessed-contrib (never bundled, they read
// their own files at run time), pcap (native addon), vega, vega-lite and yaml (large, loaded only by
// `report --html` and `check --rules`), parquet-wasm (reads its .wasm file beside itself) and apache-arrow (only `export`).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'dist/bin/mptcpscope.js');

// Chunk names carry a content hash: drop the previous build's chunks.
rmSync(join(root, 'dist/bin/chunks'), { recursive: true, force: true });

await build({
  // The fleet pool's workers start from their own small entry (bin/fleet-worker.ts).
  entryPoints: [entry, join(root, 'dist/bin/fleet-worker.js')],
  outdir: join(root, 'dist/bin'),
  allowOverwrite: true, // the bundle replaces tsc's output of the entry point, so the bin path stays the same
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['blessed', 'blessed-contrib', 'pcap', 'vega', 'vega-lite', 'yaml', 'parquet-wasm', 'apache-arrow'],
  // commander is CommonJS: its require() of Node built-ins needs a require inside the ES module bundle.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
