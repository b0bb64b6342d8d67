import type { Command } from 'commander';
import { action, positiveInt, useColor } from '../cli-kit.js';

export function registerDissect(program: Command): void {
  program
    .command('dissect')
    .description('decode every packet of a capture: one line per packet, a full tree (-V) or NDJSON (--json)')
    .argument('<file>', 'pcap or pcapng capture (gzip allowed), or - for stdin')
    .option('--json', 'write NDJSON, one object per packet (docs/dissect-json.md)')
    .option('-V, --verbose', 'print the full decoded tree of each packet')
    .option('-c, --count <n>', 'stop after N packets are shown', positiveInt)
    .option('--mptcp', 'show only packets that carry MPTCP options')
    .option('--sessions', 'tag each packet with its MPTCP session, subflow and data-level direction')
    .option('--absolute', 'print the date and time of each packet (local time, as tshark -t ad) instead of seconds since the first packet')
    .option('--absolute-seq', 'print data sequence numbers and data ACKs as on the wire instead of relative to the IDSN (first data byte = 1)')
    .option('--color', 'force colours (default: only on a terminal)')
    .option('--no-color', 'never use colours')
    .action(action(async (file: string, opts: { json?: boolean; verbose?: boolean; count?: number; mptcp?: boolean; absolute?: boolean; absoluteSeq?: boolean; color?: boolean; sessions?: boolean }) => {
      const { runDissect } = await import('../dissect-command.js');
      await runDissect(file, { ...opts, color: useColor(opts.color) });
    }));
}
