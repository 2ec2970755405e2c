import { decode } from './codec.js';
import { Pid, Ref } from './pid.js';
import {
  BadBatchError,
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
  MAX_DEPTH,
  MAX_INTERNED,
  MAX_IDS,
  MAX_INTERNED_LENGTH,
} from './frame-format.js';

const EMPTY = Buffer.alloc(0);
/** Longest string the reader caches (see stringBody), and the cache's size (a power of two). */
const CACHED_LENGTH = 32;
const STRING_CACHE_SIZE = 1024;
const stringCache = new Array<string | undefined>(STRING_CACHE_SIZE).fill(undefined);

/** @internal Reads frame batches (see frame-codec.ts). */
export class Reader {
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
