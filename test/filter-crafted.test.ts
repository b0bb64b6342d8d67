// Link layers and MPTCP layouts the shipped captures do not have (802.1Q and QinQ tags, Linux cooked v2, IPv6
// ADD_ADDR with port, MP_PRIO with an address ID, REMOVE_ADDR with several IDs, MP_FAIL, 64-bit data ACKs, v0
// MP_CAPABLE, malformed options), crafted byte by byte and written as pcap files: `dissect -T fields` must print
// what tshark prints for them, and a few filters must select the same frames. Runs tshark here; skipped without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, ROOT, BIN } from './helpers/cli.js';
import { ipv4, ipv6, mptcpOption, pcapFile, tcp, tcpOption, hexBytes } from './helpers/pcap.js';

const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const KEY_A = hexBytes('0123456789abcdef');
const KEY_B = hexBytes('fedcba9876543210');

/** TCP segments carrying the option layouts under test, each as an IPv4 or IPv6 packet. */
function segments(): Buffer[] {
  const v4 = (t: Buffer): Buffer => ipv4('10.1.0.1', '10.2.0.2', 6, t);
  const v6 = (t: Buffer): Buffer => ipv6('fd00::1', 'fd00::2', 6, t);
  return [
    v4(tcp({ flags: 0x02, seq: 100, ack: 0, options: Buffer.concat([tcpOption(2, [0x05, 0xb4]), tcpOption(3, [7]), mptcpOption([0x00, 0x81, ...KEY_A])]) })),
    v4(tcp({ flags: 0x12, seq: 900, ack: 101, sport: 5201, dport: 40000, options: Buffer.concat([tcpOption(3, [9]), mptcpOption([0x00, 0x81, ...KEY_B])]) })),
    v4(tcp({ flags: 0x10, seq: 101, ack: 901, options: Buffer.concat([mptcpOption([0x00, 0x81, ...KEY_A, ...KEY_B])]) })),
    // DSS with 64-bit data ACK and 64-bit DSN, and DATA_FIN
    v4(tcp({ seq: 101, ack: 901, payload: Buffer.from('hello'), options: mptcpOption([0x20, 0x1f, ...hexBytes('0000000100000002'), ...hexBytes('00000003000000040000000100050000')]) })),
    // ADD_ADDR v1 IPv6 with port and HMAC, MP_PRIO with address ID (v0 layout), REMOVE_ADDR with three IDs
    v6(tcp({ seq: 106, ack: 901, options: mptcpOption([0x30, 0x07, ...hexBytes('fd000000000000000000000000000009'), 0x1f, 0x90, ...hexBytes('1122334455667788')]) })),
    v4(tcp({ seq: 106, ack: 901, options: Buffer.concat([mptcpOption([0x51, 0x05]), mptcpOption([0x40, 0x02, 0x03, 0x04])]) })),
    // MP_FAIL, MP_FASTCLOSE, MP_TCPRST (T flag, reason 5)
    v4(tcp({ seq: 106, ack: 901, options: mptcpOption([0x60, 0x00, ...hexBytes('0000000a0000000b')]) })),
    v4(tcp({ seq: 106, ack: 901, flags: 0x14, options: Buffer.concat([mptcpOption([0x70, 0x00, ...KEY_B]), mptcpOption([0x81, 0x05])]) })),
    // MP_JOIN SYN with backup, SYN/ACK, ACK; then a malformed MP_JOIN (length 10) and an unknown subtype
    v4(tcp({ flags: 0x02, seq: 5000, ack: 0, sport: 40001, options: mptcpOption([0x11, 0x02, ...hexBytes('aabbccdd11223344')]) })),
    v4(tcp({ flags: 0x12, seq: 7000, ack: 5001, sport: 5201, dport: 40001, options: mptcpOption([0x10, 0x00, ...hexBytes('0102030405060708'), ...hexBytes('55667788')]) })),
    v4(tcp({ seq: 5001, ack: 7001, sport: 40001, options: mptcpOption([0x10, 0x00, ...hexBytes('000102030405060708090a0b0c0d0e0f10111213')]) })),
    v4(tcp({ seq: 5001, ack: 7001, sport: 40001, options: Buffer.concat([mptcpOption([0x10, 0x00, 1, 2, 3, 4, 5, 6]), mptcpOption([0xe0, 0x01, 0x02])]) })),
  ];
}

function ethernet(ip: Buffer, tags: number[][]): Buffer {
  const type = ip[0] >> 4 === 6 ? 0x86dd : 0x0800;
  const head = [...hexBytes('020000000002'), ...hexBytes('020000000001')];
  for (const [tpid, tci] of tags) head.push(tpid >> 8, tpid & 255, tci >> 8, tci & 255);
  head.push(type >> 8, type & 255);
  return Buffer.concat([Buffer.from(head), ip]);
}

