/**
 * One direction of a data-level byte stream, rebuilt from pieces placed at absolute offsets.
 * Delivers bytes in order to a running sha256 (and an optional sink), keeps only out-of-order pieces and a
 * bounded window of recent bytes (to compare retransmitted and reinjected copies), and records holes
 * instead of inventing bytes.
 */
import { copyBytes } from '../dissect/bytes.js';
import { giveRing, takeRing } from './ring-pool.js';
import { createHash, type Hash } from 'node:crypto';
import { Reservoir } from './reservoir.js';
import { StorePool } from './store-pool.js';
import { ByteChain } from './byte-chain.js';
import type { HashOffload } from './hash-offload.js';

/** The time of the packet being analyzed, set once per packet by the engine. */
export interface StreamClock {
  now: number;
}

/** Bytes hashed per call (from the ring of recent bytes). */
const HASH_BATCH = 64 << 10;

export interface StreamSink {
  /** `bytes` is valid only during the call: its memory is reused afterwards (copy what is kept). */
  data(offset: number, bytes: Buffer): void;
  /** `packet`: a packet proving the gap's reason (see GapRecord), or -1. */
  gap(offset: number, length: number, reason: string, packet: number): void;
}

/**
 * A hole in a data-level stream: where, how long, why, and packets proving it. Reasons: `snaplen` (the packet
 * was captured without all its payload), `lost in capture` (a later segment, a data ACK or a subflow ACK proves
 * the bytes were sent), `never sent` (the session was aborted by MP_FASTCLOSE or resets before them),
 * `buffer limit` (given up to bound memory), `capture truncated` (the file ends inside a record), `capture ended`
 * (the direction was still open when the capture stopped), `not captured` (announced by a mapping or DATA_FIN,
 * nothing proves more).
 */
export interface GapRecord {
  offset: number;
  length: number;
  reason: string;
  packets: number[];
}

/** Gaps listed per direction (the rest are counted in `gapsNotListed`), and proving packets per gap. */
const MAX_GAP_RECORDS = 100;
const MAX_GAP_PACKETS = 10;

/** Why the bytes from some offset up to `upTo` are missing, and a packet proving it (-1 none). */
export interface GapCause {
  upTo: number;
  reason: string;
  packet: number;
}

/** Explains the missing bytes [from, to); `later` is the packet of the next data after them (-1: none). */
export type GapClassifier = (from: number, to: number, later: number) => GapCause;

interface Piece {
  offset: number;
  /** Captured bytes (owned), or null when they were not captured or not kept (see `content`). */
  bytes: ByteChain | null;
  /** How many of the piece's bytes were captured (with `bytes` null: captured, but not kept). */
  content: number;
  /** Arrival times of the segments merged into this piece, when more than one (each is a reordering sample). */
  arrivals?: number[];
  length: number;
  arrival: number;
  packet: number;
  reason: string;
  newOnSubflow: boolean;
}

export interface Conflict {
  offset: number;
  length: number;
  packet: number;
}

export class DataStream {
  /** Next in-order offset. */
  next = 0;
  /** Bytes delivered with their content. */
  delivered = 0;
  missing = 0;
  readonly missingReasons = new Set<string>();
  readonly gaps: GapRecord[] = [];
  gapsNotListed = 0;
  duplicateBytes = 0;
  reinjectedBytes = 0;
  readonly conflicts: Conflict[] = [];
  conflictBytes = 0;
  /** Highest offset + 1 ever placed or mapped. */
  highest = 0;
  /** Offset of DATA_FIN when seen. */
  dataFinOffset = -1;
  bufferLimitHit = false;
  reorderedSegments = 0;
  segments = 0;
  readonly delays = new Reservoir(4096);
  private hash: Hash | null = createHash('sha256');
  private readonly pending: Piece[] = [];
  private pendingBytes = 0;
  /** Ring of recently delivered bytes, grown on demand up to `historyBytes` (idle sessions cost nothing). */
  private history: Buffer = Buffer.alloc(0);
  private digestHex: string | undefined;
  /** Offsets below this were not remembered (a gap came after them): never compare against them. */
  private historyValidFrom = 0;
  private historyReleased = false;
  /** Offset up to which `hash` has read; the bytes from there to `next` wait in the ring. */
  private hashedTo = 0;
  /** The stream's id on the hash worker (with an offload, `hash` only marks that the stream is complete). */
  private offloadId = 0;
  private settled = false;
  sink: StreamSink | null = null;

