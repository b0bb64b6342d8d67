/** Text forms of IP addresses read in place from packet bytes. */

export function ipv4Text(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/** RFC 5952 canonical text: lowercase, longest run (>= 2) of zero groups compressed. */
export function ipv6Text(buf: Buffer, off: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(off + i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // IPv4-mapped addresses keep their dotted tail, as every tool prints them.
  if (bestStart === 0 && bestLen === 5 && groups[5] === 0xffff) return `::ffff:${ipv4Text(buf, off + 12)}`;
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function ipText(version: number, buf: Buffer, off: number): string {
  return version === 6 ? ipv6Text(buf, off) : ipv4Text(buf, off);
}

/** Endpoint text as `10.0.0.1:40000` or `[2001:db8::1]:443`. */
export function endpointText(version: number, buf: Buffer, off: number, port: number): string {
  return version === 6 ? `[${ipv6Text(buf, off)}]:${port}` : `${ipv4Text(buf, off)}:${port}`;
}
