import { decode, encode } from './codec.js';
import { Pid, Ref } from './pid.js';

/** @internal
 * The codec of flat frame batches (frame-layout.ts) between schedulers and between nodes.
 *
 * A batch is mostly the runtime's own envelope (tags, pids, refs, kinds) around small user
 * payloads of plain trees. msgpackr with structured cloning costs several µs per call frame
 * for that: it tracks every object for shared references and turns every Pid and Ref into an
 * array through an extension. Here each top-level value is written in a small format of our
 * own when it is a plain tree (primitives, plain objects, arrays, Pid, Ref; each object met
 * once, at most MAX_OBJECTS of them, at most MAX_DEPTH deep); anything else (Map, Set, Date,
 * BigInt, typed arrays, errors, shared or cyclic references, large trees) goes as a msgpackr
 * blob of that value alone, which keeps every structured-clone semantic. Strings that tend to
 * repeat within a batch (node names, object keys) are written once and referenced after.
 *
 * Layout: [count uvarint] then `count` values. A value is one byte `b`:
 *   b < 0x80: the integer b;
 *   0x80 undefined, 0x81 null, 0x82 false, 0x83 true,
 *   0x84 int32 LE, 0x85 float64 LE, 0x86 string (uvarint byte length, UTF-8),
 *   0x87 array (uvarint length, values), 0x88 object (uvarint length, then interned key and value each),
 *   0x89 Pid (interned node, uvarint id, uvarint incarnation), 0x8a Ref (likewise),
 *   0x8b msgpackr blob (uvarint length, bytes), 0x8c an interned string (short ones),
 *   0x8d a Pid or Ref object met before in the batch: its index (one byte) in the batch's table
 *   of the first MAX_IDS pids and refs written.
 * An interned string is a uvarint n: n odd, the string at index n >> 1 of this batch's table;
 * n even, n / 2 UTF-8 bytes follow, and the string takes the table's next index when it is at
 * most MAX_INTERNED_LENGTH characters long and the table holds fewer than MAX_INTERNED.
 */

const T_UNDEFINED = 0x80;
const T_NULL = 0x81;
const T_FALSE = 0x82;
const T_TRUE = 0x83;
const T_INT32 = 0x84;
const T_FLOAT64 = 0x85;
const T_STRING = 0x86;
const T_ARRAY = 0x87;
const T_OBJECT = 0x88;
const T_PID = 0x89;
const T_REF = 0x8a;
const T_BLOB = 0x8b;
const T_ISTRING = 0x8c;
const T_IDREF = 0x8d;

/** Bytes of a chunk batches are written into (see Writer.encode). */
const CHUNK = 64 * 1024;
/** Objects (plain objects, arrays, pids, refs) one value may hold and still be written as a tree. */
const MAX_OBJECTS = 64;
/** Deepest tree written as one; deeper goes as a blob (msgpackr carries up to ~1,000 levels). */
const MAX_DEPTH = 32;
/** Strings interned per batch (node names and keys); later ones are written inline. */
const MAX_INTERNED = 32;
/** Longest string value (not a key or node name) interned: frame tags, short words. */
const MAX_INTERNED_VALUE = 16;
/** Pids and refs remembered per batch (a frame's target, a caller: the same objects frame after frame). */
const MAX_IDS = 16;
/** Longest string interned. */
const MAX_INTERNED_LENGTH = 64;

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const PID_PROTO = Pid.prototype;
const REF_PROTO = Ref.prototype;

/** Unwinds a value that is not a plain tree, to be written as a blob instead. */
const BAIL: unique symbol = Symbol('not a plain tree');

class Writer {
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
      const bytes = encode(v);
      this.room(bytes.length + 6);
      this.buf[this.pos++] = T_BLOB;
      this.uvarint(bytes.length);
      this.buf.set(bytes, this.pos);
      this.pos += bytes.length;
    }
    if (this.nseen > this.maxSeen) this.maxSeen = this.nseen;
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

/** @internal A batch that is not what `encodeValues` writes: truncated, an unknown tag, too deep... */
export class BadBatchError extends Error {
  override name = 'BadBatchError';
}