  constructor(
    private readonly maxBuffer: number,
    private readonly historyBytes: number,
    /** Shared by all streams of an engine: out-of-order bytes held in all, and their recycled stores. */
    private readonly budget: StorePool = new StorePool(),
    /** Hashes on a worker thread; `settle()` must then be awaited after `finish()` and before `digest()`. */
    private readonly offload: HashOffload | null = null,
    /** The current packet's time, shared by the streams of an engine (see `place`). */
    private readonly clock: StreamClock = { now: 0 },
  ) {
    if (offload !== null) this.offloadId = offload.open();
  }

  get buffered(): number {
    return this.pendingBytes;
  }

  /**
   * Places `length` bytes at `offset`. `bytes` is the captured content (may be shorter than `length` when
   * the capture cut it, or null). `newOnSubflow` is how many leading bytes are new on their subflow
   * (duplicates among them are reinjections rather than TCP retransmissions). Returns the duplicate bytes.
   */
  add(offset: number, bytes: Buffer | null, length: number, time: number, packet: number, newOnSubflow: boolean): number {
    const clock = this.clock;
    const saved = clock.now;
    clock.now = time;
    const dup = this.place(offset, bytes, 0, bytes === null ? 0 : bytes.length, length, packet, newOnSubflow);
    clock.now = saved;
    return dup;
  }

  /**
   * `add` at the shared clock's time, with the captured content given in place: `captured` bytes at
   * `bytes[base ..]` (`bytes` null when none), e.g. a packet's payload inside the capture reader's chunk, so no
   * view is made for it. `bytes` is only read during the call (what is kept is copied). The engine sets the
   * clock once per packet and calls this: a time passed as an argument is a double that V8 boxes on every call
   * that is not inlined (a heap allocation per call, several per packet).
   */
  place(offset: number, bytes: Buffer | null, base: number, captured: number, length: number, packet: number, newOnSubflow: boolean): number {
    if (length <= 0) return 0;
    const dupBefore = this.duplicateBytes;
    this.segments++;
    const end = offset + length;
    if (end > this.highest) this.highest = end;
    let start = offset;
    if (start < this.next) {
      const dupEnd = Math.min(end, this.next);
      this.compareWithHistory(start, bytes, base, captured, offset, dupEnd, packet);
      this.duplicateBytes += dupEnd - start;
      if (newOnSubflow) this.reinjectedBytes += dupEnd - start;
      start = dupEnd;
      if (start >= end) return this.duplicateBytes - dupBefore;
    }
    if (bytes === null) captured = 0;
    if (start === this.next) {
      this.deliverPiece(offset, bytes, base, captured, start, end, 'snaplen', packet);
      this.drain();
      return this.duplicateBytes - dupBefore;
    }
    this.insertPending(offset, bytes, base, captured, start, end, packet, newOnSubflow);
    if (this.pendingBytes > this.maxBuffer || this.budget.used > this.budget.limit) this.skipToPending('buffer limit');
    return this.duplicateBytes - dupBefore;
  }

  /**
   * Delivers [start, end) of a piece whose data offset `origin` sits at `bytes[base]` (`captured` bytes there);
   * uncaptured bytes become a gap.
   */
  private deliverPiece(origin: number, bytes: Buffer | null, base: number, captured: number, start: number, end: number, reason: string, packet: number): void {
    const capEnd = Math.min(end, origin + captured);
    if (capEnd > start && bytes) this.deliver(bytes, base + start - origin, base + capEnd - origin);
    if (end > Math.max(start, capEnd)) this.gap(end - Math.max(start, capEnd), reason, packet);
  }

  /** Delivers [start, end) of a waiting piece whose data offset `origin` is the chain's first byte. */
  private deliverChain(origin: number, chain: ByteChain, start: number, end: number, reason: string, packet: number): void {
    const capEnd = Math.min(end, origin + chain.length);
    if (capEnd > start) chain.forEachRange(start - origin, capEnd - origin, (block, s, e) => this.deliver(block, s, e));
    if (end > Math.max(start, capEnd)) this.gap(end - Math.max(start, capEnd), reason, packet);
  }

