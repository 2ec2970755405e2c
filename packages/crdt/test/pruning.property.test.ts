import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { AWLWWMap, AWORSet, type ReplicatedCrdt } from '@foundation/crdt';
import { SimCluster, laggardSchedule, liveDots, schedule, storeOf, type Step } from './sim-cluster.js';

/*
 * Pruning (src/internal/pruning.ts) under the simulated network of ./sim-cluster.ts, with
 * restarts: every restart makes a new replica id, and retires the node's previous one.
 */

const read = (c: ReplicatedCrdt) =>
  JSON.stringify(c instanceof AWORSet ? c.values().sort() : (c as AWLWWMap<number, number>).toArray().sort((a, b) => a[0] - b[0]));

/** Replicas of the oracle's live dots that are not running any more: their entries may stay while their values live. */
function deadWriters(sim: SimCluster): number {
  const live = new Set(sim.crdts.map((c) => c.replica));
  const writers = new Set([...liveDots(sim.oracle)].map((d) => d.slice(0, d.lastIndexOf(':'))));
  return [...writers].filter((r) => !live.has(r)).length;
}

const cases = fc
  .integer({ min: 2, max: 4 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.oneof(schedule(n, true), laggardSchedule(n)),
      fc.constantFrom<'aworset' | 'awlwwmap'>('aworset', 'awlwwmap'),
    ),
  );

/** Plays `steps`, checking after each one that no replica got back a dot it had dropped (a removal undone). */
function playWatchingResurrection(sim: SimCluster, steps: Step[]): void {
  const held = sim.crdts.map((c) => liveDots(c));
  const gone = sim.crdts.map(() => new Set<string>());
  const check = () => {
    for (let i = 0; i < sim.n; i++) {
      const now = liveDots(sim.crdts[i]!);
      for (const d of now)
        if (gone[i]!.has(d)) throw new Error(`replica ${sim.crdts[i]!.replica} got back ${d}, which it had seen removed`);
      for (const d of held[i]!) if (!now.has(d)) gone[i]!.add(d);
      held[i] = now;
    }
  };
  for (const s of steps) {
    const before = sim.crdts.map((c) => c.replica);
    sim.play(s);
    sim.crdts.forEach((c, i) => {
      if (c.replica !== before[i]) {
        held[i] = new Set();
        gone[i] = new Set();
      }
    });
    check();
  }
  sim.settle(60);
  check();
}

