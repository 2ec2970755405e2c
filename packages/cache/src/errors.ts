import { describeValue, taggedError } from '@foundation/runtime';

/** A key that has no stable encoding (a function, a symbol, a class instance...): `given` says what it was. */
export class CacheKeyError extends taggedError('CacheKeyError') {
  constructor(
    readonly cache: string,
    readonly given: string,
  ) {
    super(
      `cache '${cache}': a key must be a string, number, bigint, boolean, null, array, plain object, Map, Set, Date or byte array, got ${given}`,
    );
  }
}

/** A value the cache cannot store faithfully (it could not cross a node or reach Redis unchanged). */
export class CacheValueError extends taggedError('CacheValueError') {
  constructor(
    readonly cache: string,
    readonly path: string,
    readonly given: string,
  ) {
    super(`cache '${cache}': ${path} cannot be cached: it is ${given}`);
  }
}

/** A TTL that is not a number of milliseconds > 0 and ≤ 2^31 − 1 (negative, 0, NaN, Infinity, too large). */
export class InvalidTtlError extends taggedError('InvalidTtlError') {
  constructor(
    readonly cache: string,
    readonly field: string,
    readonly given: unknown,
  ) {
    super(
      `cache '${cache}': ${field} must be a number of milliseconds > 0 and ≤ 2147483647 (about 24.8 days), got ${describeValue(given)}`,
    );
  }
}

/** An option of `Cache.start` (or of an operation) has a wrong value: names it, what is allowed and what was given. */
export class CacheOptionError extends taggedError('CacheOptionError') {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`${field} must be ${expected}, got ${describeValue(given)}`);
  }
}

/** `incr`/`decr` on a key whose value is not a safe integer. */
export class NotAnIntegerError extends taggedError('NotAnIntegerError') {
  constructor(
    readonly cache: string,
    readonly given: unknown,
  ) {
    super(`cache '${cache}': incr/decr needs a safe integer under the key, found ${describeValue(given)}`);
  }
}

/**
 * The level that holds the data (a peer node, Redis) did not answer within the call's timeout
 * or is unreachable: the operation's effect is unknown for a write, absent for a read.
 */
export class CacheUnavailableError extends taggedError('CacheUnavailableError') {
  constructor(
    readonly cache: string,
    readonly op: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`cache '${cache}': ${op} failed: ${detail}`, options);
  }
}

/** An operation on a cache that was stopped. */
export class CacheStoppedError extends taggedError('CacheStoppedError') {
  constructor(
    readonly cache: string,
    readonly op: string,
  ) {
    super(`cache '${cache}': ${op} after the cache was stopped`);
  }
}
