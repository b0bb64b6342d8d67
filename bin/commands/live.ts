import { InvalidArgumentError, type Command } from 'commander';
import { action, nonNegativeInt, positiveInt, sizeArg, useColor, VERSION } from '../cli-kit.js';
import { CliError } from '../../common/cli-error.js';
import { boundHeapGrowth } from '../heap-policy.js';

const DEFAULT_SNAPLEN = 262144;

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerLive(program: Command): void {
  program
    .command('live')
    .description('capture on interfaces with libpcap and analyze MPTCP as it happens: one line per event, summary at the end')
    .argument('[expression...]', 'BPF capture filter, as with tcpdump (or use -f)')
    .option('-i, --interface <iface>', 'capture on IFACE; repeat for several interfaces at once', collect, [])
    .option('-f, --filter <bpf>', "BPF capture filter applied in the kernel, e.g. 'tcp port 5201'")
    .option('-Y, --display-filter <expr>', 'Wireshark display filter on what is shown (log lines, the TUI list); the capture and -w keep every packet')
    .option('-s, --snaplen <bytes>', `bytes kept of each packet (0: ${DEFAULT_SNAPLEN})`, nonNegativeInt, DEFAULT_SNAPLEN)
    .option('-c, --count <n>', 'stop after N packets', positiveInt)
    .option('--duration <seconds>', 'stop after SECONDS', seconds)
    .option('-w, --write <file>', 'write the packets to FILE.pcapng (one interface block per interface; renamed into place at the end)')
    .option('--json <file>', 'write the JSON report of analyze --json to FILE when the capture ends')
    .option('-D, --list-interfaces', 'list the interfaces libpcap can capture on and exit')
    .option('--buffer-size <size>', 'kernel capture buffer per interface', sizeArg, 32 * 1024 * 1024)
    .option('-p, --no-promiscuous-mode', "don't put the interfaces into promiscuous mode")
    .option('--max-buffer <size>', 'out-of-order data buffered per direction before a gap is declared', sizeArg, 64 * 1024 * 1024)
    .option('--max-connections <n>', 'TCP connections tracked at once', positiveInt, 1_000_000)
    .option('--max-events <n>', 'events kept per session', positiveInt, 10_000)
    .option('--tui', 'show the interactive terminal UI instead of the log')
    .option('--color', 'force colours (default: only on a terminal)')
    .option('--no-color', 'never use colours')
    .action(action(async (expression: string[], opts: {
      interface: string[]; filter?: string; displayFilter?: string; snaplen: number; count?: number; duration?: number; write?: string; json?: string;
      listInterfaces?: boolean; bufferSize: number; promiscuousMode: boolean; maxBuffer: number; maxConnections: number;
      maxEvents: number; tui?: boolean; color?: boolean;
    }) => {
      boundHeapGrowth();
      // Loaded on use: live capture's modules are not needed by the other verbs.
      const { listInterfaces, runLive } = await import('../../live/run-live.js');
      if (opts.listInterfaces) { await listInterfaces(); return; }
      if (expression.length > 0 && opts.filter !== undefined) throw new CliError('give the capture filter either with -f or as arguments, not both');
      const filter = opts.filter ?? (expression.length > 0 ? expression.join(' ') : undefined);
      await runLive({
        interfaces: opts.interface,
        filter,
        displayFilter: opts.displayFilter,
        snaplen: opts.snaplen === 0 ? DEFAULT_SNAPLEN : opts.snaplen,
        count: opts.count,
        duration: opts.duration,
        write: opts.write,
        json: opts.json,
        bufferSize: opts.bufferSize,
        promiscuous: opts.promiscuousMode,
        color: useColor(opts.color),
        tui: opts.tui,
        engine: { maxBuffer: opts.maxBuffer, maxConnections: opts.maxConnections, maxEvents: opts.maxEvents },
        version: VERSION,
      });
    }));
}
