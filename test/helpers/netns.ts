/**
 * Network namespaces for tests that drive real kernel MPTCP traffic (as captures/make-captures.sh does): a
 * client and a server namespace joined by veth pairs, path i being 10.0.i.1 (client) <-> 10.0.i.2 (server).
 * Names are unique per test run; `destroy()` removes both namespaces (and so every veth) and is safe to call
 * more than once. No traffic leaves the namespaces.
 *
 *   const t = createTopology({ paths: 2 });
 *   t.nsExec('c', ['ip', 'mptcp', 'endpoint', 'add', t.caddr(2), 'dev', t.cdev(2), 'id', '2', 'subflow']);
 *   ...
 *   t.destroy();
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TopologyOptions {
  /** Number of veth pairs (1..9). */
  paths: number;
  /** tbf rate per path and direction (e.g. '4mbit'); none when undefined. */
  rate?: string;
}

export interface Topology {
  /** Client and server namespace names. */
  readonly client: string;
  readonly server: string;
  readonly id: string;
  /** Client / server interface name of path i (1-based). */
  cdev(i: number): string;
  sdev(i: number): string;
  caddr(i: number): string;
  saddr(i: number): string;
  /** Runs a command in the client ('c') or server ('s') namespace; throws with its stderr when it fails. */
  nsExec(side: 'c' | 's', argv: string[]): string;
  /** The argv prefix that runs a command in a namespace: ['ip', 'netns', 'exec', NAME]. */
  prefix(side: 'c' | 's'): string[];
  destroy(): void;
}

/** Throws a clear error unless the tests run as root (namespaces and packet capture need it). */
export function requireRoot(what: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(`${what} must run as root: it creates network namespaces and veth links and captures packets (run the tests as root, as CI does)`);
  }
}

/** Throws naming the first missing command. */
export function requireTools(tools: string[]): void {
  for (const t of tools) {
    const r = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`missing tool: ${t} (CI installs it: see .ci/run)`);
  }
}

export function run(argv: string[], allowFail = false): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

export function createTopology(opts: TopologyOptions): Topology {
  const id = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`.slice(-7);
  const client = `mpscope-c-${id}`;
  const server = `mpscope-s-${id}`;
  // Interface names: at most 15 bytes.
  const cdev = (i: number): string => `mc${id}${i}`;
  const sdev = (i: number): string => `ms${id}${i}`;
  const caddr = (i: number): string => `10.0.${i}.1`;
  const saddr = (i: number): string => `10.0.${i}.2`;
  const prefix = (side: 'c' | 's'): string[] => ['ip', 'netns', 'exec', side === 'c' ? client : server];
  const nsExec = (side: 'c' | 's', argv: string[]): string => run([...prefix(side), ...argv]);
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    run(['ip', 'netns', 'del', client], true);
    run(['ip', 'netns', 'del', server], true);
  };
  const t: Topology = { client, server, id, cdev, sdev, caddr, saddr, nsExec, prefix, destroy };
  try {
    run(['ip', 'netns', 'add', client]);
    run(['ip', 'netns', 'add', server]);
    for (const [side, ns] of [['c', client], ['s', server]] as const) {
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      nsExec(side, ['sysctl', '-q', 'net.mptcp.enabled=1']);
      nsExec(side, ['sysctl', '-q', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      // Keep little per socket in the qdisc so a rate limit throttles the sender instead of dropping.
      nsExec(side, ['sysctl', '-q', 'net.ipv4.tcp_limit_output_bytes=16384']);
      run(['ip', '-n', ns, 'mptcp', 'limits', 'set', 'subflows', '8', 'add_addr_accepted', '8']);
    }
    for (let i = 1; i <= opts.paths; i++) {
      run(['ip', 'link', 'add', cdev(i), 'netns', client, 'type', 'veth', 'peer', 'name', sdev(i), 'netns', server]);
      run(['ip', '-n', client, 'addr', 'add', `${caddr(i)}/24`, 'dev', cdev(i)]);
      run(['ip', '-n', server, 'addr', 'add', `${saddr(i)}/24`, 'dev', sdev(i)]);
      for (const [side, ns, dev] of [['c', client, cdev(i)], ['s', server, sdev(i)]] as const) {
        // Wire-sized packets: no segmentation or receive offloads.
        nsExec(side, ['ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
        run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
        if (opts.rate) nsExec(side, ['tc', 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', opts.rate, 'burst', '6kb', 'limit', '200kb']);
      }
      // A default route per path (later paths with a higher metric): a subflow bound to path i reaches the
      // peer's other addresses through path i.
      run(['ip', '-n', client, 'route', 'add', 'default', 'via', saddr(i), 'dev', cdev(i), 'metric', String(100 + i), 'onlink']);
      run(['ip', '-n', server, 'route', 'add', 'default', 'via', caddr(i), 'dev', sdev(i), 'metric', String(100 + i), 'onlink']);
    }
  } catch (err) {
    destroy();
    throw err;
  }
  return t;
}
