import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Node, SimulatedClock } from '@foundation/runtime';
import { Supervisor, isReachedMaxRestartIntensity, type RestartType, type Strategy } from '../src/index.js';
import { Worker, watch } from './helpers.js';

type Reason = 'normal' | 'shutdown' | 'crash';
interface Crash { dt: number; child: number; reason: Reason }
interface Setup { strategy: Strategy; maxRestarts: number; maxSeconds: number; restarts: RestartType[] }

/**
 * A small pure model of OTP's supervisor, written from the documented rules: restart by type,
 * the restart list pruned to the window, the strategy's group stopped last-first (temporary
 * members forgotten) and started in order.
 */
class Model {
  children: { id: string; restart: RestartType; running: boolean }[];
  restarts: number[] = [];
  constructor(readonly s: Setup) {
    this.children = s.restarts.map((restart, i) => ({ id: `c${i}`, restart, running: true }));
  }
  /** Returns the ids started, in order, or 'gaveUp'. */
  exit(id: string, reason: Reason, now: number): string[] | 'gaveUp' {
    const c = this.children.find((x) => x.id === id)!;
    c.running = false;
    const restart = c.restart === 'permanent' || (c.restart === 'transient' && reason === 'crash');
    if (!restart) {
      if (c.restart === 'temporary') this.children.splice(this.children.indexOf(c), 1);
      return [];
    }
    this.restarts = [now, ...this.restarts.filter((t) => t >= now - this.s.maxSeconds * 1000)];
    if (this.restarts.length > this.s.maxRestarts) return 'gaveUp';
    const i = this.children.indexOf(c);
    const group =
      this.s.strategy === 'one_for_one' ? [c] : this.s.strategy === 'one_for_all' ? [...this.children] : this.children.slice(i);
    for (const g of [...group].reverse()) {
      if (g.running && g.restart === 'temporary') this.children.splice(this.children.indexOf(g), 1);
      g.running = false;
    }
    const started: string[] = [];
    for (const g of group) {
      if (!this.children.includes(g)) continue;
      g.running = true;
      started.push(g.id);
    }
    return started;
  }
}

const setupArb: fc.Arbitrary<Setup> = fc.record({
  strategy: fc.constantFrom<Strategy>('one_for_one', 'one_for_all', 'rest_for_one'),
  maxRestarts: fc.integer({ min: 0, max: 4 }),
  maxSeconds: fc.integer({ min: 1, max: 3 }),
  restarts: fc.array(fc.constantFrom<RestartType>('permanent', 'transient', 'temporary'), { minLength: 1, maxLength: 4 }),
});
const crashArb: fc.Arbitrary<Crash> = fc.record({
  dt: fc.integer({ min: 0, max: 1500 }),
  child: fc.integer({ min: 0, max: 3 }),
  reason: fc.constantFrom<Reason>('normal', 'shutdown', 'crash'),
});

async function check(setup: Setup, crashes: Crash[]): Promise<void> {
  const node = await Node.start({ name: 'prop' });
  try {
    const clock = new SimulatedClock();
    const log: string[] = [];
    const sup = await Supervisor.start(node, {
      strategy: setup.strategy,
      maxRestarts: setup.maxRestarts,
      maxSeconds: setup.maxSeconds,
      clock,
      children: setup.restarts.map((restart, i) => ({ id: `c${i}`, restart, start: [Worker, { id: `c${i}`, log }] })),
    });
    const model = new Model(setup);
    const inbox = node.inbox();
    const supDown = watch(inbox, sup, 60_000);
    for (const crash of crashes) {
      clock.advance(crash.dt);
      const kids = await Supervisor.whichChildren(node, sup);
      const target = kids.find((k) => k.id === `c${crash.child}` && k.pid !== null);
      if (!target) continue; // not running (or gone): nothing to crash, in the model either
      const mark = log.length;
      const down = watch(inbox, target.pid!);
      node.cast(target.pid!, crash.reason === 'crash' ? { crash: 'boom' } : { stop: crash.reason });
      await down;
      const expected = model.exit(target.id!, crash.reason, clock.now());
      if (expected === 'gaveUp') {
        const { reason } = await supDown;
        expect(isReachedMaxRestartIntensity(reason)).toBe(true);
        expect(reason).toMatchObject({ shutdown: { reachedMaxRestartIntensity: { child: target.id } } });
        return;
      }
      // the first call flushes the EXIT into the mailbox ahead of the second (see report)
      await Supervisor.countChildren(node, sup);
      const now = await Supervisor.whichChildren(node, sup);
      expect(log.slice(mark).filter((l) => l.startsWith('start:')).map((l) => l.slice(6))).toEqual(expected);
      expect(now.map((k) => [k.id, k.pid !== null])).toEqual(model.children.map((c) => [c.id, c.running]));
    }
  } finally {
    await node.stop();
  }
}

describe('Supervisor against a reference model of OTP', () => {
  test('random crash schedules: same children restart, in the same order, and it gives up at the same crash', async () => {
    await fc.assert(fc.asyncProperty(setupArb, fc.array(crashArb, { maxLength: 20 }), check), { numRuns: 150 });
  });
});
