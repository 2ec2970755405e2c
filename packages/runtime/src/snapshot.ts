import { Pid, Ref } from './pid.js';
import type { Frame } from './transport.js';
import { FRAME_FIELDS } from './frame-layout.js';

/*
 * Capturing a frame at send time without encoding it.
 *
 * A frame sent to a peer must arrive as it was when `send` was called (OTP copies at send), but
 * encoding each frame on its own costs a msgpack call per frame (~1 µs: setup, an inline
 * record definition per frame), while encoding a turn's frames as one array costs ~0.3 µs a
 * frame. So `send` takes a snapshot instead: a copy of the frame's plain objects and arrays
 * (primitives as they are; Pid and Ref, which are immutable, shared), and the flush at the end
 * of the turn encodes the snapshots as one array.
 *
 * Only small, plain, tree-shaped frames are snapshotted: anything else (a class instance, Map,
 * Set, Date, typed array, Error, BigInt, function or symbol, an object met twice — shared or
 * cyclic —, more than MAX_OBJECTS objects, or an encoded size that could pass the limit) makes
 * `takeFrame` return false, and the caller encodes the frame right away as before, which also
 * gives its exact size for maxFrameBytes.
 *
 * `takeFrame` snapshots a frame flat, as its tag then its fields in FRAME_FIELDS order (the
 * layout of a REC_FRAMES record): the frame object itself is the runtime's, made for this send;
 * its fields' values are what a copy is made of.
 *
 * `bound` is an upper bound of the snapshot's msgpack size wherever it is encoded (alone or in
 * an array): strings count 3 bytes per UTF-16 unit plus a 5-byte header, numbers 9, objects 16
 * plus their keys, pids and refs 48 plus their node name.
 */

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const PID_PROTO = Pid.prototype;
const REF_PROTO = Ref.prototype;
/** Most objects (plain objects, arrays, pids, refs) one snapshot may hold. */
const MAX_OBJECTS = 64;
const BAIL = -1;

/** What `Snapshotter.copy` returns for a value it cannot copy (it must be encoded instead). */
export const NOT_COPIED: unique symbol = Symbol('not copied');

export class Snapshotter {
  /** Bound of the last snapshot taken (see above). */
  bound = 0;
  private budget = 0;
  private readonly seen: Array<object | undefined> = new Array<object | undefined>(MAX_OBJECTS).fill(undefined);
  private nseen = 0;

  /** @param limit the largest `bound` a snapshot may have; a larger frame is not snapshotted. */
  constructor(private readonly limit: number) {}

  /** Tag then field values of the last frame snapshotted by `takeFrame`: its first `flatLength` entries. */
  readonly flat: unknown[] = new Array<unknown>(8).fill(undefined);
  flatLength = 0;

  /**
   * Snapshots `frame` flat into `flat` (tag, then FRAME_FIELDS' values); false when it must be
   * encoded instead (see above). `bound` then bounds the encoded size of `flat`'s values.
   */
  takeFrame(frame: Frame): boolean {
    const fields = FRAME_FIELDS[frame.t];
    if (fields === undefined) return false;
    this.bound = 5 + 3 * frame.t.length;
    this.budget = MAX_OBJECTS;
    this.nseen = 0;
    const flat = this.flat;
    this.flatLength = fields.length + 1;
    flat[0] = frame.t;
    const f = frame as unknown as Record<string, unknown>;
    for (let i = 0; i < fields.length && this.budget >= 0; i++) flat[i + 1] = this.val(f[fields[i]!]);
    this.forget();
    return this.budget >= 0 && this.bound <= this.limit;
  }

  /**
   * A copy of one value as a snapshot takes it (plain objects and arrays copied, primitives,
   * pids and refs as they are), or NOT_COPIED for anything a snapshot would not take.
   */
  copy(v: unknown): unknown {
    this.bound = 0;
    this.budget = MAX_OBJECTS;
    this.nseen = 0;
    const out = this.val(v);
    this.forget();
    return this.budget >= 0 && this.bound <= this.limit ? out : NOT_COPIED;
  }

  /** Clears the objects met (a loop: `fill` is a builtin call, dearer than the one or two there usually are). */
  private forget(): void {
    for (let i = 0; i < this.nseen; i++) this.seen[i] = undefined;
  }

  private val(v: unknown): unknown {
    switch (typeof v) {
      case 'number':
        this.bound += 9;
        return v;
      case 'string':
        this.bound += 5 + 3 * v.length;
        return v;
      case 'boolean':
      case 'undefined':
        this.bound += 3;
        return v;
      case 'object':
        if (v === null) {
          this.bound += 1;
          return v;
        }
        return this.obj(v);
      default:
        this.budget = BAIL;
        return undefined;
    }
  }

  private obj(v: object): unknown {
    if (--this.budget < 0 || this.bound > this.limit) {
      this.budget = BAIL;
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === PID_PROTO || proto === REF_PROTO) {
      this.bound += 48 + 3 * (v as Pid | Ref).node.length;
      return v;
    }
    if (proto !== OBJECT_PROTO && proto !== ARRAY_PROTO) {
      this.budget = BAIL;
      return undefined;
    }
    // Shared or cyclic: encoding keeps the sharing, a copy would not.
    for (let i = 0; i < this.nseen; i++) {
      if (this.seen[i] === v) {
        this.budget = BAIL;
        return undefined;
      }
    }
    this.seen[this.nseen++] = v;
    if (proto === ARRAY_PROTO) {
      const a = v as unknown[];
      const n = a.length;
      this.bound += 5;
      if (n > this.limit) {
        this.budget = BAIL;
        return undefined;
      }
      const out = new Array<unknown>(n);
      for (let i = 0; i < n && this.budget >= 0 && this.bound <= this.limit; i++) out[i] = this.val(a[i]);
      return out;
    }
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    this.bound += 16;
    for (const k in o) {
      // Inherited enumerable keys are skipped (as the encoder does); '__proto__' would set the copy's prototype.
      if (!Object.hasOwn(o, k) || k === '__proto__') {
        this.budget = BAIL;
        return undefined;
      }
      this.bound += 5 + 3 * k.length;
      out[k] = this.val(o[k]);
      if (this.budget < 0 || this.bound > this.limit) {
        this.budget = BAIL;
        return undefined;
      }
    }
    return out;
  }
}
