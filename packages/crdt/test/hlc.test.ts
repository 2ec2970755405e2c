import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SimulatedClock } from '@foundation/runtime';
import { ClockOffsetError, HLC, type Timestamp } from '@foundation/crdt';
import { ManualClock } from './support.js';

describe('HLC', () => {
  test('now follows the physical clock, and counts within one millisecond', () => {
    const clock = new SimulatedClock();
    clock.advance(5);
    const h = new HLC('a', { clock });
    expect(h.now()).toEqual({ ms: 5, c: 0, r: 'a' });
    expect(h.now()).toEqual({ ms: 5, c: 1, r: 'a' });
    clock.advance(1);
    expect(h.now()).toEqual({ ms: 6, c: 0, r: 'a' });
  });

  test('a clock behind a remote one moves past it on update and stays past it', () => {
    const h = new HLC('a', { clock: new ManualClock(10) });
    const t = h.update({ ms: 500, c: 3, r: 'b' });
    expect(HLC.compare(t, { ms: 500, c: 3, r: 'b' })).toBe(1);
    expect(HLC.compare(h.now(), t)).toBe(1);
  });

  test('the replica id breaks ties, the same way everywhere', () => {
    expect(HLC.compare({ ms: 1, c: 0, r: 'a' }, { ms: 1, c: 0, r: 'b' })).toBe(-1);
    expect(HLC.compare({ ms: 2, c: 0, r: 'a' }, { ms: 1, c: 9, r: 'b' })).toBe(1);
  });

  test('a remote reading too far ahead is refused with ClockOffsetError', () => {
    const h = new HLC('a', { clock: new ManualClock(0), maxOffsetMs: 1000 });
    expect(() => h.update({ ms: 5000, c: 0, r: 'b' })).toThrow(ClockOffsetError);
    expect(h.now().ms).toBe(0);
  });

  test('property: readings of one clock strictly increase, whatever the physical clock does', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -100, max: 100 }), fc.option(fc.record({ ms: fc.nat(1000), c: fc.nat(5) }))), { maxLength: 60 }), (steps) => {
        const clock = new ManualClock(500);
        const h = new HLC('a', { clock });
        let last: Timestamp | null = null;
        for (const [dt, remote] of steps) {
          clock.t = Math.max(0, clock.t + dt);
          const t = remote ? h.update({ ...remote, r: 'b' }) : h.now();
          if (last && HLC.compare(t, last) <= 0) return false;
          if (remote && HLC.compare(t, { ...remote, r: 'b' }) <= 0) return false;
          last = t;
        }
        return true;
      }),
    );
  });
});
