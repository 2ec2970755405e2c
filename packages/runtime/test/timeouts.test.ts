import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SimulatedClock } from '@foundation/runtime';
import { TimeoutQueue, type TimeoutEntry } from '../src/internal/timeouts.js';

class Entry implements TimeoutEntry {
  $deadline = 0;
  $tprev: TimeoutEntry | null = null;
  $tnext: TimeoutEntry | null = null;
  $tlist: TimeoutEntry['$tlist'] = null;
  firedAt: number[] = [];
  constructor(
    readonly id: number,
    private readonly clock: SimulatedClock,
  ) {}
  onTimeout() {
    this.firedAt.push(this.clock.now());
  }
}

describe('TimeoutQueue', () => {
  test('keeps no list per duration it ever saw: 10,000 distinct durations, removed or fired, leave at most 65 lists', () => {
    const clock = new SimulatedClock();
    const q = new TimeoutQueue(clock);
    for (let ms = 1; ms <= 5000; ms++) {
      const e = new Entry(ms, clock);
      q.add(e, ms);
      q.remove(e);
    }
    expect(q.size).toBeLessThanOrEqual(65);
    const fired = Array.from({ length: 5000 }, (_, i) => new Entry(i, clock));
    fired.forEach((e, i) => q.add(e, 10_000 + i));
    clock.advance(20_000);
    expect(fired.every((e) => e.firedAt.length === 1)).toBe(true);
    expect(q.size).toBeLessThanOrEqual(65);
  });

  test('every entry not removed fires exactly once, at its deadline; removed ones never fire', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 50 }),
            ms: fc.constantFrom(0, 5, 10, 100),
            removeAfter: fc.option(fc.integer({ min: 0, max: 120 })),
          }),
          { maxLength: 40 },
        ),
        (plan) => {
          const clock = new SimulatedClock();
          const q = new TimeoutQueue(clock);
          const entries = plan.map((_, i) => new Entry(i, clock));
          const events: { t: number; run: () => void }[] = [];
          plan.forEach((p, i) => {
            events.push({ t: p.at, run: () => q.add(entries[i]!, p.ms) });
            if (p.removeAfter !== null) events.push({ t: p.at + p.removeAfter, run: () => q.remove(entries[i]!) });
          });
          events.sort((a, b) => a.t - b.t);
          for (const e of events) {
            clock.advance(e.t - clock.now());
            e.run();
          }
          clock.advance(1000);
          plan.forEach((p, i) => {
            const deadline = p.at + p.ms;
            const removedFirst = p.removeAfter !== null && p.at + p.removeAfter < deadline;
            expect(entries[i]!.firedAt).toEqual(removedFirst ? [] : [deadline]);
          });
          expect(clock.pending).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a queue with nothing pending holds no timer', () => {
    const clock = new SimulatedClock();
    const q = new TimeoutQueue(clock);
    const e = new Entry(1, clock);
    q.add(e, 5000);
    expect(clock.pending).toBe(1);
    q.remove(e);
    expect(clock.pending).toBe(0);
  });

  test('an entry whose onTimeout throws is reported; the others due fire, and later ones stay armed', () => {
    const clock = new SimulatedClock();
    const q = new TimeoutQueue(clock);
    const bad = new Entry(0, clock);
    bad.onTimeout = () => {
      throw new Error('a broken timeout');
    };
    const due = new Entry(1, clock);
    const later = new Entry(2, clock);
    q.add(bad, 10);
    q.add(due, 10);
    clock.advance(5);
    q.add(later, 10);
    expect(() => clock.advance(5)).not.toThrow();
    expect(due.firedAt).toEqual([10]);
    clock.advance(5);
    expect(later.firedAt).toEqual([15]);
  });
});
