import type { Command } from 'commander';
import { action, nonNegativeInt } from '../cli-kit.js';
import { CliError } from '../../common/cli-error.js';
import type { FollowDir, FollowMode } from '../follow-command.js';
import { boundHeapGrowth } from '../heap-policy.js';

export function registerFollow(program: Command): void {
  program
    .command('follow')
    .description("print a session's data-level byte stream (Follow TCP Stream at the MPTCP level), or export streams")
    .argument('<file>', 'pcap or pcapng capture (gzip allowed), or - for stdin')
    .option('--session <id>', 'session id as listed by analyze', nonNegativeInt)
    .option('--dir <dir>', 'c2s, s2c or both', 'both')
    .option('--ascii', 'printable text, other bytes as dots (default)')
    .option('--hex', 'hex dump with data-level offsets')
    .option('--raw', 'the bytes themselves (one direction)')
    .option('--export <dir>', 'write every complete direction of every session to DIR/session-ID-DIR.bin')
    .action(action(async (file: string, opts: { session?: number; dir: string; ascii?: boolean; hex?: boolean; raw?: boolean; export?: string }) => {
      boundHeapGrowth();
      if (!['c2s', 's2c', 'both'].includes(opts.dir)) throw new CliError(`--dir must be c2s, s2c or both, not ${opts.dir}`);
      if ([opts.ascii, opts.hex, opts.raw].filter(Boolean).length > 1) throw new CliError('choose one of --ascii, --hex, --raw');
      const mode: FollowMode = opts.hex ? 'hex' : opts.raw ? 'raw' : 'ascii';
      const { runFollow } = await import('../follow-command.js');
      await runFollow(file, { session: opts.session, dir: opts.dir as FollowDir, mode, exportDir: opts.export });
    }));
}