describe('pruning of dead replicas', () => {
  test('property: convergence to the sequential model (the join of every delta) survives pruning under delays, duplicates, reordering, drops, partitions and restarts', () => {
    fc.assert(
      fc.property(cases, ([n, steps, kind]) => {
        // Nodes cut off for 9 ticks are retired too: live replicas get pruned and must come back.
        const sim = new SimCluster(n, kind, { nodeFormIds: true, engine: { pruningMarkerTicks: 10_000, retireDownAfterTicks: 9 } });
        for (const s of steps) sim.play(s);
        const model = storeOf(sim.oracle);
        expect(
          sim.settle(60, () => sim.crdts.every((c) => storeOf(c) === model)),
          'rounds to converge',
        ).toBeGreaterThan(0);
        for (const c of sim.crdts) expect(read(c)).toBe(read(sim.oracle));
      }),
      { numRuns: Number(process.env.RUNS ?? 500) },
    );
  });

  test('property: no resurrection — a replica never gets back a value it has seen removed, through pruning, restarts and lagging replicas', () => {
    fc.assert(
      fc.property(cases, ([n, steps, kind]) => {
        playWatchingResurrection(
          new SimCluster(n, kind, { nodeFormIds: true, engine: { pruningMarkerTicks: 10_000, retireDownAfterTicks: 9 } }),
          steps,
        );
      }),
      { numRuns: Number(process.env.RUNS ?? 500) },
    );
  });

  test('property: once pruning completes, a context holds the live replicas (+ dead ones whose values still live), and markers are forgotten', () => {
    fc.assert(
      fc.property(cases, ([n, steps, kind]) => {
        const sim = new SimCluster(n, kind, { nodeFormIds: true, engine: { pruningMarkerTicks: 30, retireDownAfterTicks: 9 } });
        for (const s of steps) sim.play(s);
        const bounded = (extra: number) => () => sim.engines.every((e) => e.stats().contextReplicas <= n + extra);
        expect(sim.settle(200, bounded(deadWriters(sim))), 'rounds to prune').toBeGreaterThan(0);
        // With every value removed, no dead replica's entry has a reason to stay, nor its marker after the TTL.
        for (let k = 0; k < 5; k++) sim.write(0, k, 0, true);
        const forgotten = () => bounded(0)() && sim.engines.every((e) => e.stats().retiring === 0);
        expect(sim.settle(200, forgotten), 'rounds to prune after removing everything').toBeGreaterThan(0);
        for (const c of sim.crdts) expect(c.context.size.cloud).toBe(0);
      }),
      { numRuns: Number(process.env.RUNS ?? 150) },
    );
  });

  test('a live replica retired while only cut off loses its markers once it is heard from again: they do not travel between the others for ever', () => {
    const n = 3;
    const sim = new SimCluster(n, 'aworset', { nodeFormIds: true, engine: { pruningMarkerTicks: 30, retireDownAfterTicks: 9 } });
    const steps: Step[] = [
      { t: 'write', at: 2, k: 0, v: 0, del: false },
      { t: 'round' },
      { t: 'cut', a: 1, b: 2 },
      { t: 'round' },
      ...Array.from({ length: 5 }, (): Step[] => [{ t: 'tick', at: 1 }, { t: 'tick', at: 1 }, { t: 'round' }]).flat(),
    ];
    for (const s of steps) sim.play(s);
    expect(sim.settle(200), 'rounds to converge').toBeGreaterThan(0);
    sim.write(0, 0, 0, true);
    const forgotten = () => sim.engines.every((e) => e.stats().contextReplicas <= n && e.stats().retiring === 0);
    expect(sim.settle(200, forgotten), 'rounds until no marker is left').toBeGreaterThan(0);
  });

  test('a restarted node’s previous replicas leave every context, and their markers go after the TTL', () => {
    const sim = new SimCluster(3, 'aworset', { nodeFormIds: true, engine: { pruningMarkerTicks: 12 } });
    for (let start = 0; start < 4; start++) {
      sim.write(0, start, 0, false);
      sim.write(0, start, 0, true);
      sim.settle();
      sim.restart(0);
    }
    const prunedEverywhere = () => sim.engines.every((e) => e.stats().contextReplicas <= 1);
    expect(sim.settle(40, prunedEverywhere)).toBeGreaterThan(0);
    expect(sim.engines[1]!.stats().retiring).toBeGreaterThan(0);
    expect(sim.settle(40, () => prunedEverywhere() && sim.engines.every((e) => e.stats().retiring === 0))).toBeGreaterThan(0);
    // Still replicating.
    sim.write(2, 9, 0, false);
    expect(sim.settle()).toBeGreaterThan(0);
    expect((sim.crdts[0] as AWORSet<number>).has(9)).toBe(true);
  });

  test('a lagging replica holding a removed value of a pruned replica does not bring it back: it drops it', () => {
    const sim = new SimCluster(3, 'aworset', { nodeFormIds: true, engine: { pruningMarkerTicks: 10_000 } });
    const old = sim.crdts[0]!.replica;
    sim.write(0, 7, 0, false);
    sim.settle();
    sim.cut(0, 2);
    sim.cut(1, 2); // n2 lags, holding 7 (a dot of n0's first replica)
    sim.write(1, 7, 0, true);
    sim.restart(0); // n0's first replica is dead; n0 and n1 retire and prune it
    for (let r = 0; r < 12; r++) sim.round();
    for (const i of [0, 1]) expect(sim.crdts[i]!.context.max(old)).toBe(0);
    expect((sim.crdts[2] as AWORSet<number>).has(7)).toBe(true);
    expect(sim.settle(40)).toBeGreaterThan(0);
    for (const c of sim.crdts) expect((c as AWORSet<number>).has(7)).toBe(false);
  });

  test('a node down longer than retireDownAfterTicks has its replica pruned; if it was only cut off, it comes back without undoing a removal', () => {
    const sim = new SimCluster(3, 'aworset', { nodeFormIds: true, engine: { pruningMarkerTicks: 10_000, retireDownAfterTicks: 6 } });
    const gone = sim.crdts[2]!.replica;
    sim.write(2, 5, 0, false);
    sim.write(2, 6, 0, false);
    sim.settle();
    sim.cut(0, 2);
    sim.cut(1, 2);
    sim.write(0, 5, 0, true);
    sim.write(1, 6, 0, true);
    for (let r = 0; r < 20; r++) sim.round();
    for (const i of [0, 1]) expect(sim.crdts[i]!.context.max(gone)).toBe(0);
    expect(sim.engines[0]!.stats().contextReplicas).toBe(2);
    // It was alive: it writes again, and its old values stay removed.
    sim.write(2, 7, 0, false);
    expect(sim.settle(40)).toBeGreaterThan(0);
    for (const c of sim.crdts) expect((c as AWORSet<number>).values().sort()).toEqual([7]);
  });

  test('options: pruningMarkerTicks and retireDownAfterTicks are checked', () => {
    expect(() => new SimCluster(2, 'aworset', { engine: { pruningMarkerTicks: 0 } })).toThrow(/pruningMarkerTicks/);
    expect(() => new SimCluster(2, 'aworset', { engine: { retireDownAfterTicks: -1 } })).toThrow(/retireDownAfterTicks/);
    expect(() => new SimCluster(2, 'aworset', { engine: { retireDownAfterTicks: Infinity } })).not.toThrow();
  });

  test('a replica that never knew a pruned replica takes the marker from pruned data, so a peer still holding a superseded dot cannot hand it over', () => {
    // Found by the convergence property: n0, cut off, first hears from n2 (which has pruned
    // n1's first replica, whose value n2 superseded), then from n1's new replica, which still
    // held that value. Contexts with pruned entries put back were equal, so no digest repaired it.
    const steps: Step[] = [
      { t: 'write', at: 1, k: 0, v: 0, del: false },
      { t: 'cut', a: 0, b: 1 },
      { t: 'cut', a: 0, b: 2 },
      { t: 'restart', at: 1 },
      { t: 'write', at: 2, k: 0, v: 0, del: false },
      { t: 'deliver', i: 0 },
      { t: 'round' },
      { t: 'heal', a: 0, b: 1 },
      { t: 'heal', a: 0, b: 2 },
      { t: 'deliver', i: 1640215291 },
    ];
    const sim = new SimCluster(3, 'aworset', { nodeFormIds: true, engine: { pruningMarkerTicks: 10_000, retireDownAfterTicks: 9 } });
    for (const s of steps) sim.play(s);
    const model = storeOf(sim.oracle);
    expect(sim.settle(60, () => sim.crdts.every((c) => storeOf(c) === model))).toBeGreaterThan(0);
  });

  test('a forged marker naming a live replica loses none of its writes', () => {
    const sim = new SimCluster(3, 'aworset', { nodeFormIds: true });
    sim.write(2, 1, 0, false);
    sim.write(2, 2, 0, false);
    sim.settle();
    const live = sim.crdts[2]!.replica;
    for (const forged of [false, true]) {
      sim.engines[0]!.receive({
        $crdt: 'digest',
        name: 'm',
        from: 'n1',
        replica: sim.crdts[1]!.replica,
        context: sim.crdts[1]!.context.toWire(),
        reply: false,
        retired: [[live, sim.crdts[2]!.context.max(live), forged]],
      });
    }
    for (let r = 0; r < 10; r++) sim.round();
    sim.write(2, 2, 0, true);
    sim.write(2, 3, 0, false);
    const model = storeOf(sim.oracle);
    expect(sim.settle(40, () => sim.crdts.every((c) => storeOf(c) === model))).toBeGreaterThan(0);
    for (const c of sim.crdts) expect((c as AWORSet<number>).values().sort()).toEqual([1, 3]);
  });
});