class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Where the batch ends in `buf`. */
  private end = 0;
  private strings: string[] = [];
  private ids: Array<Pid | Ref> = [];

  decode(bytes: Uint8Array, end = bytes.length): unknown[] {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = end;
    this.pos = 0;
    this.strings = [];
    this.ids = [];
    const n = this.uvarint();
    // Each value takes at least a byte: a count past the bytes left is a lie.
    if (n > this.end - this.pos) throw new BadBatchError(`a batch claiming ${n} values in ${this.end} bytes`);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(0);
    if (this.pos !== this.end) throw new BadBatchError(`${this.end - this.pos} bytes after the last value of a batch`);
    this.buf = EMPTY;
    return out;
  }

  private value(depth: number): unknown {
    const b = this.byte();
    if (b < 0x80) return b;
    switch (b) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT32: {
        this.need(4);
        const v = this.buf.readInt32LE(this.pos);
        this.pos += 4;
        return v;
      }
      case T_FLOAT64: {
        this.need(8);
        const v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
      }
      case T_STRING:
        return this.stringBody(this.uvarint());
      case T_ISTRING:
        return this.internedString();
      case T_IDREF: {
        const id = this.ids[this.byte()];
        if (id === undefined) throw new BadBatchError('a reference to a pid or ref not yet in the batch');
        return id;
      }
      case T_ARRAY: {
        if (depth > MAX_DEPTH) throw new BadBatchError('a value nested deeper than a batch holds');
        const n = this.uvarint();
        if (n > this.end - this.pos) throw new BadBatchError(`an array claiming ${n} items past the end of a batch`);
        const a = new Array<unknown>(n);
        for (let i = 0; i < n; i++) a[i] = this.value(depth + 1);
        return a;
      }
      case T_OBJECT: {
        if (depth > MAX_DEPTH) throw new BadBatchError('a value nested deeper than a batch holds');
        const n = this.uvarint();
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.internedString();
          if (k === '__proto__') throw new BadBatchError("an object with a '__proto__' key");
          o[k] = this.value(depth + 1);
        }
        return o;
      }
      case T_PID:
      case T_REF: {
        const node = this.internedString();
        const id = this.uvarint();
        const inc = this.uvarint();
        const v = b === T_PID ? new Pid(node, id, inc) : new Ref(node, id, inc);
        if (this.ids.length < MAX_IDS) this.ids.push(v);
        return v;
      }
      case T_BLOB: {
        const n = this.uvarint();
        this.need(n);
        // A copy: msgpackr may decode binary data as views of its input, which may be reused (decodeValuesLatin1).
        const v = decode(Uint8Array.prototype.slice.call(this.buf, this.pos, this.pos + n));
        this.pos += n;
        return v;
      }
      default:
        throw new BadBatchError(`an unknown tag 0x${b.toString(16)} in a batch`);
    }
  }

  private internedString(): string {
    const n = this.uvarint();
    if (n % 2 === 1) {
      const s = this.strings[(n - 1) / 2];
      if (s === undefined) throw new BadBatchError('a reference to a string not yet in the batch');
      return s;
    }
    const s = this.stringBody(n / 2);
    if (s.length <= MAX_INTERNED_LENGTH && this.strings.length < MAX_INTERNED) this.strings.push(s);
    return s;
  }

  private stringBody(bytes: number): string {
    this.need(bytes);
    const buf = this.buf;
    const start = this.pos;
    const end = start + bytes;
    this.pos = end;
    if (bytes > CACHED_LENGTH) return buf.toString('utf8', start, end);
    // Short ASCII (tags, keys, node names): the same few strings batch after batch, so they
    // come from a cache, checked byte by byte, rather than being built and hashed again.
    let h = bytes;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return buf.toString('utf8', start, end);
      h = (h * 31 + c) | 0;
    }
    const slot = h & (STRING_CACHE_SIZE - 1);
    const cached = stringCache[slot];
    if (cached !== undefined && cached.length === bytes) {
      let i = 0;
      while (i < bytes && cached.charCodeAt(i) === buf[start + i]) i++;
      if (i === bytes) return cached;
    }
    const s = buf.toString('latin1', start, end);
    stringCache[slot] = s;
    return s;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new BadBatchError('a truncated batch');
    return this.buf[this.pos++]!;
  }

  private need(n: number): void {
    if (this.end - this.pos < n) throw new BadBatchError('a truncated batch');
  }

  private uvarint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    throw new BadBatchError('a number longer than a batch writes');
  }
}

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

const EMPTY = Buffer.alloc(0);
/** Longest string the reader caches (see stringBody), and the cache's size (a power of two). */
const CACHED_LENGTH = 32;
const STRING_CACHE_SIZE = 1024;
const stringCache = new Array<string | undefined>(STRING_CACHE_SIZE).fill(undefined);
const writer = new Writer();
let writing = false;
const reader = new Reader();

/** @internal Encodes `values[from..to)` as one batch (see above): bytes of their own. */
export function encodeValues(values: readonly unknown[], from = 0, to = values.length): Uint8Array {
  // A getter in a payload that encodes a batch itself gets a writer of its own.
  if (writing) return new Writer().encode(values, from, to);
  writing = true;
  try {
    return writer.encode(values, from, to);
  } finally {
    writing = false;
  }
}

/** @internal Decodes a batch `encodeValues` wrote; BadBatchError (or a msgpackr error from a blob) when it is not one. Nothing decoded is a view of `bytes`. */
export function decodeValues(bytes: Uint8Array): unknown[] {
  return reader.decode(bytes);
}

/** @internal
 * `encodeValues`, but a batch of at most `maxString` bytes comes as a string of its bytes, one
 * character per byte (cheap to post to another thread); a larger one as a view, as `encodeValues` gives it.
 */
export function encodeValuesLatin1(values: readonly unknown[], maxString: number): string | Uint8Array {
  if (writing) return new Writer().encodeLatin1(values, maxString);
  writing = true;
  try {
    return writer.encodeLatin1(values, maxString);
  } finally {
    writing = false;
  }
}

let scratch = Buffer.allocUnsafeSlow(CHUNK);

/** @internal Decodes a batch given as `encodeValuesLatin1` wrote it, through a buffer reused from batch to batch. */
export function decodeValuesLatin1(s: string): unknown[] {
  if (s.length > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(s.length, 2 * scratch.length));
  const n = scratch.write(s, 0, s.length, 'latin1');
  return reader.decode(scratch, n);
}
