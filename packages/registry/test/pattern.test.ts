import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { InvalidArgumentError, Pid } from '@foundation/runtime';
import { _, checkPattern, matches, where } from '@foundation/registry';

describe('pattern language', () => {
  test('the wildcard matches anything, undefined included', () => {
    for (const v of [undefined, null, 0, '', {}, [], NaN, new Pid('a', 1, 1)]) expect(matches(v, _)).toBe(true);
  });

  test('a plain object matches partially: listed properties must be present and match, others are ignored', () => {
    const v = { role: 'primary', region: 'eu', meta: { zone: 'b', tags: ['x', 'y'] } };
    expect(matches(v, { role: 'primary' })).toBe(true);
    expect(matches(v, { meta: { zone: 'b' } })).toBe(true);
    expect(matches(v, { meta: { tags: ['x', _] } })).toBe(true);
    expect(matches(v, { role: 'replica' })).toBe(false);
    expect(matches(v, { missing: _ })).toBe(false);
    expect(matches(v, {})).toBe(true);
    expect(matches(null, {})).toBe(false);
    expect(matches('primary', { role: 'primary' })).toBe(false);
  });

  test('an array matches an array of the same length element by element', () => {
    expect(matches([1, 2], [1, _])).toBe(true);
    expect(matches([1, 2, 3], [1, _])).toBe(false);
    expect(matches({ 0: 1, 1: 2, length: 2 }, [1, 2])).toBe(false);
  });

  test('primitives match by SameValueZero, pids by equals, dates by time', () => {
    expect(matches(NaN, NaN)).toBe(true);
    expect(matches(0, -0)).toBe(true);
    expect(matches('1', 1)).toBe(false);
    expect(matches(new Pid('a', 1, 7), new Pid('a', 1, 7))).toBe(true);
    expect(matches(new Pid('a', 1, 7), new Pid('a', 1, 8))).toBe(false);
    expect(matches(new Date(5), new Date(5))).toBe(true);
    expect(matches(5, new Date(5))).toBe(false);
    class Box {}
    const box = new Box();
    expect(matches(box, box)).toBe(true);
    expect(matches(new Box(), box)).toBe(false);
  });

  test('where(fn) is a guard: it matches when fn returns true', () => {
    const small = where((n: number) => n < 10);
    expect(matches({ load: 3 }, { load: small })).toBe(true);
    expect(matches({ load: 30 }, { load: small })).toBe(false);
    expect(
      matches(
        'x',
        where(() => 'yes' as never),
      ),
    ).toBe(false);
  });

  test('checkPattern refuses a bare function anywhere in a pattern and names where', () => {
    const e = (() => {
      try {
        checkPattern({ a: [1, () => true] });
      } catch (err) {
        return err as Error;
      }
      return null;
    })();
    expect(InvalidArgumentError.is(e)).toBe(true);
    expect(e!.message).toContain('pattern.a[1]');
    expect(() => checkPattern({ a: where(() => true), b: _ })).not.toThrow();
  });

  test('property: every JSON-like value matches itself used as a pattern, and matches _ at any leaf', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const v: unknown = json;
        expect(matches(v, v)).toBe(true);
        expect(matches(v, _)).toBe(true);
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
          const wild = Object.fromEntries(Object.keys(v).map((k) => [k, _]));
          expect(matches(v, wild)).toBe(true);
        }
      }),
    );
  });
});
