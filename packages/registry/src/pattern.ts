import { InvalidArgumentError, Pid } from '@foundation/runtime';

/**
 * The wildcard of a pattern: matches any value, `undefined` included (Erlang's `_`).
 *
 * ```ts
 * reg.match('db', { role: _, region: 'eu' });
 * ```
 */
export const _: unique symbol = Symbol.for('@foundation/registry/_');

/** The type of the wildcard `_`. */
export type Wildcard = typeof _;

const GUARD: unique symbol = Symbol('@foundation/registry/guard');

/** A pattern that tests a value with a function: made by `where(fn)` (a match spec's guard). */
export interface Guard<T> {
  readonly [GUARD]: (value: T) => boolean;
}

/**
 * A guard pattern: matches when `test(value)` returns true. For what partial objects cannot
 * say: ranges, set membership, alternatives.
 *
 * ```ts
 * reg.match('worker', { load: where((n: number) => n < 10) });
 * ```
 */
export function where<T>(test: (value: T) => boolean): Guard<T> {
  if (typeof test !== 'function') throw new InvalidArgumentError('where(test)', 'a function', test);
  return { [GUARD]: test };
}

/**
 * A pattern over values of type `T`. What matches what:
 *
 * - `_` matches anything;
 * - `where(fn)` matches a value for which `fn` returns true;
 * - a plain object `{ a: p, ... }` matches an object that has every listed property, each
 *   matching its sub-pattern; properties the pattern does not list are ignored (a partial match);
 * - an array `[p0, p1]` matches an array of the same length, element by element;
 * - a Pid matches an equal Pid (`pid.equals`);
 * - a Date matches a Date with the same time;
 * - anything else (strings, numbers, booleans, null, undefined, bigints, symbols, class
 *   instances) matches by SameValueZero (`===`, except that NaN matches NaN).
 */
export type Pattern<T> = Wildcard | Guard<T> | Shape<T>;

type Shape<T> = T extends Pid
  ? Pid
  : T extends Date
    ? Date
    : T extends (...args: never[]) => unknown
      ? T
      : T extends readonly unknown[]
        ? { readonly [I in keyof T]: Pattern<T[I]> }
        : T extends object
          ? { readonly [P in keyof T]?: Pattern<T[P]> }
          : T;

function isGuard(p: object): p is Guard<unknown> {
  return GUARD in p;
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x) as object | null;
  return proto === Object.prototype || proto === null;
}

/** True when `value` matches `pattern` (see `Pattern` for the rules). */
export function matches<T>(value: T, pattern: Pattern<T>): boolean;
export function matches(value: unknown, pattern: unknown): boolean;
export function matches(value: unknown, pattern: unknown): boolean {
  if (pattern === _) return true;
  if (typeof pattern !== 'object' || pattern === null) {
    return pattern === value || (pattern !== pattern && value !== value);
  }
  if (isGuard(pattern)) return pattern[GUARD](value) === true;
  if (pattern instanceof Pid) return pattern.equals(value);
  if (pattern instanceof Date) return value instanceof Date && value.getTime() === pattern.getTime();
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value) || value.length !== pattern.length) return false;
    for (let i = 0; i < pattern.length; i++) if (!matches(value[i], pattern[i])) return false;
    return true;
  }
  if (!isPlainObject(pattern)) return pattern === value;
  if (typeof value !== 'object' || value === null) return false;
  for (const key of Object.keys(pattern)) {
    if (!(key in value)) return false;
    if (!matches((value as Record<string, unknown>)[key], (pattern as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * Validates a pattern once, before it is used: a bare function (a guard written without
 * `where`) is refused, since it would only ever match itself. `path` names the argument.
 */
export function checkPattern(pattern: unknown, path = 'pattern', depth = 0): void {
  if (typeof pattern === 'function') {
    throw new InvalidArgumentError(path, 'a pattern (a value, _, where(fn), an object or an array of patterns)', pattern);
  }
  if (typeof pattern !== 'object' || pattern === null || depth > 32) return;
  if (isGuard(pattern) || pattern instanceof Pid || pattern instanceof Date) return;
  if (Array.isArray(pattern)) {
    pattern.forEach((p, i) => checkPattern(p, `${path}[${i}]`, depth + 1));
  } else if (isPlainObject(pattern)) {
    for (const [k, p] of Object.entries(pattern)) checkPattern(p, `${path}.${k}`, depth + 1);
  }
}
