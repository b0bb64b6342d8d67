import type { Command } from 'commander';
import { action, positiveInt, sizeArg, VERSION } from '../cli-kit.js';
import { CliError } from '../../common/cli-error.js';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { bytesText } from '../../common/size-text.js';
import { warn } from '../warn.js';
import { boundHeapGrowth } from '../heap-policy.js';

interface ReportOpts { html?: string; json?: string; maxPoints: number; maxBuffer: number; jobs?: number }

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report (summary, sessions, subflows, timeline, charts) and/or the JSON report')
    .argument('<file...>', 'pcap or pcapng captures (gzip allowed), directories (walked for captures), or - for stdin')
    .option('--html <out>', 'write the HTML page to OUT (atomically); with several captures OUT is a directory, one NAME.html per capture')
    .option('--json <out>', 'write the JSON report (docs/analyze-json.md) to OUT (atomically); with several captures a directory, one NAME.json per capture')
    .option('--max-points <n>', 'data segments kept per subflow and direction, and drawn per chart', positiveInt, 2000)
    .option('--max-buffer <size>', 'out-of-order data buffered per direction before a gap is declared', sizeArg, 64 * 1024 * 1024)
    .option('-j, --jobs <n>', 'up to n captures reported in parallel (default: the number of CPUs; a worker starts only when the work left is worth it)', positiveInt)
    .action(action(async (inputs: string[], opts: ReportOpts) => {
      boundHeapGrowth();
      if (!opts.html && !opts.json) throw new CliError('give --html OUT.html and/or --json OUT.json');
      if (opts.html && opts.html === opts.json) throw new CliError('--html and --json must name different files');
      const { statSync } = await import('node:fs');
      let single = inputs.length === 1 && inputs[0] === '-';
      if (inputs.length === 1 && !single) { try { single = !statSync(inputs[0]).isDirectory(); } catch { single = true; } }
      if (!single) {
        const { runReportFleet } = await import('../report-fleet.js');
        await runReportFleet(inputs, { html: opts.html, json: opts.json, maxPoints: opts.maxPoints, maxBuffer: opts.maxBuffer, jobs: opts.jobs, version: VERSION });
        return;
      }
      const file = inputs[0];
      // The charting libraries are loaded only by this verb.
      const html = opts.html ? await import('../../analyze/report-html/index.js') : undefined;
      const collector = html ? new html.SeriesCollector(opts.maxPoints) : undefined;
      const { analyzeFile } = await import('../../analyze/analyze-file.js');
      const { fileReport } = await import('../../analyze/report.js');
      const res = await analyzeFile(file, { maxBuffer: opts.maxBuffer }, { onWarning: warn, onRecord: collector?.onRecord });
      const report = fileReport(res, file, VERSION);
      // Everything is rendered before the first file is written: a failure leaves no output behind.
      const outputs: Array<[string, string]> = [];
      if (opts.json) outputs.push([opts.json, `${JSON.stringify(report, null, 2)}\n`]);
      if (html && collector && opts.html) outputs.push([opts.html, await html.renderHtmlReport(report, collector.result(res.engine), (id) => res.diagnosis?.series(id) ?? null)]);
      for (const [target, text] of outputs) {
        const bytes = writeFileAtomic(target, text);
        process.stderr.write(`wrote ${target}: ${bytes} bytes${bytes >= 1024 ? ` (${bytesText(bytes)})` : ''}\n`);
      }
    }));
}
