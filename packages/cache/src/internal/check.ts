import { UnencodableError, checkEncodable, isDuration } from '@foundation/runtime';
import { UnsupportedKeyError, keyOf } from '@foundation/crdt';
import { CacheKeyError, CacheOptionError, CacheValueError, InvalidTtlError } from '../errors.js';
import type { KeyRef } from './backend.js';

/**
 * The key with its canonical string (equal keys by content give equal strings everywhere). A
 * string is its own canonical form — the common case, and a string the caller made once keeps
 * its hash in the store's map — unless it starts with NUL; every other key is NUL followed by
 * the CRDT package's canonical encoding, which never starts with 's', so `'\0s' + string`
 * cannot collide with it.
 */
export function keyRef(cache: string, key: unknown): KeyRef {
  if (typeof key === 'string') return { k: key.charCodeAt(0) === 0 ? '\0s' + key : key, key };
  try {
    return { k: '\0' + keyOf(key), key };
  } catch (e) {
    if (UnsupportedKeyError.is(e)) throw new CacheKeyError(cache, (e as UnsupportedKeyError).given);
    throw e;
  }
}

/** Throws CacheValueError when `value` would not survive the wire codec (the same rule for every adapter). */
export function checkValue(cache: string, value: unknown, what = 'the value'): void {
  try {
    checkEncodable(value, what);
  } catch (e) {
    if (UnencodableError.is(e)) {
      const u = e as UnencodableError;
      throw new CacheValueError(cache, u.path, u.given);
    }
    throw e;
  }
}

/** The `ttlMs` of an options object (undefined: no expiry); InvalidTtlError when it is not a duration > 0. */
export function ttlOf(cache: string, opts: unknown, where: string): number | undefined {
  if (opts === undefined) return undefined;
  if (typeof opts !== 'object' || opts === null) throw new CacheOptionError(`${where} options`, 'an object like { ttlMs }', opts);
  const o = opts as { ttlMs?: unknown };
  for (const key in o) if (key !== 'ttlMs') throw new CacheOptionError(`${where} options`, 'an object with no key other than ttlMs', opts);
  return checkTtl(cache, 'ttlMs', o.ttlMs);
}

/** `value` when it is undefined or a TTL > 0 within the timer limit; InvalidTtlError otherwise. */
export function checkTtl(cache: string, field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!isDuration(value, { positive: true })) throw new InvalidTtlError(cache, field, value);
  return value;
}

/** The `by` of incr/decr: a safe integer. */
export function checkBy(by: unknown): number {
  if (typeof by !== 'number' || !Number.isSafeInteger(by)) throw new CacheOptionError('incr/decr amount', 'a safe integer', by);
  return by;
}