  /**
   * Delivers `src[s .. e)`. The sha256 reads the bytes from the ring of recent bytes, where they are copied
   * anyway, in batches of HASH_BATCH: one hash call per batch instead of one per segment, and no view per
   * segment. Bytes are hashed before the ring would overwrite them; what the ring cannot hold (no ring, or a
   * segment too large) is hashed straight from `src`.
   */
  private deliver(src: Buffer, s: number, e: number): void {
    const n = e - s;
    if (this.sink !== null) this.sink.data(this.next, s === 0 && e === src.length ? src : src.subarray(s, e));
    const size = this.prepareRing(n);
    if (this.hash !== null) {
      if (n > size - HASH_BATCH) {
        this.flushHash();
        this.hashRange(src, s, e);
        this.hashedTo = this.next + n;
      } else if (this.next + n - this.hashedTo > size) this.flushHash();
    }
    if (size > 0) this.writeRing(this.next, src, s, e);
    this.next += n;
    this.delivered += n;
    if (this.hash !== null && this.next - this.hashedTo >= HASH_BATCH) this.flushHash();
  }

  /** Hashes the bytes delivered since the last batch, from the ring. */
  private flushHash(): void {
    const hash = this.hash;
    if (hash === null || this.hashedTo >= this.next) return;
    const ring = this.history;
    const size = ring.length;
    const pos = this.hashedTo % size;
    const n = this.next - this.hashedTo;
    const first = Math.min(n, size - pos);
    this.hashRange(ring, pos, pos + first);
    if (first < n) this.hashRange(ring, 0, n - first);
    this.hashedTo = this.next;
  }

  /** The stream is incomplete: no digest. */
  private dropHash(): void {
    if (this.hash !== null && this.offload !== null) this.offload.drop(this.offloadId);
    this.hash = null;
  }

  private hashRange(src: Buffer, s: number, e: number): void {
    if (this.offload !== null) this.offload.update(this.offloadId, src, s, e);
    else this.hash!.update(s === 0 && e === src.length ? src : src.subarray(s, e));
  }

  private gap(length: number, reason: string, packet: number): void {
    this.dropHash();
    this.sink?.gap(this.next, length, reason, packet);
    this.recordGap(length, reason, packet);
    this.missing += length;
    this.missingReasons.add(reason);
    this.next += length;
    this.historyValidFrom = this.next;
  }

  /** Grows the ring for `n` more bytes when it may; returns its size (0: no ring). */
  private prepareRing(n: number): number {
    if (this.historyReleased) return 0;
    if (this.history.length < this.historyBytes && this.history.length < this.next + n) this.growHistory(this.next + n);
    return this.history.length;
  }

  /** Remembers `src[s .. e)` as the bytes at `offset` in the ring (prepared by `prepareRing`). */
  private writeRing(offset: number, src: Buffer, s: number, e: number): void {
    const n = e - s;
    const h = this.history;
    const size = h.length;
    let from = s;
    let off = offset;
    if (n > size) { off += n - size; from = e - size; }
    const pos = off % size;
    const first = Math.min(e - from, size - pos);
    copyBytes(src, from, from + first, h, pos);
    if (from + first < e) copyBytes(src, from + first, e, h, 0);
  }

  /** Frees the ring of recent bytes (the session ended); later copies are no longer compared. */
  releaseHistory(): void {
    this.flushHash();
    giveRing(this.history);
    this.history = Buffer.alloc(0);
    this.historyReleased = true;
  }

  /** Grows the ring (powers of two up to historyBytes), keeping the bytes it holds at their positions. */
  private growHistory(needed: number): void {
    let size = Math.max(4096, this.history.length);
    while (size < needed && size < this.historyBytes) size *= 2;
    size = Math.min(size, this.historyBytes);
    if (size <= this.history.length) return;
    const grown = takeRing(size);
    // Until the ring first wraps, offset o sits at index o: a plain copy keeps every position valid.
    this.history.copy(grown, 0, 0, Math.min(this.history.length, this.next));
    giveRing(this.history);
    this.history = grown;
  }

