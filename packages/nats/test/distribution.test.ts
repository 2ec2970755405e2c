import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CallExitError, isNodeDown, isNodeUp, UnencodableError, type Inbox, type Node, type Pid } from '@foundation/runtime';
import { NatsServer } from './server.js';
import { Echo, downFor, exitFrom, failure, meshed, startNode, stopAll, until } from './support.js';

/*
 * The runtime's distribution scenarios (packages/runtime/test/distribution.test.ts), copied
 * here to run against the NATS transport and a real nats-server; a cut is the server killed.
 */

let server: NatsServer;
beforeAll(async () => {
  server = await NatsServer.start();
});
afterAll(async () => {
  await server.dispose();
});
afterEach(async () => {
  await stopAll();
});

async function pair(): Promise<{ a: Node; b: Node; inbox: Inbox; echo: Pid }> {
  const a = await startNode(server.url, 'a');
  const b = await startNode(server.url, 'b');
  await meshed(a, b);
  const inbox = a.inbox();
  const echo = b.spawn(Echo, inbox.self, { name: 'echo' });
  return { a, b, inbox, echo };
}

describe('messages', () => {
  test('send, cast and call reach a process on another node by pid and by { name, node }', async () => {
    const { a, inbox, echo } = await pair();
    const byName = { name: 'echo', node: 'b' };
    a.send(echo, 'i1');
    a.cast(echo, 'c1');
    a.send(byName, 'i2');
    a.cast(byName, 'c2');
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await inbox.receive(undefined, 2000));
    expect(got).toEqual([
      ['info', 'i1'],
      ['cast', 'c1'],
      ['info', 'i2'],
      ['cast', 'c2'],
    ]);
    const r1 = await a.call<{ echo: unknown; self: Pid }>(echo, { x: [1, new Map([[1, 2]])] }, 2000);
    expect(r1.echo).toEqual({ x: [1, new Map([[1, 2]])] });
    expect(r1.self.equals(echo)).toBe(true);
    const r2 = await a.call<{ self: Pid }>(byName, 'q', 2000);
    expect(r2.self.equals(echo)).toBe(true);
    expect(await a.call(r2.self, 'again', 2000)).toMatchObject({ echo: 'again' });
  });

  test('messages from one process to another node arrive in the order sent, across many batches', async () => {
    const { a, inbox, echo } = await pair();
    const big = 'x'.repeat(2000); // encoded at send, not snapshotted: both kinds of item interleave
    for (let i = 0; i < 3000; i++) a.send(echo, i % 7 === 0 ? [i, big] : i);
    const got = [];
    for (let i = 0; i < 3000; i++) got.push(await inbox.receive(undefined, 4000));
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => ['info', i % 7 === 0 ? [i, big] : i]));
  });

  test('a payload changed after send arrives as it was at send', async () => {
    const { a, inbox, echo } = await pair();
    const msg = { n: 1, list: [1] };
    a.send(echo, msg);
    msg.n = 2;
    msg.list.push(2);
    expect(await inbox.receive(undefined, 2000)).toEqual(['info', { n: 1, list: [1] }]);
  });

  test('an actor calls an actor on another node, which calls a third node', async () => {
    const a = await startNode(server.url, 'a');
    const b = await startNode(server.url, 'b');
    const c = await startNode(server.url, 'c');
    await meshed(a, b, c);
    const onA = a.spawn(Echo, undefined);
    const onB = b.spawn(Echo, undefined);
    c.spawn(Echo, undefined, { name: 'far' });
    const reply = await a.call<{ echo: unknown; self: Pid }>(
      onA,
      { call: onB, msg: { call: { name: 'far', node: 'c' }, msg: 'hop' } },
      4000,
    );
    expect(reply.echo).toBe('hop');
    expect(reply.self.equals(c.whereis('far'))).toBe(true);
  });

  test("a call to an unknown remote name or a dead remote pid rejects with 'noproc'", async () => {
    const { a, b } = await pair();
    const e = await failure(a.call({ name: 'nobody', node: 'b' }, 'q', 2000));
    expect(CallExitError.is(e) && (e as CallExitError).reason).toBe('noproc');
    const gone = b.spawn(Echo, undefined);
    b.exit(gone, 'kill');
    await until(async () => expect(await b.processInfo(gone)).toBeUndefined());
    expect(((await failure(a.call(gone, 'q', 2000))) as CallExitError).reason).toBe('noproc');
  });
});

