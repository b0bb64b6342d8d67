import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { action, positiveInt, VERSION } from '../cli-kit.js';
import { CliError } from '../../common/cli-error.js';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { writeStdout } from '../output.js';
import { warn } from '../warn.js';
import { boundHeapGrowth } from '../heap-policy.js';

interface CompareOpts { json?: boolean; output?: string; html?: string; clockOffset: number; allowSame?: boolean; window: number; maxPoints: number }

function milliseconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected milliseconds, e.g. 12.5 or -3');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected seconds greater than 0');
  return n;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('two captures of the same traffic from two points: one-way delays, loss and reordering in between, and what middleboxes changed')
    .argument('<a>', 'capture taken at one point (pcap or pcapng, gzip allowed)')
    .argument('<b>', 'capture of the same traffic taken at another point')
    .option('--json', 'write the JSON report (docs/compare-json.md)')
    .option('-o, --output <file>', 'write the summary or report to FILE (atomically) instead of stdout')
    .option('--html <file>', 'write an HTML page (one-way delay over time, loss, interference) to FILE')
    .option('--clock-offset <ms>', "B's clock is MS milliseconds ahead of A's (subtracted from B's timestamps)", milliseconds, 0)
    .option('--allow-same', 'accept the same file as A and B')
    .option('--window <seconds>', 'capture time a packet waits for its copy in the other capture', seconds, 2)
    .option('--max-points <n>', 'points per subflow direction in the HTML delay chart', positiveInt, 2000)
    .action(action(async (fileA: string, fileB: string, opts: CompareOpts) => {
      boundHeapGrowth();
      if (opts.html && opts.html === opts.output) throw new CliError('--html and -o must name different files');
      const { compareCaptures } = await import('../../compare/compare.js');
      const res = await compareCaptures(fileA, fileB, {
        clockOffsetMs: opts.clockOffset, allowSame: Boolean(opts.allowSame), windowSeconds: opts.window,
        maxPoints: opts.maxPoints, version: VERSION, onWarning: warn,
      });
      let text: string;
      if (opts.json) text = `${JSON.stringify(res.report, null, 2)}\n`;
      else text = (await import('../../compare/text.js')).formatCompareText(res.report);
      if (opts.html) {
        const { renderCompareHtml } = await import('../../compare/html.js');
        writeFileAtomic(opts.html, await renderCompareHtml(res.report, res.series));
      }
      if (opts.output) writeFileAtomic(opts.output, text);
      else writeStdout(text);
    }));
}
