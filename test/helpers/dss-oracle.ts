/**
 * An independent DSS checksum oracle (RFC 8684 §3.3.1) for tests: tshark decodes the DSS fields and the
 * payload of one frame, and the checksum is summed here with RFC 1071 arithmetic, sharing no code with
 * mptcpscope.
 */
import { spawnSync } from 'node:child_process';

export const hasTshark = (): boolean => spawnSync('tshark', ['-v']).status === 0;

/** tshark's fields of one frame, tab-separated. */
export function tsharkFields(file: string, frame: number, fields: string[]): string[] {
  const r = spawnSync('tshark', ['-r', file, '-Y', `frame.number == ${frame}`, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  return r.stdout.trim().split('\t');
}

function onesSum(buf: Buffer): number {
  let s = 0;
  for (let i = 0; i < buf.length; i += 2) s += (buf[i] << 8) | (i + 1 < buf.length ? buf[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The carried DSS checksum of a frame (one 64-bit-DSN DSS with a checksum) and the one its payload calls for. */
export function dssChecksums(file: string, frame: number): { carried: number; expected: number } {
  const [rawDsn, ssn, dll, options, payload] = tsharkFields(file, frame, [
    'tcp.options.mptcp.rawdataseqno', 'tcp.options.mptcp.subflowseqno', 'tcp.options.mptcp.datalvllen', 'tcp.options', 'tcp.payload']);
  // The DSS option (kind 30, length 28: DATA_ACK and DSN of 8 bytes, with checksum) ends with the checksum.
  const at = options.indexOf('1e1c');
  const carried = parseInt(options.slice(at + 52, at + 56), 16);
  const pseudo = Buffer.alloc(16);
  pseudo.writeBigUInt64BE(BigInt(rawDsn), 0);
  pseudo.writeUInt32BE(Number(ssn), 8);
  pseudo.writeUInt16BE(Number(dll), 12);
  const expected = (~onesSum(Buffer.concat([pseudo, Buffer.from(payload, 'hex')]))) & 0xffff;
  return { carried, expected };
}
