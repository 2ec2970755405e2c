import { afterEach, describe, expect, test, vi } from 'vitest';
import { Actor, InvalidArgumentError, MemoryNetwork, Node, UnknownOptionError, decode, encode, type Pid } from '@foundation/runtime';
import {
  AWORSet,
  HLC,
  ReplicationEngine,
  Replicator,
  type HLCOptions,
  type ReplicationOptions,
  type MapReplicator,
  type ReplicatorCall,
  type ReplicatorOptions,
  type ReplicatorReply,
  type SetReplicator,
} from '@foundation/crdt';
import { until } from './support.js';

const nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

type Opts = Partial<Omit<ReplicatorOptions, 'kind'>>;

async function startNodes(n: number): Promise<{ net: MemoryNetwork; at: Node[] }> {
  const net = new MemoryNetwork();
  const at: Node[] = [];
  for (let i = 0; i < n; i++) {
    const node = await Node.start({ name: `n${i}`, transport: net.transport() });
    nodes.push(node);
    at.push(node);
  }
  return { net, at };
}

/** `n` nodes, each with a replica of the map 'm'. */
async function mapCluster(n: number, opts: Opts = {}) {
  const { net, at } = await startNodes(n);
  const members: MapReplicator<string, unknown>[] = [];
  for (const node of at)
    members.push(await Replicator.start<string, unknown>(node, { name: 'm', kind: 'awlwwmap', syncIntervalMs: 5, ...opts }));
  return { net, at, members };
}

/** `n` nodes, each with a replica of the set 'm'. */
async function setCluster<T>(n: number, opts: Opts = {}) {
  const { net, at } = await startNodes(n);
  const members: SetReplicator<T>[] = [];
  for (const node of at) members.push(await Replicator.start<T>(node, { name: 'm', kind: 'aworset', syncIntervalMs: 5, ...opts }));
  return { net, at, members };
}

const T = 2000;
const read = async (m: MapReplicator<string, unknown>) => JSON.stringify((await m.read(T)).sort((a, b) => a[0].localeCompare(b[0])));

async function converged(members: MapReplicator<string, unknown>[], expected?: string): Promise<boolean> {
  const views = await Promise.all(members.map(read));
  return views.every((v) => v === views[0]) && (expected === undefined || views[0] === expected);
}

