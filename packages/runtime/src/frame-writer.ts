import { encode } from './codec.js';
import { Pid, Ref } from './pid.js';
import {
  T_UNDEFINED,
  T_NULL,
  T_FALSE,
  T_TRUE,
  T_INT32,
  T_FLOAT64,
  T_STRING,
  T_ARRAY,
  T_OBJECT,
  T_PID,
  T_REF,
  T_BLOB,
  T_ISTRING,
  T_IDREF,
  CHUNK,
  MAX_OBJECTS,
  MAX_DEPTH,
  MAX_INTERNED,
  MAX_INTERNED_VALUE,
  MAX_IDS,
  MAX_INTERNED_LENGTH,
} from './frame-format.js';

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const PID_PROTO = Pid.prototype;
const REF_PROTO = Ref.prototype;

/**
 * A top-level value already encoded (with the wire codec, `encode`) when it was queued: the
 * batch carries its bytes as a blob, and the reader returns the value. A sender queues one for
 * a message it must copy at send but cannot copy as a plain tree.
 */
export class PreEncoded {
  constructor(readonly bytes: Uint8Array) {}
}
/** Unwinds a value that is not a plain tree, to be written as a blob instead. */
const BAIL: unique symbol = Symbol('not a plain tree');

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** @internal Writes frame batches (see frame-codec.ts) into chunks of its own. */
export class Writer {
  buf = Buffer.allocUnsafeSlow(CHUNK);
  /** `buf` as a plain Uint8Array: its slice() is a builtin, Buffer's goes through the species constructor. */
  private u8 = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  pos = 0;
  /** Where the batch being written starts in `buf`. */
  private start = 0;
  /** Strings interned in this batch, by index (few: a linear search beats a Map's clear and hashing). */
  private readonly interned: string[] = [];
  /** The first MAX_IDS Pid and Ref objects written in this batch, by index. */
  private readonly ids: object[] = [];
  private readonly seen: Array<object | undefined> = new Array<object | undefined>(MAX_OBJECTS).fill(undefined);
  private nseen = 0;
  /** Most entries of `seen` used since the batch began: cleared at its end, not to hold on to payloads. */
  private maxSeen = 0;

  /** The batch of `values[from..to)` as a view of the writer's chunk (never written again). */
  encode(values: readonly unknown[], from: number, to: number): Uint8Array {
    this.write(values, from, to);
    return this.u8.subarray(this.start, this.pos);
  }

  /** The batch as a string of its bytes, one character per byte, when it is at most `maxString` bytes; otherwise as `encode`. */
  encodeLatin1(values: readonly unknown[], maxString: number): string | Uint8Array {
    this.write(values, 0, values.length);
    if (this.pos - this.start > maxString) return this.u8.subarray(this.start, this.pos);
    return this.buf.toString('latin1', this.start, this.pos);
  }

  private write(values: readonly unknown[], from: number, to: number): void {
    // Batches are laid one after another in a chunk, as msgpackr does: a view of a shared chunk
    // costs no allocation of memory of its own (a small copy would, each time).
    if (this.buf.length - this.pos < CHUNK / 4) this.fresh(CHUNK);
    this.start = this.pos = (this.pos + 7) & ~7;
    if (this.interned.length !== 0) this.interned.length = 0;
    if (this.ids.length !== 0) this.ids.length = 0;
    this.uvarint(to - from);
    for (let i = from; i < to; i++) this.top(values[i]);
    if (this.maxSeen > 0) this.seen.fill(undefined, 0, this.maxSeen);
    this.maxSeen = 0;
  }

  /** One top-level value: as a tree, or (rewound) as a blob. */
  private top(v: unknown): void {
    if (v instanceof PreEncoded) return this.blob(v.bytes);
    // Offsets from the batch's start: room() may move the batch to another chunk.
    const rel = this.pos - this.start;
    const internedBefore = this.interned.length;
    const idsBefore = this.ids.length;
    this.nseen = 0;
    try {
      this.value(v, 0);
    } catch (e) {
      if (e !== BAIL) throw e;
      this.pos = this.start + rel;
      // Strings interned by the abandoned attempt must not be referenced: the reader never saw them.
      this.interned.length = internedBefore;
      this.ids.length = idsBefore;
      this.blob(encode(v));
    }
    if (this.nseen > this.maxSeen) this.maxSeen = this.nseen;
  }

