import { afterEach, describe, expect, test, vi } from 'vitest';
import { InvalidArgumentError, MemoryNetwork, Node, decode, encode, type Pid } from '@foundation/runtime';
import { Replicator, type ReplicatorCall, type ReplicatorOptions, type ReplicatorReply, type ReplicatorStats } from '@foundation/crdt';
import { until } from './support.js';

const nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

async function cluster(n: number, opts: Partial<ReplicatorOptions> = {}) {
  const net = new MemoryNetwork();
  const out: { node: Node; pid: Pid }[] = [];
  for (let i = 0; i < n; i++) {
    const node = await Node.start({ name: `n${i}`, transport: net.transport() });
    nodes.push(node);
    out.push({ node, pid: await Replicator.start(node, { name: 'm', kind: 'awlwwmap', syncIntervalMs: 5, ...opts }) });
  }
  return { net, members: out };
}

const call = <R>(m: { node: Node; pid: Pid }, req: ReplicatorCall) => Replicator.call<R>(m.node, m.pid, req, 2000);
const read = async (m: { node: Node; pid: Pid }) =>
  JSON.stringify((await call<[unknown, unknown][]>(m, { op: 'read' })).sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
const stats = (m: { node: Node; pid: Pid }) => call<ReplicatorStats>(m, { op: 'stats' });

async function converged(members: { node: Node; pid: Pid }[], expected?: string): Promise<boolean> {
  const views = await Promise.all(members.map(read));
  return views.every((v) => v === views[0]) && (expected === undefined || views[0] === expected);
}

describe('Replicator', () => {
  test('writes on each of 3 nodes reach every node', async () => {
    const { members } = await cluster(3);
    await Promise.all(members.map((m, i) => call(m, { op: 'set', key: `k${i}`, value: i })));
    await until(() => converged(members, '[["k0",0],["k1",1],["k2",2]]'), 'three replicas to converge');
  });

  test('5 AWORSet replicas converge on adds and removes made everywhere; acks free every delta buffer', async () => {
    const { members } = await cluster(5, { kind: 'aworset' });
    for (let i = 0; i < 50; i++) await call(members[i % 5]!, { op: 'add', value: i });
    // Observed-remove: a replica removes the adds it has seen, so the removers wait for them.
    await until(async () => (await Promise.all(members.map((m) => call<number[]>(m, { op: 'read' })))).every((v) => v.length === 50), 'the adds to spread');
    for (let i = 0; i < 50; i += 2) await call(members[(i + 1) % 5]!, { op: 'remove', value: i });
    const odd = JSON.stringify(Array.from({ length: 25 }, (_, i) => 2 * i + 1));
    const sortedRead = async (m: (typeof members)[0]) => JSON.stringify((await call<number[]>(m, { op: 'read' })).sort((a, b) => a - b));
    await until(async () => (await Promise.all(members.map(sortedRead))).every((v) => v === odd), 'five replicas to converge');
    await until(async () => (await Promise.all(members.map(stats))).every((s) => s.buffered === 0 && s.peers.length === 4), 'buffers to drain');
  });

  test('both sides of a partition write the same key; after the heal one winner, the same everywhere', async () => {
    const { net, members } = await cluster(3);
    await call(members[0]!, { op: 'set', key: 'name', value: 'before' });
    await until(() => converged(members, '[["name","before"]]'), 'the first write to spread');
    net.cut('n0', 'n1');
    net.cut('n0', 'n2');
    await call(members[0]!, { op: 'set', key: 'name', value: 'left' });
    await call(members[1]!, { op: 'set', key: 'name', value: 'right' });
    await call(members[2]!, { op: 'set', key: 'only-right', value: 1 });
    await until(() => converged(members.slice(1)), 'the right side to agree');
    expect(await read(members[0]!)).toBe('[["name","left"]]');
    net.heal('n0', 'n1');
    net.heal('n0', 'n2');
    await until(() => converged(members), 'all three to agree after the heal');
    const view = JSON.parse(await read(members[0]!)) as [string, unknown][];
    expect(view.find(([k]) => k === 'only-right')).toEqual(['only-right', 1]);
    expect(['left', 'right']).toContain(view.find(([k]) => k === 'name')![1]);
  });

  test('a crashed node is dropped from every survivor: buffers freed, replication goes on', async () => {
    const { net, members } = await cluster(4);
    await call(members[3]!, { op: 'set', key: 'from-n3', value: 3 });
    await until(() => converged(members, '[["from-n3",3]]'), 'the write of n3 to spread');
    net.crash('n3');
    const survivors = members.slice(0, 3);
    for (let i = 0; i < 20; i++) await call(survivors[i % 3]!, { op: 'set', key: `k${i}`, value: i });
    await until(() => converged(survivors), 'survivors to converge');
    expect(JSON.parse(await read(survivors[0]!))).toHaveLength(21);
    await until(
      async () => (await Promise.all(survivors.map(stats))).every((s) => s.buffered === 0 && s.peers.every((p) => p.node !== 'n3')),
      'the crashed node to be forgotten and buffers to drain',
    );
  });

  test('a node that joins late, and a replicator restarted on a live node, get the whole state', async () => {
    const { net, members } = await cluster(2);
    for (let i = 0; i < 10; i++) await call(members[i % 2]!, { op: 'set', key: `k${i}`, value: i });
    const late = await Node.start({ name: 'late', transport: net.transport() });
    nodes.push(late);
    const lateMember = { node: late, pid: await Replicator.start(late, { name: 'm', kind: 'awlwwmap', syncIntervalMs: 5 }) };
    await until(() => converged([...members, lateMember]), 'the late node to catch up');
    const before = (await stats(members[1]!)).replica;
    members[1]!.node.exit(members[1]!.pid, 'kill');
    await until(() => members[1]!.node.whereis('m') === undefined, 'the replicator to die');
    const again = { node: members[1]!.node, pid: await Replicator.start(members[1]!.node, { name: 'm', kind: 'awlwwmap', syncIntervalMs: 5 }) };
    expect((await stats(again)).replica).not.toBe(before);
    await until(() => converged([members[0]!, again, lateMember]), 'the restarted replicator to catch up');
    expect(JSON.parse(await read(again))).toHaveLength(10);
  });

  test('a replicator restarted again and again leaves the contexts bounded: its previous replicas are pruned everywhere', async () => {
    const { members } = await cluster(3, { kind: 'aworset', antiEntropyIntervalMs: 15 });
    const n1 = members[1]!.node;
    const all = () => members.map((x) => ({ node: x.node, pid: x.node.whereis('m')! }));
    const reads = async () => Promise.all(all().map((x) => call<number[]>(x, { op: 'read' })));
    for (let start = 0; start < 5; start++) {
      const m = { node: n1, pid: n1.whereis('m')! };
      await call(m, { op: 'add', value: start });
      await until(async () => (await reads()).every((v) => v.includes(start)), 'the add to spread');
      await call(m, { op: 'remove', value: start });
      await until(async () => (await reads()).every((v) => v.length === 0) && (await stats(m)).buffered === 0, 'the removal to be acknowledged');
      n1.exit(m.pid, 'kill');
      await until(() => n1.whereis('m') === undefined, 'the replicator to die');
      await Replicator.start(n1, { name: 'm', kind: 'aworset', syncIntervalMs: 5, antiEntropyIntervalMs: 15 });
    }
    // Five dead replicas wrote; none is left in any context (their markers are, for the TTL).
    await until(async () => (await Promise.all(all().map(stats))).every((s) => s.contextReplicas === 0 && s.retiring === 5), 'the dead replicas to be pruned');
  });

  test('memory stays bounded over add/remove cycles: no entries, a compact context, empty buffers', async () => {
    const { members } = await cluster(3, { kind: 'aworset' });
    for (let round = 0; round < 30; round++) {
      const m = members[round % 3]!;
      const remover = members[(round + 1) % 3]!;
      await call(m, { op: 'add', value: { round } });
      await until(async () => (await call<{ round: number }[]>(remover, { op: 'read' })).some((x) => x.round === round), 'the add to reach the remover');
      await call(remover, { op: 'remove', value: { round } });
    }
    await until(async () => (await Promise.all(members.map(stats))).every((s) => s.size === 0 && s.buffered === 0), 'everything removed and acked');
    for (const m of members) {
      const w = decode(encode(await call(m, { op: 'state' }))) as { entries: unknown[]; context: { vv: unknown[]; cloud: unknown[] } };
      expect(w.entries).toEqual([]);
      expect(w.context.cloud).toEqual([]);
      expect(w.context.vv.length).toBeLessThanOrEqual(3);
    }
  });

  test('options are checked at start with a named error', async () => {
    const node = await Node.start({ name: 'solo' });
    nodes.push(node);
    expect(() => Replicator.start(node, { name: '', kind: 'awlwwmap' })).toThrow(InvalidArgumentError);
    expect(() => Replicator.start(node, { name: 'x', kind: 'gset' as never })).toThrow(/kind must be/);
    expect(() => Replicator.start(node, { name: 'x', kind: 'aworset', syncIntervalMs: 0 })).toThrow(/syncIntervalMs/);
    // Longer than a timer can wait: it would fire at once, so it is refused where it is given.
    expect(() => Replicator.start(node, { name: 'x', kind: 'aworset', syncIntervalMs: 2 ** 31 })).toThrow(/syncIntervalMs must be .*≤ 2147483647/);
    expect(() => Replicator.start(node, { name: 'x', kind: 'aworset', pruningMarkerTtlMs: -1 })).toThrow(/pruningMarkerTtlMs/);
  });

  test('every op with malformed arguments answers { error } with a named error; the replicator lives and serves the next call', async () => {
    const node = await Node.start({ name: 'solo' });
    nodes.push(node);
    const map = await Replicator.start(node, { name: 'map', kind: 'awlwwmap' });
    const set = await Replicator.start(node, { name: 'set', kind: 'aworset' });
    class Opaque {}
    const bad: [Pid, unknown, string][] = [
      [map, null, 'InvalidArgumentError'],
      [map, 'read', 'InvalidArgumentError'],
      [map, {}, 'InvalidArgumentError'],
      [map, { op: 'nope' }, 'InvalidArgumentError'],
      [map, { op: 42 }, 'InvalidArgumentError'],
      [set, { op: 'add' }, 'InvalidArgumentError'],
      [map, { op: 'add', value: 1 }, 'InvalidArgumentError'],
      [set, { op: 'add', value: () => 1 }, 'UnencodableError'],
      [set, { op: 'remove' }, 'InvalidArgumentError'],
      [set, { op: 'set', key: 'k', value: 1 }, 'InvalidArgumentError'],
      [map, { op: 'set', key: 'k' }, 'InvalidArgumentError'],
      [map, { op: 'set', value: 1 }, 'InvalidArgumentError'],
      [map, { op: 'set', key: Symbol('k'), value: 1 }, 'UnencodableError'],
      [map, { op: 'set', key: 'k', value: () => 1 }, 'UnencodableError'],
      [map, { op: 'set', key: new Opaque(), value: 1 }, 'Error'],
      [map, { op: 'delete' }, 'InvalidArgumentError'],
      [set, { op: 'delete', key: 'k' }, 'InvalidArgumentError'],
      [map, { op: 'remove', value: { deep: [() => 1] } }, 'UnencodableError'],
    ];
    let n = 0;
    for (const [pid, req, name] of bad) {
      const reply = await node.call<ReplicatorReply>(pid, req, 1000);
      expect(reply, JSON.stringify(String(req))).toHaveProperty('error');
      const err = (reply as { error: Error }).error;
      expect(err).toBeInstanceOf(Error);
      if (name !== 'Error') expect(err.name).toBe(name);
      await expect(Replicator.call(node, pid, req as ReplicatorCall, 1000)).rejects.toMatchObject({ name: err.name });
      // Alive, and serving.
      const good: ReplicatorCall = pid === map ? { op: 'set', key: 'k', value: ++n } : { op: 'add', value: ++n };
      expect(await Replicator.call(node, pid, good, 1000)).toBe('ok');
    }
    expect((await Replicator.call<[string, number][]>(node, map, { op: 'read' }))[0]![0]).toBe('k');
    expect((await Replicator.call<number[]>(node, set, { op: 'read' })).length).toBeGreaterThan(0);
    expect(node.whereis('map')?.equals(map)).toBe(true);
    expect(node.whereis('set')?.equals(set)).toBe(true);
  });

  test('garbage and malformed protocol messages are dropped and counted, warned about once per peer; the replicator serves on', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const node = await Node.start({ name: 'solo' });
      nodes.push(node);
      const pid = await Replicator.start(node, { name: 'm', kind: 'awlwwmap', syncIntervalMs: 5 });
      const head = { name: 'm', from: 'evil', replica: 'evil.1.1' };
      const garbage: unknown[] = [42, null, 'x', [1, 2], { $replicator: 'tick' }, { nodeup: 7 }];
      const malformed: unknown[] = [
        { $crdt: 'delta' },
        { $crdt: 'nope', ...head },
        { ...head, $crdt: 'delta', seq: -1, delta: {} },
        { ...head, $crdt: 'delta', seq: 1, delta: { kind: 'awlwwmap', context: 5, entries: [] } },
        { ...head, $crdt: 'state', seq: 1, state: { kind: 'aworset', context: { vv: [], cloud: [] }, entries: [] } },
        { ...head, $crdt: 'state', seq: 1, state: { kind: 'awlwwmap', context: { vv: [], cloud: [] }, entries: [['k', [['x', 1, { v: 1, t: { ms: 1, c: 0, r: 'x' } }]]]] } },
        { ...head, $crdt: 'digest', context: { vv: [['a', -1]], cloud: [] }, reply: false },
        { ...head, $crdt: 'digest', context: { vv: [], cloud: [] }, reply: 'no' },
        { ...head, $crdt: 'digest', context: { vv: [], cloud: [] }, reply: false, retired: [['r', 0, true]] },
        { ...head, $crdt: 'ack', seq: 1.5 },
        { ...head, name: 'other', $crdt: 'ack', seq: 1 },
        { ...head, $crdt: 'state', seq: 1, state: null, pruned: 'x' },
      ];
      for (const m of [...garbage, ...malformed]) node.send(pid, m);
      await Replicator.call(node, pid, { op: 'set', key: 'after', value: 1 });
      const stats = await Replicator.call<ReplicatorStats>(node, pid, { op: 'stats' });
      expect(stats.ignored).toBe(garbage.length);
      expect(stats.dropped.malformed).toBe(malformed.length);
      expect(await Replicator.call(node, pid, { op: 'read' })).toEqual([['after', 1]]);
      // One warning for 'evil' (and one for the message without a sender), not one per message.
      expect(warn.mock.calls.length).toBeLessThanOrEqual(3);
      expect(warn.mock.calls.some(([m]) => String(m).includes('evil'))).toBe(true);
      // The forged tick started no second timer chain: ticks still come one per interval.
      expect(node.processInfo(pid)).toBeDefined();
    } finally {
      warn.mockRestore();
    }
  });
});