describe('links and monitors', () => {
  test('an exit reason the wire cannot carry still fires links and monitors, as an UnencodableError naming it', async () => {
    const { b, inbox } = await pair();
    const victim = b.inbox({ trapExit: false });
    inbox.link(victim.self);
    const ref = inbox.monitor(victim.self);
    await until(async () => expect((await b.processInfo(victim.self))?.monitoredBy).toHaveLength(1));
    b.exit(victim.self, { why: Symbol('not for the wire') });
    const exit = await inbox.receive(exitFrom(victim.self), 2000);
    expect(UnencodableError.is(exit.reason)).toBe(true);
    expect(UnencodableError.is((await inbox.receive(downFor(ref), 2000)).reason)).toBe(true);
  });

  test('a remote crash kills the linked local actor with the same reason', async () => {
    const { a, inbox, echo } = await pair();
    const local = a.spawn(Echo, undefined);
    await a.call(local, { link: echo }, 2000);
    inbox.link(echo);
    const ref = inbox.monitor(local);
    a.cast(echo, new Error('remote boom'));
    expect(((await inbox.receive(exitFrom(echo), 2000)).reason as Error).message).toBe('remote boom');
    expect(((await inbox.receive(downFor(ref), 2000)).reason as Error).message).toBe('remote boom');
  });

  test('a remote monitor fires once with the reason; by name too; unknown ones give noproc', async () => {
    const { b, inbox, echo } = await pair();
    const byPid = inbox.monitor(echo);
    const byName = inbox.monitor({ name: 'echo', node: 'b' });
    await until(async () => expect((await b.processInfo(echo))!.monitoredBy).toHaveLength(2));
    b.exit(echo, 'bye');
    expect((await inbox.receive(downFor(byPid), 2000)).reason).toBe('bye');
    expect((await inbox.receive(downFor(byName), 2000)).reason).toBe('bye');
    expect(inbox.pending).toBe(0);
    const ghost = inbox.monitor({ name: 'ghost', node: 'b' });
    expect((await inbox.receive(downFor(ghost), 2000)).reason).toBe('noproc');
  });

  test("a link to a dead remote pid gives 'noproc'; demonitor and unlink mean no DOWN and no EXIT", async () => {
    const { b, inbox, echo } = await pair();
    const gone = b.spawn(Echo, undefined);
    b.exit(gone, 'kill');
    await until(async () => expect(await b.processInfo(gone)).toBeUndefined());
    inbox.link(gone);
    expect(await inbox.receive(exitFrom(gone), 2000)).toEqual({ from: gone, reason: 'noproc' });
    const ref = inbox.monitor(echo);
    inbox.link(echo);
    await until(async () => expect((await b.processInfo(echo))!.links).toHaveLength(1));
    inbox.demonitor(ref);
    inbox.unlink(echo);
    await until(async () => expect((await b.processInfo(echo))!).toMatchObject({ links: [], monitoredBy: [] }));
    const later = inbox.monitor(echo);
    await until(async () => expect((await b.processInfo(echo))!.monitoredBy).toHaveLength(1));
    b.exit(echo, 'bye');
    await inbox.receive(downFor(later), 2000);
    expect(inbox.pending).toBe(0);
  });
});

