// The TUI's packet-browser pieces without a terminal: expert info (checked against tshark's decode and an RFC
// 1071 sum computed here), the bytes pane's dump, Follow Stream's pages (checked against the sha256 the
// applications recorded), saving listed packets, wrapping, and the layout's zoom and minimum size.
import { describe, it, expect, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '../tui/source.js';
import { TuiModel } from '../tui/model.js';
import { detailLines, detailText } from '../tui/view-detail.js';
import { PacketBytesReader, hexDumpLines } from '../tui/packet-bytes.js';
import { SpooledStreams, pageLines, previousPageStart } from '../tui/stream-pages.js';
import { PacketList } from '../tui/view-packets.js';
import { parseTuiFilter } from '../tui/display-filter.js';
import { savePackets } from '../tui/save-packets.js';
import { summaryLines } from '../tui/view-summary.js';
import { computeLayout } from '../tui/layout.js';
import { wrapLine } from '../tui/app.js';
import { readCapture } from '../dissect/capture-reader.js';
import { dssChecksums, hasTshark as hasTsharkFn, tsharkFields } from './helpers/dss-oracle.js';

const CSUM = 'captures/checksum-rewrite.pcap';
const TWO = 'captures/v1-two-subflows.pcap';

async function load(file: string): Promise<TuiModel> {
  const model = new TuiModel(file);
  await new Promise<void>((resolve, reject) => {
    new FileSource(file).start({
      record: (r) => model.ingest(r),
      batch: () => undefined,
      end: (e) => { model.finish(e); if (e.error) reject(e.error); else resolve(); },
    });
  });
  return model;
}

const hasTshark = hasTsharkFn();

describe('tui expert info and bytes (checksum-rewrite.pcap)', () => {
  let model: TuiModel;
  const reader = new PacketBytesReader(CSUM);
  const detail = (n: number): string[] => {
    const i = model.index.indexOf(n);
    return detailText(detailLines(model, i, reader.read(model.index, i).bytes));
  };
  beforeAll(async () => { model = await load(CSUM); });

  it.skipIf(!hasTshark)('#17: the DSS checksum carried and the one expected from the payload (RFC 8684 §3.3.1), relative DSN and DATA_ACK as tshark gives them', () => {
    const [dsnRel, ackRel] = tsharkFields(CSUM, 17, ['mptcp.dss.dsn', 'mptcp.ack']);
    const { carried, expected } = dssChecksums(CSUM, 17);
    expect(expected).not.toBe(carried);
    const hex = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
    const lines = detail(17);
    expect(lines).toContain(`  DSS checksum ${hex(carried)}: WRONG, expected ${hex(expected)} (the data was altered after the sender computed it)`);
    expect(lines).toContain(`  relative DSN ${dsnRel} (data-level bytes s2c)`);
    expect(lines).toContain(`  relative DATA_ACK ${ackRel} (acknowledges c2s)`);
    expect(lines).toContain('  MPTCP session 0, subflow 1, s2c (server to client)');
    expect(lines.some((l) => l.startsWith('  ERROR DSS_CHECKSUM_MISMATCH: '))).toBe(true);
    // The packet after it (c2s, untouched) checks out.
    expect(detail(18).some((l) => /^ {2}DSS checksum 0x[0-9a-f]{4}: correct$/.test(l))).toBe(true);
  });

  it('reinjection: a packet on subflow 0 re-sends data-level bytes first sent on subflow 1, and names that packet', () => {
    const hits: Array<{ n: number; of: number }> = [];
    for (let i = 0; i < model.index.count; i++) {
      if (model.index.payloadLen[i] === 0) continue;
      const m = detailText(detailLines(model, i)).map((l) => /reinjection of #(\d+)/.exec(l)).find(Boolean);
      if (m) hits.push({ n: model.index.n[i], of: Number(m[1]) });
    }
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits.slice(0, 5)) {
      expect(h.of).toBeLessThan(h.n);
      const a = model.index.indexOf(h.n);
      const b = model.index.indexOf(h.of);
      expect(model.index.subflow[a]).not.toBe(model.index.subflow[b]);
      expect(model.index.dir[a]).toBe(model.index.dir[b]);
    }
  });

  it('bytes: the packet as captured, read from the file, in a hex and ASCII dump; a field of the detail lights up its bytes', async () => {
    const i = model.index.indexOf(17);
    const b = reader.read(model.index, i);
    expect(b.complete).toBe(true);
    let original: Buffer | undefined;
    await readCapture(CSUM, (rec) => { if (rec.n === 17) { original = Buffer.from(rec.data); return false; } return true; });
    expect(b.bytes.equals(original!)).toBe(true);
    const lines = hexDumpLines(b.bytes);
    expect(lines).toHaveLength(Math.ceil(1514 / 16));
    const first = [...original!.subarray(0, 16)].map((x) => x.toString(16).padStart(2, '0'));
    expect(lines[0].text.startsWith(`0000  ${first.slice(0, 8).join(' ')}  ${first.slice(8).join(' ')}`)).toBe(true);
    // The DSS option line of the detail describes the option's 28 bytes.
    const dl = detailLines(model, i, b.bytes);
    const dss = dl.find((l) => l.text.startsWith('Multipath TCP: DSS'))!;
    expect(dss.range![1] - dss.range![0]).toBe(28);
    expect(b.bytes[dss.range![0]]).toBe(30);
    const marked = hexDumpLines(b.bytes, dss.range![0], dss.range![1]).filter((l) => l.marks.length > 0);
    expect(marked.length).toBeGreaterThanOrEqual(2);
  });

  it('the summary of the session: sha256 per direction, reinjection, findings at a glance', () => {
    const text = summaryLines(model, 0).map((l) => l.text).join('\n');
    expect(text).toMatch(/^Findings: 2 errors, 1 warning, 0 info/);
    const meta = JSON.parse(readFileSync('captures/checksum-rewrite.meta.json', 'utf8')) as { client: { sent: { sha256: string } }; server: { sent: { sha256: string } } };
    expect(text).toContain(`complete, sha256 ${meta.client.sent.sha256}`);
    expect(text).toContain(`complete, sha256 ${meta.server.sent.sha256}`);
    expect(text).toMatch(/reinjected/);
    expect(text).toMatch(/rtt ms/);
  });

  it('w: the listed packets saved as pcapng, each as captured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mptcpscope-tui-save-'));
    const f = parseTuiFilter('MP_JOIN', model);
    const list = new PacketList(model.index, { kind: 'session', session: 0 }, f.ok ? f.filter : null);
    expect(list.count).toBe(3);
    const out = join(dir, 'joins.pcapng');
    expect(savePackets(out, list, reader, 'test')).toEqual({ packets: 3, headersOnly: 0 });
    const got: Buffer[] = [];
    const sum = await readCapture(out, (rec) => { got.push(Buffer.from(rec.data)); });
    expect(sum.format).toBe('pcapng');
    for (let k = 0; k < 3; k++) expect(got[k].equals(reader.read(model.index, list.at(k)).bytes)).toBe(true);
  });
});

