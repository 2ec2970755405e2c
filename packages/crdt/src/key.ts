import { describeValue, isPid, isRef } from '@foundation/runtime';
import { UnsupportedKeyError } from './errors.js';

/*
 * Keys and elements are compared by a canonical string: equal values give equal strings on
 * every replica, whatever the insertion order of an object's fields or a Map's entries. The
 * codec's bytes are not canonical (Map and object order shows through), hence this encoding.
 *
 * Top level: a string key `k` encodes as `s` + k (the fast path: no escaping), anything else as
 * a tagged form that never starts with `s`. Inside composites every part is self-delimiting.
 */

/** The canonical string of a key or element; UnsupportedKeyError for values without one. */
export function keyOf(x: unknown): string {
  return typeof x === 'string' ? 's' + x : enc(x, 'key', 0);
}

const MAX_DEPTH = 100;

function enc(x: unknown, path: string, depth: number): string {
  if (depth > MAX_DEPTH) throw new UnsupportedKeyError(path, `nested deeper than ${MAX_DEPTH} levels`);
  switch (typeof x) {
    case 'string':
      return JSON.stringify(x);
    case 'number':
      return Object.is(x, -0) ? 'n0' : 'n' + String(x);
    case 'bigint':
      return 'b' + x.toString();
    case 'boolean':
      return x ? 'T' : 'F';
    case 'undefined':
      return 'U';
    case 'object':
      return x === null ? 'N' : encObject(x, path, depth);
    default:
      throw new UnsupportedKeyError(path, describeValue(x));
  }
}

const sortedJoin = (parts: string[]) => parts.sort().join(',');

function encObject(x: object, path: string, depth: number): string {
  if (isPid(x)) return `p[${JSON.stringify(x.node)},${x.id},${x.incarnation}]`;
  if (isRef(x)) return `r[${JSON.stringify(x.node)},${x.id},${x.incarnation}]`;
  if (Array.isArray(x)) return 'a[' + x.map((v, i) => enc(v, `${path}[${i}]`, depth + 1)).join(',') + ']';
  if (x instanceof Date) return 'd' + String(x.getTime());
  if (x instanceof Map) {
    const parts: string[] = [];
    for (const [k, v] of x) parts.push(enc(k, `${path}<key>`, depth + 1) + ':' + enc(v, `${path}.get(…)`, depth + 1));
    return 'm{' + sortedJoin(parts) + '}';
  }
  if (x instanceof Set) {
    const parts: string[] = [];
    for (const v of x) parts.push(enc(v, `${path}<element>`, depth + 1));
    return 'S{' + sortedJoin(parts) + '}';
  }
  if (x instanceof Uint8Array) return 'x' + Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex') + ';';
  const proto = Object.getPrototypeOf(x) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    throw new UnsupportedKeyError(path, describeValue(x));
  }
  const parts: string[] = [];
  for (const k of Object.keys(x)) {
    parts.push(JSON.stringify(k) + ':' + enc((x as Record<string, unknown>)[k], `${path}.${k}`, depth + 1));
  }
  return 'o{' + sortedJoin(parts) + '}';
}
