import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { action, positiveInt, useColor } from '../cli-kit.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const outputForm = (v: string): string => {
  if (v !== 'fields' && v !== 'json' && v !== 'text') throw new InvalidArgumentError('expected fields, json or text');
  return v;
};

export function registerDissect(program: Command): void {
  program
    .command('dissect')
    .description('decode every packet of a capture: one line per packet, a full tree (-V) or NDJSON (--json)')
    .argument('<file>', 'pcap or pcapng capture (gzip allowed), or - for stdin')
    .option('--json', 'write NDJSON, one object per packet (docs/dissect-json.md)')
    .option('-Y, --display-filter <expr>', 'show only packets matching a Wireshark display filter (docs/filters.md)')
    .option('-T <form>', 'output form: text (default), json (same as --json) or fields (with -e)', outputForm)
    .option('-e <field>', 'with -T fields: a field to print, by its Wireshark name (repeatable)', collect)
    .option('-n', 'no name resolution: always the case, accepted as tshark takes it')
    .option('-E <opt>', 'with -T fields: header=y|n, separator=/t|/s|C, occurrence=f|l|a, aggregator=C, quote=n|d|s (repeatable)', collect)
    .option('-V, --verbose', 'print the full decoded tree of each packet')
    .option('-c, --count <n>', 'stop after N packets are shown', positiveInt)
    .option('--mptcp', 'show only packets that carry MPTCP options')
    .option('--sessions', 'tag each packet with its MPTCP session, subflow and data-level direction')
    .option('--absolute', 'print the date and time of each packet (local time, as tshark -t ad) instead of seconds since the first packet')
    .option('--absolute-seq', 'print data sequence numbers and data ACKs as on the wire instead of relative to the IDSN (first data byte = 1)')
    .option('--color', 'force colours (default: only on a terminal)')
    .option('--no-color', 'never use colours')
    .action(action(async (file: string, opts: { json?: boolean; verbose?: boolean; count?: number; mptcp?: boolean; absolute?: boolean; absoluteSeq?: boolean; color?: boolean; sessions?: boolean; displayFilter?: string; T?: string; e?: string[]; E?: string[]; n?: boolean }) => {
      const { runDissect, fieldsOptions } = await import('../dissect-command.js');
      const { T, e, E, n: _n, ...rest } = opts;
      await runDissect(file, { ...rest, json: opts.json || T === 'json', fields: fieldsOptions(T, e, E), color: useColor(opts.color) });
    }));
}
