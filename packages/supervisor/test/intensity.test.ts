import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { addRestart, intensity, type Intensity } from '../src/index.js';

/** Feeds restart times in order; returns the verdict of the last one. */
function run(max: number, seconds: number, times: number[]): boolean[] {
  let i: Intensity = intensity(max, seconds);
  return times.map((t) => {
    const r = addRestart(i, t);
    i = r.next;
    return r.ok;
  });
}

describe('restart intensity', () => {
  test('allows maxRestarts restarts within the window and refuses the next', () => {
    expect(run(3, 5, [0, 100, 200, 300])).toEqual([true, true, true, false]);
  });

  test('restarts slide out of the window (one exactly maxSeconds old still counts, as in OTP)', () => {
    expect(run(2, 1, [0, 500, 1000])).toEqual([true, true, false]);
    expect(run(2, 1, [0, 500, 1001])).toEqual([true, true, true]);
  });

  test('maxRestarts 0 refuses every restart', () => {
    expect(run(0, 5, [0])).toEqual([false]);
  });

  test('law: a restart is allowed iff fewer than maxRestarts earlier restarts lie within the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 40 }),
        (max, seconds, gaps) => {
          const times: number[] = [];
          let t = 0;
          for (const g of gaps) times.push((t += g));
          const got = run(max, seconds, times);
          // reference: count over the whole history, not the pruned list
          times.forEach((now, k) => {
            const inWindow = times.slice(0, k).filter((s) => s >= now - seconds * 1000).length;
            expect(got[k]).toBe(inWindow + 1 <= max);
          });
        },
      ),
    );
  });
});