  /**
   * Compares a duplicate range [start, end) with the bytes delivered before; the piece's data offset `origin`
   * sits at `bytes[base]`, with `captured` bytes there.
   */
  private compareWithHistory(start: number, bytes: Buffer | null, base: number, captured: number, origin: number, end: number, packet: number): void {
    const size = this.history.length;
    if (!bytes || size === 0) return;
    const lo = Math.max(start, this.next - size, this.historyValidFrom);
    const hi = Math.min(end, origin + captured);
    const shift = base - origin;
    let differing = 0;
    let firstDiff = -1;
    for (let o = lo; o < hi; o++) {
      if (this.history[o % size] !== bytes[o + shift]) {
        differing++;
        if (firstDiff < 0) firstDiff = o;
      }
    }
    if (differing > 0) this.recordConflict(firstDiff, differing, packet);
  }

  private recordConflict(offset: number, length: number, packet: number): void {
    this.conflictBytes += length;
    if (this.conflicts.length < 100) this.conflicts.push({ offset, length, packet });
  }

  private insertPending(origin: number, bytes: Buffer | null, base: number, captured: number, start: number, end: number, packet: number, newOnSubflow: boolean): void {
    const time = this.clock.now;
    const pending = this.pending;
    // The common case in headers-only captures: a segment whose bytes are not kept, continuing a waiting
    // range whose bytes are not kept either, with nothing after it to overlap. Extend that range.
    const capEnd = Math.min(end, origin + captured);
    const content = capEnd > start ? capEnd - start : 0;
    if (bytes === null || content === 0 || (content < end - start && this.hash === null && this.sink === null)) {
      const at = this.firstEndingAfter(start);
      const prev = at > 0 ? pending[at - 1] : null;
      if (prev !== null && prev.bytes === null && prev.offset + prev.length === start && (at === pending.length || pending[at].offset >= end)) {
        prev.length += end - start;
        prev.content += content;
        if (!prev.arrivals) prev.arrivals = [prev.arrival];
        prev.arrivals.push(time);
        this.pendingBytes += end - start;
        this.mergeWithNext(at - 1);
        return;
      }
    }
    // Split [start, end) around the pieces already waiting; compare where they overlap.
    let cur = start;
    let pieces: Piece[] | null = null; // made only when a new piece is needed (not on the append path)
    for (let i = this.firstEndingAfter(start); i < pending.length; i++) {
      const q = pending[i];
      if (q.offset >= end) break;
      if (q.offset > cur) (pieces ??= []).push(this.makePiece(origin, bytes, base, captured, cur, q.offset, packet));
      const ovStart = Math.max(cur, q.offset);
      const ovEnd = Math.min(end, q.offset + q.length);
      this.duplicateBytes += ovEnd - ovStart;
      if (newOnSubflow) this.reinjectedBytes += ovEnd - ovStart;
      if (bytes && q.bytes) {
        let differing = 0;
        let firstDiff = -1;
        const hi = Math.min(ovEnd, origin + captured, q.offset + q.bytes.length);
        for (let o = ovStart; o < hi; o++) {
          if (bytes[base + o - origin] !== q.bytes.at(o - q.offset)) { differing++; if (firstDiff < 0) firstDiff = o; }
        }
        if (differing > 0) this.recordConflict(firstDiff, differing, packet);
      }
      cur = ovEnd;
    }
    if (cur < end) {
      // The common case: a whole captured segment that continues a whole captured waiting piece. Append it.
      const at = this.firstEndingAfter(cur);
      const prev = at > 0 ? pending[at - 1] : null;
      if (bytes !== null && origin + captured >= end && prev !== null && prev.bytes !== null &&
        prev.content === prev.length && prev.offset + prev.length === cur && (at === pending.length || pending[at].offset >= end)) {
        this.appendTo(prev, bytes, base + cur - origin, base + end - origin);
        if (newOnSubflow) prev.newOnSubflow = true;
      } else (pieces ??= []).push(this.makePiece(origin, bytes, base, captured, cur, end, packet));
    }
    if (pieces === null) return;
    for (const piece of pieces) {
      piece.newOnSubflow = newOnSubflow;
      this.pendingBytes += piece.length;
      if (piece.bytes) this.budget.used += piece.bytes.length;
      const i = this.firstEndingAfter(piece.offset);
      // Uncaptured ranges that touch an uncaptured neighbour are merged: headers-only captures then keep
      // a handful of ranges per direction instead of one per segment.
      const prev = i > 0 ? pending[i - 1] : null;
      if (piece.bytes === null && prev && prev.bytes === null && prev.offset + prev.length === piece.offset) {
        prev.length += piece.length;
        prev.content += piece.content;
        mergeArrivals(prev, piece);
        this.mergeWithNext(i - 1);
        continue;
      }
      pending.splice(i, 0, piece);
      if (piece.bytes === null) this.mergeWithNext(i);
    }
  }

