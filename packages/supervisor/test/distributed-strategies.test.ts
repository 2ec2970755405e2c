import { describe, expect, test } from 'vitest';
import { MemoryNetwork, type Node } from '@foundation/runtime';
import {
  startPartitioned,
  startReplicated,
  startSingleton,
  type Partitioned,
  type Replicated,
  type Singleton,
} from '@foundation/supervisor';
import { Keeper, type KeeperState, SYNC, expectExactlyOnce, instances, running, startNode, until } from './distributed-support.js';

async function nodes(names: string[], net = new MemoryNetwork()): Promise<Node[]> {
  const out: Node[] = [];
  for (const n of names) out.push(await startNode(n, net));
  return out;
}

describe('DistributedSupervisor strategies', () => {
  test('startSingleton: one instance in the cluster whichever nodes call it, moved when its node is lost', async () => {
    const net = new MemoryNetwork();
    const ns = await nodes(['a', 'b', 'c'], net);
    const handles: Singleton<typeof Keeper>[] = [];
    for (const n of ns)
      handles.push(await startSingleton(n, { id: 'leader', start: [Keeper, { id: 'leader' }] }, { syncIntervalMs: SYNC }));
    await until(() => {
      expectExactlyOnce(ns, ['leader']);
      for (const h of handles) expect(h.whereis()?.equals(running(ns).get('leader')![0]!)).toBe(true);
    });
    expect(instances.get('leader')).toHaveLength(1);
    const at = handles[0]!.whereis()!.node;
    net.crash(at);
    const rest = ns.filter((n) => n.name !== at);
    await until(() => expectExactlyOnce(rest, ['leader']));
    const h = handles[ns.findIndex((n) => n.name !== at)]!;
    await until(() => expect(rest.map((n) => n.name)).toContain(h.whereis()?.node));
    const got = await rest[0]!.call(h.via(), 'get').catch((e: unknown) => {
      throw new Error(
        `${String(e)}; whereis ${String(h.whereis())}; instances ${instances.get('leader')!.map(String).join(',')}; at ${at}; running ${running(rest).get('leader')?.map(String).join(',')}`,
      );
    });
    expect((got as KeeperState).id).toBe('leader');
  });

  test('startReplicated: one instance per node, a node that joins later gets its own, a lost node’s is not moved', async () => {
    const net = new MemoryNetwork();
    const ns = await nodes(['a', 'b'], net);
    const spec = { id: 'cache', start: [Keeper, { id: 'cache' }] } as const;
    const hs: Replicated<typeof Keeper>[] = [];
    for (const n of ns) hs.push(await startReplicated(n, spec, { syncIntervalMs: SYNC }));
    const c = (await nodes(['c'], net))[0]!;
    hs.push(await startReplicated(c, spec, { syncIntervalMs: SYNC }));
    const all = [...ns, c];
    await until(() => {
      for (const h of hs) expect([...h.instances().keys()].sort()).toEqual(['a', 'b', 'c']);
      expect(running(all).get('cache')).toHaveLength(3);
    });
    for (const n of all) expect(hs[0]!.whereis(n.name)!.node).toBe(n.name);
    net.crash('c');
    await until(() => expect([...hs[0]!.instances().keys()].sort()).toEqual(['a', 'b']));
    expect(running(ns).get('cache')).toHaveLength(2);
  });

  test('startPartitioned: one instance per key, placed by the ring, reachable by key', async () => {
    const net = new MemoryNetwork();
    const ns = await nodes(['a', 'b', 'c'], net);
    const hs: Partitioned<typeof Keeper>[] = [];
    for (const n of ns)
      hs.push(await startPartitioned(n, { id: 'shard', start: [Keeper] }, { key: (k) => ({ id: k }), syncIntervalMs: SYNC }));
    await until(() => {
      for (const h of hs) expect(h.supervisor.members()).toEqual(['a', 'b', 'c']);
    });
    const keys = Array.from({ length: 12 }, (_, i) => `user${i}`);
    for (const k of keys) await hs[0]!.ensure(k);
    for (const k of keys) expect((await hs[1]!.ensure(k)).node).toBe(hs[1]!.supervisor.placement(`shard:${k}`));
    await until(() => {
      expectExactlyOnce(ns, keys);
      for (const k of keys) expect(hs[2]!.whereis(k)).toBeDefined();
    });
    const r = (await ns[2]!.call(hs[2]!.via('user3'), 'inc')) as KeeperState;
    expect(r).toMatchObject({ id: 'user3', count: 1 });
    expect(new Set(keys.map((k) => hs[0]!.whereis(k)!.node)).size).toBeGreaterThan(1);
  });
  test('startPartitioned on a node joining a running cluster resolves a key to the instance that runs it, not a new one', async () => {
    const net = new MemoryNetwork();
    const ns = await nodes(['a', 'b'], net);
    const opts = { key: (k: string) => ({ id: k }), syncIntervalMs: SYNC };
    const hs: Partitioned<typeof Keeper>[] = [];
    for (const n of ns) hs.push(await startPartitioned(n, { id: 'joined', start: [Keeper] }, opts));
    const keys = Array.from({ length: 8 }, (_, i) => `j${i}`);
    for (const k of keys) await ns[0]!.call(await hs[0]!.ensure(k), 'inc');
    const c = (await nodes(['c'], net))[0]!;
    const hc = await startPartitioned(c, { id: 'joined', start: [Keeper] }, opts);
    // At once, as a user would: every key already has an instance (count 1), and ensure must find it.
    for (const k of keys) expect(((await c.call(await hc.ensure(k), 'get')) as KeeperState).count, k).toBe(1);
    for (const k of keys) expect(instances.get(k), k).toHaveLength(1);
  });
});
