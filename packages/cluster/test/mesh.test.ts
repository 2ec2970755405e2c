import { afterEach, describe, expect, test } from 'vitest';
import { CallExitError, type Node, type Pid } from '@foundation/runtime';
import { staticPeers } from '../src/index.js';
import { Echo, LogLines, connectionTo, downFor, exitFrom, failure, seeds, startNode, stopAll, until } from './mesh-helpers.js';

afterEach(stopAll);

async function pair(): Promise<{ a: Node; b: Node }> {
  const { node: a } = await startNode('a');
  const { node: b } = await startNode('b', { discovery: [staticPeers([a.url])] });
  await until(() => expect(a.nodes()).toEqual(['b']));
  await until(() => expect(b.nodes()).toEqual(['a']));
  return { a, b };
}

describe('two nodes', () => {
  test('node.url is the ws:// address the mesh listens on', async () => {
    const { node } = await startNode('solo');
    expect(node.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(node.nodes()).toEqual([]);
  });

  test('send, cast and call reach a process on the other node by pid and by { name, node }', async () => {
    const { a, b } = await pair();
    const inbox = a.inbox();
    const echo = b.spawn(Echo, inbox.self, { name: 'echo' });
    a.send(echo, 'i1');
    a.cast({ name: 'echo', node: 'b' }, 'c1');
    expect(await inbox.receive(undefined, 2000)).toEqual(['info', 'i1']);
    expect(await inbox.receive(undefined, 2000)).toEqual(['cast', 'c1']);
    const r = await a.call<{ echo: unknown; self: Pid }>({ name: 'echo', node: 'b' }, { m: new Map([[1, 'x']]) }, 2000);
    expect(r.echo).toEqual({ m: new Map([[1, 'x']]) });
    expect(r.self.equals(echo)).toBe(true);
  });

  test('messages from one process to a process on another node arrive in the order sent', async () => {
    const { a, b } = await pair();
    const inbox = a.inbox();
    const echo = b.spawn(Echo, inbox.self);
    const sender = a.inbox();
    const N = 20_000;
    for (let i = 0; i < N; i++) sender.send(echo, i);
    const got: number[] = [];
    for (let i = 0; i < N; i++) got.push(((await inbox.receive(undefined, 5000)) as [string, number])[1]);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  test('a remote crash reaches linked and monitoring processes with its reason', async () => {
    const { a, b } = await pair();
    const inbox = a.inbox();
    const echo = b.spawn(Echo, undefined);
    inbox.link(echo);
    const ref = inbox.monitor(echo);
    a.cast(echo, new Error('boom'));
    const exit = await inbox.receive(exitFrom(echo), 2000);
    expect((exit.reason as Error).message).toBe('boom');
    const down = await inbox.receive(downFor(ref), 2000);
    expect((down.reason as Error).message).toBe('boom');
  });

  test("a call to a name nobody holds on the other node rejects with 'noproc'", async () => {
    const { a } = await pair();
    const e = await failure(a.call({ name: 'nobody', node: 'b' }, 'q', 2000));
    expect(CallExitError.is(e) && (e as CallExitError).reason).toBe('noproc');
  });

  test('connect(url) resolves once the handshake is done; nodeup fires on both sides', async () => {
    const { node: a } = await startNode('a');
    const { node: b } = await startNode('b');
    const ups: string[] = [];
    a.on('nodeup', (n) => ups.push(`a:${n}`));
    b.on('nodeup', (n) => ups.push(`b:${n}`));
    await b.connect(a.url);
    expect(b.nodes()).toEqual(['a']);
    await until(() => expect(ups.sort()).toEqual(['a:b', 'b:a']));
    await b.connect(a.url); // already connected: resolves at once
  });

  test("disconnect(name) gives nodedown 'disconnect' on both sides, links 'noconnection', and no redial", async () => {
    const { a, b } = await pair();
    const downs: string[] = [];
    a.on('nodedown', (n, r) => downs.push(`a:${n}:${r}`));
    b.on('nodedown', (n, r) => downs.push(`b:${n}:${r}`));
    const inbox = a.inbox();
    const echo = b.spawn(Echo, undefined);
    inbox.link(echo);
    await a.call(echo, 'sync', 2000);
    a.disconnect('b');
    expect(a.nodes()).toEqual([]);
    expect((await inbox.receive(exitFrom(echo), 2000)).reason).toBe('noconnection');
    await until(() => expect(downs.sort()).toEqual(['a:b:disconnect', 'b:a:disconnect']));
    const e = await failure(a.call(echo, 'q', 2000));
    expect((e as CallExitError).reason).toBe('noconnection');
    expect(a.nodes()).toEqual([]);
    expect(b.nodes()).toEqual([]);
  });

  test("a node that stops says goodbye: exits 'shutdown' arrive, nodedown 'shutdown', no redial", async () => {
    const { a, b } = await pair();
    const downs: unknown[] = [];
    a.on('nodedown', (n, r) => downs.push([n, r]));
    const inbox = a.inbox();
    const echo = b.spawn(Echo, undefined);
    inbox.link(echo);
    await a.call(echo, 'sync', 2000);
    await b.stop();
    expect((await inbox.receive(exitFrom(echo), 2000)).reason).toBe('shutdown');
    await until(() => expect(downs).toEqual([['b', 'shutdown']]));
    expect(a.nodes()).toEqual([]);
  });

  test("a lost connection gives 'noconnection' to links, monitors and pending calls; the mesh redials", async () => {
    const { a, b } = await pair();
    const inbox = a.inbox();
    const echo = b.spawn(Echo, undefined, { name: 'echo' });
    b.spawn(Echo, undefined, { name: 'bystander' });
    inbox.link(echo);
    const ref = inbox.monitor(echo);
    const nameRef = inbox.monitor({ name: 'echo', node: 'b' });
    const pending = failure(a.call(echo, 'hold', 10_000));
    await a.call(echo, 'sync', 2000);
    const downs: unknown[] = [];
    a.on('nodedown', (n, r) => downs.push([n, r]));
    // Cut the TCP connection under the mesh, as a network failure would.
    connectionTo(a, 'b').ws.terminate();
    expect(((await pending) as CallExitError).reason).toBe('noconnection');
    expect((await inbox.receive(exitFrom(echo), 2000)).reason).toBe('noconnection');
    expect((await inbox.receive(downFor(ref), 2000)).reason).toBe('noconnection');
    expect((await inbox.receive(downFor(nameRef), 2000)).reason).toBe('noconnection');
    expect(downs).toEqual([['b', 'noconnection']]);
    await until(() => expect(a.nodes()).toEqual(['b']));
    // The link took 'echo' down on b as well; an unlinked process there is reachable again.
    expect(await a.call({ name: 'bystander', node: 'b' }, 'back', 2000)).toMatchObject({ echo: 'back' });
  });

  test("a restarted node is a new node: pids of its old incarnation get 'noproc'", async () => {
    const { a, b } = await pair();
    const old = b.spawn(Echo, undefined);
    await a.call(old, 'sync', 2000);
    await b.stop();
    await until(() => expect(a.nodes()).toEqual([]));
    const { node: b2 } = await startNode('b', { discovery: [seeds([a.url])] });
    expect(b2.incarnation).not.toBe(b.incarnation);
    await until(() => expect(a.nodes()).toEqual(['b']));
    const e = await failure(a.call(old, 'q', 2000));
    expect((e as CallExitError).reason).toBe('noproc');
  });
});

describe('five nodes', () => {
  test('a full mesh forms from one seed, and every node calls every other', async () => {
    const { node: seed } = await startNode('n0');
    const rest: Node[] = [];
    for (let i = 1; i < 5; i++) rest.push((await startNode(`n${i}`, { discovery: [staticPeers([seed.url])] })).node);
    const all = [seed, ...rest];
    for (const n of all) n.spawn(Echo, undefined, { name: 'echo' });
    await until(() => {
      for (const n of all) expect(n.nodes().sort()).toEqual(all.map((m) => m.name).filter((m) => m !== n.name));
    });
    const calls: Promise<unknown>[] = [];
    for (const from of all) for (const to of all) if (from !== to) calls.push(from.call({ name: 'echo', node: to.name }, from.name, 2000));
    expect(await Promise.all(calls)).toHaveLength(20);
  });

  test('nodes that all dial each other at once end with one connection per pair', async () => {
    const logs = Array.from({ length: 5 }, () => new LogLines());
    const nodes: Node[] = [];
    for (let i = 0; i < 5; i++) nodes.push((await startNode(`m${i}`, {}, logs[i])).node);
    const ups = new Map<string, number>();
    for (const n of nodes) n.on('nodeup', (p) => ups.set(`${n.name}:${p}`, (ups.get(`${n.name}:${p}`) ?? 0) + 1));
    await Promise.all(nodes.flatMap((n) => nodes.filter((m) => m !== n).map((m) => n.connect(m.url))));
    for (const n of nodes) expect(n.nodes()).toHaveLength(4);
    expect(ups.size).toBe(20);
    expect([...ups.values()].every((v) => v === 1)).toBe(true);
    for (const l of logs) expect(l.count(/ is up /)).toBe(4);
    expect(logs.some((l) => l.has(/nodedown|closed by peer.*\b4007\b/))).toBe(false);
  });
});
