/**
 * Arrow column builders over typed arrays, filled one value at a time without per-value objects: 64-bit
 * integers are written as two 32-bit halves (no BigInt), strings are dictionary-encoded (one index per value),
 * lists are offsets into a child builder. `data()` hands the row group to apache-arrow as it is.
 */
import * as arrow from 'apache-arrow';

/** A cell of the generic row API (report tables): numbers, bigint where 64 bits are needed, lists as arrays. */
export type Cell = string | number | bigint | boolean | null | readonly number[] | readonly string[];

const TWO32 = 0x1_0000_0000;

export abstract class ColumnBuilder {
  length = 0;
  protected nulls = 0;
  protected valid: Uint8Array;
  constructor(protected capacity: number) { this.valid = new Uint8Array((capacity + 7) >> 3); }
  abstract readonly type: arrow.DataType;
  /** Appends a value of the generic row API (null allowed). */
  abstract push(v: Cell): void;
  abstract data(): arrow.Data;
  protected abstract growValues(capacity: number): void;
  protected slot(): number {
    if (this.length === this.capacity) {
      const cap = this.capacity * 2;
      const v = new Uint8Array((cap + 7) >> 3);
      v.set(this.valid);
      this.valid = v;
      this.growValues(cap);
      this.capacity = cap;
    }
    const i = this.length++;
    this.valid[i >> 3] |= 1 << (i & 7);
    return i;
  }
  pushNull(): void {
    const i = this.slot();
    this.valid[i >> 3] &= ~(1 << (i & 7));
    this.nulls++;
  }
  reset(): void {
    this.length = 0;
    this.nulls = 0;
    this.valid.fill(0);
  }
  protected validity(): Uint8Array | undefined {
    return this.nulls === 0 ? undefined : this.valid.subarray(0, (this.length + 7) >> 3);
  }
}

type IntArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/** 8-, 16- and 32-bit integers and doubles. */
export class NumberBuilder extends ColumnBuilder {
  private values: IntArray;
  constructor(readonly type: arrow.Uint8 | arrow.Uint16 | arrow.Uint32 | arrow.Int32 | arrow.Float64, capacity: number) {
    super(capacity);
    this.values = new (type.ArrayType as new (n: number) => IntArray)(capacity);
  }
  protected growValues(cap: number): void { const v = new (this.type.ArrayType as new (n: number) => IntArray)(cap); v.set(this.values); this.values = v; }
  pushNumber(v: number): void { this.values[this.slot()] = v; }
  push(v: Cell): void { if (v === null || v === undefined) this.pushNull(); else this.pushNumber(Number(v)); }
  data(): arrow.Data { return arrow.makeData({ type: this.type as arrow.Uint32, length: this.length, nullCount: this.nulls, nullBitmap: this.validity(), data: this.values.subarray(0, this.length) as Uint32Array }); }
}

/** 64-bit integers and timestamps (microseconds), stored as little-endian 32-bit halves. */
export class Int64Builder extends ColumnBuilder {
  private halves: Uint32Array;
  constructor(readonly type: arrow.Uint64 | arrow.Int64 | arrow.TimestampMicrosecond, capacity: number) {
    super(capacity);
    this.halves = new Uint32Array(capacity * 2);
  }
  protected growValues(cap: number): void { const v = new Uint32Array(cap * 2); v.set(this.halves); this.halves = v; }
  pushHiLo(hi: number, lo: number): void { const i = this.slot() * 2; this.halves[i] = lo; this.halves[i + 1] = hi; }
  /** A non-negative integer below 2^53. */
  pushNumber(v: number): void { const hi = Math.floor(v / TWO32); this.pushHiLo(hi, v - hi * TWO32); }
  push(v: Cell): void {
    if (v === null || v === undefined) this.pushNull();
    else if (typeof v === 'bigint') this.pushHiLo(Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn));
    else this.pushNumber(Number(v));
  }
  data(): arrow.Data {
    const buf = this.halves.buffer;
    const values = this.type instanceof arrow.Uint64 ? new BigUint64Array(buf, 0, this.length) : new BigInt64Array(buf, 0, this.length);
    return arrow.makeData({ type: this.type as arrow.Uint64, length: this.length, nullCount: this.nulls, nullBitmap: this.validity(), data: values as BigUint64Array });
  }
}

export class BoolBuilder extends ColumnBuilder {
  readonly type = new arrow.Bool();
  private bits: Uint8Array;
  constructor(capacity: number) { super(capacity); this.bits = new Uint8Array((capacity + 7) >> 3); }
  protected growValues(cap: number): void { const v = new Uint8Array((cap + 7) >> 3); v.set(this.bits); this.bits = v; }
  pushBool(b: boolean): void { const i = this.slot(); if (b) this.bits[i >> 3] |= 1 << (i & 7); }
  push(v: Cell): void { if (v === null || v === undefined) this.pushNull(); else this.pushBool(Boolean(v)); }
  reset(): void { super.reset(); this.bits.fill(0); }
  data(): arrow.Data { return arrow.makeData({ type: this.type, length: this.length, nullCount: this.nulls, nullBitmap: this.validity(), data: this.bits.subarray(0, (this.length + 7) >> 3) }); }
}

