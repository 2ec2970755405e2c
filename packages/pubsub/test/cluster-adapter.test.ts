import { describe, expect, test } from 'vitest';
import { Idle, LogLines, clusterFlavour, meshNodes, startPubSub, until } from './support.js';
import { clusterAdapter, clusterScope } from '@foundation/pubsub';
import { serverName } from '../src/internal/server.js';

describe('the cluster adapter over a 3-node mesh', () => {
  test('a broadcast sends one frame to each node with a matching subscriber, none to the others', async () => {
    const [a, b, c] = await clusterFlavour.cluster(['a', 'b', 'c']);
    const ib = [b!.node.inbox(), b!.node.inbox(), b!.node.inbox()];
    // Three subscribers on b, two of them through two matching patterns each: still one frame.
    await b!.subscribe(ib[0]!.self, 'news.sport');
    await b!.subscribe(ib[1]!.self, 'news.*');
    await b!.subscribe(ib[2]!.self, 'news.#');
    await b!.subscribe(ib[2]!.self, 'news.sport');
    const ic = c!.node.inbox();
    await c!.subscribe(ic.self, 'weather.*');
    await until(() => expect(a!.nodesFor('news.sport')).toEqual(['b']));
    await until(() => expect(a!.nodesFor('weather.rain')).toEqual(['c']));
    expect(a!.nodesFor('nothing')).toEqual([]);
    const before = a!.stats().framesSent;
    await a!.broadcast('news.sport', 1);
    expect(a!.stats().framesSent - before).toBe(1);
    await a!.broadcast('weather.rain', 2);
    expect(a!.stats().framesSent - before).toBe(2);
    for (const inbox of ib) expect(await inbox.receive(undefined, 3000)).toBe(1);
    expect(await ic.receive(undefined, 3000)).toBe(2);
    expect(b!.stats().framesReceived).toBe(1);
    expect(c!.stats().framesReceived).toBe(1);
  });

  test("a lost node's subscriptions leave the others' index, and come back when it reconnects", async () => {
    const [a, b, c] = await clusterFlavour.cluster(['a', 'b', 'c']);
    const ib = b!.node.inbox();
    const ic = c!.node.inbox();
    await b!.subscribe(ib.self, 't');
    await c!.subscribe(ic.self, 't');
    await until(() => expect(a!.nodesFor('t')).toEqual(['b', 'c']));
    a!.node.disconnect('c');
    await until(() => expect(a!.nodesFor('t')).toEqual(['b']));
    await a!.broadcast('t', 'while c is away');
    expect(await ib.receive(undefined, 3000)).toBe('while c is away');
    await a!.node.connect(c!.node.url);
    await until(() => expect(a!.nodesFor('t')).toEqual(['b', 'c']));
    await a!.broadcast('t', 'back');
    expect(await ic.receive(undefined, 3000)).toBe('back');
  });

  test('a stopped node is dropped; the survivors keep delivering to each other', async () => {
    const [a, b, c] = await clusterFlavour.cluster(['a', 'b', 'c']);
    const ib = b!.node.inbox();
    await b!.subscribe(ib.self, 't');
    await c!.subscribe(c!.node.inbox().self, 't');
    await until(() => expect(a!.nodesFor('t')).toEqual(['b', 'c']));
    await c!.node.stop();
    await until(() => expect(a!.nodesFor('t')).toEqual(['b']));
    await a!.broadcast('t', 'after c');
    expect(await ib.receive(undefined, 3000)).toBe('after c');
  });

  test('a malformed frame from a peer is dropped and counted; the server lives on', async () => {
    const [a, b] = await clusterFlavour.cluster(['a', 'b']);
    const ib = b!.node.inbox();
    await b!.subscribe(ib.self, 't');
    a!.node.send(
      { name: serverName('ps'), node: 'b' },
      { pubsub: 'ps', topic: 'a..b', message: 1, from: null, dispatcher: null, origin: 'a' },
    );
    a!.node.send(
      { name: serverName('ps'), node: 'b' },
      { pubsub: 'ps', topic: 't', message: 2, from: 'not a pid', dispatcher: null, origin: 'a' },
    );
    await until(() => expect(b!.stats().framesDropped).toBe(2));
    await until(() => expect(a!.nodesFor('t')).toEqual(['b']));
    await a!.broadcast('t', 'fine');
    expect(await ib.receive(undefined, 3000)).toBe('fine');
  });

  test('a node stopping with live subscribers logs nothing', async () => {
    const [na] = await meshNodes(['a']);
    const log = new LogLines();
    const ps = await startPubSub(na!, 'ps', clusterAdapter(), log);
    for (let n = 0; n < 3; n++) {
      const pid = na!.spawn(Idle, undefined);
      for (let i = 0; i < 3; i++) await ps.subscribe(pid, `t${n}.${i}`);
    }
    await na!.stop();
    expect(log.lines).toEqual([]);
  });

  test('PubSubs of different names do not hear each other; stop leaves the others', async () => {
    const [na, nb] = await meshNodes(['a', 'b']);
    const one = [
      await startPubSub(na!, 'one', clusterAdapter(), new LogLines()),
      await startPubSub(nb!, 'one', clusterAdapter(), new LogLines()),
    ];
    const two = [
      await startPubSub(na!, 'two', clusterAdapter(), new LogLines()),
      await startPubSub(nb!, 'two', clusterAdapter(), new LogLines()),
    ];
    const inbox = nb!.inbox();
    await one[1]!.subscribe(inbox.self, 't');
    await until(() => expect(one[0]!.nodesFor('t')).toEqual(['b']));
    expect(two[0]!.nodesFor('t')).toEqual([]);
    expect(na!.whereis(`pg:${clusterScope('one')}`)).toBeDefined();
    await two[0]!.broadcast('t', 'on two');
    await one[0]!.broadcast('t', 'on one');
    expect(await inbox.receive(undefined, 3000)).toBe('on one');
    await one[1]!.stop();
    await until(() => expect(one[0]!.nodesFor('t')).toEqual([]));
    expect(one[1]!.alive).toBe(false);
    expect(two[1]!.alive).toBe(true);
  });
});