describe('lost connections', () => {
  test("the nats-server killed: links get 'noconnection', monitors DOWN 'noconnection', pending calls CallExitError, then nodeup once it is back", async () => {
    const { a, b, inbox, echo } = await pair();
    const local = a.spawn(Echo, undefined);
    const downs: unknown[] = [];
    a.on('nodedown', (name, reason) => downs.push([name, reason]));
    await a.call(local, { link: echo }, 2000);
    inbox.link(echo);
    const mon = inbox.monitor(echo);
    const monLocal = inbox.monitor(local);
    inbox.monitorNodes();
    const pending = failure(a.call(echo, 'hold', Infinity));
    await until(async () => expect((await b.processInfo(echo))!).toMatchObject({ links: [local, inbox.self] }));
    await until(async () => expect((await b.processInfo(echo))!.monitoredBy).toHaveLength(2));

    await server.stop();
    const e = await pending;
    expect((e as CallExitError).reason).toBe('noconnection');
    expect((await inbox.receive(exitFrom(echo), 2000)).reason).toBe('noconnection');
    expect((await inbox.receive(downFor(mon), 2000)).reason).toBe('noconnection');
    expect((await inbox.receive(downFor(monLocal), 2000)).reason).toBe('noconnection');
    expect(await inbox.receive(isNodeDown, 2000)).toEqual({ nodedown: 'b', reason: 'noconnection' });
    expect(downs).toEqual([['b', 'noconnection']]);
    expect(a.nodes()).toEqual([]);
    // b's side lost its links to a the same way: echo did not trap, so it died.
    await until(async () => expect(await b.processInfo(echo)).toBeUndefined());
    // While NATS is gone, a call fails at once.
    expect(((await failure(a.call({ name: 'x', node: 'b' }, 'q', Infinity))) as CallExitError).reason).toBe('noconnection');

    await server.start();
    expect(await inbox.receive(isNodeUp, 8000)).toEqual({ nodeup: 'b' });
    await meshed(a, b);
    const again = b.spawn(Echo, undefined, { name: 'echo2' });
    expect(await a.call<{ self: Pid }>({ name: 'echo2', node: 'b' }, 'back', 2000)).toMatchObject({ echo: 'back', self: again });
    expect(inbox.pending).toBe(0);
  });

  test('nodeup and nodedown report peers joining and leaving; stop sends shutdown exits and DOWNs first', async () => {
    const a = await startNode(server.url, 'a');
    const events: unknown[] = [];
    a.on('nodeup', (name) => events.push(['up', name]));
    a.on('nodedown', (name, reason) => events.push(['down', name, reason]));
    const b = await startNode(server.url, 'b');
    await meshed(a, b);
    const c = await startNode(server.url, 'c');
    await meshed(a, b, c);
    const inbox = a.inbox();
    const worker = b.spawn(Echo, undefined);
    const trapper = b.spawn(Echo, undefined, { trapExit: true });
    const ref = inbox.monitor(worker);
    inbox.link(trapper);
    await until(async () => expect((await b.processInfo(trapper))!.links).toHaveLength(1));
    await until(async () => expect((await b.processInfo(worker))!.monitoredBy).toHaveLength(1));
    await b.stop();
    expect((await inbox.receive(downFor(ref), 2000)).reason).toBe('shutdown');
    expect((await inbox.receive(exitFrom(trapper), 2000)).reason).toBe('shutdown');
    await until(() => expect(a.nodes()).toEqual(['c']));
    expect(events).toEqual([
      ['up', 'b'],
      ['up', 'c'],
      ['down', 'b', 'shutdown'],
    ]);
    await c.stop();
  });

  test("a call or send to a node not (yet) seen fails at once with 'noconnection'; connect(url) waits for it", async () => {
    const a = await startNode(server.url, 'a');
    const e = await failure(a.call({ name: 'echo', node: 'b' }, 'q', Infinity));
    expect((e as CallExitError).reason).toBe('noconnection');
    const inbox = a.inbox();
    const ref = inbox.monitor({ name: 'echo', node: 'b' });
    expect((await inbox.receive(downFor(ref), 0)).reason).toBe('noconnection');
    const waiting = a.connect('foundation+nats://test/b');
    const b = await startNode(server.url, 'b');
    b.spawn(Echo, undefined, { name: 'echo' });
    await waiting;
    expect(await a.call({ name: 'echo', node: 'b' }, 'q', 2000)).toMatchObject({ echo: 'q' });
    expect(((await failure(a.connect('foundation+nats://other/b'))) as Error).name).toBe('NatsConnectError');
  });

  test("a pid from before a node restarted gets 'noproc', not the new process", async () => {
    const a = await startNode(server.url, 'a');
    const b1 = await startNode(server.url, 'b');
    await meshed(a, b1);
    const old = b1.spawn(Echo, undefined);
    expect(await a.call(old, 'hi', 2000)).toMatchObject({ echo: 'hi' });
    await b1.stop();
    await until(() => expect(a.nodes()).toEqual([]));
    const b2 = await startNode(server.url, 'b');
    expect(b2.incarnation).not.toBe(b1.incarnation);
    await meshed(a, b2);
    const fresh = b2.spawn(Echo, undefined);
    expect(fresh.id).toBe(old.id);
    expect(await a.call(fresh, 'new', 2000)).toMatchObject({ echo: 'new' });
    expect(((await failure(a.call(old, 'hi', 2000))) as CallExitError).reason).toBe('noproc');
  });
});
