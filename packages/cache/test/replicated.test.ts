import { afterAll, beforeAll, expect, test } from 'vitest';
import fc from 'fast-check';
import type { Node } from '@foundation/runtime';
import { Cache } from '../src/index.js';
import { startPartitioned } from '../src/internal/partitioned/start.js';
import { PartitionedCluster } from './partitioned-cluster.js';
import { until } from './support.js';

let cluster: PartitionedCluster;
beforeAll(async () => {
  cluster = await PartitionedCluster.start(['a', 'b', 'c']);
}, 30_000);
afterAll(() => cluster.stop());

let n = 0;

test('a write on one node reads back on every node as soon as it is acknowledged', async () => {
  const caches = await cluster.caches(`w${++n}`, { adapter: 'replicated' });
  await caches[0]!.put('k', 'v');
  for (const c of caches) expect(await c.get('k')).toBe('v');
  await caches[2]!.delete('k');
  for (const c of caches) expect(await c.has('k')).toBe(false);
  for (const c of caches) await c.stop();
});

test('a node starting the cache is filled before Cache.start resolves', async () => {
  const name = `fill${++n}`;
  const [a, b, c] = cluster.nodes as [Node, Node, Node];
  const ca = await Cache.start(a, { name, adapter: 'replicated' });
  const cb = await Cache.start(b, { name, adapter: 'replicated' });
  await until(async () => expect((await a.call<{ ok: string[] }>(`foundation.cache:${name}`, { op: 'members' }, 2000)).ok).toHaveLength(2));
  const entries = Array.from({ length: 2500 }, (_, i) => [`k${i}`, i] as const);
  await ca.putAll(entries);
  const cc = await Cache.start(c, { name, adapter: 'replicated' });
  // No waiting: the newcomer's first reads see everything.
  expect(await cc.size()).toBe(2500);
  expect((await cc.getAll(entries.map(([k]) => k))).size).toBe(2500);
  for (const x of [ca, cb, cc]) await x.stop();
});

/** One write of a round: a put of `value` (or a delete, when null) by node `node`. */
interface Write {
  readonly node: number;
  readonly key: string;
  readonly value: number | null;
}

const KEYS = ['x', 'y', 'z'];

// Rounds of writes; in a round several nodes may put the same key concurrently, while a
// delete is the only write of its key in its round (whether a concurrent put reached the
// deleting node first is a race the model cannot know).
const roundArb: fc.Arbitrary<Write[]> = fc
  .array(
    fc.record({
      node: fc.integer({ min: 0, max: 2 }),
      key: fc.constantFrom(...KEYS),
      value: fc.option(fc.integer({ min: 0, max: 99 }), { nil: null }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((ws) => ws.filter((w) => w.value !== null || ws.filter((o) => o.key === w.key).length === 1));

test('replicas converge to the sequential model: a later round wins whatever the clocks say, and concurrent puts agree on one of theirs', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(roundArb, { minLength: 1, maxLength: 8 }),
      // Clock offsets of the three nodes, up to 50 s behind: a node that writes later may have a clock
      // far behind the one that wrote before it (within the HLC's 60 s offset limit).
      fc.tuple(fc.integer({ min: -50_000, max: 0 }), fc.integer({ min: -50_000, max: 0 }), fc.integer({ min: -50_000, max: 0 })),
      async (rounds, skews) => {
        const name = `prop${++n}`;
        const base = Date.now();
        let round = 0;
        const caches = await Promise.all(
          cluster.nodes.map((node, i) =>
            startPartitioned<string, number>(node, {
              name,
              replicas: 0,
              bounds: { maxEntries: 1000, maxBytes: undefined },
              timeoutMs: 5000,
              graceMs: 10_000,
              leaseMs: 30_000,
              replicated: true,
              clock: { now: () => base + round * 1000 + skews[i]! },
            }),
          ),
        );
        try {
          await until(async () => {
            for (const node of cluster.nodes)
              expect((await node.call<{ ok: string[] }>(`foundation.cache:${name}`, { op: 'members' }, 2000)).ok).toHaveLength(3);
          });
          const model = new Map<string, number>();
          for (const writes of rounds) {
            round++;
            await Promise.all(writes.map((w) => (w.value === null ? caches[w.node]!.delete(w.key) : caches[w.node]!.put(w.key, w.value))));
            const observed = await Promise.all(caches.map((c) => c.getAll(KEYS)));
            for (const key of KEYS) {
              const puts = writes.filter((w) => w.key === key && w.value !== null).map((w) => w.value!);
              const deleted = writes.some((w) => w.key === key && w.value === null);
              const seen = observed.map((m) => m.get(key));
              // Every replica agrees...
              expect(new Set(seen).size).toBe(1);
              // ...on what the model says: this round's put (one of them), nothing after its delete, else the earlier state.
              if (puts.length > 0) {
                expect(puts).toContain(seen[0]);
                model.set(key, seen[0]!);
              } else if (deleted) {
                model.delete(key);
              }
              expect(seen[0]).toBe(model.get(key));
            }
          }
        } finally {
          for (const c of caches) await c.stop();
        }
      },
    ),
    { numRuns: 25 },
  );
}, 120_000);
