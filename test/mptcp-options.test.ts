// Crafted MPTCP option bytes laid out by hand from the RFC figures (RFC 8684 §3.1–3.7, RFC 6824 §3.1–3.4):
// every subtype at each legal length and at illegal ones.
import { describe, expect, it } from 'vitest';
import { decodeMptcpOption, dssBaseLength } from '../dissect/mptcp.js';

/** kind 30, length, then the given bytes (subtype byte first). */
function opt(...bytes: number[]): Buffer {
  return Buffer.from([30, bytes.length + 2, ...bytes]);
}
const KEY_A = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
const KEY_B = [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8];
const dec = (b: Buffer) => decodeMptcpOption(b, 0, b[1]);

describe('MP_CAPABLE (RFC 8684 §3.1, RFC 6824 §3.1)', () => {
  it('v1 SYN, length 4: version and flags only', () => {
    const o = dec(opt(0x01, 0x81));
    expect(o).toMatchObject({ subtype: 'MP_CAPABLE', length: 4, version: 1, flags: 'AH' });
    expect(o.senderKey).toBeUndefined();
    expect(o.malformed).toBeUndefined();
  });
  it('length 12: sender key', () => {
    expect(dec(opt(0x00, 0x81, ...KEY_A))).toMatchObject({ version: 0, flags: 'AH', senderKey: '0102030405060708' });
  });
  it('length 20: both keys', () => {
    expect(dec(opt(0x01, 0x01, ...KEY_A, ...KEY_B))).toMatchObject({ version: 1, flags: 'H', senderKey: '0102030405060708', receiverKey: 'a1a2a3a4a5a6a7a8' });
  });
  it('length 22: keys and data-level length', () => {
    const o = dec(opt(0x01, 0x01, ...KEY_A, ...KEY_B, 0x01, 0x2c));
    expect(o).toMatchObject({ dataLevelLength: 300 });
    expect(o.checksum).toBeUndefined();
  });
  it('length 24: keys, data-level length and checksum', () => {
    expect(dec(opt(0x01, 0x81, ...KEY_A, ...KEY_B, 0x00, 0x10, 0xbe, 0xef))).toMatchObject({ dataLevelLength: 16, checksum: 'beef' });
  });
  it('all flag letters A..H by bit', () => {
    expect(dec(opt(0x01, 0xff)).flags).toBe('ABCDEFGH');
    expect(dec(opt(0x01, 0x20)).flags).toBe('C');
  });
  it('illegal lengths are malformed', () => {
    for (const extra of [1, 5, 9, 17, 21]) {
      const o = dec(opt(0x01, 0x81, ...new Array(extra).fill(0)));
      expect(o.malformed, `length ${extra + 4}`).toMatch(/MP_CAPABLE length/);
    }
    expect(dec(opt(0x00, 0x81)).malformed).toMatch(/v0 needs a key/);
    expect(dec(opt(0x00, 0x81, ...KEY_A, ...KEY_B, 0, 1)).malformed).toMatch(/v0 length 22/);
  });
});

describe('MP_JOIN (RFC 8684 §3.2)', () => {
  it('SYN, length 12', () => {
    expect(dec(opt(0x11, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44))).toMatchObject({
      subtype: 'MP_JOIN', phase: 'SYN', backup: true, addressId: 5, receiverToken: 'deadbeef', senderNonce: '11223344',
    });
  });
  it('SYN/ACK, length 16', () => {
    expect(dec(opt(0x10, 0x02, ...KEY_A, 0x99, 0x88, 0x77, 0x66))).toMatchObject({
      phase: 'SYN/ACK', backup: false, addressId: 2, senderHmac: '0102030405060708', senderNonce: '99887766',
    });
  });
  it('ACK, length 24: 160-bit HMAC', () => {
    const hmac = Array.from({ length: 20 }, (_, i) => i);
    const o = dec(opt(0x10, 0x00, ...hmac));
    expect(o).toMatchObject({ phase: 'ACK', senderHmac: Buffer.from(hmac).toString('hex') });
    expect(o.addressId).toBeUndefined();
  });
  it('other lengths are malformed', () => {
    expect(dec(opt(0x10, 0x00, 1, 2, 3, 4)).malformed).toMatch(/MP_JOIN length 8/);
  });
});

