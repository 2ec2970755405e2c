import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '@foundation/runtime';
import { Redialer } from '../src/mesh/redial.js';

const MIN = 100;
const MAX = 5000;
const A = 'ws://10.0.0.1:4000';
const B = 'ws://10.0.0.2:4000';

/** A Redialer on a simulated clock whose dials are recorded (and fail when the test says so). */
function setup(dial?: (url: string) => void) {
  const clock = new SimulatedClock();
  const dials: string[] = [];
  const logs: string[] = [];
  const r = new Redialer(
    (url) => {
      dials.push(url);
      dial?.(url);
    },
    MIN,
    MAX,
    { clock, log: (m) => logs.push(m) },
  );
  const count = (url: string) => dials.filter((d) => d === url).length;
  /** Fails the dial in flight and lets its retry fire (a retry is due within MAX). */
  const failAndRetry = (url: string) => {
    r.failed(url);
    clock.advance(MAX);
  };
  return { clock, dials, logs, r, count, failAndRetry };
}

describe('Redialer', () => {
  it('a URL discovery found is dialled at once, and redialled after each failure for as long as discovery lists it', () => {
    const { clock, r, count, failAndRetry } = setup();
    r.found(A);
    expect(count(A)).toBe(1);
    r.found(A); // a repeat while wanted does not dial again
    expect(count(A)).toBe(1);
    for (let i = 0; i < 30; i++) failAndRetry(A);
    expect(count(A)).toBe(31);
    clock.advance(3_600_000);
    r.failed(A);
    clock.advance(MAX);
    expect(count(A)).toBe(32);
    expect(r.reasons(A)).toEqual({ discovered: true, until: -Infinity });
  });

  it('lost stops redialling a URL only discovery wanted: its timer is cleared and its entry removed', () => {
    const { clock, r, count, failAndRetry } = setup();
    r.found(A);
    failAndRetry(A);
    r.failed(A); // a retry is now scheduled
    expect(clock.pending).toBe(1);
    expect(r.lost(A)).toBe(true);
    expect(r.has(A)).toBe(false);
    expect(r.size).toBe(0);
    expect(clock.pending).toBe(0);
    clock.advance(10 * MAX);
    expect(count(A)).toBe(2);
    expect(r.lost(A)).toBe(false); // repeats are fine
  });

  it('a URL lost while its dial is in flight is not redialled when that dial fails', () => {
    const { clock, r, count } = setup();
    r.found(A);
    r.lost(A);
    r.failed(A);
    clock.advance(10 * MAX);
    expect(count(A)).toBe(1);
    expect(r.size).toBe(0);
  });

  it('a URL discovery lost is still redialled while a peer wants it, and given up once that deadline passes', () => {
    const { clock, r, count, failAndRetry } = setup();
    r.found(A);
    r.want(A, 20_000);
    expect(r.lost(A)).toBe(false);
    expect(r.reasons(A)).toEqual({ discovered: false, until: 20_000 });
    while (clock.now() < 20_000) failAndRetry(A);
    const dialled = count(A);
    expect(dialled).toBeGreaterThan(3);
    r.failed(A); // the first failure past the deadline gives up
    expect(r.has(A)).toBe(false);
    expect(clock.pending).toBe(0);
    clock.advance(10 * MAX);
    expect(count(A)).toBe(dialled);
  });

  it('a URL only gossip or a dropped connection wants expires at its deadline, even if never lost', () => {
    const { clock, r, failAndRetry } = setup();
    r.want(B, 10_000);
    r.want(B, 2_000); // a shorter want never shortens the deadline
    expect(r.reasons(B)).toEqual({ discovered: false, until: 10_000 });
    while (clock.now() < 10_000) failAndRetry(B);
    r.failed(B);
    expect(r.has(B)).toBe(false);
    expect(r.size).toBe(0);
  });

  it('lost of a URL wanted by discovery and a deadline already past gives up at once', () => {
    const { clock, r } = setup();
    r.want(A, 1000);
    r.found(A);
    clock.advance(2000);
    expect(r.lost(A)).toBe(true);
    expect(r.has(A)).toBe(false);
  });

  it('found after lost wants the URL again: dialled at once, with the backoff started over', () => {
    const { clock, r, dials, count, failAndRetry } = setup();
    r.found(A);
    for (let i = 0; i < 8; i++) failAndRetry(A);
    r.lost(A);
    const before = count(A);
    r.found(A);
    expect(count(A)).toBe(before + 1);
    r.failed(A);
    // The first retry after a fresh start comes within MIN again, not at the grown backoff.
    clock.advance(MIN);
    expect(count(A)).toBe(before + 2);
    expect(dials.every((d) => d === A)).toBe(true);
  });

  it('a connected URL is dropped: its timer is cleared and it is not dialled again', () => {
    const { clock, r, count } = setup();
    r.found(A);
    r.failed(A);
    r.drop(A);
    expect(clock.pending).toBe(0);
    clock.advance(10 * MAX);
    expect(count(A)).toBe(1);
    expect(r.has(A)).toBe(false);
  });

  it('the backoff doubles from the minimum up to the maximum, each retry jittered within the upper half', () => {
    const clock = new SimulatedClock();
    const dialledAt: number[] = [];
    const r = new Redialer(() => dialledAt.push(clock.now()), MIN, MAX, { clock });
    r.found(A);
    for (let i = 0; i < 10; i++) {
      const failedAt = clock.now();
      r.failed(A);
      clock.advance(MAX);
      const base = Math.min(MAX, MIN * 2 ** i);
      const gap = dialledAt[i + 1]! - failedAt;
      expect(gap).toBeGreaterThanOrEqual(base / 2);
      expect(gap).toBeLessThanOrEqual(base);
    }
  });

  it('a dial that throws ends that URL only, and is logged', () => {
    const { clock, r, logs, count } = setup((url) => {
      if (url === B) throw new Error('bad socket');
    });
    r.found(A);
    r.found(B);
    expect(r.has(B)).toBe(false);
    expect(logs.join('\n')).toMatch(/dialling ws:\/\/10\.0\.0\.2:4000 threw; not redialling it: Error: bad socket/);
    r.failed(A);
    clock.advance(MAX);
    expect(count(A)).toBe(2);
  });

  it('a dial that throws from a retry timer ends that URL only, never the timer owner', () => {
    let fail = false;
    const { clock, r, logs } = setup(() => {
      if (fail) throw new Error('later failure');
    });
    r.found(A);
    fail = true;
    r.failed(A);
    expect(() => clock.advance(MAX)).not.toThrow();
    expect(r.has(A)).toBe(false);
    expect(logs).toHaveLength(1);
  });

  it('stop clears every timer and ignores later wants', () => {
    const { clock, r, count } = setup();
    r.found(A);
    r.want(B, 60_000);
    r.failed(A);
    r.failed(B);
    expect(clock.pending).toBe(2);
    r.stop();
    expect(clock.pending).toBe(0);
    expect(r.size).toBe(0);
    r.found(A);
    r.want(B, 1000);
    expect(r.size).toBe(0);
    expect(count(A)).toBe(1);
  });
});
