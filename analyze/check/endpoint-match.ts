/**
 * Address and port matching of rule scopes, apart from the rules file reader (load-rules.ts), so judging a
 * capture does not load the YAML parser and the schema validator.
 */
import { BlockList, isIP } from 'node:net';
import type { RuleScope } from './rules.js';

/** An address or CIDR prefix as a BlockList, or null when it is not one. */
export function addressBlock(addr: string): BlockList | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(addr.trim());
  if (!m) return null;
  const v = isIP(m[1]);
  if (v === 0) return null;
  const type = v === 4 ? 'ipv4' : 'ipv6';
  const bl = new BlockList();
  if (m[2] === undefined) {
    bl.addAddress(m[1], type);
  } else {
    const prefix = Number(m[2]);
    if (prefix > (v === 4 ? 32 : 128)) return null;
    bl.addSubnet(m[1], prefix, type);
  }
  return bl;
}

/** Whether an endpoint text (`10.0.0.1:443`, `[2001:db8::1]:443`) matches a scope's `match`. */
export function endpointMatches(endpoint: string, match: RuleScope['match']): boolean {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(endpoint) ?? /^([^:]+):(\d+)$/.exec(endpoint);
  if (!m) return false;
  const [, addr, portText] = m;
  if (match.port !== undefined) {
    const ports = Array.isArray(match.port) ? match.port : [match.port];
    if (!ports.includes(Number(portText))) return false;
  }
  if (match.address !== undefined) {
    const v = isIP(addr);
    if (v === 0) return false;
    const type = v === 4 ? 'ipv4' : 'ipv6';
    const addrs = Array.isArray(match.address) ? match.address : [match.address];
    if (!addrs.some((a) => addressBlock(a)?.check(addr, type))) return false;
  }
  return true;
}
