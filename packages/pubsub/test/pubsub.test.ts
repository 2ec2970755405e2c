import { describe, expect, test } from 'vitest';
import {
  AlreadyRegisteredError,
  InvalidArgumentError,
  StoppedError,
  UnencodableError,
  UnknownNameError,
  UnknownOptionError,
  type Pid,
} from '@foundation/runtime';
import { InvalidPatternError, InvalidTopicError, PubSub, UnknownDispatcherError, withTopic, type Dispatcher } from '@foundation/pubsub';
import { Forwarder, Idle, clusterFlavour, failure, reaches, redisFlavour, until } from './support.js';

/** The behaviour suite: every test runs against both adapters. */
describe.each([clusterFlavour, redisFlavour])('PubSub over the $kind adapter', (flavour) => {
  const one = async (): Promise<PubSub> => (await flavour.cluster(['n1']))[0]!;

  test('a subscriber gets the bare message in handleInfo', async () => {
    const ps = await one();
    const inbox = ps.node.inbox();
    const fwd = ps.node.spawn(Forwarder, inbox.self);
    await ps.subscribe(fwd, 'rooms.lobby');
    await ps.broadcast('rooms.lobby', { text: 'hi' });
    expect(await inbox.receive(undefined, 2000)).toEqual({ at: fwd, msg: { text: 'hi' } });
  });

  test('a broadcast reaches the subscribers on every node, and no one else', async () => {
    const all = await flavour.cluster(['a', 'b', 'c']);
    const inboxes = all.map((p) => p.node.inbox());
    const others = all.map((p) => p.node.inbox());
    for (const [i, p] of all.entries()) {
      await p.subscribe(inboxes[i]!.self, 'rooms.lobby');
      await p.subscribe(others[i]!.self, 'rooms.other');
    }
    await reaches(flavour, all[0]!, 'rooms.lobby', all);
    await all[0]!.broadcast('rooms.lobby', 'm1');
    for (const inbox of inboxes) expect(await inbox.receive(undefined, 3000)).toBe('m1');
    await all[0]!.broadcast('rooms.other', 'o1');
    // Each "other" inbox gets o1 first: m1 never reached it.
    for (const inbox of others) expect(await inbox.receive(undefined, 3000)).toBe('o1');
  });

  test('broadcastFrom reaches every subscriber but the publisher', async () => {
    const [a, b] = await flavour.cluster(['a', 'b']);
    const pubInbox = a!.node.inbox();
    const peerA = a!.node.inbox();
    const peerB = b!.node.inbox();
    await a!.subscribe(pubInbox.self, 't');
    await a!.subscribe(peerA.self, 't');
    await b!.subscribe(peerB.self, 't');
    await reaches(flavour, a!, 't', [b!]);
    await a!.broadcastFrom(pubInbox.self, 't', 'from-me');
    await a!.broadcast('t', 'to-all');
    expect(await peerA.receive(undefined, 3000)).toBe('from-me');
    expect(await peerB.receive(undefined, 3000)).toBe('from-me');
    expect(await pubInbox.receive(undefined, 3000)).toBe('to-all');
  });

  test('localBroadcast reaches this node only; directBroadcast the named node only', async () => {
    const [a, b, c] = await flavour.cluster(['a', 'b', 'c']);
    const inboxes = [a!, b!, c!].map((p) => p.node.inbox());
    for (const [i, p] of [a!, b!, c!].entries()) await p.subscribe(inboxes[i]!.self, 't');
    await reaches(flavour, a!, 't', [b!, c!]);
    a!.localBroadcast('t', 'local');
    await a!.directBroadcast('b', 't', 'direct-b');
    await a!.directBroadcast('a', 't', 'direct-a');
    await a!.broadcast('t', 'all');
    expect(await inboxes[0]!.receive(undefined, 3000)).toBe('local');
    expect(await inboxes[0]!.receive(undefined, 3000)).toBe('direct-a');
    expect(await inboxes[0]!.receive(undefined, 3000)).toBe('all');
    expect(await inboxes[1]!.receive(undefined, 3000)).toBe('direct-b');
    expect(await inboxes[1]!.receive(undefined, 3000)).toBe('all');
    expect(await inboxes[2]!.receive(undefined, 3000)).toBe('all');
  });

  test('wildcards: * takes one segment, # zero or more, and several matching patterns deliver once', async () => {
    const [a, b] = await flavour.cluster(['a', 'b']);
    const inbox = b!.node.inbox();
    for (const t of ['orders.*.created', 'orders.#', '#', 'orders.eu.created']) await b!.subscribe(inbox.self, t);
    const star = b!.node.inbox();
    await b!.subscribe(star.self, 'orders.*');
    await reaches(flavour, a!, 'orders.eu.created', [b!]);
    await a!.broadcast('orders.eu.created', 1);
    await a!.broadcast('orders', 2);
    await a!.broadcast('orders.us', 3);
    await a!.broadcast('users.x', 4);
    const got: unknown[] = [];
    for (let i = 0; i < 4; i++) got.push(await inbox.receive(undefined, 3000));
    expect(got).toEqual([1, 2, 3, 4]);
    expect(await star.receive(undefined, 3000)).toBe(3);
    expect(b!.subscribers('orders.eu.created').map((s) => s.pid)).toEqual([inbox.self]);
  });

  test('messages from one publisher reach each subscriber in the order published', async () => {
    const all = await flavour.cluster(['a', 'b', 'c']);
    const inboxes = all.map((p) => p.node.inbox());
    for (const [i, p] of all.entries()) await p.subscribe(inboxes[i]!.self, i === 1 ? 'seq.#' : 'seq.n');
    await reaches(flavour, all[0]!, 'seq.n', all);
    const N = 2000;
    const sent: Promise<void>[] = [];
    for (let i = 0; i < N; i++) sent.push(all[0]!.broadcast('seq.n', i));
    await Promise.all(sent);
    for (const inbox of inboxes) {
      const got: number[] = [];
      for (let i = 0; i < N; i++) got.push((await inbox.receive(undefined, 5000)) as number);
      expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
    }
  });

  test('a subscription ends when its subscriber exits, on this node and for the others', async () => {
    const [a, b] = await flavour.cluster(['a', 'b']);
    const sub = b!.node.spawn(Idle, undefined);
    await b!.subscribe(sub, 'x.y');
    await b!.subscribe(sub, 'x.#');
    await reaches(flavour, a!, 'x.y', [b!]);
    b!.node.exit(sub, 'kill');
    await until(() => expect(b!.subscribers('x.y')).toEqual([]));
    expect(b!.subscriptions(sub)).toEqual([]);
    await until(() => expect(a!.nodesFor('x.y')).toEqual([]));
  });

  test('a subscriber that is dead already is dropped at once', async () => {
    const [a] = await flavour.cluster(['a']);
    const pid = a!.node.spawn(Idle, undefined);
    a!.node.exit(pid, 'kill');
    await a!.subscribe(pid, 'gone');
    await until(() => expect(a!.subscriptions(pid)).toEqual([]));
    expect(a!.subscribers('gone')).toEqual([]);
  });

  test('unsubscribe ends one subscription (false when there was none); the others stay', async () => {
    const [a] = await flavour.cluster(['a']);
    const inbox = a!.node.inbox();
    await a!.subscribe(inbox.self, 'k.*');
    await a!.subscribe(inbox.self, 'k.1');
    expect(await a!.unsubscribe(inbox.self, 'k.*')).toBe(true);
    expect(await a!.unsubscribe(inbox.self, 'k.*')).toBe(false);
    expect(a!.subscriptions(inbox.self)).toEqual(['k.1']);
    await a!.broadcast('k.2', 'not me');
    await a!.broadcast('k.1', 'me');
    expect(await inbox.receive(undefined, 2000)).toBe('me');
  });

  test('bad input throws a named error at the call and sends nothing', async () => {
    const [a, b] = await flavour.cluster(['a', 'b']);
    const inbox = b!.node.inbox();
    await b!.subscribe(inbox.self, 'ok');
    await reaches(flavour, a!, 'ok', [b!]);
    expect(await failure(a!.broadcast('', 1))).toBeInstanceOf(InvalidTopicError);
    expect(await failure(a!.broadcast(42 as unknown as string, 1))).toBeInstanceOf(InvalidTopicError);
    expect(await failure(a!.broadcast('a..b', 1))).toBeInstanceOf(InvalidTopicError);
    expect(await failure(a!.broadcast('a.*', 1))).toBeInstanceOf(InvalidTopicError);
    expect(await failure(b!.subscribe(inbox.self, 'a.b*'))).toBeInstanceOf(InvalidPatternError);
    expect(await failure(b!.subscribe(inbox.self, 'ok.#x'))).toBeInstanceOf(InvalidPatternError);
    const fn = await failure(a!.broadcast('ok', { handler: () => 1 }));
    expect(fn).toBeInstanceOf(UnencodableError);
    expect(fn.message).toContain('broadcast(topic, msg): msg.handler');
    expect(await failure(a!.directBroadcast('b', 'ok', Symbol('s')))).toBeInstanceOf(UnencodableError);
    expect(await failure(a!.broadcast('ok', 1, { dispatcher: 'nope' }))).toBeInstanceOf(UnknownDispatcherError);
    expect(await failure(a!.broadcast('ok', 1, { dispatchr: 'x' } as object))).toBeInstanceOf(UnknownOptionError);
    expect(await failure(a!.subscribe('pid' as unknown as Pid, 'ok'))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(a!.subscribe(inbox.self, 'ok'))).toBeInstanceOf(InvalidArgumentError); // a pid of node b
    await a!.broadcast('ok', 'first that arrives');
    expect(await inbox.receive(undefined, 3000)).toBe('first that arrives');
    expect(b!.subscriptions(inbox.self)).toEqual(['ok']);
  });

  test('dispatchers: withTopic carries the topic; a custom one reads the metadata, on every node', async () => {
    const fastlane: Dispatcher = ({ subscribers, from, message, send }) => {
      for (const s of subscribers) if (!s.pid.equals(from)) send(s.pid, { lane: s.metadata, message });
    };
    const [a, b] = await flavour.cluster(['a', 'b'], 'ps', { dispatchers: { withTopic, fastlane } });
    const inbox = b!.node.inbox();
    await b!.subscribe(inbox.self, 'room.*', { metadata: 'json' });
    await reaches(flavour, a!, 'room.1', [b!]);
    await a!.broadcast('room.1', 'x', { dispatcher: 'withTopic' });
    await a!.broadcast('room.2', 'y', { dispatcher: 'fastlane' });
    expect(await inbox.receive(undefined, 3000)).toEqual({ topic: 'room.1', message: 'x' });
    expect(await inbox.receive(undefined, 3000)).toEqual({ lane: 'json', message: 'y' });
  });

  test('a throwing dispatcher ends that delivery only', async () => {
    const boom: Dispatcher = () => {
      throw new Error('boom');
    };
    const [a] = await flavour.cluster(['a'], 'ps', { dispatchers: { boom } });
    const inbox = a!.node.inbox();
    await a!.subscribe(inbox.self, 't');
    await a!.broadcast('t', 1, { dispatcher: 'boom' });
    await a!.broadcast('t', 2);
    expect(await inbox.receive(undefined, 2000)).toBe(2);
    expect(a!.alive).toBe(true);
  });
});

