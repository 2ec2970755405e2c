import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Node } from '@foundation/runtime';
import { Cache, CacheOptionError, type InvalidationBus, type InvalidationEvent } from '../src/index.js';
import { PartitionedCluster } from './partitioned-cluster.js';
import { until } from './support.js';

let cluster: PartitionedCluster;
beforeAll(async () => {
  cluster = await PartitionedCluster.start(['ma', 'mb']);
}, 30_000);
afterAll(() => cluster.stop());

let n = 0;

test('a write on another node invalidates the near copy here; near hits do not reach the far level', async () => {
  const name = `inv${++n}`;
  const [farA, farB] = await cluster.caches(name, { replicas: 1 });
  const [a, b] = cluster.nodes as [Node, Node];
  const nearA = await Cache.start(a, { name: `near-${name}`, adapter: 'multilevel', far: farA! });
  const nearB = await Cache.start(b, { name: `near-${name}`, adapter: 'multilevel', far: farB! });
  await nearB.put('k', 1);
  // Filled near on a (a fill that raced the invalidation of b's write is not kept: read until one is).
  await until(async () => {
    const before = (await farA!.stats()).hits;
    expect(await nearA.get('k')).toBe(1);
    expect((await farA!.stats()).hits).toBe(before);
  });
  const farHits = (await farA!.stats()).hits;
  for (let i = 0; i < 10; i++) expect(await nearA.get('k')).toBe(1);
  expect((await farA!.stats()).hits).toBe(farHits);
  await nearB.put('k', 2);
  await until(async () => expect(await nearA.get('k')).toBe(2));
  await nearB.delete('k');
  await until(async () => expect(await nearA.get('k')).toBeUndefined());
  await nearA.put('j', 'x');
  expect(await nearB.get('j')).toBe('x');
  await nearA.clear();
  await until(async () => expect(await nearB.get('j')).toBeUndefined());
  for (const c of [nearA, nearB, farA!, farB!]) await c.stop();
});

/** A bus of this process only, that can lose events: the near TTL must bound how stale a copy gets. */
class LossyBus implements InvalidationBus {
  static readonly all: LossyBus[] = [];
  lose = false;
  private readonly handlers = new Set<(e: InvalidationEvent) => void>();
  constructor() {
    LossyBus.all.push(this);
  }
  publish(event: InvalidationEvent): void {
    if (this.lose) return;
    for (const bus of LossyBus.all) if (bus !== this) for (const h of bus.handlers) h(event);
  }
  subscribe(handler: (e: InvalidationEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}

test('a given InvalidationBus carries the invalidations; when one is lost the near copy lives at most nearTtlMs', async () => {
  const name = `lossy${++n}`;
  const [farA, farB] = await cluster.caches(name, { replicas: 1 });
  const [a, b] = cluster.nodes as [Node, Node];
  const busA = new LossyBus();
  const busB = new LossyBus();
  const nearA = await Cache.start(a, { name, adapter: 'multilevel', far: farA!, bus: busA, nearTtlMs: 300 });
  const nearB = await Cache.start(b, { name, adapter: 'multilevel', far: farB!, bus: busB, nearTtlMs: 300 });
  await nearB.put('k', 1);
  expect(await nearA.get('k')).toBe(1);
  await nearB.put('k', 2);
  expect(await nearA.get('k')).toBe(2); // the bus is synchronous here: invalidated at once
  busB.lose = true;
  await nearB.put('k', 3);
  expect(await nearA.get('k')).toBe(2); // stale: the invalidation was lost...
  await until(async () => expect(await nearA.get('k')).toBe(3), 3000); // ...for nearTtlMs at most
  for (const c of [nearA, nearB, farA!, farB!]) await c.stop();
});

test('multilevel options: far must be a cache handle, bus an InvalidationBus', async () => {
  const node = cluster.nodes[0]!;
  await expect(Cache.start(node, { name: 'bad', adapter: 'multilevel', far: {} as never })).rejects.toBeInstanceOf(CacheOptionError);
  const far = await Cache.start(node, { name: 'bad-far', adapter: 'local' });
  await expect(Cache.start(node, { name: 'bad', adapter: 'multilevel', far, bus: { publish: 1 } as never })).rejects.toBeInstanceOf(
    CacheOptionError,
  );
});

test('a near fill that raced another node’s write is not kept: the next read is fresh', async () => {
  const node = cluster.nodes[0]!;
  const inner = await Cache.start(node, { name: `race${++n}`, adapter: 'local' });
  // The far level as node a sees it: its reads take the value, then wait for a gate (a slow network).
  let open!: () => void;
  let gate = Promise.resolve();
  const slowGet = async (key: unknown) => {
    const v = await inner.get(key);
    await gate;
    return v;
  };
  const far = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'get') return slowGet;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const busA = new LossyBus();
  const busB = new LossyBus();
  const nearA = await Cache.start(node, { name: 'race', adapter: 'multilevel', far, bus: busA });
  const nearB = await Cache.start(node, { name: 'race', adapter: 'multilevel', far: inner, bus: busB });
  await nearB.put('k', 1);
  gate = new Promise((r) => (open = r));
  const reading = nearA.get('k'); // has read 1 from far, waits at the gate
  await until(() => expect(open).toBeTypeOf('function'));
  await nearB.put('k', 2); // invalidates a's near copy meanwhile
  open();
  expect(await reading).toBe(1); // that read began before the write
  expect(await nearA.get('k')).toBe(2); // but its value was not kept near
  for (const c of [nearA, nearB, inner]) await c.stop();
});
