import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SimulatedClock } from '@foundation/runtime';
import { ClockOffsetError, DEFAULT_MAX_OFFSET_MS, HLC, type Timestamp } from '@foundation/crdt';
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

  test('by default a remote reading over a minute ahead is refused, one within a minute taken', () => {
    expect(DEFAULT_MAX_OFFSET_MS).toBe(60_000);
    const h = new HLC('a', { clock: new ManualClock(1_000_000) });
    const err = (() => {
      try {
        h.update({ ms: 1_000_000 + 60_001, c: 0, r: 'jumped' });
      } catch (e) {
        return e;
      }
    })();
    expect(ClockOffsetError.is(err)).toBe(true);
    expect((err as ClockOffsetError).remoteReplica).toBe('jumped');
    expect(() => h.checkOffset({ ms: 1_000_000 + 60_001, c: 0, r: 'jumped' })).toThrow(ClockOffsetError);
    expect(h.peek().ms).toBe(0);
    expect(h.update({ ms: 1_000_000 + 59_000, c: 0, r: 'b' }).ms).toBe(1_059_000);
    expect(() => new HLC('a', { maxOffsetMs: Infinity }).update({ ms: Number.MAX_SAFE_INTEGER, c: 0, r: 'b' })).not.toThrow();
  });

  test('property: readings of one clock strictly increase, whatever the physical clock does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -100, max: 100 }), fc.option(fc.record({ ms: fc.nat(1000), c: fc.nat(5) }))), {
          maxLength: 60,
        }),
        (steps) => {
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
        },
      ),
    );
  });
});
