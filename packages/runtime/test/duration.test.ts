import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { InvalidArgumentError, MAX_DURATION_MS, checkDuration, durationExpected, isDuration } from '@foundation/runtime';

describe('checkDuration', () => {
  test('accepts 0 to 2^31-1 ms and refuses what a timer cannot wait, naming the field and the value', () => {
    expect(checkDuration('t', 0)).toBe(0);
    expect(checkDuration('t', 1.5)).toBe(1.5);
    expect(checkDuration('t', MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    for (const bad of [MAX_DURATION_MS + 1, -1, NaN, Infinity, -Infinity, '10', null, undefined, 10n]) {
      let error: unknown;
      try {
        checkDuration('options.waitMs', bad);
      } catch (e) {
        error = e;
      }
      expect(error, String(bad)).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe('options.waitMs');
      expect((error as InvalidArgumentError).given).toBe(bad);
      expect((error as Error).message).toContain('2147483647');
    }
  });

  test("Infinity (no timer) only where the rule allows it; 'positive' refuses 0, 'integer' fractions", () => {
    expect(checkDuration('t', Infinity, { infinity: true })).toBe(Infinity);
    expect(() => checkDuration('t', -Infinity, { infinity: true })).toThrow(InvalidArgumentError);
    expect(() => checkDuration('t', 0, { positive: true })).toThrow(/> 0/);
    expect(() => checkDuration('t', 2.5, { integer: true })).toThrow(/integer/);
    expect(durationExpected({ infinity: true })).toContain('Infinity');
  });

  test('isDuration agrees with checkDuration on every value and rule', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double(), fc.integer(), fc.constantFrom(MAX_DURATION_MS, MAX_DURATION_MS + 1, 0, Infinity)),
        fc.record({ infinity: fc.boolean(), positive: fc.boolean(), integer: fc.boolean() }),
        (value, rule) => {
          let threw = false;
          try {
            checkDuration('t', value, rule);
          } catch {
            threw = true;
          }
          expect(threw).toBe(!isDuration(value, rule));
          if (!threw) expect(value === Infinity || (value >= 0 && value <= MAX_DURATION_MS)).toBe(true);
        },
      ),
    );
  });
});
