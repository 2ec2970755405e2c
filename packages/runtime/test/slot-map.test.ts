import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SlotMap } from '../src/internal/slot-map.js';

type Op = { op: 'set'; key: number; value: number } | { op: 'delete'; key: number } | { op: 'deleteWhileIterating'; key: number };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 5 }), value: fc.integer() }),
    fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ op: fc.constant('deleteWhileIterating' as const), key: fc.integer({ min: 0, max: 5 }) }),
  ),
  { maxLength: 60 },
);

/** Applies one operation to a Map or a SlotMap and returns what it answered. */
function apply(m: Map<number, number> | SlotMap<number, number>, o: Op): unknown {
  if (o.op === 'set') return void m.set(o.key, o.value);
  if (o.op === 'delete') return m.delete(o.key);
  // Deleting every entry up to `key` while iterating, as a process's exit does with its monitors.
  const seen: number[] = [];
  for (const [k] of m) {
    seen.push(k);
    if (k <= o.key) m.delete(k);
  }
  return seen;
}

describe('SlotMap', () => {
  test('answers every operation as a Map does, iteration order included', () => {
    fc.assert(
      fc.property(ops, (list) => {
        const model = new Map<number, number>();
        const slot = new SlotMap<number, number>();
        for (const o of list) {
          expect(apply(slot, o)).toEqual(apply(model, o));
          expect([...slot]).toEqual([...model]);
          expect([...slot.values()]).toEqual([...model.values()]);
          expect(slot.size).toBe(model.size);
          for (let k = 0; k <= 5; k++) expect(slot.get(k)).toBe(model.get(k));
        }
      }),
      { numRuns: 500 },
    );
  });

  test('keeps the one entry a call makes in its slot, making no Map for it', () => {
    const m = new SlotMap<number, string>();
    for (let i = 0; i < 3; i++) {
      m.set(i, 'call');
      m.delete(i);
    }
    expect((m as unknown as { more: unknown }).more).toBeNull();
    expect(m.size).toBe(0);
  });
});
