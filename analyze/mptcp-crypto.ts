/**
 * MPTCP cryptography from RFC 8684 §3.1–3.4 and RFC 6824: token and IDSN from a key,
 * MP_JOIN and ADD_ADDR HMACs. v0 uses SHA-1, v1 SHA-256.
 */
import { createHash, createHmac } from 'node:crypto';

export type HashName = 'sha1' | 'sha256';

export function hashForVersion(version: number): HashName {
  return version === 0 ? 'sha1' : 'sha256';
}

/** Token (most significant 32 bits, hex) and IDSN (least significant 64 bits) of hash(key). */
export function tokenAndIdsn(keyHex: string, version: number): { token: string; idsn: bigint } {
  const digest = createHash(hashForVersion(version)).update(Buffer.from(keyHex, 'hex')).digest();
  return { token: digest.toString('hex', 0, 4), idsn: digest.readBigUInt64BE(digest.length - 8) };
}

function hmac(version: number, keyA: string, keyB: string, msg: Buffer): Buffer {
  return createHmac(hashForVersion(version), Buffer.concat([Buffer.from(keyA, 'hex'), Buffer.from(keyB, 'hex')]))
    .update(msg)
    .digest();
}

/**
 * MP_JOIN SYN/ACK HMAC sent by the responder B: HMAC(Key-B || Key-A, R-B || R-A), leftmost 64 bits.
 * MP_JOIN third-ACK HMAC sent by the initiator A: HMAC(Key-A || Key-B, R-A || R-B), leftmost 160 bits.
 */
export function joinHmac(version: number, senderKey: string, receiverKey: string, senderNonce: string, receiverNonce: string, bytes: number): string {
  const msg = Buffer.from(senderNonce + receiverNonce, 'hex');
  return hmac(version, senderKey, receiverKey, msg).toString('hex', 0, bytes);
}

/**
 * v1 ADD_ADDR HMAC (RFC 8684 §3.4.1): HMAC(Key-sender || Key-receiver, Address ID || Address || Port),
 * with two zero bytes when no port is present; the rightmost 64 bits are sent.
 */
export function addAddrHmac(senderKey: string, receiverKey: string, addressId: number, addressBytes: Buffer, port: number | undefined): { rightmost: string; leftmost: string } {
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port ?? 0);
  const msg = Buffer.concat([Buffer.from([addressId]), addressBytes, portBytes]);
  const digest = hmac(1, senderKey, receiverKey, msg);
  // Linux sent the leftmost 64 bits before its 2020 fix ("mptcp: use rightmost 64 bits in ADD_ADDR HMAC"); callers use it only to explain an invalid verdict.
  return { rightmost: digest.toString('hex', digest.length - 8), leftmost: digest.toString('hex', 0, 8) };
}

/** Address text from ADD_ADDR back to bytes (IPv4 dotted or IPv6 text). */
export function addressBytes(address: string, ipVersion: number): Buffer {
  if (ipVersion === 4) return Buffer.from(address.split('.').map(Number));
  const out = Buffer.alloc(16);
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const parse = (s: string | undefined): number[] => {
    if (!s) return [];
    const groups: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const v4 = part.split('.').map(Number);
        groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else groups.push(parseInt(part, 16));
    }
    return groups;
  };
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  h.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  t.forEach((g, i) => out.writeUInt16BE(g, (8 - t.length + i) * 2));
  return out;
}