describe('DSS (RFC 8684 §3.3)', () => {
  it('base length from flags', () => {
    expect(dssBaseLength(0x01)).toBe(8);
    expect(dssBaseLength(0x03)).toBe(12);
    expect(dssBaseLength(0x04)).toBe(14);
    expect(dssBaseLength(0x0c)).toBe(18);
    expect(dssBaseLength(0x0f)).toBe(26);
    expect(dssBaseLength(0x05)).toBe(18);
  });
  it('data ACK only, 32 bit (length 8)', () => {
    const o = dec(opt(0x20, 0x01, 0xff, 0xff, 0xff, 0xfe));
    expect(o).toMatchObject({ subtype: 'DSS', dataAck: '4294967294', dataAck64: false, dataFin: false });
    expect(o.dsn).toBeUndefined();
  });
  it('data ACK 64 bit (length 12)', () => {
    expect(dec(opt(0x20, 0x03, 0x80, 0, 0, 0, 0, 0, 0, 1))).toMatchObject({ dataAck: '9223372036854775809', dataAck64: true });
  });
  it('64-bit ACK and 64-bit DSN (length 26) and with checksum (28)', () => {
    const body = [0x20, 0x0f, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x05, 0xdc];
    expect(dec(opt(...body))).toMatchObject({ dataAck: '9', dsn: '4294967298', subflowSeq: 3, dataLevelLength: 1500 });
    expect(dec(opt(...body)).checksum).toBeUndefined();
    expect(dec(opt(...body, 0x12, 0x34))).toMatchObject({ checksum: '1234', length: 28 });
  });
  it('32-bit ACK with 64-bit DSN: each width from its own flag (not the data-ACK flag)', () => {
    // A=1 a=0 M=1 m=1: ack 4 bytes, dsn 8 bytes; length 4+4+8+4+2 = 22, with checksum 24
    const body = [0x20, 0x0d, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 100];
    expect(dec(opt(...body))).toMatchObject({ dataAck: '7', dataAck64: false, dsn: '4294967296', dsn64: true, subflowSeq: 5, dataLevelLength: 100 });
    expect(dec(opt(...body, 0xab, 0xcd)).checksum).toBe('abcd');
  });
  it('64-bit ACK with 32-bit DSN and checksum (length 24)', () => {
    const body = [0x20, 0x07, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 11, 0, 0, 0, 5, 0, 100, 0xaa, 0xbb];
    expect(dec(opt(...body))).toMatchObject({ dataAck64: true, dsn: '11', dsn64: false, checksum: 'aabb' });
  });
  it('32-bit ACK, 32-bit DSN with checksum (length 20): the checksum tshark 4.0 hides', () => {
    const body = [0x20, 0x05, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 4, 0xca, 0xfe];
    expect(dec(opt(...body))).toMatchObject({ length: 20, dataAck: '1', dsn: '2', subflowSeq: 3, dataLevelLength: 4, checksum: 'cafe' });
  });
  it('mapping only (no data ACK), DATA_FIN', () => {
    const o = dec(opt(0x20, 0x14, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0));
    expect(o).toMatchObject({ dsn: '9', subflowSeq: 0, dataLevelLength: 0, dataFin: true, flags: 'FM' });
    expect(o.dataAck).toBeUndefined();
  });
  it('lengths that do not fit the flags are malformed', () => {
    expect(dec(opt(0x20, 0x01, 0, 0)).malformed).toMatch(/DSS length 6 does not match/);
    expect(dec(opt(0x20, 0x01, 0, 0, 0, 0, 0, 0)).malformed).toMatch(/expected 8\)/); // no checksum without a mapping
    expect(dec(opt(0x20, 0x04, 0, 0, 0, 0)).malformed).toMatch(/expected 14 or 16/);
  });
});

