/**
 * `w` in the TUI: the packets listed (scope and filter applied) written to a pcapng file, each as captured
 * (read again from the capture file), atomically (a temporary file renamed into place).
 */
import { PcapngWriter } from '../dissect/pcapng-writer.js';
import type { PacketBytesReader } from './packet-bytes.js';
import type { PacketList } from './view-packets.js';

export interface SaveResult {
  packets: number;
  /** Packets of which only the kept headers could be written (gzip file, live capture). */
  headersOnly: number;
}

export function savePackets(path: string, list: PacketList, reader: PacketBytesReader, application: string): SaveResult {
  const ix = list.index;
  const w = new PcapngWriter(path, { application });
  // One interface block per (interface, link type) met, in order.
  const ifaces = new Map<string, number>();
  let headersOnly = 0;
  try {
    for (let k = 0; k < list.count; k++) {
      const i = list.at(k);
      const key = `${ix.iface[i]}/${ix.linktype[i]}`;
      let id = ifaces.get(key);
      if (id === undefined) {
        id = w.addInterface({ linktype: ix.linktype[i], snaplen: 0, tsDigits: 9 });
        ifaces.set(key, id);
      }
      const b = reader.read(ix, i);
      if (!b.complete) headersOnly++;
      w.writePacket({ iface: id, tsSec: ix.tsSec[i], tsFrac: ix.tsNsec[i], len: ix.wireLen[i], data: b.bytes });
    }
    w.commit();
  } catch (err) {
    w.abort();
    throw err;
  }
  return { packets: list.count, headersOnly };
}
