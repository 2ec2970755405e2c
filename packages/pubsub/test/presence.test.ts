import { afterEach, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  InvalidArgumentError,
  MemoryNetwork,
  NoProcessError,
  Node,
  StoppedError,
  UnencodableError,
  UnknownOptionError,
  type Inbox,
  type Pid,
} from '@foundation/runtime';
import {
  AlreadyTrackedError,
  InvalidTopicError,
  Presence,
  PubSub,
  clusterAdapter,
  isPresenceDiff,
  type PresenceDiff,
} from '@foundation/pubsub';
import { Idle, LogLines, failure, startPubSub, until } from './support.js';

const SYNC = 10;
const stops: { stop(): Promise<void> }[] = [];

/** `names` on one MemoryNetwork, each with PubSub 'ps' and Presence 'rooms'. */
async function cluster(names: string[], net = new MemoryNetwork()) {
  const nodes: Node[] = [];
  for (const n of names) {
    const node = await Node.start({ name: n, transport: net.transport() });
    nodes.push(node);
  }
  const pubsubs = await Promise.all(nodes.map((n) => startPubSub(n, 'ps', clusterAdapter(), new LogLines())));
  const presences = await Promise.all(
    pubsubs.map((ps) => Presence.start(ps.node, { name: 'rooms', pubsub: ps, syncIntervalMs: SYNC, antiEntropyIntervalMs: 5 * SYNC })),
  );
  stops.push(...presences, ...nodes);
  return { net, nodes, pubsubs, presences };
}

// The nodes here are this file's (on a MemoryNetwork): stopped after each test, trackers first.
afterEach(async () => {
  for (const s of stops.splice(0)) await s.stop();
});

const idle = (node: Node) => node.spawn(Idle, undefined) as Pid;
/** Each node's view of `topic`, as sorted `key@pid=meta` strings. */
const view = (p: Presence, topic: string) =>
  [...p.list(topic).values()]
    .flat()
    .map((e) => `${e.key}@${String(e.pid)}=${JSON.stringify(e.meta)}`)
    .sort();
const diffs = async (inbox: Inbox, n: number): Promise<PresenceDiff[]> => {
  const out: PresenceDiff[] = [];
  for (let i = 0; i < n; i++) out.push(await inbox.receive(isPresenceDiff, 3000));
  return out;
};

