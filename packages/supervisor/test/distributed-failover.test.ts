import { describe, expect, test } from 'vitest';
import type { Pid } from '@foundation/runtime';
import { NoQuorumError, isDuplicateChild, isNoQuorum, type DuplicateChild } from '@foundation/supervisor';
import { Keeper, Trapper, cluster, expectExactlyOnce, idsOf, instances, running, until } from './distributed-support.js';

describe('DistributedSupervisor: lost members', () => {
  test('a lost member: its permanent and transient children restart on the survivors the ring picks, temporary ones do not', async () => {
    const { net, nodes, sups } = await cluster(['a', 'b', 'c']);
    const perm = idsOf(30, 'p');
    const trans = idsOf(10, 't');
    const temp = idsOf(10, 'x');
    for (const id of perm) await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    for (const id of trans) await sups[0]!.startChild({ id, start: [Keeper, { id }], restart: 'transient' });
    for (const id of temp) await sups[0]!.startChild({ id, start: [Keeper, { id }], restart: 'temporary' });
    await until(() => expect(sups[1]!.countChildren().active).toBe(50));
    const onC = [...perm, ...trans].filter((id) => sups[0]!.whereis(id)!.node === 'c');
    const tempOnC = temp.filter((id) => sups[0]!.whereis(id)!.node === 'c');
    expect(onC.length).toBeGreaterThan(0);
    expect(tempOnC.length).toBeGreaterThan(0);
    net.crash('c');
    const survivors = nodes.slice(0, 2);
    await until(() => {
      expectExactlyOnce(survivors, [...perm, ...trans]);
      for (const s of sups.slice(0, 2)) {
        expect(s.members()).toEqual(['a', 'b']);
        for (const id of onC) expect(s.whereis(id)?.node).toBe(s.placement(id));
        for (const id of tempOnC) expect(s.whereis(id)).toBeUndefined();
        expect(s.countChildren()).toEqual({ specs: 50 - tempOnC.length, active: 50 - tempOnC.length });
      }
    });
    const r = running(survivors);
    for (const id of tempOnC) expect(r.has(id)).toBe(false);
    // Children that were not on c did not move (c, cut off, starts its own: not counted).
    for (const id of perm.filter((i) => !onC.includes(i))) expect(instances.get(id)!.filter((p) => p.node !== 'c')).toHaveLength(1);
  });

  test('a member that stops leaves its children to the others', async () => {
    const { nodes, sups } = await cluster(['a', 'b']);
    const ids = idsOf(20);
    for (const id of ids) await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    await sups[1]!.stop();
    await until(() => {
      expectExactlyOnce(nodes, ids);
      expect(ids.every((id) => sups[0]!.whereis(id)?.node === 'a')).toBe(true);
    });
  });
  test('a member killed while its node stays up: the others stop counting it and restart its children', async () => {
    const { nodes, sups } = await cluster(['a', 'b', 'c']);
    const ids = idsOf(30);
    for (const id of ids) await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    await until(() => expect(sups[0]!.countChildren().active).toBe(30));
    nodes[2]!.exit(sups[2]!.pid, 'kill');
    await until(() => {
      for (const s of sups.slice(0, 2)) expect(s.members()).toEqual(['a', 'b']);
      expectExactlyOnce(nodes, ids);
      for (const id of ids) expect(['a', 'b']).toContain(sups[0]!.whereis(id)?.node);
    });
  });
});

