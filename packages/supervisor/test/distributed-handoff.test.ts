import { describe, expect, test } from 'vitest';
import { MemoryNetwork } from '@foundation/runtime';
import { DistributedSupervisor } from '@foundation/supervisor';
import { Keeper, type KeeperState, SYNC, cluster, expectExactlyOnce, idsOf, instances, startNode, until } from './distributed-support.js';

describe('DistributedSupervisor: handoff', () => {
  test("'active': a joining member takes over the ids it now owns, with the state handoff() returned", async () => {
    const net = new MemoryNetwork();
    const { nodes, sups } = await cluster(['a', 'b'], { redistribution: 'active' }, net);
    const ids = idsOf(40);
    for (const id of ids) await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    // Give every child a count of its own: what must survive the move (via a's view, once it shows them all).
    await until(() => expect(sups[0]!.countChildren().active).toBe(40));
    for (const [i, id] of ids.entries()) for (let k = 0; k <= i % 3; k++) await nodes[0]!.call(sups[0]!.via(id), 'inc');
    const c = await startNode('c', net);
    const sc = await DistributedSupervisor.start(c, { name: 'ds', syncIntervalMs: SYNC, redistribution: 'active' });
    const all = [...nodes, c];
    await until(() => {
      expectExactlyOnce(all, ids);
      for (const id of ids) expect(sc.whereis(id)?.node).toBe(sc.placement(id));
    });
    const moved = ids.filter((id) => sc.whereis(id)!.node === 'c');
    expect(moved.length).toBeGreaterThan(0);
    for (const id of ids) {
      const r = (await c.call(sc.via(id), 'get')) as KeeperState;
      expect(r.count).toBe((ids.indexOf(id) % 3) + 1);
      expect(r.handedOver).toBe(moved.includes(id) ? r.count : undefined);
    }
    // Only the moved ones got a second instance.
    for (const id of ids) expect(instances.get(id)).toHaveLength(moved.includes(id) ? 2 : 1);
  });

  test("'passive': a joining member moves nothing; a child that restarts goes where the ring says", async () => {
    const net = new MemoryNetwork();
    const { nodes, sups } = await cluster(['a', 'b'], {}, net);
    const ids = idsOf(30);
    for (const id of ids) await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    const c = await startNode('c', net);
    const sc = await DistributedSupervisor.start(c, { name: 'ds', syncIntervalMs: SYNC });
    const all = [...nodes, c];
    await until(() => {
      expect(sc.members()).toEqual(['a', 'b', 'c']);
      expect(sc.countChildren().active).toBe(30);
    });
    for (const id of ids) expect(sc.whereis(id)!.node).not.toBe('c');
    expectExactlyOnce(all, ids);
    const owned = ids.find((id) => sc.placement(id) === 'c')!;
    const old = sc.whereis(owned)!;
    all.find((n) => n.name === old.node)!.exit(old, 'kill');
    await until(() => {
      expect(sc.whereis(owned)?.node).toBe('c');
      expectExactlyOnce(all, ids);
    });
  });

  test('the old instance terminates with reason handoff', async () => {
    const net = new MemoryNetwork();
    const { nodes, sups } = await cluster(['a'], { redistribution: 'active' }, net);
    const watch = nodes[0]!.inbox();
    nodes[0]!.register('watch', watch.self);
    const { Trapper } = await import('./distributed-support.js');
    const ids = idsOf(10);
    for (const id of ids) await sups[0]!.startChild({ id, start: [Trapper, { id }] });
    const b = await startNode('b', net);
    await DistributedSupervisor.start(b, { name: 'ds', syncIntervalMs: SYNC, redistribution: 'active' });
    const report = (await watch.receive(() => true, 3000)) as { reason: unknown };
    expect(report.reason).toBe('handoff');
    await until(() => expectExactlyOnce([nodes[0]!, b], ids));
  });

  test("'active': a member that stops hands its children over to the others, state and all", async () => {
    const { nodes, sups } = await cluster(['a', 'b', 'c'], { redistribution: 'active' });
    const ids = idsOf(30);
    for (const id of ids) await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    await until(() => expect(sups[0]!.countChildren().active).toBe(30));
    for (const id of ids) await nodes[0]!.call(sups[0]!.via(id), 'inc');
    const onB = ids.filter((id) => sups[0]!.whereis(id)!.node === 'b');
    expect(onB.length).toBeGreaterThan(0);
    await sups[1]!.stop();
    const rest = [nodes[0]!, nodes[2]!];
    await until(() => {
      expectExactlyOnce(rest, ids);
      for (const id of onB) expect(['a', 'c']).toContain(sups[0]!.whereis(id)?.node);
    });
    for (const id of ids) expect(((await nodes[0]!.call(sups[0]!.via(id), 'get')) as KeeperState).count).toBe(1);
  });
});