function sll2(ip: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(ip[0] >> 4 === 6 ? 0x86dd : 0x0800, 0);
  h.writeUInt32BE(7, 4); // interface index
  h.writeUInt16BE(1, 8); // ARPHRD_ETHER
  h[10] = 4; // sent by us
  h[11] = 6;
  Buffer.from(hexBytes('020000000001')).copy(h, 12);
  return Buffer.concat([h, ip]);
}

const FILES: Array<{ name: string; linktype: number; frame: (ip: Buffer, i: number) => Buffer }> = [
  { name: 'vlan', linktype: 1, frame: (ip, i) => ethernet(ip, [[0x8100, (i % 8 << 13) | 100 + i]]) },
  { name: 'qinq', linktype: 1, frame: (ip, i) => ethernet(ip, [[0x88a8, 10], [0x8100, 0x1000 | 200 + i]]) },
  { name: 'sll2', linktype: 276, frame: (ip) => sll2(ip) },
  { name: 'raw', linktype: 101, frame: (ip) => ip },
];

const EXTRA = ['vlan.id', 'vlan.priority', 'vlan.dei', 'vlan.etype', 'eth.addr', 'sll.ifindex', 'ip.host', 'ipv6.host', 'tcp.options.sack_perm', 'tcp.flags.push', 'tcp.flags.urg', 'tcp.time_relative', 'tcp.payload'];

describe.skipIf(!haveTshark)('crafted link layers and MPTCP layouts: dissect -T fields equals tshark', () => {
  let dir = '';
  const fieldArgs = (): string[] => {
    const cmd = readFileSync(join(ROOT, 'test/oracles/filters/fields/COMMAND.txt'), 'utf8').split('\n')[1].replace(/^# TZ=UTC tshark -r CAPTURE /, '').split(' ');
    return [...cmd, ...EXTRA.flatMap((f) => ['-e', f])];
  };
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'mptcpscope-h16-crafted-'));
    for (const f of FILES) {
      writeFileSync(join(dir, `${f.name}.pcap`), pcapFile(segments().map((ip, i) => ({ data: f.frame(ip, i), sec: 1700000000, frac: i * 1000 })), { linktype: f.linktype }));
    }
  });
  afterAll(() => { if (!process.env.KEEP_CRAFTED) rmSync(dir, { recursive: true, force: true }); });

  for (const f of FILES) {
    it(`${f.name}: every field`, () => {
      const file = join(dir, `${f.name}.pcap`);
      const args = fieldArgs();
      const env = { ...process.env, TZ: 'UTC' };
      const want = execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
      const mine = execFileSync(process.execPath, [BIN, 'dissect', ...args, file], { encoding: 'utf8', env }).split('\n');
      const header = want[0].split('\t');
      const wrong: string[] = [];
      // tshark 4.0 never shows a DSS checksum (docs/filters.md, "Differences"); none is crafted here.
      for (let i = 0; i < Math.max(want.length, mine.length); i++) {
        if (want[i] === mine[i]) continue;
        const a = (mine[i] ?? '').split('\t');
        const b = (want[i] ?? '').split('\t');
        header.forEach((h, j) => { if (a[j] !== b[j]) wrong.push(`frame ${i} ${h}: ${a[j]} vs tshark ${b[j]}`); });
      }
      expect(wrong).toEqual([]);
    });
  }

  it('filters select the frames tshark selects', () => {
    // tshark starts in about a second per run: the expressions run on the VLAN file, sll.ifindex on the SLL2 one.
    const exprs = ['vlan.id >= 103 && vlan.priority != 3', 'tcp.options.mptcp.subtype in {4..8}', 'tcp.options.mptcp.ipv6 == fd00::/16 && tcp.options.mptcp.port == 8080',
      'tcp.options.mptcp.rawdataack == 0x100000002', 'mptcp.rm_addr.count > 1 || tcp.options.mptcp.flag_T.flag == 1', 'tcp.window_size > 65535',
      'tcp.options.mptcp.backup.flag == 1 && tcp.options.mptcp.sendhmac[0:2] != 00:01'];
    const wrong: string[] = [];
    const runs: Array<[string, string]> = [...exprs.map((e): [string, string] => ['vlan', e]), ['sll2', 'sll.ifindex == 7 && sll.pkttype == 4']];
    for (const [name, e] of runs) {
      const file = join(dir, `${name}.pcap`);
      {
        const t = spawnSync('tshark', ['-n', '-r', file, '-Y', e, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
        if (t.status !== 0) { wrong.push(`tshark rejects ${e}`); continue; }
        const m = spawnSync(process.execPath, [BIN, 'dissect', '-Y', e, '-T', 'fields', '-e', 'frame.number', file], { encoding: 'utf8' });
        if (m.stdout !== t.stdout) wrong.push(`${name}: ${e}: ${m.stdout.trim().split('\n').join(',')} vs tshark ${t.stdout.trim().split('\n').join(',')}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
