import { describe, expect, test } from 'vitest';
import { InvalidArgumentError, MemoryNetwork, isDown, isExit, type Pid } from '@foundation/runtime';
import {
  ChildAlreadyStartedError,
  ChildNotFoundError,
  ChildSpecError,
  DistributedSupervisor,
  DistributedSupervisorOptionError,
  UnknownChildClassError,
  isReachedMaxRestartIntensity,
} from '@foundation/supervisor';
import {
  Anonymous,
  Keeper,
  type KeeperState,
  SYNC,
  cluster,
  expectExactlyOnce,
  failure,
  idsOf,
  running,
  startNode,
  until,
} from './distributed-support.js';

describe('DistributedSupervisor: placement and the handle', () => {
  test('startChild resolves with the pid wherever the ring places the child, and every member sees it', async () => {
    const { nodes, sups } = await cluster(['a', 'b', 'c']);
    const ids = idsOf(30);
    for (const id of ids) {
      const pid = await sups[0]!.startChild({ id, start: [Keeper, { id }] });
      expect(pid.node).toBe(sups[0]!.placement(id));
    }
    await until(() => expect(sups[0]!.countChildren().active).toBe(30));
    const placed = new Set(ids.map((id) => sups[0]!.whereis(id)!.node));
    expect(placed.size).toBe(3);
    await until(() => {
      for (const s of sups) {
        expect(s.countChildren()).toEqual({ specs: 30, active: 30 });
        for (const id of ids) expect(s.whereis(id)?.equals(sups[0]!.whereis(id)!)).toBe(true);
      }
    });
    expectExactlyOnce(nodes, ids);
    const info = sups[2]!.whichChildren();
    expect(info.map((c) => c.id)).toEqual([...ids].sort());
    expect(info[0]).toMatchObject({ restart: 'permanent', cls: 'test.Keeper' });
    expect(info[0]!.node).toBe(info[0]!.pid!.node);
  });

  test('a via-name reaches the child wherever it runs', async () => {
    const { nodes, sups } = await cluster(['a', 'b']);
    await sups[0]!.startChild({ id: 'user:42', start: [Keeper, { id: 'user:42' }] });
    await until(() => expect(sups[1]!.whereis('user:42')).toBeDefined());
    const r = (await nodes[1]!.call(sups[1]!.via('user:42'), 'inc')) as KeeperState;
    expect(r).toMatchObject({ id: 'user:42', count: 1, node: sups[0]!.placement('user:42') });
  });

  test('terminateChild stops it wherever it runs and forgets it everywhere; restartChild gives a new pid', async () => {
    const { nodes, sups } = await cluster(['a', 'b']);
    const ids = idsOf(6);
    for (const id of ids) await sups[0]!.startChild({ id, start: ['test.Keeper', { id }] });
    await until(() => expect(sups[1]!.countChildren().active).toBe(6));
    const old = sups[1]!.whereis('c3')!;
    const fresh = await sups[1]!.restartChild('c3');
    expect(fresh.equals(old)).toBe(false);
    expect(fresh.node).toBe(old.node);
    await until(() => expect(sups[0]!.whereis('c3')?.equals(fresh)).toBe(true));
    await sups[1]!.terminateChild('c3');
    await until(() => {
      for (const s of sups) expect(s.countChildren()).toEqual({ specs: 5, active: 5 });
    });
    expect(nodes.find((n) => n.name === fresh.node)!.isAlive(fresh)).toBe(false);
    expect(await failure(sups[0]!.terminateChild('c3'))).toBeInstanceOf(ChildNotFoundError);
  });

  test('a child terminated right after a start from another member stays terminated (the caller forgets its copy of the spec)', async () => {
    const { nodes, sups } = await cluster(['a', 'b']);
    const id = idsOf(40).find((i) => sups[0]!.placement(i) === 'b')!;
    await sups[0]!.startChild({ id, start: [Keeper, { id }] });
    // At once, on the member that runs it, before a sync could carry a's copy of the spec there.
    await sups[1]!.terminateChild(id);
    await until(() => {
      for (const s of sups) expect(s.countChildren()).toEqual({ specs: 0, active: 0 });
    });
    expect(running(nodes).size).toBe(0);
  });

  test('a second start of a running id is refused with ChildAlreadyStartedError', async () => {
    const { sups } = await cluster(['a', 'b']);
    await sups[0]!.startChild({ id: 'x', start: [Keeper, { id: 'x' }] });
    await until(() => expect(sups[1]!.whereis('x')).toBeDefined());
    expect(ChildAlreadyStartedError.is(await failure(sups[1]!.startChild({ id: 'x', start: [Keeper, { id: 'x' }] })))).toBe(true);
  });

  test('a temporary child that exits is forgotten; a transient one that exits normally too; a permanent one restarts', async () => {
    const { nodes, sups } = await cluster(['a', 'b']);
    const t = await sups[0]!.startChild({ id: 't', start: [Keeper, { id: 't' }], restart: 'temporary' });
    const p = await sups[0]!.startChild({ id: 'p', start: [Keeper, { id: 'p' }] });
    const at = (pid: Pid) => nodes.find((n) => n.name === pid.node)!;
    at(t).exit(t, 'kill');
    at(p).exit(p, 'kill');
    await until(() => {
      for (const s of sups) {
        expect(s.whichChildren().map((c) => c.id)).toEqual(['p']);
        expect(s.whereis('p')?.equals(p)).toBe(false);
        expect(s.whereis('p')).toBeDefined();
      }
    });
  });

  test('members() follows the nodes that run the supervisor', async () => {
    const net = new MemoryNetwork();
    const a = await startNode('a', net);
    await startNode('b', net);
    const sa = await DistributedSupervisor.start(a, { name: 'ds', syncIntervalMs: SYNC });
    expect(sa.members()).toEqual(['a']);
    const c = await startNode('c', net);
    const sc = await DistributedSupervisor.start(c, { name: 'ds', syncIntervalMs: SYNC });
    await until(() => {
      expect(sa.members()).toEqual(['a', 'c']);
      expect(sc.members()).toEqual(['a', 'c']);
    });
    await sc.stop();
    await until(() => expect(sa.members()).toEqual(['a']));
  });
});