describe('Replicator', () => {
  test('writes on each of 3 nodes reach every node', async () => {
    const { members } = await mapCluster(3);
    await Promise.all(members.map((m, i) => m.set(`k${i}`, i, T)));
    await until(() => converged(members, '[["k0",0],["k1",1],["k2",2]]'), 'three replicas to converge');
  });

  test('5 AWORSet replicas converge on adds and removes made everywhere; acks free every delta buffer', async () => {
    const { members } = await setCluster<number>(5);
    for (let i = 0; i < 50; i++) await members[i % 5]!.add(i, T);
    // Observed-remove: a replica removes the adds it has seen, so the removers wait for them.
    await until(async () => (await Promise.all(members.map((m) => m.read(T)))).every((v) => v.length === 50), 'the adds to spread');
    for (let i = 0; i < 50; i += 2) await members[(i + 1) % 5]!.remove(i, T);
    const odd = JSON.stringify(Array.from({ length: 25 }, (_, i) => 2 * i + 1));
    const sortedRead = async (m: SetReplicator<number>) => JSON.stringify((await m.read(T)).sort((a, b) => a - b));
    await until(async () => (await Promise.all(members.map(sortedRead))).every((v) => v === odd), 'five replicas to converge');
    await until(
      async () => (await Promise.all(members.map((m) => m.stats(T)))).every((s) => s.buffered === 0 && s.peers.length === 4),
      'buffers to drain',
    );
  });

  test('both sides of a partition write the same key; after the heal one winner, the same everywhere', async () => {
    const { net, members } = await mapCluster(3);
    await members[0]!.set('name', 'before', T);
    await until(() => converged(members, '[["name","before"]]'), 'the first write to spread');
    net.cut('n0', 'n1');
    net.cut('n0', 'n2');
    await members[0]!.set('name', 'left', T);
    await members[1]!.set('name', 'right', T);
    await members[2]!.set('only-right', 1, T);
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
    const { net, members } = await mapCluster(4);
    await members[3]!.set('from-n3', 3, T);
    await until(() => converged(members, '[["from-n3",3]]'), 'the write of n3 to spread');
    net.crash('n3');
    const survivors = members.slice(0, 3);
    for (let i = 0; i < 20; i++) await survivors[i % 3]!.set(`k${i}`, i, T);
    await until(() => converged(survivors), 'survivors to converge');
    expect(JSON.parse(await read(survivors[0]!))).toHaveLength(21);
    await until(
      async () =>
        (await Promise.all(survivors.map((m) => m.stats(T)))).every((s) => s.buffered === 0 && s.peers.every((p) => p.node !== 'n3')),
      'the crashed node to be forgotten and buffers to drain',
    );
  });

  test('a node that joins late, and a replicator restarted on a live node, get the whole state', async () => {
    const { net, at, members } = await mapCluster(2);
    for (let i = 0; i < 10; i++) await members[i % 2]!.set(`k${i}`, i, T);
    const late = await Node.start({ name: 'late', transport: net.transport() });
    nodes.push(late);
    const lateMember = await Replicator.start<string, unknown>(late, { name: 'm', kind: 'awlwwmap', syncIntervalMs: 5 });
    await until(() => converged([...members, lateMember]), 'the late node to catch up');
    const before = (await members[1]!.stats(T)).replica;
    at[1]!.exit(members[1]!.pid, 'kill');
    await until(() => at[1]!.whereis('m') === undefined, 'the replicator to die');
    const again = await Replicator.start<string, unknown>(at[1]!, { name: 'm', kind: 'awlwwmap', syncIntervalMs: 5 });
    expect((await again.stats(T)).replica).not.toBe(before);
    await until(() => converged([members[0]!, again, lateMember]), 'the restarted replicator to catch up');
    expect(JSON.parse(await read(again))).toHaveLength(10);
  });

  test('a replicator restarted again and again leaves the contexts bounded: its previous replicas are pruned everywhere', async () => {
    const { at } = await setCluster<number>(3, { antiEntropyIntervalMs: 15 });
    const n1 = at[1]!;
    const all = () => at.map((node) => Replicator.of<number>(node, 'm', 'aworset'));
    const reads = async () => Promise.all(all().map((x) => x.read(T)));
    for (let start = 0; start < 5; start++) {
      const m = Replicator.of<number>(n1, 'm', 'aworset');
      await m.add(start, T);
      await until(async () => (await reads()).every((v) => v.includes(start)), 'the add to spread');
      await m.remove(start, T);
      await until(
        async () => (await reads()).every((v) => v.length === 0) && (await m.stats(T)).buffered === 0,
        'the removal to be acknowledged',
      );
      n1.exit(m.pid, 'kill');
      await until(() => n1.whereis('m') === undefined, 'the replicator to die');
      await Replicator.start(n1, { name: 'm', kind: 'aworset', syncIntervalMs: 5, antiEntropyIntervalMs: 15 });
    }
    // Five dead replicas wrote; none is left in any context (their markers are, for the TTL).
    await until(
      async () => (await Promise.all(all().map((m) => m.stats(T)))).every((s) => s.contextReplicas === 0 && s.retiring === 5),
      'the dead replicas to be pruned',
    );
  });

  test('memory stays bounded over add/remove cycles: no entries, a compact context, empty buffers', async () => {
    const { members } = await setCluster<{ round: number }>(3);
    for (let round = 0; round < 30; round++) {
      const m = members[round % 3]!;
      const remover = members[(round + 1) % 3]!;
      await m.add({ round }, T);
      await until(async () => (await remover.read(T)).some((x) => x.round === round), 'the add to reach the remover');
      await remover.remove({ round }, T);
    }
    await until(
      async () => (await Promise.all(members.map((m) => m.stats(T)))).every((s) => s.size === 0 && s.buffered === 0),
      'everything removed and acked',
    );
    for (const m of members) {
      const w = decode(encode(await m.state(T))) as { entries: unknown[]; context: { vv: unknown[]; cloud: unknown[] } };
      expect(w.entries).toEqual([]);
      expect(w.context.cloud).toEqual([]);
      expect(w.context.vv.length).toBeLessThanOrEqual(3);
    }
  });

  test('options are checked at start with a named error', async () => {
    const node = await Node.start({ name: 'solo' });
    nodes.push(node);
    await expect(Replicator.start(node, { name: '', kind: 'awlwwmap' })).rejects.toThrow(InvalidArgumentError);
    await expect(Replicator.start(node, { name: 'x', kind: 'gset' as never })).rejects.toThrow(/kind must be/);
    await expect(Replicator.start(node, { name: 'x', kind: 'aworset', syncIntervalMs: 0 })).rejects.toThrow(/syncIntervalMs/);
    // Longer than a timer can wait: it would fire at once, so it is refused where it is given.
    await expect(Replicator.start(node, { name: 'x', kind: 'aworset', syncIntervalMs: 2 ** 31 })).rejects.toThrow(
      /syncIntervalMs must be .*≤ 2147483647/,
    );
    await expect(Replicator.start(node, { name: 'x', kind: 'aworset', pruningMarkerTtlMs: -1 })).rejects.toThrow(/pruningMarkerTtlMs/);
  });

  test.each([
    [
      "Replicator: unknown option 'syncInterval' (known: name, kind, syncIntervalMs, antiEntropyIntervalMs, maxBufferedDeltas, replica, hlc, pruningMarkerTtlMs, retireDownAfterMs)",
      (node: Node) => Replicator.start(node, { name: 'x', kind: 'aworset', syncInterval: 5 } as unknown as ReplicatorOptions),
    ],
    ["HLC: unknown option 'maxOffset' (known: clock, maxOffsetMs)", () => new HLC('r', { maxOffset: 5 } as HLCOptions)],
    [
      "ReplicationEngine: unknown option 'antiEntropyIntervalMs' (known: maxBufferedDeltas, retransmitTicks, antiEntropyTicks, hlc, pruningMarkerTicks, retireDownAfterTicks, log)",
      () =>
        new ReplicationEngine('m', 'n', new AWORSet('r'), { send: () => {}, nodes: () => [] }, {
          antiEntropyIntervalMs: 5,
        } as ReplicationOptions),
    ],
  ])('%s', async (message, make) => {
    const node = await Node.start({ name: 'solo' });
    nodes.push(node);
    const e: unknown = await (async () => make(node))().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect((e as Error).message).toBe(message);
  });

  test('the handle works from inside an actor, of() finds a replicator by name, and stop() ends it after its farewell', async () => {
    const node = await Node.start({ name: 'solo' });
    nodes.push(node);
    class Writer extends Actor<string, string[], void> {
      private set!: SetReplicator<string>;
      override async init(): Promise<void> {
        this.set = await Replicator.start<string>(this, { name: 'tags', kind: 'aworset' });
      }
      override async handleCall(tag: string): Promise<string[]> {
        await this.set.add(tag);
        return Replicator.of<string>(this, 'tags', 'aworset').read();
      }
    }
    const writer = await node.spawnAndWait(Writer, undefined);
    expect(await node.call(writer, 'blue')).toEqual(['blue']);
    const tags = Replicator.of<string>(node, 'tags', 'aworset');
    expect(tags.kind).toBe('aworset');
    await tags.stop();
    await until(() => node.whereis('tags') === undefined, 'the replicator to be gone');
    await tags.stop();
    expect(() => Replicator.of(node, 'tags', 'aworset')).toThrow(/no process is registered as 'tags'/);
    expect(() => Replicator.of(node, writer, 'gset' as never)).toThrow(InvalidArgumentError);
  });

  test('every op with malformed arguments answers { error } with a named error; the replicator lives and serves the next call', async () => {
    const node = await Node.start({ name: 'solo' });
    nodes.push(node);
    const mapHandle = await Replicator.start<string, number>(node, { name: 'map', kind: 'awlwwmap' });
    const setHandle = await Replicator.start<number>(node, { name: 'set', kind: 'aworset' });
    const [map, set] = [mapHandle.pid, setHandle.pid];
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
      // Alive, and serving.
      const good: ReplicatorCall = pid === map ? { op: 'set', key: 'k', value: ++n } : { op: 'add', value: ++n };
      expect(await node.call(pid, good, 1000)).toEqual({ ok: 'ok' });
    }
    // The handle throws the error the replicator answered, and serves on.
    await expect(mapHandle.set('k', (() => 1) as unknown as number)).rejects.toMatchObject({ name: 'UnencodableError' });
    await expect(Replicator.of(node, map, 'aworset').add(1)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await mapHandle.read())[0]![0]).toBe('k');
    expect((await setHandle.read()).length).toBeGreaterThan(0);
    expect(node.whereis('map')?.equals(map)).toBe(true);
    expect(node.whereis('set')?.equals(set)).toBe(true);
  });

  test('garbage and malformed protocol messages are dropped and counted, warned about once per peer; the replicator serves on', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const node = await Node.start({ name: 'solo' });
      nodes.push(node);
      const m = await Replicator.start<string, number>(node, { name: 'm', kind: 'awlwwmap', syncIntervalMs: 5 });
      const pid = m.pid;
      const head = { name: 'm', from: 'evil', replica: 'evil.1.1' };
      const garbage: unknown[] = [42, null, 'x', [1, 2], { $replicator: 'tick' }, { nodeup: 7 }];
      const malformed: unknown[] = [
        { $crdt: 'delta' },
        { $crdt: 'nope', ...head },
        { ...head, $crdt: 'delta', after: 0, seq: -1, delta: {} },
        { ...head, $crdt: 'delta', after: 0, seq: 1, delta: { kind: 'awlwwmap', context: 5, entries: [] } },
        { ...head, $crdt: 'delta', seq: 1, delta: { kind: 'awlwwmap', context: { vv: [], cloud: [] }, entries: [] } },
        { ...head, $crdt: 'delta', after: 2, seq: 1, delta: { kind: 'awlwwmap', context: { vv: [], cloud: [] }, entries: [] } },
        { ...head, $crdt: 'state', seq: 1, state: { kind: 'aworset', context: { vv: [], cloud: [] }, entries: [] } },
        {
          ...head,
          $crdt: 'state',
          seq: 1,
          state: { kind: 'awlwwmap', context: { vv: [], cloud: [] }, entries: [['k', [['x', 1, { v: 1, t: { ms: 1, c: 0, r: 'x' } }]]]] },
        },
        { ...head, $crdt: 'digest', context: { vv: [['a', -1]], cloud: [] }, reply: false },
        { ...head, $crdt: 'digest', context: { vv: [], cloud: [] }, reply: 'no' },
        { ...head, $crdt: 'digest', context: { vv: [], cloud: [] }, reply: false, retired: [['r', 0, true]] },
        { ...head, $crdt: 'ack', seq: 1.5 },
        { ...head, name: 'other', $crdt: 'ack', seq: 1 },
        { ...head, $crdt: 'state', seq: 1, state: null, pruned: 'x' },
      ];
      for (const m of [...garbage, ...malformed]) node.send(pid, m);
      await m.set('after', 1);
      const stats = await m.stats();
      expect(stats.ignored).toBe(garbage.length);
      expect(stats.dropped.malformed).toBe(malformed.length);
      expect(await m.read()).toEqual([['after', 1]]);
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
