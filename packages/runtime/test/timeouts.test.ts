import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SimulatedClock } from '@foundation/runtime';
import { TimeoutQueue, type TimeoutEntry } from '../src/internal/timeouts.js';

const run = promisify(execFile);

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
          expect(clock.keepingAlive).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a queue with nothing pending holds no timer that keeps the process alive', () => {
    const clock = new SimulatedClock();
    const q = new TimeoutQueue(clock);
    const e = new Entry(1, clock);
    q.add(e, 5000);
    expect(clock.keepingAlive).toBe(1);
    q.remove(e);
    expect(clock.keepingAlive).toBe(0);
    // The kept timer fires once, finds nothing, and is gone.
    clock.advance(5000);
    expect(clock.pending).toBe(0);
  });

  test('a clock that cannot unref gets its timer cleared when the queue empties', () => {
    const clock = new SimulatedClock();
    const plain = { now: () => clock.now(), setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock) };
    const q = new TimeoutQueue(plain);
    const e = new Entry(1, clock);
    q.add(e, 5000);
    q.remove(e);
    expect(clock.pending).toBe(0);
  });

  test('one entry after another with one duration arms one timer, not one per entry', () => {
    const clock = new SimulatedClock();
    let armed = 0;
    const counting = {
      now: () => clock.now(),
      setTimeout: (fn: () => void, ms: number) => (armed++, clock.setTimeout(fn, ms)),
      clearTimeout: clock.clearTimeout.bind(clock),
      refTimer: clock.refTimer.bind(clock),
    };
    const q = new TimeoutQueue(counting);
    for (let i = 0; i < 1000; i++) {
      const e = new Entry(i, clock);
      q.add(e, 5000);
      clock.advance(1);
      q.remove(e);
    }
    expect(armed).toBe(1);
    const last = new Entry(-1, clock);
    q.add(last, 5000);
    clock.advance(5000);
    expect(last.firedAt).toEqual([6000]);
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

test('a process whose calls have all been answered exits at once: the kept call timer does not hold it', async () => {
  const script = fileURLToPath(new URL('./fixtures/one-call-then-exit.ts', import.meta.url));
  const t0 = performance.now();
  const { stdout } = await run(process.execPath, ['--conditions=@foundation/source', '--import', 'tsx', script], { timeout: 20_000 });
  expect(stdout).toBe('called\n');
  // The call timeout is 5 s; tsx's start-up alone takes well under that.
  expect(performance.now() - t0).toBeLessThan(4500);
});