describe('DistributedSupervisor: restart intensity', () => {
  test('a child that keeps crashing: the member gives up after maxRestarts within maxSeconds, as a supervisor does', async () => {
    const { nodes, sups } = await cluster(['a'], { maxRestarts: 2, maxSeconds: 5 });
    const watch = nodes[0]!.inbox();
    const ref = watch.monitor(sups[0]!.pid);
    let current: Pid = await sups[0]!.startChild({ id: 'x', start: [Keeper, { id: 'x' }] });
    for (let i = 0; i < 3; i++) {
      const killed = current;
      nodes[0]!.exit(killed, 'kill');
      if (i === 2) break;
      await until(() => {
        const now = sups[0]!.whereis('x');
        expect(now !== undefined && !now.equals(killed) && nodes[0]!.isAlive(now)).toBe(true);
        current = now!;
      });
    }
    const down = (await watch.receive((m) => isDown(m) && m.ref.equals(ref), 2000)) as { reason: unknown };
    expect(isReachedMaxRestartIntensity(down.reason)).toBe(true);
  });
});

describe('DistributedSupervisor: bad input', () => {
  test('an id that is not a string is refused with ChildSpecError', async () => {
    const { sups } = await cluster(['a']);
    const e = await failure(sups[0]!.startChild({ id: 42 as unknown as string, start: [Keeper, { id: 'x' }] }));
    expect(e).toBeInstanceOf(ChildSpecError);
    expect(e.message).toContain('42');
    expect(() => sups[0]!.whereis(7 as unknown as string)).toThrow(InvalidArgumentError);
  });

  test('a class not named with defineActor is refused with UnknownChildClassError', async () => {
    const { sups } = await cluster(['a']);
    const e = await failure(sups[0]!.startChild({ id: 'x', start: [Anonymous] }));
    expect(e).toBeInstanceOf(UnknownChildClassError);
    expect(e.message).toContain('Anonymous');
  });

  test('a class name not defined here is refused with UnknownChildClassError', async () => {
    const { sups } = await cluster(['a']);
    const e = await failure(sups[0]!.startChild({ id: 'x', start: ['no.Such.Class', {}] }));
    expect(e).toBeInstanceOf(UnknownChildClassError);
    expect(e.message).toContain('no.Such.Class');
  });

  test('a start on a member that does not define the class: a named error to the caller, the member keeps running', async () => {
    const { nodes, sups } = await cluster(['a', 'b']);
    const spec = { id: 'x', cls: 'no.Such.Class', args: {}, restart: 'permanent', shutdown: 5000, type: 'worker' };
    const r = (await nodes[0]!.call({ name: 'ds', node: 'b' }, { $ds: 'start', spec } as never)) as { error: Error };
    expect(UnknownChildClassError.is(r.error)).toBe(true);
    expect(r.error.message).toContain("no actor class is defined under 'no.Such.Class' on 'b'");
    expect(sups[1]!.alive).toBe(true);
    await sups[0]!.startChild({ id: 'y', start: [Keeper, { id: 'y' }] });
    await until(() => expect(sups[1]!.countChildren()).toEqual({ specs: 1, active: 1 }));
  });

  test('options are checked field by field', async () => {
    const net = new MemoryNetwork();
    const a = await startNode('a', net);
    await expect(DistributedSupervisor.start(a, { name: '' })).rejects.toBeInstanceOf(DistributedSupervisorOptionError);
    await expect(DistributedSupervisor.start(a, { name: 'x', members: ['b'] })).rejects.toThrow(/including this node/);
    await expect(DistributedSupervisor.start(a, { name: 'x', redistribution: 'eager' as 'active' })).rejects.toThrow(/redistribution/);
    await expect(DistributedSupervisor.start(a, { name: 'x', bogus: 1 } as never)).rejects.toThrow(/bogus/);
  });

  test('a malformed call to a member is answered with an error, never a crash', async () => {
    const { nodes, sups } = await cluster(['a', 'b']);
    const r = (await nodes[0]!.call({ name: 'ds', node: 'b' }, { $ds: 'start', spec: { id: 5 } } as never)) as { error: Error };
    expect(r.error).toBeDefined();
    nodes[0]!.send({ name: 'ds', node: 'b' }, { $ds: 'takeover', spec: 'nope' });
    await sups[0]!.startChild({ id: 'after', start: [Keeper, { id: 'after' }] });
    expect(sups[1]!.alive).toBe(true);
    expect(isExit(r)).toBe(false);
  });
});