const encoder = new TextEncoder();

/** Strings, dictionary-encoded: each distinct string of the row group is stored once. */
export class StringBuilder extends ColumnBuilder {
  readonly type: arrow.Dictionary<arrow.Utf8, arrow.Int32>;
  private indexes: Int32Array;
  private readonly ids = new Map<string, number>();
  private words: string[] = [];
  constructor(dictionaryId: number, capacity: number) {
    super(capacity);
    this.type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), dictionaryId);
    this.indexes = new Int32Array(capacity);
  }
  protected growValues(cap: number): void { const v = new Int32Array(cap); v.set(this.indexes); this.indexes = v; }
  pushString(s: string): void {
    let id = this.ids.get(s);
    if (id === undefined) { id = this.words.length; this.ids.set(s, id); this.words.push(s); }
    this.indexes[this.slot()] = id;
  }
  push(v: Cell): void { if (v === null || v === undefined) this.pushNull(); else this.pushString(String(v)); }
  reset(): void { super.reset(); this.ids.clear(); this.words = []; }
  data(): arrow.Data {
    const dictionary = arrow.makeVector(utf8Data(this.words));
    return arrow.makeData({ type: this.type, length: this.length, nullCount: this.nulls, nullBitmap: this.validity(), data: this.indexes.subarray(0, this.length), dictionary });
  }
}

/** Plain (not dictionary) Utf8 data of a list of strings. */
function utf8Data(words: readonly string[]): arrow.Data<arrow.Utf8> {
  const seen = new Map<string, Uint8Array>();
  const parts = words.map((w) => {
    let b = seen.get(w);
    if (b === undefined) { b = encoder.encode(w); seen.set(w, b); }
    return b;
  });
  const offsets = new Int32Array(parts.length + 1);
  let total = 0;
  parts.forEach((p, i) => { total += p.length; offsets[i + 1] = total; });
  const bytes = new Uint8Array(total);
  parts.forEach((p, i) => bytes.set(p, offsets[i]));
  return arrow.makeData({ type: new arrow.Utf8(), length: parts.length, nullCount: 0, valueOffsets: offsets, data: bytes });
}

/** Lists of strings (each list's strings kept as they come; the lists of a row group are short). */
export class StringListBuilder extends ColumnBuilder {
  readonly type = new arrow.List(new arrow.Field('element', new arrow.Utf8(), false));
  private offsets: Int32Array;
  private items: string[] = [];
  constructor(capacity: number) { super(capacity); this.offsets = new Int32Array(capacity + 1); }
  protected growValues(cap: number): void { const v = new Int32Array(cap + 1); v.set(this.offsets); this.offsets = v; }
  pushList(list: readonly string[]): void {
    const i = this.slot();
    for (let k = 0; k < list.length; k++) this.items.push(list[k]);
    this.offsets[i + 1] = this.items.length;
  }
  pushNull(): void { super.pushNull(); this.offsets[this.length] = this.items.length; }
  push(v: Cell): void { if (v === null || v === undefined) this.pushNull(); else this.pushList(v as readonly string[]); }
  reset(): void { super.reset(); this.items = []; }
  data(): arrow.Data {
    return arrow.makeData({ type: this.type, length: this.length, nullCount: this.nulls, nullBitmap: this.validity(), valueOffsets: this.offsets.subarray(0, this.length + 1), child: utf8Data(this.items) });
  }
}

/** Lists of integers (32- or 64-bit elements). */
export class NumberListBuilder extends ColumnBuilder {
  readonly type: arrow.List;
  private offsets: Int32Array;
  private readonly child: NumberBuilder | Int64Builder;
  constructor(element: arrow.Uint32 | arrow.Int32 | arrow.Uint64, capacity: number) {
    super(capacity);
    this.type = new arrow.List(new arrow.Field('element', element, false));
    this.offsets = new Int32Array(capacity + 1);
    this.child = element instanceof arrow.Uint64 ? new Int64Builder(element, 64) : new NumberBuilder(element, 64);
  }
  protected growValues(cap: number): void { const v = new Int32Array(cap + 1); v.set(this.offsets); this.offsets = v; }
  push(v: Cell): void {
    if (v === null || v === undefined) { this.pushNull(); this.offsets[this.length] = this.child.length; return; }
    const i = this.slot();
    for (const x of v as readonly number[]) this.child.push(x);
    this.offsets[i + 1] = this.child.length;
  }
  reset(): void { super.reset(); this.child.reset(); }
  data(): arrow.Data {
    return arrow.makeData({ type: this.type, length: this.length, nullCount: this.nulls, nullBitmap: this.validity(), valueOffsets: this.offsets.subarray(0, this.length + 1), child: this.child.data() });
  }
}
