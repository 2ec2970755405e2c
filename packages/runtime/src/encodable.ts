import { UnencodableError, describeValue } from './errors.js';
import { Pid, Ref } from './pid.js';

/*
 * What the wire codec (msgpackr with structuredClone, plus our Pid, Ref and Error extensions)
 * carries faithfully: primitives, plain and null-prototype objects, arrays, Map, Set, Date,
 * RegExp, ArrayBuffer, DataView, typed arrays, Buffer, Pid, Ref, and errors (by name,
 * message, stack, cause and own fields), with shared and cyclic references. Anything else it
 * silently drops or flattens: a function field decodes as undefined, a class instance as a
 * plain object, a Map subclass as `{}`, a symbol-keyed property vanishes, an own '__proto__' key
 * is renamed. `checkEncodable`
 * refuses those before they are sent, so the loss is an error at the sender, not a surprise
 * at the receiver.
 *
 * Not refused, because the codec only normalises them: -0 arrives as 0, array holes as
 * undefined, a null-prototype object with Object.prototype, a getter as its value, and
 * non-index properties of an array are dropped.
 */

// Objects the codec copies whole, with no fields of ours inside to check. Exact prototypes:
// msgpackr matches these by instanceof, so a subclass would arrive as the base class.
const LEAF_PROTOTYPES = new Set<object>([
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Buffer.prototype,
  Uint8Array.prototype,
  Uint8ClampedArray.prototype,
  Uint16Array.prototype,
  Uint32Array.prototype,
  Int8Array.prototype,
  Int16Array.prototype,
  Int32Array.prototype,
  Float32Array.prototype,
  Float64Array.prototype,
  BigInt64Array.prototype,
  BigUint64Array.prototype,
]);

// The common case (a small tree of plain objects) is walked without remembering what was
// seen, which is what makes it cheap. A walk that goes on too long might be looping on a
// cycle, or re-walking shared subtrees exponentially often, so it starts over with a
// visited set.
const UNTRACKED_NODES = 2_000;
const UNTRACKED_DEPTH = 64;
// msgpackr encodes recursively and overflows the stack somewhere past 1,000 levels.
const MAX_DEPTH = 1_000;
const START_OVER: unique symbol = Symbol('start over with a visited set');

interface Walk {
  seen: Set<object> | null;
  budget: number;
}

/** Where the walk found something unencodable: `segments` innermost first. */
interface Failure {
  given: string;
  segments: string[];
}

/**
 * Throws an `UnencodableError` if `value` holds anything the wire codec would lose or alter
 * (a function, a symbol, a WeakMap, a Promise, a class instance without an encoder, a
 * symbol-keyed property...). `what` names the value in the error's path: `message.items[3]`.
 * Call it before a value crosses a thread or node boundary.
 */
export function checkEncodable(value: unknown, what = 'message'): void {
  if (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') return;
  if (value === null) return;
  let failure: Failure | undefined;
  try {
    failure = walk(value, { seen: null, budget: UNTRACKED_NODES }, 0);
  } catch (e) {
    if (e !== START_OVER) throw e;
    failure = walk(value, { seen: new Set(), budget: 0 }, 0);
  }
  if (failure !== undefined) throw new UnencodableError(what + failure.segments.reverse().join(''), failure.given);
}

/** True when `value` would survive the wire codec unchanged (see `checkEncodable`). */
export function isEncodable(value: unknown): boolean {
  try {
    checkEncodable(value);
    return true;
  } catch (e) {
    if (UnencodableError.is(e)) return false;
    throw e;
  }
}

function walk(value: unknown, w: Walk, depth: number): Failure | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return undefined;
    case 'symbol':
      return { given: `a symbol (${String(value)})`, segments: [] };
    case 'function':
      return { given: value.name ? `a function (${value.name})` : 'an anonymous function', segments: [] };
  }
  if (value === null) return undefined;
  const o = value as object;
  if (w.seen === null) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a private sentinel that unwinds the walk, caught right above
    if (--w.budget < 0 || depth > UNTRACKED_DEPTH) throw START_OVER;
  } else {
    if (depth > MAX_DEPTH) return { given: `nested more than ${MAX_DEPTH} levels deep, deeper than the codec can go`, segments: [] };
    if (w.seen.has(o)) return undefined;
    w.seen.add(o);
  }
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto === Object.prototype || proto === null) return walkFields(o, w, depth);
  if (proto === Array.prototype) {
    const a = o as unknown[];
    for (let i = 0; i < a.length; i++) {
      const f = walk(a[i], w, depth + 1);
      if (f !== undefined) {
        f.segments.push(`[${i}]`);
        return f;
      }
    }
    return undefined;
  }
  if (LEAF_PROTOTYPES.has(proto as object)) return undefined;
  if (proto === Map.prototype) return walkMap(o as Map<unknown, unknown>, w, depth);
  if (proto === Set.prototype) return walkSet(o as Set<unknown>, w, depth);
  if (o instanceof Pid || o instanceof Ref) return undefined;
  if (o instanceof Error) return walkError(o, w, depth);
  return { given: describeObject(o), segments: [] };
}

