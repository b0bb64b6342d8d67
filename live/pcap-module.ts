/**
 * Loading the optional `pcap` npm package (libpcap bindings, built from source against libpcap's headers).
 *
 * It is an optionalDependency: where libpcap's headers are missing `npm ci` still succeeds without it, and only
 * `live` needs it. It is loaded with a dynamic import so every other verb works without it.
 * `MPTCPSCOPE_PCAP_MODULE` names another module to load instead (the tests use a missing name).
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import { CliError } from '../common/cli-error.js';

/** libpcap's counters (pcap_stats). */
export interface PcapStats {
  /** Packets received by the filter. */
  ps_recv: number;
  /** Packets dropped by the kernel: no room in the capture buffer. */
  ps_drop: number;
  /** Packets dropped by the interface or its driver. */
  ps_ifdrop: number;
}

export interface PcapPacketWithHeader {
  /** The session's packet buffer, reused for the next packet: copy what you keep. */
  buf: Buffer;
  /** 16 bytes in host byte order: tv_sec, tv_usec, caplen, len (32 bits each). */
  header: Buffer;
  link_type: string;
}

/** The parts of pcap's PcapSession that live capture uses. */
export interface PcapSessionLike {
  /** 'LINKTYPE_ETHERNET', 'LINKTYPE_RAW', ... or 'Unknown linktype N' (N a DLT_ value). */
  readonly link_type: string;
  readonly buf: Buffer;
  readonly header: Buffer;
  /** The native session; its `read_callback` is what libuv's poll handler calls when the socket is readable. */
  readonly session: {
    read_callback: () => void;
    dispatch(buf: Buffer, header: Buffer): number;
  };
  on(event: 'packet', listener: (p: PcapPacketWithHeader) => void): this;
  stats(): PcapStats;
}

export interface PcapSessionOptions {
  filter?: string;
  buffer_size?: number;
  snap_length?: number;
  /** ms; 0 selects immediate mode. */
  buffer_timeout?: number;
  promiscuous?: boolean;
}

export interface PcapDevice {
  name: string;
  description?: string;
  /** Holes (null) stand for addresses of other families. */
  addresses?: Array<{ addr?: string; netmask?: string } | null>;
  flags?: string;
}

export interface PcapModule {
  createSession(device: string, options: PcapSessionOptions): PcapSessionLike;
  findalldevs(): PcapDevice[];
  lib_version: string;
  /** Called by pcap for libpcap warnings (e.g. an interface without an IPv4 address); replaceable. */
  warningHandler: (message: string) => void;
}

export const PCAP_MODULE_ENV = 'MPTCPSCOPE_PCAP_MODULE';

function firstLine(s: string): string {
  const line = s.split('\n')[0].trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** Loads the pcap module, or throws a one-line CliError that says how to get it. */
export async function loadPcap(): Promise<PcapModule> {
  const name = process.env[PCAP_MODULE_ENV] || 'pcap';
  const specifier = isAbsolute(name) ? pathToFileURL(name).href : name;
  let mod: { default?: unknown } & Record<string, unknown>;
  try {
    mod = (await import(specifier)) as { default?: unknown } & Record<string, unknown>;
  } catch (err) {
    const why = firstLine(err instanceof Error ? err.message : String(err));
    // npm drops an optional package whose build failed: then it has to be installed again, not rebuilt.
    const absent = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && why.includes(`'${name}'`);
    const e = new CliError(
      `live capture needs the optional '${name}' module, which is not ${absent ? 'installed' : 'built'} (${why}): ` +
      `install libpcap's headers (e.g. apt-get install libpcap-dev), then run npm rebuild pcap${absent ? ' (npm install when node_modules has no pcap)' : ''}`,
    );
    (e as { cause?: unknown }).cause = err;
    throw e;
  }
  const pcap = (mod.default ?? mod) as Partial<PcapModule>;
  if (typeof pcap.createSession !== 'function' || typeof pcap.findalldevs !== 'function') {
    throw new CliError(`the '${name}' module is not the pcap module (no createSession/findalldevs): reinstall it with npm rebuild pcap`);
  }
  return pcap as PcapModule;
}

/** LINKTYPE_* number of the link type pcap reports (its names, or the raw DLT_ value for others). */
export function linktypeOf(linkType: string): number {
  switch (linkType) {
    case 'LINKTYPE_NULL': return 0;
    case 'LINKTYPE_ETHERNET': return 1;
    case 'LINKTYPE_RAW': return 101; // DLT_RAW (12 or 14 depending on the system)
    case 'LINKTYPE_LINUX_SLL': return 113;
    case 'LINKTYPE_IEEE802_11_RADIO': return 127;
    default: {
      const m = /(\d+)\s*$/.exec(linkType);
      if (!m) return -1;
      const dlt = Number(m[1]);
      // DLT_ values that differ from their LINKTYPE_ value (pcap-common.c); the rest are equal.
      if (dlt === 12 || dlt === 14) return 101; // DLT_RAW
      return dlt;
    }
  }
}
