/** Field values as `tshark -T fields` prints them (tshark 4.0). */
import { ipv6Text } from '../address.js';
import type { Display } from './registry.js';
import type { Kind, Value } from './values.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function fixed9(x: number): string {
  return x.toFixed(9);
}

export function formatValue(v: Value, kind: Kind, display: Display, hexDigits: number): string {
  switch (display) {
    case 'hex': {
      const h = typeof v === 'bigint' ? v.toString(16) : (v as number).toString(16);
      return `0x${h.padStart(hexDigits, '0')}`;
    }
    case 'dec': return String(v);
    case 'bool': return v ? '1' : '0';
    case 'ipv4': { const n = v as number; return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`; }
    case 'ipv6': return ipv6Text(v as Buffer, 0);
    case 'ether': { const b = v as Buffer; let s = ''; for (let i = 0; i < b.length; i++) s += (i ? ':' : '') + b[i].toString(16).padStart(2, '0'); return s; }
    case 'bytes': return (v as Buffer).toString('hex');
    case 'string': return v as string;
    case 'reltime': return fixed9(v as number);
    case 'epoch': return fixed9(v as number);
    case 'abstime': {
      const t = v as number;
      const sec = Math.floor(t);
      const d = new Date(sec * 1000);
      const frac = Math.round((t - sec) * 1e9).toString().padStart(9, '0');
      const pad = (n: number): string => String(n).padStart(2, '0');
      return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')}, ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${frac} UTC`;
    }
    case 'none': return kind === 'none' && Buffer.isBuffer(v) ? v.toString('hex') : '';
  }
}
