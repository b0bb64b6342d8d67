/**
 * One packet record as handed out by the capture reader.
 *
 * The reader reuses a single CaptureRecord object and `data` is a view into its
 * current read chunk: both are valid only until the callback returns. Copy what you keep.
 */
export interface CaptureRecord {
  /** 1-based packet number across the whole file (all sections and interfaces). */
  n: number;
  /** Interface index within the current pcapng section (0 for pcap). */
  iface: number;
  /** Link-layer header type (LINKTYPE_* value). */
  linktype: number;
  /** Whole seconds of the timestamp. */
  tsSec: number;
  /** Sub-second part of the timestamp in nanoseconds (0 .. 999_999_999). */
  tsNsec: number;
  /** Number of timestamp fraction digits meaningful for this record (6 = µs, 9 = ns). */
  tsDigits: number;
  /** Bytes captured (length of `data`). */
  caplen: number;
  /** Original length of the packet on the wire. */
  len: number;
  /** Captured bytes: a view into the reader's chunk, valid until the callback returns. */
  data: Buffer;
  /**
   * Set only by the capture reader on its own reused record, as non-enumerable properties (so copies made
   * with object spread do not carry them and fall back to `data`): the reader's chunk and the offset of the
   * captured bytes in it, i.e. `data` is `buf[off .. off + caplen)`. Valid until the callback returns.
   * `decodePacketInChunk` decodes from them without creating the `data` view.
   */
  readonly buf?: Buffer;
  readonly off?: number;
  /**
   * Set by the capture reader (non-enumerable, like `buf`): offset of the captured bytes in the input as
   * read (after gzip decompression), so a viewer can read a packet again from the file on demand.
   */
  readonly pos?: number;
}

/** Description of a capture interface (pcap has exactly one). */
export interface CaptureInterface {
  linktype: number;
  snaplen: number;
  name?: string;
  /** Timestamp resolution as fraction digits (6 for µs, 9 for ns). */
  tsDigits: number;
}

/** Thrown for input that is not a capture or cannot be read; message is one user-facing line. */
export class CaptureInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureInputError';
  }
}