describe('tui expert info: MP_JOIN HMACs', () => {
  it('valid as captured; with the carried HMAC altered, INVALID and the expected value is the original one', async () => {
    const model = await load(TWO);
    const reader = new PacketBytesReader(TWO);
    const text = (m: TuiModel, n: number): string[] => detailText(detailLines(m, m.index.indexOf(n), null));
    expect(text(model, 13)).toContain('  MP_JOIN SYN/ACK HMAC 94104dbe24090fc4: valid');
    expect(text(model, 14).some((l) => /^ {2}MP_JOIN ACK HMAC [0-9a-f]{40}: valid$/.test(l))).toBe(true);
    // The same capture with one byte of packet 13's HMAC changed (found by its bytes in the file).
    const file = readFileSync(TWO);
    const at = file.indexOf(Buffer.from('94104dbe24090fc4', 'hex'));
    expect(at).toBeGreaterThan(0);
    expect(file.indexOf(Buffer.from('94104dbe24090fc4', 'hex'), at + 1)).toBe(-1);
    const bad = Buffer.from(file);
    bad[at] ^= 0xff;
    const dir = mkdtempSync(join(tmpdir(), 'mptcpscope-tui-hmac-'));
    const altered = join(dir, 'altered.pcap');
    writeFileSync(altered, bad);
    const m2 = await load(altered);
    expect(text(m2, 13)).toContain(`  MP_JOIN SYN/ACK HMAC ${(0x94 ^ 0xff).toString(16)}104dbe24090fc4: INVALID, expected 94104dbe24090fc4`);
    expect(reader.read(model.index, model.index.indexOf(13)).complete).toBe(true);
  });
});