describe('ADD_ADDR', () => {
  it('v1 IPv4 with HMAC (length 16) and with port (18)', () => {
    expect(dec(opt(0x30, 0x02, 10, 0, 2, 2, ...KEY_A))).toMatchObject({ subtype: 'ADD_ADDR', echo: false, ipVersion: 4, addressId: 2, address: '10.0.2.2', hmac: '0102030405060708' });
    expect(dec(opt(0x30, 0x02, 10, 0, 2, 2, 0x1f, 0x90, ...KEY_A))).toMatchObject({ port: 8080, hmac: '0102030405060708' });
  });
  it('v1 echo IPv4 (length 8) and with port (10): no HMAC', () => {
    const o = dec(opt(0x31, 0x03, 192, 168, 1, 1));
    expect(o).toMatchObject({ echo: true, address: '192.168.1.1', addressId: 3 });
    expect(o.hmac).toBeUndefined();
    expect(dec(opt(0x31, 0x03, 192, 168, 1, 1, 0, 80))).toMatchObject({ port: 80 });
  });
  it('v1 IPv6 (20, 22, 28, 30)', () => {
    const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    expect(dec(opt(0x31, 1, ...v6))).toMatchObject({ ipVersion: 6, address: '2001:db8::1', echo: true });
    expect(dec(opt(0x31, 1, ...v6, 0, 22))).toMatchObject({ port: 22 });
    expect(dec(opt(0x30, 1, ...v6, ...KEY_B))).toMatchObject({ hmac: 'a1a2a3a4a5a6a7a8' });
    expect(dec(opt(0x30, 1, ...v6, 1, 0, ...KEY_B))).toMatchObject({ port: 256, hmac: 'a1a2a3a4a5a6a7a8' });
  });
  it('v0 layout with IPVer (RFC 6824 §3.4.1)', () => {
    const o = dec(opt(0x34, 0x07, 10, 1, 2, 3));
    expect(o).toMatchObject({ ipVersion: 4, addressId: 7, address: '10.1.2.3' });
    expect(o.echo).toBeUndefined();
    expect(dec(opt(0x34, 0x07, 10, 1, 2, 3, 0x01, 0xbb))).toMatchObject({ port: 443 });
    expect(dec(opt(0x36, 0x01, ...new Array(16).fill(0)))).toMatchObject({ ipVersion: 6, address: '::' });
  });
  it('illegal lengths and flags are malformed', () => {
    expect(dec(opt(0x30, 1, 1, 2, 3, 4, 5)).malformed).toMatch(/ADD_ADDR length 9/);
    expect(dec(opt(0x34, 1, 1, 2, 3, 4, 5)).malformed).toMatch(/v0, IPv4/);
    expect(dec(opt(0x38, 1, 1, 2, 3, 4)).malformed).toMatch(/flags 0x8/);
  });
});

describe('REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST', () => {
  it('REMOVE_ADDR lists IDs', () => {
    expect(dec(opt(0x40, 1, 2, 3))).toMatchObject({ subtype: 'REMOVE_ADDR', addressIds: [1, 2, 3] });
    expect(dec(opt(0x40)).malformed).toMatch(/no address ID/);
  });
  it('MP_PRIO length 3 and 4', () => {
    expect(dec(opt(0x51))).toMatchObject({ subtype: 'MP_PRIO', backup: true });
    expect(dec(opt(0x50, 9))).toMatchObject({ backup: false, addressId: 9 });
    expect(dec(opt(0x50, 9, 9)).malformed).toMatch(/MP_PRIO length 5/);
  });
  it('MP_FAIL 64-bit DSN', () => {
    expect(dec(opt(0x60, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toMatchObject({ subtype: 'MP_FAIL', dsn: '18446744073709551615' });
    expect(dec(opt(0x60, 0, 1, 2)).malformed).toMatch(/MP_FAIL length 6/);
  });
  it('MP_FASTCLOSE receiver key', () => {
    expect(dec(opt(0x70, 0, ...KEY_B))).toMatchObject({ subtype: 'MP_FASTCLOSE', receiverKey: 'a1a2a3a4a5a6a7a8' });
    expect(dec(opt(0x70, 0, 1)).malformed).toBeDefined();
  });
  it('MP_TCPRST flags and reason names (RFC 8684 §3.6)', () => {
    expect(dec(opt(0x81, 0x01))).toMatchObject({ subtype: 'MP_TCPRST', flags: 'T', reason: 1, reasonName: 'MPTCP-specific error' });
    expect(dec(opt(0x8f, 0x06))).toMatchObject({ flags: 'UVWT', reasonName: 'Middlebox interference' });
    expect(dec(opt(0x80, 0x42))).toMatchObject({ flags: '', reason: 0x42, reasonName: 'Unassigned (66)' });
    expect(dec(opt(0x80, 0, 0)).malformed).toBeDefined();
  });
});

describe('experimental, unknown and short options', () => {
  it('MP_EXPERIMENTAL and unknown subtypes keep raw bytes', () => {
    expect(dec(opt(0xf0, 0xaa, 0xbb))).toMatchObject({ subtype: 'MP_EXPERIMENTAL', raw: 'f0aabb' });
    expect(dec(opt(0x9a, 0x01))).toMatchObject({ subtype: 'UNKNOWN', subtypeValue: 9, raw: '9a01' });
  });
  it('length below 3 is malformed without reading the subtype', () => {
    const b = Buffer.from([30, 2]);
    expect(decodeMptcpOption(b, 0, 2)).toMatchObject({ subtype: 'UNKNOWN', malformed: 'MPTCP option length 2 is below 3' });
  });
});
