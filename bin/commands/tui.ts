import type { Command } from 'commander';
import { action } from '../cli-kit.js';

export function registerTui(program: Command): void {
  program
    .command('tui')
    .description('interactive terminal UI: sessions, packets, decoded MPTCP options, charts, findings, streams')
    .argument('<file>', 'pcap or pcapng capture (gzip allowed)')
    .option('-Y, --display-filter <expr>', 'start with the packet list filtered by a Wireshark display filter (docs/filters.md)')
    .addHelpText('after', '\nKeys: ? in the UI (docs/tui.md). Needs a terminal on stdin and stdout.')
    .action(action(async (file: string, opts: { displayFilter?: string }) => {
      // Loaded on use: the UI's modules are not needed by the other verbs.
      const { runTui } = await import('../../tui/run.js');
      const { exitProcess } = await import('../../common/terminal.js');
      const code = await runTui(file, opts.displayFilter);
      exitProcess(code);
    }));
}