describe('DistributedSupervisor: partitions', () => {
  test('partition: each side runs every child; after the heal exactly one instance of each remains, the loser told why', async () => {
    const { net, nodes, sups } = await cluster(['a', 'b', 'c']);
    const ids = idsOf(30);
    for (const id of ids) await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    await until(() => expect(sups[2]!.countChildren().active).toBe(30));
    // A trapping watcher linked to every instance on c would see how they end; a DOWN suffices here.
    const inbox = nodes[2]!.inbox();
    const before = ids.map((id) => sups[2]!.whereis(id)!).filter((p) => p.node === 'c');
    for (const p of before) inbox.monitor(p);
    net.cut('a', 'c');
    net.cut('b', 'c');
    await until(() => {
      expectExactlyOnce([nodes[0]!, nodes[1]!], ids);
      expectExactlyOnce([nodes[2]!], ids);
    });
    net.heal();
    await until(() => {
      expectExactlyOnce(nodes, ids);
      for (const s of sups) for (const id of ids) expect(s.whereis(id)?.equals(sups[0]!.whereis(id)!)).toBe(true);
      for (const s of sups) expect(s.countChildren()).toEqual({ specs: 30, active: 30 });
    });
    // Some instance lost a duplicate, with a reason saying so.
    const reasons: unknown[] = [];
    for (;;) {
      const m = await inbox.receive(() => true, 0).catch(() => undefined);
      if (m === undefined) break;
      reasons.push((m as { reason: unknown }).reason);
    }
    expect(reasons.some(isDuplicateChild)).toBe(true);
    const d = reasons.find(isDuplicateChild)!;
    expect(d.duplicateChild.supervisor).toBe('ds');
    expect(ids).toContain(d.duplicateChild.id);
  });

  test("'quorum': the side without a majority stops its children and starts none; the majority runs them all", async () => {
    const { net, nodes, sups } = await cluster(['a', 'b', 'c'], { distribution: 'quorum' });
    const ids = idsOf(30);
    for (const id of ids) await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    await until(() => expect(sups[2]!.countChildren().active).toBe(30));
    const onC = ids.filter((id) => sups[2]!.whereis(id)!.node === 'c');
    const inbox = nodes[2]!.inbox();
    for (const id of onC) inbox.monitor(sups[2]!.whereis(id)!);
    net.cut('a', 'c');
    net.cut('b', 'c');
    await until(() => {
      expectExactlyOnce([nodes[0]!, nodes[1]!], ids);
      expect(running([nodes[2]!]).size).toBe(0);
    });
    const down = (await inbox.receive(() => true, 1000)) as { reason: unknown };
    expect(isNoQuorum(down.reason)).toBe(true);
    expect(sups[2]!.placement('c0')).toBeUndefined();
    const refused = await sups[2]!.startChild({ id: 'minority', start: [Keeper, { id: 'minority' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NoQuorumError);
    net.heal();
    await until(() => expectExactlyOnce(nodes, ids));
  });

  test('a trapping loser of a duplicate gets an EXIT naming the winner, and the winner is the one every member shows', async () => {
    const { net, nodes, sups } = await cluster(['a', 'b']);
    const watchers = nodes.map((n) => {
      const w = n.inbox();
      n.register('watch', w.self);
      return w;
    });
    await sups[0]!.startChild({ id: 'solo', start: [Trapper, { id: 'solo' }] });
    await until(() => expect(sups[0]!.whereis('solo') && sups[1]!.whereis('solo')).toBeDefined());
    net.cut('a', 'b');
    await until(() => {
      expectExactlyOnce([nodes[0]!], ['solo']);
      expectExactlyOnce([nodes[1]!], ['solo']);
    });
    net.heal();
    await until(() => expectExactlyOnce(nodes, ['solo']));
    const winner = running(nodes).get('solo')![0]!;
    await until(() => {
      for (const s of sups) expect(s.whereis('solo')?.equals(winner)).toBe(true);
    });
    const loserNode = winner.node === 'a' ? 1 : 0;
    const report = (await watchers[loserNode]!.receive(() => true, 1000)) as { trapped: Pid; reason: unknown };
    expect(isDuplicateChild(report.reason)).toBe(true);
    expect(report.reason).toMatchObject({ duplicateChild: { supervisor: 'ds', id: 'solo' } });
    expect((report.reason as DuplicateChild).duplicateChild.winner.equals(winner)).toBe(true);
  });
});
