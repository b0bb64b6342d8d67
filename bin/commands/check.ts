import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action, positiveInt, sizeArg, VERSION } from '../cli-kit.js';
import { CliError } from '../../common/cli-error.js';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { cannotWrite } from '../../common/write-error.js';
import { warn } from '../warn.js';
import { boundHeapGrowth } from '../heap-policy.js';

const FORMATS = ['text', 'json', 'junit', 'github'] as const;
type Format = (typeof FORMATS)[number];

interface CheckOpts { rules?: string; format: string; output?: string; strict?: boolean; maxBuffer: number; pair?: boolean; jobs?: number }

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('analyze captures and apply rules (CI gate): exit 0 when every capture passes, 1 when a rule fails, 2 for input errors')
    .argument('<file...>', 'pcap or pcapng captures (gzip allowed), directories (walked for captures), or - for stdin')
    .option('--rules <file>', 'rules file, YAML or JSON (docs/check.md, docs/rules.schema.json)')
    .option('--format <format>', 'text, json, junit or github', 'text')
    .option('-o, --output <file>', 'write the results to FILE (atomically) instead of stdout')
    .option('--strict', 'warnings fail the check too')
    .option('--pair', 'the files are pairs of captures of the same traffic at two points (A B [A B ...]): check what `compare` finds')
    .option('-j, --jobs <n>', 'up to n captures checked in parallel (default: the number of CPUs; a worker starts only when the work left is worth it)', positiveInt)
    .option('--max-buffer <size>', 'out-of-order data buffered per direction before a gap is declared', sizeArg, 64 * 1024 * 1024)
    .action(action(async (files: string[], opts: CheckOpts) => {
      boundHeapGrowth();
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be text, json, junit or github, not ${opts.format}`);
      const format = opts.format as Format;
      // Loaded here, not at start-up: the other verbs do not need the rules machinery.
      const { defaultRules } = await import('../../analyze/check/rules.js');
      const { checkCaptures } = await import('../../analyze/check/run-check.js');
      const { exitCodeOf } = await import('../../analyze/check/evaluate.js');
      let rules = defaultRules();
      if (opts.rules) {
        // The YAML parser and the schema validator load only for a rules file (tens of ms at each start).
        const { loadRulesFile, RulesError } = await import('../../analyze/check/load-rules.js');
        try {
          rules = loadRulesFile(opts.rules);
        } catch (err) {
          if (err instanceof RulesError) throw new CliError(err.message);
          throw err;
        }
      }
      if (opts.pair && (files.length === 0 || files.length % 2 !== 0)) throw new CliError(`--pair takes captures two by two (A B [A B ...]), not ${files.length}`);
      const checkFiles = async (): Promise<Awaited<ReturnType<typeof checkCaptures>>> => {
        const { captureFiles } = await import('../fleet-command.js');
        const captures = files.length === 1 && files[0] === '-' ? files : captureFiles(files);
        // One capture: checked on this thread as it always was. Several: on --jobs workers, results in input order.
        return captures.length === 1
          ? checkCaptures(captures, {
            rules, strict: Boolean(opts.strict), engine: { maxBuffer: opts.maxBuffer }, version: VERSION, onWarning: warn,
            onInputError: (_file, message) => process.stderr.write(`mptcpscope: ${message}\n`),
          })
          : (await import('../check-fleet.js')).checkFleet(captures, { rules, strict: Boolean(opts.strict), maxBuffer: opts.maxBuffer, jobs: opts.jobs, version: VERSION });
      };
      const results = opts.pair ? await (await import('../../compare/run-check-pair.js')).checkPairs(files, rules, Boolean(opts.strict), VERSION, warn) : await checkFiles();
      let text: string;
      if (format === 'json') text = (await import('../../analyze/check/format-json.js')).formatJson(results, { version: VERSION, strict: Boolean(opts.strict), rulesFile: opts.rules });
      else if (format === 'junit') text = (await import('../../analyze/check/format-junit.js')).formatJunit(results);
      else if (format === 'github') text = (await import('../../analyze/check/format-github.js')).formatGithub(results);
      else text = (await import('../../analyze/check/format-text.js')).formatText(results);
      if (opts.output) writeFileAtomic(opts.output, text);
      else if (text) {
        try {
          writeFileSync(1, text);
        } catch (err) {
          // A closed pipe (`| head`) ends quietly, keeping the check's status; anything else is a write failure.
          if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw cannotWrite('standard output', err);
        }
      }
      process.exitCode = exitCodeOf(results);
    }));
}