function walkFields(o: object, w: Walk, depth: number): Failure | undefined {
  const rec = o as Record<string, unknown>;
  for (const key in rec) {
    // for-in is the fast path in V8; an inherited enumerable key means a polluted prototype,
    // whose fields msgpackr would not send either.
    if (!Object.prototype.hasOwnProperty.call(rec, key)) continue;
    // An own '__proto__' key (JSON.parse makes them): msgpackr renames it '__proto_'.
    if (key === '__proto__') return { given: "a '__proto__' key, which the codec renames", segments: [] };
    const f = walk(rec[key], w, depth + 1);
    if (f !== undefined) {
      f.segments.push(fieldSegment(key));
      return f;
    }
  }
  const symbols = Object.getOwnPropertySymbols(o);
  for (const s of symbols) {
    if (Object.prototype.propertyIsEnumerable.call(o, s)) {
      return { given: `a symbol-keyed property (${String(s)}), which the codec drops`, segments: [] };
    }
  }
  return undefined;
}

function walkMap(m: Map<unknown, unknown>, w: Walk, depth: number): Failure | undefined {
  let i = 0;
  for (const [k, v] of m) {
    let f = walk(k, w, depth + 1);
    if (f !== undefined) {
      f.segments.push(`.keys()[${i}]`);
      return f;
    }
    f = walk(v, w, depth + 1);
    if (f !== undefined) {
      f.segments.push(isPrimitiveKey(k) ? `.get(${keyText(k)})` : `.values()[${i}]`);
      return f;
    }
    i++;
  }
  return undefined;
}

function walkSet(s: Set<unknown>, w: Walk, depth: number): Failure | undefined {
  let i = 0;
  for (const v of s) {
    const f = walk(v, w, depth + 1);
    if (f !== undefined) {
      f.segments.push(`.values()[${i}]`);
      return f;
    }
    i++;
  }
  return undefined;
}

// The codec sends an error's own enumerable fields and its cause (see codec.ts).
function walkError(e: Error, w: Walk, depth: number): Failure | undefined {
  const f = walkFields(e, w, depth);
  if (f !== undefined) return f;
  if (e.cause !== undefined) {
    const c = walk(e.cause, w, depth + 1);
    if (c !== undefined) {
      c.segments.push('.cause');
      return c;
    }
  }
  return undefined;
}

function describeObject(o: object): string {
  if (o instanceof Promise) return 'a Promise (send what it resolves to)';
  if (o instanceof WeakMap) return 'a WeakMap';
  if (o instanceof WeakSet) return 'a WeakSet';
  if (o instanceof WeakRef) return 'a WeakRef';
  if (o instanceof SharedArrayBuffer) return 'a SharedArrayBuffer';
  if (o instanceof String || o instanceof Number || o instanceof Boolean) return `a boxed ${o.constructor.name}`;
  const name = constructorName(o);
  for (const base of [Array, Map, Set, Date, RegExp, Uint8Array, ArrayBuffer] as const) {
    if (o instanceof base) return `an instance of ${name}, a subclass of ${base.name} that would arrive as a plain ${base.name}`;
  }
  return name === undefined ? 'an object with a custom prototype' : `an instance of ${name}, which has no encoder`;
}

function constructorName(o: object): string | undefined {
  try {
    const c = (o as { constructor?: unknown }).constructor;
    return typeof c === 'function' && c.name ? c.name : undefined;
  } catch {
    return undefined;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function fieldSegment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function isPrimitiveKey(k: unknown): k is string | number | bigint | boolean | null | undefined {
  return k === null || (typeof k !== 'object' && typeof k !== 'function' && typeof k !== 'symbol');
}

function keyText(k: string | number | bigint | boolean | null | undefined): string {
  if (typeof k === 'string') return JSON.stringify(k);
  if (typeof k === 'bigint') return `${k}n`;
  return String(k);
}

/**
 * An exit reason as it may cross a thread or node: itself when the codec carries it
 * faithfully, otherwise the UnencodableError that says what could not go (a link or monitor
 * must fire anyway; only the detail of its reason is lost).
 */
export function encodableReason(reason: unknown): unknown {
  try {
    checkEncodable(reason, 'exit reason');
    return reason;
  } catch (e) {
    return e instanceof UnencodableError ? e : new UnencodableError('exit reason', describeValue(reason));
  }
}

/**
 * A short stand-in for an exit reason too large to send (a transport's frame limit): an Error
 * keeps its name (its type, as it crosses a node) and the first `maxChars` characters of its
 * message, without stack, cause or fields; anything else becomes a string describing it in
 * about `maxChars` characters. A link or monitor must fire anyway: only the detail is lost.
 */
export function shortReason(reason: unknown, maxChars: number): unknown {
  const n = Math.max(0, Math.floor(maxChars));
  if (reason instanceof Error) {
    const name = typeof reason.name === 'string' ? reason.name.slice(0, 200) : 'Error';
    const msg = typeof reason.message === 'string' ? reason.message : '';
    const text = msg.length > n ? `${msg.slice(0, n)}… (${msg.length - n} more characters cut: too large to send)` : msg;
    const e = new Error(text);
    Object.defineProperty(e, 'name', { value: name, enumerable: false, writable: true, configurable: true });
    e.stack = `${name}: ${text}`;
    return e;
  }
  const d = describeValue(reason);
  return `reason too large to send: ${d.length > n ? `${d.slice(0, n)}…` : d}`;
}