describe('PubSub.start, of and stop', () => {
  test('options are checked: unknown keys, a missing name, a wrong adapter', async () => {
    const [ps] = await clusterFlavour.cluster(['a']);
    const node = ps!.node;
    expect(await failure(PubSub.start(node, { name: 'x', adaptr: 1 } as never))).toBeInstanceOf(UnknownOptionError);
    expect(await failure(PubSub.start(node, {} as never))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(PubSub.start(node, { name: 'x', adapter: 'redis' as never }))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(PubSub.start(node, { name: 'x', dispatchers: { d: 1 as never } }))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(PubSub.start(node, { name: 'ps' }))).toBeInstanceOf(AlreadyRegisteredError);
  });

  test('of gives the running PubSub; after stop, of and every call fail with named errors', async () => {
    const [ps] = await clusterFlavour.cluster(['a']);
    const node = ps!.node;
    const inbox = node.inbox();
    expect(PubSub.of(node, 'ps')).toBe(ps);
    const viaInbox = PubSub.of(inbox, 'ps');
    await viaInbox.subscribe(inbox.self, 't');
    await ps!.broadcast('t', 1);
    expect(await inbox.receive(undefined, 2000)).toBe(1);
    await ps!.stop();
    expect(ps!.alive).toBe(false);
    expect(() => PubSub.of(node, 'ps')).toThrow(UnknownNameError);
    expect(await failure(ps!.broadcast('t', 1))).toBeInstanceOf(StoppedError);
    expect(await failure(ps!.subscribe(inbox.self, 't'))).toBeInstanceOf(StoppedError);
    expect(() => ps!.localBroadcast('t', 1)).toThrow(StoppedError);
    await ps!.stop(); // twice is fine
  });
});