describe('Presence', () => {
  test('a tracked process is listed on every node, and its join reaches the subscribers of the topic on every node', async () => {
    const { nodes, pubsubs, presences } = await cluster(['a', 'b', 'c']);
    const inboxes = await Promise.all(
      pubsubs.map(async (ps) => {
        const inbox = ps.node.inbox();
        await ps.subscribe(inbox.self, 'room.lobby');
        return inbox;
      }),
    );
    const alice = idle(nodes[1]!);
    await presences[1]!.track(alice, 'room.lobby', 'alice', { device: 'phone' });
    for (const inbox of inboxes) {
      const [d] = await diffs(inbox, 1);
      expect(d).toMatchObject({ presenceDiff: 'rooms', topic: 'room.lobby', leaves: [] });
      expect(d!.joins.map((e) => [e.key, String(e.pid), e.meta])).toEqual([['alice', String(alice), { device: 'phone' }]]);
    }
    for (const p of presences) expect(p.get('room.lobby', 'alice').map((e) => String(e.pid))).toEqual([String(alice)]);
    expect([...presences[0]!.list('room.lobby').keys()]).toEqual(['alice']);
    expect(presences[0]!.list('room.other').size).toBe(0);
  });

  test('an exiting process leaves everywhere, with a leave diff', async () => {
    const { nodes, pubsubs, presences } = await cluster(['a', 'b']);
    const inbox = nodes[0]!.inbox();
    await pubsubs[0]!.subscribe(inbox.self, 'room.x');
    const bob = idle(nodes[1]!);
    await presences[1]!.track(bob, 'room.x', 'bob');
    await presences[1]!.track(bob, 'room.y', 'bob');
    await diffs(inbox, 1);
    nodes[1]!.exit(bob, 'kill');
    const [d] = await diffs(inbox, 1);
    expect(d!.leaves.map((e) => e.key)).toEqual(['bob']);
    await until(() => {
      for (const p of presences) expect([view(p, 'room.x'), view(p, 'room.y')]).toEqual([[], []]);
    });
  });

  test('update is a leave and a join; untrack and untrackAll remove; a second track is refused', async () => {
    const { nodes, pubsubs, presences } = await cluster(['a']);
    const [node, ps, p] = [nodes[0]!, pubsubs[0]!, presences[0]!];
    const inbox = node.inbox();
    await ps.subscribe(inbox.self, 't');
    const pid = idle(node);
    await p.track(pid, 't', 'k', 1);
    expect(await failure(p.track(pid, 't', 'k', 2))).toBeInstanceOf(AlreadyTrackedError);
    expect(await p.update(pid, 't', 'k', 2)).toBe(true);
    expect(await p.update(pid, 't', 'nope', 2)).toBe(false);
    await p.track(pid, 't', 'k2');
    expect(await p.untrack(pid, 't', 'k')).toBe(true);
    expect(await p.untrack(pid, 't', 'k')).toBe(false);
    expect(await p.untrackAll(pid)).toBe(true);
    expect(await p.untrackAll(pid)).toBe(false);
    const got = (await diffs(inbox, 5)).map((d) => [
      d.joins.map((e) => `${e.key}=${String(e.meta)}`),
      d.leaves.map((e) => `${e.key}=${String(e.meta)}`),
    ]);
    expect(got).toEqual([
      [['k=1'], []],
      [['k=2'], ['k=1']],
      [['k2=[object Object]'], []],
      [[], ['k=2']],
      [[], ['k2=[object Object]']],
    ]);
  });

  test('bad input is refused with named errors', async () => {
    const { nodes, presences } = await cluster(['a']);
    const p = presences[0]!;
    const pid = idle(nodes[0]!);
    expect(await failure(p.track(pid, 'a.*', 'k'))).toBeInstanceOf(InvalidTopicError);
    expect(await failure(p.track(pid, 't', ''))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(p.track(pid, 't', 'k', { f: () => 1 }))).toBeInstanceOf(UnencodableError);
    expect(await failure(p.track('x' as unknown as Pid, 't', 'k'))).toBeInstanceOf(InvalidArgumentError);
    nodes[0]!.exit(pid, 'kill');
    await until(() => expect(nodes[0]!.isAlive(pid)).toBe(false));
    expect(await failure(p.track(pid, 't', 'k'))).toBeInstanceOf(NoProcessError);
    expect(await failure(Presence.start(nodes[0]!, { name: 'x', pubsub: 1 as never }))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(Presence.start(nodes[0]!, { name: 'x', pubsub: PubSub.of(nodes[0]!, 'ps'), sync: 1 } as never))).toBeInstanceOf(
      UnknownOptionError,
    );
    expect(Presence.of(nodes[0]!, 'rooms')).toBe(p);
    await p.stop();
    expect(await failure(p.track(idle(nodes[0]!), 't', 'k'))).toBeInstanceOf(StoppedError);
  });

  test("a lost node's presences leave the others' views, with leave diffs", async () => {
    const { net, nodes, pubsubs, presences } = await cluster(['a', 'b', 'c']);
    const inbox = nodes[0]!.inbox();
    await pubsubs[0]!.subscribe(inbox.self, 'room');
    await presences[2]!.track(idle(nodes[2]!), 'room', 'carol');
    await presences[1]!.track(idle(nodes[1]!), 'room', 'bob');
    await until(() => expect(view(presences[0]!, 'room')).toHaveLength(2));
    net.crash('c');
    await until(() => expect(presences[0]!.list('room').has('carol')).toBe(false));
    expect(presences[1]!.list('room').has('bob')).toBe(true);
    await until(() => expect(presences[1]!.list('room').has('carol')).toBe(false));
    const all = await diffs(inbox, 3); // two joins, then carol's leave
    expect(all.flatMap((d) => d.leaves.map((e) => e.key))).toEqual(['carol']);
  });

  test('after a partition heals, every view holds exactly the live presences of every node (random tracks, untracks and exits on both sides)', async () => {
    type Op = { node: number; kind: 'track' | 'untrack' | 'kill'; who: number };
    const op = fc.record({
      node: fc.integer({ min: 0, max: 2 }),
      kind: fc.constantFrom<Op['kind']>('track', 'track', 'untrack', 'kill'),
      who: fc.integer({ min: 0, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 10 }), fc.array(op, { maxLength: 10 }), async (before, during) => {
        const { net, nodes, presences } = await cluster(['a', 'b', 'c']);
        // The model: which (node, who) is tracked, by its pid, alive.
        const procs = nodes.map((n) => Array.from({ length: 4 }, () => idle(n)));
        const tracked = new Set<string>();
        const want = () =>
          [...tracked]
            .map((id) => {
              const [n, w] = id.split(':').map(Number) as [number, number];
              return `u${w}@${String(procs[n]![w])}=${JSON.stringify({ n })}`;
            })
            .sort();
        const apply = async (o: Op) => {
          const pid = procs[o.node]![o.who]!;
          const id = `${o.node}:${o.who}`;
          if (o.kind === 'track') {
            if (!tracked.has(id) && nodes[o.node]!.isAlive(pid)) {
              await presences[o.node]!.track(pid, 'room', `u${o.who}`, { n: o.node });
              tracked.add(id);
            }
          } else if (o.kind === 'untrack') {
            await presences[o.node]!.untrack(pid, 'room', `u${o.who}`);
            tracked.delete(id);
          } else {
            nodes[o.node]!.exit(pid, 'kill');
            tracked.delete(id);
          }
        };
        for (const o of before) await apply(o);
        await until(() => {
          for (const p of presences) expect(view(p, 'room')).toHaveLength(tracked.size);
        });
        net.cut('a', 'b');
        net.cut('a', 'c');
        await until(() => expect(nodes[0]!.nodes()).toEqual([]));
        for (const o of during) await apply(o);
        // Cut off, a sees only its own; b and c only theirs.
        const side = (ns: number[]) => want().filter((x) => ns.some((n) => x.endsWith(`=${JSON.stringify({ n })}`)));
        await until(() => {
          expect(view(presences[0]!, 'room')).toEqual(side([0]));
          for (const p of presences.slice(1)) expect(view(p, 'room')).toEqual(side([1, 2]));
        });
        net.heal();
        await until(() => expect(nodes.map((n) => n.nodes().length)).toEqual([2, 2, 2]));
        await until(() => {
          for (const p of presences) expect(view(p, 'room')).toEqual(want());
        });
        for (const s of stops.splice(0)) await s.stop();
      }),
      { numRuns: 15 },
    );
  });
});
