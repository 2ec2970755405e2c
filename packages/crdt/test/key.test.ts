import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { Pid, decode, encode } from '@foundation/runtime';
import { keyOf, UnsupportedKeyError } from '@foundation/crdt';

describe('keyOf', () => {
  test('equal values give equal keys whatever the field or entry order', () => {
    expect(keyOf({ a: 1, b: [2, 'x'] })).toBe(keyOf({ b: [2, 'x'], a: 1 }));
    expect(
      keyOf(
        new Map<unknown, unknown>([
          ['a', 1],
          [2, 'b'],
        ]),
      ),
    ).toBe(
      keyOf(
        new Map<unknown, unknown>([
          [2, 'b'],
          ['a', 1],
        ]),
      ),
    );
    expect(keyOf(new Set([1, 2]))).toBe(keyOf(new Set([2, 1])));
  });

  test('a pid is a key, equal to the same pid after the wire codec', () => {
    const pid = new Pid('a', 7, 3);
    expect(keyOf(decode(encode(pid)))).toBe(keyOf(pid));
    expect(keyOf(pid)).not.toBe(keyOf(new Pid('a', 7, 4)));
  });

  test('different values of different types give different keys', () => {
    const vals = ['1', 1, 1n, true, null, undefined, [1], { 1: 1 }, new Set([1]), new Map([[1, 1]]), 's1', ['1'], new Date(1)];
    expect(new Set(vals.map(keyOf)).size).toBe(vals.length);
  });

  test('functions, symbols and class instances are refused with UnsupportedKeyError', () => {
    expect(() => keyOf({ f: () => 1 })).toThrow(UnsupportedKeyError);
    expect(() => keyOf(Symbol('x'))).toThrow(UnsupportedKeyError);
    expect(() => keyOf([new (class Foo {})()])).toThrow(/key\[0\]/);
  });

  test('property: keyOf is injective on JSON-like values, and stable across the wire codec', () => {
    // (-0 normalised to 0; no `__proto__` field, which the wire codec drops on decoding.)
    const json = fc
      .jsonValue()
      .map((v) => JSON.stringify(v))
      .filter((s) => !s.includes('"__proto__"'))
      .map((s) => JSON.parse(s) as unknown);
    fc.assert(fc.property(json, json, (a, b) => (keyOf(a) === keyOf(b)) === isDeepStrictEqual(a, b)));
    fc.assert(
      fc.property(fc.array(json, { minLength: 2, maxLength: 2 }), ([a, b]) => keyOf([a, b]) !== keyOf([b, a]) || isDeepStrictEqual(a, b)),
    );
    fc.assert(fc.property(json, (a) => keyOf(decode(encode(a))) === keyOf(a)));
  });
});
