import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Actor, UnknownOptionError } from '@foundation/runtime';
import {
  EventuallyError,
  FAULT_KINDS,
  InvariantError,
  SimulationPropertyError,
  assertSimulation,
  checkAlways,
  checkEventually,
  faultSchedule,
  simulate,
} from '@foundation/testkit';

/** Messages Counter actors handled, in all nodes of the run (what the invariant reads). */
let handled = 0;

/** Counts the messages it gets in `handled`. */
class Counter extends Actor<'inc'> {
  override handleInfo(): void {
    handled++;
  }
}

describe('checkAlways', () => {
  test('an invariant that breaks stops the run after that step with InvariantError naming it and the seed', async () => {
    handled = 0;
    const e = await simulate({ nodes: 2, seed: 8 }, async (cluster) => {
      const counter = cluster.node('b').spawn(Counter, undefined);
      checkAlways(cluster, 'fewer than 3 messages handled', () => handled < 3);
      for (let i = 0; i < 5; i++) cluster.node('a').send(counter, 'inc');
      await cluster.runUntilQuiet();
    }).catch((e: unknown) => e);
    expect(e).toBeInstanceOf(InvariantError);
    expect((e as InvariantError).invariant).toBe('fewer than 3 messages handled');
    expect((e as Error).message).toContain('seed 8');
    expect(handled).toBe(3); // stopped right after the step that broke it
  });

  test('an invariant that holds lets the run finish', async () => {
    await simulate({ nodes: 2, seed: 8 }, async (cluster) => {
      checkAlways(cluster, 'both nodes up', () => cluster.nodes.length === 2);
      await cluster.advance(100);
    });
  });
});

describe('checkEventually', () => {
  test('resolves once the condition holds, at the step it starts to', async () => {
    await simulate({ nodes: 2, seed: 3 }, async (cluster) => {
      const box = cluster.node('b').inbox();
      cluster.delay('a', 'b', 70);
      cluster.node('a').send(box.self, 'hello');
      await checkEventually(cluster, 'the message arrived', () => box.pending > 0);
      expect(cluster.now).toBe(70);
    });
  });

  test('rejects with EventuallyError when the condition does not hold within the time given', async () => {
    await simulate({ nodes: 1, seed: 3 }, async (cluster) => {
      const e = await checkEventually(cluster, 'never', () => false, { withinMs: 250 }).catch((e: unknown) => e);
      expect(e).toBeInstanceOf(EventuallyError);
      expect(cluster.now).toBe(250);
    });
  });
});

describe('faultSchedule', () => {
  test('draws faults in time order, within the window, naming only the nodes given', () => {
    const nodes = ['a', 'b', 'c'];
    fc.assert(
      fc.property(faultSchedule({ nodes, withinMs: 300, maxFaults: 6 }), (faults) => {
        expect(faults.length).toBeLessThanOrEqual(6);
        for (let i = 1; i < faults.length; i++) expect(faults[i]!.at).toBeGreaterThanOrEqual(faults[i - 1]!.at);
        for (const f of faults) {
          expect(FAULT_KINDS).toContain(f.kind);
          expect(f.at >= 0 && f.at <= 300).toBe(true);
          const named = f.kind === 'partition' ? f.groups.flat() : 'node' in f ? [f.node] : 'a' in f ? [f.a, f.b] : [];
          for (const n of named) expect(nodes).toContain(n);
          if (f.kind === 'partition') expect(f.groups.flat().sort()).toEqual(nodes);
          if ('a' in f) expect(f.a).not.toBe(f.b);
        }
      }),
    );
  });

  test('bad options are refused with a named error', () => {
    expect(() => faultSchedule({ nodes: ['a'] })).toThrow(/at least two node names/);
    expect(() => faultSchedule({ nodes: ['a', 'b'], kinds: ['meteor' as never] })).toThrow(/kinds/);
    expect(() => faultSchedule({ nodes: ['a', 'b'], withinMS: 5 } as never)).toThrow(UnknownOptionError);
  });
});

describe('cluster.inject', () => {
  test.each([
    [[{ at: 0, kind: 'meteor' }], 'faults[0].kind'],
    [[{ at: -1, kind: 'heal' }], 'faults[0].at'],
    [[{ at: 0, kind: 'crash', node: 'z' }], 'faults[0].node'],
    [
      [
        { at: 0, kind: 'heal' },
        { at: 0, kind: 'partition', groups: [['a'], ['q']] },
      ],
      'faults[1].groups',
    ],
    [[{ at: 0, kind: 'slow', node: 'a', factor: 0 }], 'faults[0].factor'],
    ['crash a', 'faults'],
  ])('refuses the malformed schedule %j with InvalidArgumentError naming %s', async (faults, field) => {
    await simulate({ nodes: 2, seed: 1 }, async (cluster) => {
      expect(() => cluster.inject(faults as never)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', field }));
    });
  });
});

describe('assertSimulation', () => {
  test('a failing property throws SimulationPropertyError with the seed and the shrunk faults; the replay fails the same way', async () => {
    const nodes = ['a', 'b', 'c'];
    const opts = {
      nodes,
      faults: faultSchedule({ nodes, kinds: ['crash'], maxFaults: 3 }),
      // Deliberately false: "no node ever crashes".
      property: async (cluster: { runUntilQuiet(): Promise<void>; advance(ms: number): Promise<void>; nodes: readonly unknown[] }) => {
        await cluster.advance(1000);
        expect(cluster.nodes).toHaveLength(3);
      },
      numRuns: 100,
    };
    const e = await assertSimulation(opts).catch((e: unknown) => e);
    expect(e).toBeInstanceOf(SimulationPropertyError);
    const f = e as SimulationPropertyError;
    expect(f.faults).toEqual([{ at: 0, kind: 'crash', node: 'a' }]); // shrunk to the smallest case
    expect(f.message).toMatch(/seed: {3}\d+/);
    const again = await assertSimulation({ ...opts, replay: { seed: f.seed, faults: f.faults as never } }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SimulationPropertyError);
  });
});