  /** Appends captured bytes `src[s .. e)` to a whole captured waiting piece that they continue. */
  private appendTo(prev: Piece, src: Buffer, s: number, e: number): void {
    const time = this.clock.now;
    const n = e - s;
    prev.bytes!.append(src, s, e, this.budget);
    prev.length += n;
    prev.content += n;
    this.pendingBytes += n;
    this.budget.used += n;
    if (!prev.arrivals) prev.arrivals = [prev.arrival];
    prev.arrivals.push(time);
  }

  /** Index of the first waiting piece that ends after `offset` (pieces are sorted and disjoint). */
  private firstEndingAfter(offset: number): number {
    const pending = this.pending;
    let lo = 0;
    let hi = pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pending[mid].offset + pending[mid].length <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private mergeWithNext(i: number): void {
    const a = this.pending[i];
    const b = this.pending[i + 1];
    if (b && a.bytes === null && b.bytes === null && a.offset + a.length === b.offset) {
      a.length += b.length;
      a.content += b.content;
      mergeArrivals(a, b);
      this.pending.splice(i + 1, 1);
    }
  }

  private makePiece(origin: number, bytes: Buffer | null, base: number, captured: number, start: number, end: number, packet: number): Piece {
    const time = this.clock.now;
    const capEnd = Math.min(end, origin + captured);
    const content = capEnd > start ? capEnd - start : 0;
    // A partly captured piece of a stream that is already incomplete and not being followed is only counted:
    // its bytes could never reach a hash or a reader, and keeping them would cost a copy per segment.
    const keep = bytes !== null && content > 0 && (content === end - start || this.hash !== null || this.sink !== null);
    const copy = keep ? ByteChain.copyOf(bytes!, base + start - origin, base + capEnd - origin, this.budget) : null;
    return { offset: start, bytes: copy, content, length: end - start, arrival: time, packet, reason: 'snaplen', newOnSubflow: false };
  }

  /** Delivers waiting pieces that have become contiguous. */
  private drain(): void {
    const time = this.clock.now;
    while (this.pending.length > 0 && this.pending[0].offset <= this.next) {
      const q = this.pending.shift()!;
      this.pendingBytes -= q.length;
      if (q.bytes) this.budget.used -= q.bytes.length;
      const qEnd = q.offset + q.length;
      if (q.offset < this.next) {
        // Part of this waiting piece was delivered meanwhile by another copy: a duplicate.
        const dupEnd = Math.min(qEnd, this.next);
        const dup = q.bytes ? q.bytes.slice(0, Math.min(dupEnd - q.offset, q.bytes.length)) : null;
        this.compareWithHistory(q.offset, dup, 0, dup ? dup.length : 0, q.offset, dupEnd, q.packet);
        this.duplicateBytes += dupEnd - q.offset;
        if (q.newOnSubflow) this.reinjectedBytes += dupEnd - q.offset;
      }
      if (qEnd <= this.next) {
        q.bytes?.release(this.budget);
        continue;
      }
      if (q.arrivals) {
        this.reorderedSegments += q.arrivals.length;
        for (const a of q.arrivals) this.delays.add(time > a ? time - a : 0);
      } else {
        this.reorderedSegments++;
        this.delays.add(time > q.arrival ? time - q.arrival : 0); // timestamps may go backwards
      }
      if (q.bytes) {
        this.deliverChain(q.offset, q.bytes, this.next, qEnd, q.reason, q.packet);
        q.bytes.release(this.budget);
      } else if (q.content === 0) this.deliverPiece(q.offset, null, 0, 0, this.next, qEnd, q.reason, q.packet);
      else this.countPiece(q, qEnd);
    }
  }

  /** Delivers a piece whose captured bytes were counted but not kept: its content is counted, the rest is a gap. */
  private countPiece(q: Piece, qEnd: number): void {
    const part = qEnd - this.next;
    const content = part === q.length ? q.content : Math.round((q.content * part) / q.length);
    this.dropHash();
    this.delivered += content;
    this.next += content;
    this.historyValidFrom = this.next;
    if (part > content) this.gap(part - content, q.reason, q.packet);
  }

  /** `drain` at time `time` (the first waiting piece's arrival, when giving up on a hole). */
  private drainAt(time: number): void {
    const clock = this.clock;
    const saved = clock.now;
    clock.now = time;
    this.drain();
    clock.now = saved;
  }

  /** Gives up on the hole before the first waiting piece (it never arrived, or memory ran out). */
  private skipToPending(reason: string): void {
    if (reason === 'buffer limit') this.bufferLimitHit = true;
    while ((this.pendingBytes > this.maxBuffer / 2 || this.budget.used > this.budget.limit) && this.pending.length > 0) {
      const first = this.pending[0];
      if (first.offset > this.next) this.gap(first.offset - this.next, reason, first.packet);
      this.drainAt(first.arrival);
    }
  }

  /** Bytes are still missing: holes before waiting pieces, or bytes announced beyond what arrived. */
  get hasHoles(): boolean {
    return this.pending.length > 0 || this.highest > this.next || this.dataFinOffset > this.next;
  }

  /**
   * Ends the stream: the holes before waiting pieces, and bytes mapped or announced up to DATA_FIN but never seen,
   * become gaps, each explained by `classify` (default: `lost in capture` before later data, else `not captured`).
   * `startKnown` is false when the data-level start (IDSN) was never learned.
   */
  finish(startKnown: boolean, classify: GapClassifier = defaultCause): void {
    while (this.pending.length > 0) {
      const first = this.pending[0];
      this.explain(first.offset, first.packet, classify);
      this.drainAt(first.arrival);
    }
    this.explain(Math.max(this.highest, this.dataFinOffset >= 0 ? this.dataFinOffset : 0), -1, classify);
    if (!startKnown) { this.dropHash(); this.missingReasons.add('start of the data not captured'); }
  }

  /** Declares [next, to) missing, in as many gaps as `classify` finds causes. */
  private explain(to: number, later: number, classify: GapClassifier): void {
    while (this.next < to) {
      const c = classify(this.next, to, later);
      const upTo = c.upTo > this.next ? Math.min(c.upTo, to) : to;
      this.gap(upTo - this.next, c.reason, c.packet);
    }
  }

  /** Lists a gap: merged into the previous one when it continues it with the same reason. */
  private recordGap(length: number, reason: string, packet: number): void {
    const gaps = this.gaps;
    const last = gaps.length > 0 ? gaps[gaps.length - 1] : null;
    if (last !== null && last.reason === reason && last.offset + last.length === this.next) {
      last.length += length;
      if (packet >= 0 && last.packets.length < MAX_GAP_PACKETS && !last.packets.includes(packet)) last.packets.push(packet);
      return;
    }
    if (gaps.length >= MAX_GAP_RECORDS) { this.gapsNotListed++; return; }
    gaps.push({ offset: this.next, length, reason, packets: packet >= 0 ? [packet] : [] });
  }

  /** sha256 of the delivered bytes, when every byte was delivered (no gap). */
  digest(): string | undefined {
    if (this.offload !== null) {
      if (!this.settled) throw new Error('DataStream.digest(): await settle() first (the hash runs on a worker)');
      return this.digestHex;
    }
    if (this.digestHex === undefined && this.hash) {
      this.flushHash();
      this.digestHex = this.hash.digest('hex');
    }
    return this.digestHex;
  }

  /** With a hash offload: collects the digest from the worker (after `finish()`). Without one: nothing to do. */
  async settle(): Promise<void> {
    if (this.offload === null || this.settled) return;
    this.settled = true;
    if (this.hash === null) return;
    this.flushHash();
    this.digestHex = await this.offload.digest(this.offloadId);
  }

  get complete(): boolean {
    return this.hash !== null;
  }
}

function defaultCause(_from: number, to: number, later: number): GapCause {
  return later >= 0 ? { upTo: to, reason: 'lost in capture', packet: later } : { upTo: to, reason: 'not captured', packet: -1 };
}

function mergeArrivals(into: Piece, from: Piece): void {
  if (!into.arrivals) into.arrivals = [into.arrival];
  if (from.arrivals) for (const a of from.arrivals) into.arrivals.push(a);
  else into.arrivals.push(from.arrival);
  if (from.arrival < into.arrival) into.arrival = from.arrival;
}