describe('tui Follow Stream pages (v1-two-subflows.pcap)', () => {
  it('every byte of each direction, page by page, hashes to what the applications sent', async () => {
    const meta = JSON.parse(readFileSync(TWO.replace('.pcap', '.meta.json'), 'utf8')) as { client: { sent: { bytes: number; sha256: string } }; server: { sent: { bytes: number; sha256: string } } };
    const pages = await SpooledStreams.build(TWO, 0);
    try {
      expect(pages.length(0)).toBe(meta.client.sent.bytes);
      expect(pages.length(1)).toBe(meta.server.sent.bytes);
      for (const [d, sent] of [[0, meta.client.sent], [1, meta.server.sent]] as const) {
        // Raw pages cover the stream without overlap: their hex, joined, is the stream.
        const h = createHash('sha256');
        let pos = 0;
        let pagesRead = 0;
        while (pos < pages.length(d)) {
          const p = pageLines(pages, d, 'raw', pos, 20, 64);
          for (const l of p.lines) h.update(Buffer.from(l.text, 'hex'));
          expect(p.next).toBeGreaterThan(pos);
          pos = p.next;
          pagesRead++;
        }
        expect(pagesRead).toBeGreaterThan(100); // far past what one screen (or 64 KiB) holds
        expect(h.digest('hex')).toBe(sent.sha256);
      }
      const hex = pageLines(pages, 0, 'hex', 0, 3, 80);
      expect(hex.lines[0].text).toMatch(/^00000000 {2}([0-9a-f]{2} ){8} ([0-9a-f]{2} ){8} .{16}$/);
      expect(hex.next).toBe(48);
      expect(previousPageStart(pages, 0, 'hex', 48, 3, 80)).toBe(0);
      // ascii: a page down and back up returns to the start.
      const a = pageLines(pages, 0, 'ascii', 0, 10, 60);
      expect(previousPageStart(pages, 0, 'ascii', a.next, 10, 60)).toBeLessThanOrEqual(a.next);
    } finally {
      pages.close();
    }
  });
});

describe('tui wrapping and layout', () => {
  it('wraps long overlay lines on word boundaries without losing text', () => {
    const text = '  Left/Right, h/l     sessions: collapse / expand a session; other panes: scroll sideways and more words';
    const lines = wrapLine(text, 40);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
    expect(lines.join(' ').replace(/\s+/g, ' ').trim()).toBe(text.replace(/\s+/g, ' ').trim());
  });

  it('zoom gives one pane the whole screen; below 60x16 the terminal is too small', () => {
    const z = computeLayout(80, 24, 3, 'bytes');
    expect(z.bytes).toEqual({ top: 0, left: 0, width: 80, height: 23 });
    expect(z.packets.height).toBe(0);
    expect(computeLayout(80, 24, 3).tooSmall).toBe(false);
    expect(computeLayout(59, 24, 3).tooSmall).toBe(true);
    expect(computeLayout(80, 15, 3).tooSmall).toBe(true);
    const l = computeLayout(80, 24, 3);
    expect(l.bytes.top + l.bytes.height).toBe(23);
    expect(l.bytes.height).toBeGreaterThanOrEqual(4);
  });
});
