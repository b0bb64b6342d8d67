/** dissect/pcapng-writer.ts: what it writes reads back with our capture reader, bit for bit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter } from '../dissect/pcapng-writer.js';
import { readCapture } from '../dissect/capture-reader.js';
import type { CaptureInterface } from '../dissect/record.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mptcpscope-pcapng-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Got { n: number; iface: number; linktype: number; tsSec: number; tsNsec: number; tsDigits: number; caplen: number; len: number; data: string }

async function readBack(file: string): Promise<{ ifaces: CaptureInterface[]; recs: Got[]; format: string; truncated: boolean }> {
  const ifaces: CaptureInterface[] = [];
  const recs: Got[] = [];
  const sum = await readCapture(file, (r) => {
    recs.push({ n: r.n, iface: r.iface, linktype: r.linktype, tsSec: r.tsSec, tsNsec: r.tsNsec, tsDigits: r.tsDigits, caplen: r.caplen, len: r.len, data: r.data.toString('hex') });
  }, { onInterface: (i, d) => { ifaces[i] = { ...d }; } });
  return { ifaces, recs, format: sum.format, truncated: sum.truncated };
}

describe('PcapngWriter', () => {
  it('writes interfaces (link type, snaplen, if_name, if_tsresol) and packets that read back unchanged', async () => {
    const file = join(dir, 'two.pcapng');
    const w = new PcapngWriter(file, { application: 'mptcpscope test', bufferBytes: 100 });
    const eth = w.addInterface({ linktype: 1, snaplen: 262144, name: 'veth-a', filter: 'tcp port 5201' });
    const raw = w.addInterface({ linktype: 101, snaplen: 96, name: 'tun0', tsDigits: 9 });
    expect([eth, raw]).toEqual([0, 1]);
    const pkts = [
      { iface: eth, tsSec: 1_700_000_000, tsFrac: 123456, len: 60, data: Buffer.from('00112233445566778899aabb0800', 'hex') },
      { iface: raw, tsSec: 1_700_000_000, tsFrac: 999_999_999, len: 1500, data: Buffer.alloc(96, 0x45) },
      { iface: eth, tsSec: 4_000_000_000, tsFrac: 1, len: 3, data: Buffer.from([1, 2, 3]) },
      { iface: raw, tsSec: 0, tsFrac: 0, len: 0, data: Buffer.alloc(0) },
    ];
    for (const p of pkts) w.writePacket(p);
    w.writeInterfaceStats(eth, 1_700_000_001, 0, { received: 10, interfaceDropped: 1, osDropped: 2, delivered: 2 });
    expect(existsSync(file)).toBe(false);
    w.commit();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const got = await readBack(file);
    expect(got.format).toBe('pcapng');
    expect(got.truncated).toBe(false);
    expect(got.ifaces).toEqual([
      { linktype: 1, snaplen: 262144, name: 'veth-a', tsDigits: 6 },
      { linktype: 101, snaplen: 96, name: 'tun0', tsDigits: 9 },
    ]);
    expect(got.recs).toEqual([
      { n: 1, iface: 0, linktype: 1, tsSec: 1_700_000_000, tsNsec: 123_456_000, tsDigits: 6, caplen: 14, len: 60, data: '00112233445566778899aabb0800' },
      { n: 2, iface: 1, linktype: 101, tsSec: 1_700_000_000, tsNsec: 999_999_999, tsDigits: 9, caplen: 96, len: 1500, data: '45'.repeat(96) },
      { n: 3, iface: 0, linktype: 1, tsSec: 4_000_000_000, tsNsec: 1000, tsDigits: 6, caplen: 3, len: 3, data: '010203' },
      { n: 4, iface: 1, linktype: 101, tsSec: 0, tsNsec: 0, tsDigits: 9, caplen: 0, len: 0, data: '' },
    ]);
    // Every block is 32-bit aligned and the file ends on a block boundary.
    expect(readFileSync(file).length % 4).toBe(0);
  });

  it('abort() leaves the target as it was and no temporary file', () => {
    const file = join(dir, 'kept.pcapng');
    writeFileSync(file, 'previous');
    const w = new PcapngWriter(file);
    w.addInterface({ linktype: 1, snaplen: 65535, name: 'x' });
    w.writePacket({ iface: 0, tsSec: 1, tsFrac: 0, len: 1, data: Buffer.from([0]) });
    w.flush();
    expect(existsSync(w.tmpPath)).toBe(true);
    w.abort();
    expect(readFileSync(file, 'utf8')).toBe('previous');
    expect(existsSync(w.tmpPath)).toBe(false);
  });

  it('refuses a packet for an interface that was not added, and a file in a missing directory', () => {
    const w = new PcapngWriter(join(dir, 'bad.pcapng'));
    expect(() => w.writePacket({ iface: 0, tsSec: 1, tsFrac: 0, len: 1, data: Buffer.from([0]) })).toThrow(/not added/);
    w.abort();
    expect(() => new PcapngWriter(join(dir, 'no', 'such', 'dir.pcapng'))).toThrow(/ENOENT/);
  });
});