  /** A value's msgpackr bytes, read back as that value. */
  private blob(bytes: Uint8Array): void {
    this.room(bytes.length + 6);
    this.buf[this.pos++] = T_BLOB;
    this.uvarint(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private value(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'number':
        return this.number(v);
      case 'string':
        return this.string(v);
      case 'boolean':
        this.room(1);
        this.buf[this.pos++] = v ? T_TRUE : T_FALSE;
        return;
      case 'undefined':
        this.room(1);
        this.buf[this.pos++] = T_UNDEFINED;
        return;
      case 'object':
        if (v === null) {
          this.room(1);
          this.buf[this.pos++] = T_NULL;
          return;
        }
        return this.object(v, depth);
      default:
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a private sentinel, caught in top()
        throw BAIL;
    }
  }

  private number(v: number): void {
    this.room(9);
    const buf = this.buf;
    // -0 is written as 0, as msgpackr does (see encodable.ts: the codec normalises it).
    if ((v | 0) === v) {
      if (v >= 0 && v < 0x80) buf[this.pos++] = v;
      else {
        buf[this.pos++] = T_INT32;
        buf.writeInt32LE(v, this.pos);
        this.pos += 4;
      }
      return;
    }
    buf[this.pos++] = T_FLOAT64;
    buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  private string(s: string): void {
    this.room(1);
    if (s.length <= MAX_INTERNED_VALUE) {
      this.buf[this.pos++] = T_ISTRING;
      this.internedString(s);
      return;
    }
    this.buf[this.pos++] = T_STRING;
    this.stringBody(s);
  }

  /** uvarint byte length, then the UTF-8 bytes. */
  private stringBody(s: string): void {
    if (!this.ascii(s, 1)) this.utf8(s, 1);
  }

  /** Writes `s` with a uvarint header of (byte length × `scale`) when it is short ASCII; false (nothing written) otherwise. */
  private ascii(s: string, scale: number): boolean {
    const n = s.length;
    if (n * scale >= 0x80) return false;
    this.room(n + 1);
    const buf = this.buf;
    const at = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[at + 1 + i] = c;
    }
    buf[at] = n * scale;
    this.pos = at + 1 + n;
    return true;
  }

  private utf8(s: string, scale: number): void {
    const bytes = Buffer.byteLength(s, 'utf8');
    this.uvarint(bytes * scale);
    this.room(bytes);
    this.buf.write(s, this.pos, bytes, 'utf8');
    this.pos += bytes;
  }

  /** A string likely to repeat in the batch: a reference when it was written before. */
  private internedString(s: string): void {
    const t = this.interned;
    const n = t.length;
    for (let i = 0; i < n; i++) {
      if (t[i] === s) {
        this.room(1);
        this.buf[this.pos++] = i * 2 + 1;
        return;
      }
    }
    if (s.length <= MAX_INTERNED_LENGTH && n < MAX_INTERNED) t.push(s);
    if (!this.ascii(s, 2)) this.utf8(s, 2);
  }

  private object(o: object, depth: number): void {
    if (this.nseen >= MAX_OBJECTS || depth > MAX_DEPTH) throw BAIL; // eslint-disable-line @typescript-eslint/only-throw-error -- see BAIL
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto === PID_PROTO || proto === REF_PROTO) {
      const id = o as Pid | Ref;
      const ids = this.ids;
      for (let i = 0; i < ids.length; i++) {
        if (ids[i] === o) {
          this.room(2);
          this.buf[this.pos++] = T_IDREF;
          this.buf[this.pos++] = i;
          return;
        }
      }
      if (proto === PID_PROTO) {
        // A pid leaving its node must be resolvable by id when it comes back (as codec.ts does).
        const p = (id as Pid).proc;
        if (p !== null) p.$k.export(p);
      }
      if (!isCount(id.id) || !isCount(id.incarnation)) throw BAIL; // eslint-disable-line @typescript-eslint/only-throw-error -- see BAIL
      this.room(1);
      this.buf[this.pos++] = proto === PID_PROTO ? T_PID : T_REF;
      this.internedString(id.node);
      this.room(16);
      this.uvarint(id.id);
      this.uvarint(id.incarnation);
      if (ids.length < MAX_IDS) ids.push(o);
      return;
    }
    if (proto !== OBJECT_PROTO && proto !== ARRAY_PROTO) throw BAIL; // eslint-disable-line @typescript-eslint/only-throw-error -- see BAIL
    // Met twice (shared or cyclic): only msgpackr's structured clone keeps that.
    for (let i = 0; i < this.nseen; i++) if (this.seen[i] === o) throw BAIL; // eslint-disable-line @typescript-eslint/only-throw-error -- see BAIL
    this.seen[this.nseen++] = o;
    if (proto === ARRAY_PROTO) {
      const a = o as unknown[];
      const n = a.length;
      this.room(6);
      this.buf[this.pos++] = T_ARRAY;
      this.uvarint(n);
      for (let i = 0; i < n; i++) this.value(a[i], depth + 1);
      return;
    }
    const rec = o as Record<string, unknown>;
    this.room(2);
    this.buf[this.pos++] = T_OBJECT;
    // The key count, written once known; an object of 128 keys or more goes as a blob.
    const at = this.pos++ - this.start;
    let n = 0;
    for (const k in rec) {
      // Inherited enumerable keys are not sent (as msgpackr does not); '__proto__' would set the copy's prototype.
      if (!Object.hasOwn(rec, k)) continue;
      if (k === '__proto__' || ++n >= 0x80) throw BAIL; // eslint-disable-line @typescript-eslint/only-throw-error -- see BAIL
      this.internedString(k);
      this.value(rec[k], depth + 1);
    }
    this.buf[this.start + at] = n;
  }

  private uvarint(v: number): void {
    this.room(8);
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.pos++] = v;
  }

  /** Room for `n` more bytes: the batch so far moves to a larger chunk when it must (earlier views keep the old one). */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const from = this.u8.subarray(this.start, this.pos);
    this.fresh(Math.max(CHUNK, 2 * (this.pos - this.start + n)));
    this.u8.set(from);
    this.pos = from.length;
    this.start = 0;
  }

  private fresh(size: number): void {
    this.buf = Buffer.allocUnsafeSlow(size);
    this.u8 = new Uint8Array(this.buf.buffer, this.buf.byteOffset, size);
    this.pos = 0;
    this.start = 0;
  }
}
