import { expect, test } from 'vitest';
import fc from 'fast-check';
import { InvalidArgumentError } from '@foundation/runtime';
import { Prng } from '@foundation/testkit';

test('one seed gives one sequence; another seed another', () => {
  const draw = (seed: number) => {
    const p = new Prng(seed);
    return Array.from({ length: 8 }, () => p.next());
  };
  expect(draw(1)).toEqual(draw(1));
  expect(draw(1)).not.toEqual(draw(2));
  expect(draw(2 ** 40)).not.toEqual(draw(0)); // the high half of the seed counts too
});

test('int(n) stays in [0, n) and reaches every value of a small range', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1, max: 7 }), (seed, n) => {
      const p = new Prng(seed);
      const seen = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const x = p.int(n);
        expect(Number.isInteger(x) && x >= 0 && x < n).toBe(true);
        seen.add(x);
      }
      expect(seen.size).toBe(n);
    }),
  );
});

test('a seed or a bound that is not a safe integer is refused with InvalidArgumentError', () => {
  expect(() => new Prng(1.5)).toThrow(InvalidArgumentError);
  expect(() => new Prng('7' as never)).toThrow(InvalidArgumentError);
  expect(() => new Prng(1).int(0)).toThrow(InvalidArgumentError);
});
