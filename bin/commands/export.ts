import type { Command } from 'commander';
import { action, positiveInt, sizeArg, VERSION } from '../cli-kit.js';
import { CliError } from '../../common/cli-error.js';
import { boundHeapGrowth } from '../heap-policy.js';

interface ExportOpts { parquet?: string; jobs?: number; maxBuffer: number; rowGroupRows: number }

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the analysis as Parquet tables (captures, sessions, subflows, events, findings, packets, options) for DuckDB, Spark and other SQL engines (docs/tables.md)')
    .argument('<file...>', 'pcap or pcapng captures (gzip allowed) or directories (walked for captures)')
    .requiredOption('--parquet <dir>', 'export directory: one subdirectory per table, one Parquet file per capture in each')
    .option('-j, --jobs <n>', 'up to n captures exported in parallel (default: the number of CPUs; a worker starts only when the work left is worth it)', positiveInt)
    .option('--row-group-rows <n>', 'rows per Parquet row group of the packets and options tables', positiveInt, 131_072)
    .option('--max-buffer <size>', 'out-of-order data buffered per direction before a gap is declared', sizeArg, 64 * 1024 * 1024)
    .action(action(async (inputs: string[], opts: ExportOpts) => {
      boundHeapGrowth();
      if (!opts.parquet) throw new CliError('give --parquet DIR');
      const { runExport } = await import('../export-command.js');
      await runExport(inputs, { dir: opts.parquet, jobs: opts.jobs, maxBuffer: opts.maxBuffer, rowGroupRows: opts.rowGroupRows, version: VERSION });
    }));
}
