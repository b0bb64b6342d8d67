import type { Command } from 'commander';
import { action, positiveInt, sizeArg, VERSION } from '../cli-kit.js';
import { boundHeapGrowth } from '../heap-policy.js';

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('group subflows into MPTCP sessions, verify HMACs and DSS checksums, rebuild data-level streams')
    .argument('<file...>', 'pcap or pcapng captures (gzip allowed), directories (walked for captures), or - for stdin')
    .option('--json', 'write the JSON report (docs/analyze-json.md); with several captures, NDJSON: one report per line')
    .option('-o, --output <file>', 'write the summary or report to FILE (atomically) instead of stdout')
    .option('--absolute', 'print dates and times (local time, as tshark -t ad) instead of seconds since the first packet')
    .option('--absolute-seq', 'print data sequence numbers as on the wire instead of relative to the IDSN (first data byte = 1)')
    .option('-j, --jobs <n>', 'up to n captures analyzed in parallel (default: the number of CPUs; a worker starts only when the work left is worth it)', positiveInt)
    .option('--max-buffer <size>', 'out-of-order data buffered per direction before a gap is declared', sizeArg, 64 * 1024 * 1024)
    .option('--max-connections <n>', 'TCP connections tracked at once', positiveInt, 1_000_000)
    .option('--max-events <n>', 'events kept per session', positiveInt, 10_000)
    .option('--max-total-buffer <size>', 'out-of-order data buffered by all sessions together', sizeArg, 512 * 1024 * 1024)
    .option('--max-unmatched <n>', 'unmatched subflows listed one by one (the rest are counted)', positiveInt, 1_000)
    .option('--max-record-size <size>', 'largest packet record read (larger ones are refused with a warning)', sizeArg, 262_144)
    .option('--color', 'force colours (default: only on a terminal)')
    .option('--no-color', 'never use colours')
    .action(action(async (inputs: string[], opts: { json?: boolean; output?: string; jobs?: number; absolute?: boolean; absoluteSeq?: boolean; maxBuffer: number; maxConnections: number; maxEvents: number; maxTotalBuffer: number; maxUnmatched: number; maxRecordSize: number; color?: boolean }) => {
      boundHeapGrowth();
      const common = {
        json: opts.json, output: opts.output, version: VERSION, absolute: opts.absolute, absoluteSeq: opts.absoluteSeq,
        color: opts.color ?? (Boolean(process.stdout.isTTY) && !opts.output),
        maxRecordBytes: opts.maxRecordSize,
        engine: {
          maxBuffer: opts.maxBuffer, maxConnections: opts.maxConnections, maxEvents: opts.maxEvents,
          maxTotalBuffer: opts.maxTotalBuffer, maxUnmatched: opts.maxUnmatched,
        },
      };
      // One capture file: exactly the single-capture command it always was.
      if (inputs.length === 1 && !(await isDirectory(inputs[0]))) {
        // Loaded on use: a command loads only its own modules (startup counts on every run).
        const { runAnalyze } = await import('../analyze-command.js');
        await runAnalyze(inputs[0], common);
        return;
      }
      const { runAnalyzeFleet } = await import('../analyze-fleet.js');
      await runAnalyzeFleet(inputs, { ...common, jobs: opts.jobs });
    }));
}

async function isDirectory(path: string): Promise<boolean> {
  if (path === '-') return false;
  const { statSync } = await import('node:fs');
  try { return statSync(path).isDirectory(); } catch { return false; }
}
