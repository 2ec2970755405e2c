import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  CallExitError,
  FrameTooLargeError,
  isNodeDown,
  isNodeUp,
  Node,
  UnknownOptionError,
  decodeValues,
  encodeValues,
  type Pid,
} from '@foundation/runtime';
import { DuplicateNodeNameError, nats, NatsOptionsError } from '../src/index.js';
import { NatsServer } from './server.js';
import { Echo, downFor, exitFrom, failure, logs, meshed, startNode, stopAll, transport, until } from './support.js';

let server: NatsServer;
const children: ChildProcess[] = [];
const raws: NatsConnection[] = [];
beforeAll(async () => {
  server = await NatsServer.start();
});
afterAll(async () => {
  await server.dispose();
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of raws.splice(0)) await r.close();
  await stopAll();
});

/** Starts a node in a child process (fixtures/child-node.ts); resolves with its incarnation once it runs. */
async function childNode(name: string): Promise<{ child: ChildProcess; inc: number }> {
  const file = fileURLToPath(new URL('./fixtures/child-node.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@foundation/source', file, server.url, name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const inc = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`child node ${name} exited (${code}) before it was ready`)));
  });
  return { child, inc };
}

async function raw(): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url });
  raws.push(nc);
  return nc;
}

/** A message of the transport's layout (wire.ts), forged. */
const forge = (kind: number, from: string, fromInc: number, toInc: number, session: number, seq: number, items: unknown[] = []) =>
  encodeValues([1, kind, from, fromInc, toInc, session, seq, ...items]);

describe('presence', () => {
  test("a node killed (no goodbye) is down with 'noconnection' within its missed heartbeats; started again, it is a new incarnation", async () => {
    const a = await startNode(server.url, 'a');
    const first = await childNode('k');
    await until(() => expect(a.nodes()).toEqual(['k']));
    const inbox = a.inbox();
    const reply = await a.call<{ self: Pid }>({ name: 'echo', node: 'k' }, 'hi', 4000);
    expect(reply.self.incarnation).toBe(first.inc);
    inbox.link(reply.self);
    const ref = inbox.monitor(reply.self);
    inbox.monitorNodes();
    // Frames between a pair arrive in order: once this call is answered, the link and monitor are in place.
    await a.call(reply.self, 'sync', 4000);
    const pending = failure(a.call(reply.self, 'hold', Infinity));
    first.child.kill('SIGKILL');
    expect(((await pending) as CallExitError).reason).toBe('noconnection');
    expect(await inbox.receive(isNodeDown, 4000)).toEqual({ nodedown: 'k', reason: 'noconnection' });
    expect((await inbox.receive(downFor(ref), 0)).reason).toBe('noconnection');
    expect((await inbox.receive(exitFrom(reply.self), 0)).reason).toBe('noconnection');
    const second = await childNode('k');
    expect(await inbox.receive(isNodeUp, 4000)).toEqual({ nodeup: 'k' });
    const again = await a.call<{ self: Pid }>({ name: 'echo', node: 'k' }, 'hi', 4000);
    expect(again.self.incarnation).toBe(second.inc);
    expect(((await failure(a.call(reply.self, 'old', 2000))) as CallExitError).reason).toBe('noproc');
  });

  test('a node restarted before its old self was judged silent: the old self goes down, then the new one comes up', async () => {
    const a = await startNode(server.url, 'a', { missedHeartbeats: 50 }); // silence alone would take 5 s
    const first = await childNode('k');
    await until(() => expect(a.nodes()).toEqual(['k']));
    const inbox = a.inbox();
    inbox.monitorNodes();
    first.child.kill('SIGKILL');
    await childNode('k');
    expect(await inbox.receive(undefined, 4000)).toEqual({ nodedown: 'k', reason: 'noconnection' });
    expect(await inbox.receive(undefined, 4000)).toEqual({ nodeup: 'k' });
  });

  test('a second live node with the same name is refused at start with DuplicateNodeNameError; once the first stops, the name is free', async () => {
    const a = await startNode(server.url, 'a');
    const b = await startNode(server.url, 'b');
    await meshed(a, b);
    const dup = await failure(Node.start({ name: 'a', transport: transport(server.url) }));
    expect(dup).toBeInstanceOf(DuplicateNodeNameError);
    expect(dup.message).toContain(`incarnation ${a.incarnation}`);
    // The first 'a' saw nothing of it.
    expect(a.nodes()).toEqual(['b']);
    expect(b.nodes()).toEqual(['a']);
    await a.stop();
    const again = await startNode(server.url, 'a');
    await meshed(again, b);
  });

  test("a lost message (a gap in a peer's session) takes the peer down with 'noconnection' and sends it a reset", async () => {
    const a = await startNode(server.url, 'a');
    const nc = await raw();
    const toX: unknown[][] = [];
    nc.subscribe('test.node.x', { callback: (_e, m) => void toX.push(decodeValues(m.data).slice(1, 7)) });
    await nc.flush();
    const events: unknown[] = [];
    a.on('nodeup', (n) => events.push(['up', n]));
    a.on('nodedown', (n, r) => events.push(['down', n, r]));
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 99, 1));
    await until(() => expect(a.nodes()).toEqual(['x']));
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 99, 2));
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 99, 4)); // #3 lost
    await until(() =>
      expect(events).toEqual([
        ['up', 'x'],
        ['down', 'x', 'noconnection'],
      ]),
    );
    // What x received: a's session opening (data #1, no frames), then a reset naming x's session 99.
    await until(() =>
      expect(toX.map((m) => [m[0], m[1], m[4] === 99, m[5]])).toEqual([
        [1, 'a', false, 1],
        [2, 'a', true, 0],
      ]),
    );
  });

  test('a new session from a peer that was up (it saw this node go down) gives nodedown then nodeup here too', async () => {
    const a = await startNode(server.url, 'a');
    const nc = await raw();
    const events: unknown[] = [];
    a.on('nodeup', (n) => events.push(['up', n]));
    a.on('nodedown', (n, r) => events.push(['down', n, r]));
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 99, 1));
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 99, 2));
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 100, 1));
    await until(() =>
      expect(events).toEqual([
        ['up', 'x'],
        ['down', 'x', 'noconnection'],
        ['up', 'x'],
      ]),
    );
    // A late message of the old session now is a gap: down again.
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 99, 3));
    await until(() => expect(events).toHaveLength(4));
    expect(events[3]).toEqual(['down', 'x', 'noconnection']);
  });

  test('a message that is not one, or holds a malformed frame, is dropped and logged once; the frames after it still arrive', async () => {
    const a = await startNode(server.url, 'a');
    const inbox = a.inbox();
    a.register('sink', inbox.self);
    const nc = await raw();
    logs.length = 0;
    nc.publish('test.node.a', new Uint8Array([1, 2, 3]));
    nc.publish('test.node.a', new Uint8Array([9, 9]));
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 5, 1, ['named', 'sink', 0, 'ok 1', 'link', 'not a pid', 'nor this']));
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation, 5, 2, ['named', 'sink', 0, 'ok 2']));
    expect(await inbox.receive(undefined, 4000)).toBe('ok 1');
    expect(await inbox.receive(undefined, 4000)).toBe('ok 2');
    expect(logs.filter((l) => l.includes('dropped a message from ?'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes("dropped a message from x: a malformed 'link' frame"))).toHaveLength(1);
  });

  test('a message meant for an earlier incarnation of this node is dropped', async () => {
    const a = await startNode(server.url, 'a');
    const inbox = a.inbox();
    a.register('sink', inbox.self);
    const nc = await raw();
    nc.publish('test.node.a', forge(1, 'x', 7, a.incarnation + 1, 5, 1, ['named', 'sink', 0, 'stale']));
    nc.publish('test.node.a', forge(1, 'y', 7, a.incarnation, 5, 1, ['named', 'sink', 0, 'fresh']));
    expect(await inbox.receive(undefined, 4000)).toBe('fresh');
    expect(a.nodes()).toEqual(['y']);
  });
});

describe('frames and options', () => {
  test('a message over maxFrameBytes fails its sender; an exit with a huge reason still arrives, shortened', async () => {
    const a = await startNode(server.url, 'a', { maxFrameBytes: 2048 });
    const b = await startNode(server.url, 'b', { maxFrameBytes: 2048 });
    await meshed(a, b);
    const echo = b.spawn(Echo, undefined);
    expect(await failure(a.call(echo, 'x'.repeat(5000), 2000))).toBeInstanceOf(FrameTooLargeError);
    const victim = b.inbox({ trapExit: false });
    const inbox = a.inbox();
    inbox.link(victim.self);
    await until(async () => expect((await b.processInfo(victim.self))!.links).toHaveLength(1));
    b.exit(victim.self, new Error('y'.repeat(10_000)));
    const exit = await inbox.receive(exitFrom(victim.self), 2000);
    expect((exit.reason as Error).message).toMatch(/^y+/);
    expect((exit.reason as Error).message.length).toBeLessThan(2048);
    expect(logs.some((l) => l.includes('sent with its reason shortened'))).toBe(true);
  });

  test("a peer that falls more than maxBufferedBytes behind is taken down ('noconnection') and reset; what it got is a gap-free prefix", async () => {
    const a = await startNode(server.url, 'a', { maxBufferedBytes: 256 * 1024 });
    // x: a peer that announces itself and takes nothing in (never acknowledges): a slow peer.
    const nc = await raw();
    const toX: unknown[][] = [];
    nc.subscribe('test.node.x', { callback: (_e, m) => void toX.push(decodeValues(m.data).slice(1, 7)) });
    await nc.flush();
    const beat = () => nc.publish('test.presence', forge(0, 'x', 7, 0, 0, 0));
    beat();
    const beating = setInterval(beat, 50);
    try {
      await until(() => expect(a.nodes()).toEqual(['x']));
      const downs: unknown[] = [];
      a.on('nodedown', (n, r) => downs.push([n, r]));
      const chunk = 'z'.repeat(60 * 1024);
      for (let i = 0; i < 20 && downs.length === 0; i++) {
        a.send({ name: 'sink', node: 'x' }, chunk);
        await new Promise((r) => setImmediate(r));
      }
      await until(() => expect(downs).toEqual([['x', 'noconnection']]));
      expect(logs.some((l) => l.includes('x is') && l.includes('behind (maxBufferedBytes 262144)'))).toBe(true);
      await until(() => expect(toX.at(-1)?.[0]).toBe(2)); // the reset
      const data = toX.filter((m) => m[0] === 1).map((m) => m[5]);
      expect(data).toEqual(data.map((_, i) => i + 1));
      expect(data.length).toBeLessThan(10);
    } finally {
      clearInterval(beating);
    }
  });

  test('a peer that keeps up acknowledges what it takes in: many times maxBufferedBytes flow and it stays up', async () => {
    const a = await startNode(server.url, 'a', { maxBufferedBytes: 1024 * 1024 });
    const b = await startNode(server.url, 'b', { maxBufferedBytes: 1024 * 1024 });
    await meshed(a, b);
    const downs: unknown[] = [];
    a.on('nodedown', (n) => downs.push(n));
    const inbox = b.inbox();
    const chunk = 'z'.repeat(32 * 1024);
    // At most 2 chunks (64 KiB) unreceived at a time; 4 MiB in all.
    let received = 0;
    for (let sent = 0; sent < 128; sent++) {
      while (sent - received >= 2) {
        await inbox.receive((m) => m === chunk, 4000);
        received++;
      }
      a.send(inbox.self, chunk);
    }
    while (received < 128) {
      await inbox.receive((m) => m === chunk, 4000);
      received++;
    }
    expect(downs).toEqual([]);
    expect(a.nodes()).toEqual(['b']);
  });

  test('options are checked: unknown ones, a bad cluster name, half a user/password pair', () => {
    expect(() => nats({ servers: 'nats://127.0.0.1:1', bogus: 1 } as never)).toThrow(UnknownOptionError);
    expect(() => nats({ servers: 'nats://127.0.0.1:1', cluster: 'a.b' })).toThrow(NatsOptionsError);
    expect(() => nats({ servers: [] })).toThrow(NatsOptionsError);
    expect(() => nats({ servers: 'nats://127.0.0.1:1', user: 'u' })).toThrow(NatsOptionsError);
    expect(() => nats({ servers: 'nats://127.0.0.1:1', heartbeatMs: 0 })).toThrow(NatsOptionsError);
    expect(() => nats({ servers: 'nats://127.0.0.1:1', user: 'u', pass: 'p', token: 't' })).toThrow(NatsOptionsError);
  });

  test('credentials: nodes with the right user and password join; a node with a wrong one cannot start', async () => {
    const secured = await NatsServer.start('authorization { user: node, password: s3cret }');
    try {
      const a = await startNode(secured.url, 'a', { user: 'node', pass: 's3cret' });
      const b = await startNode(secured.url, 'b', { user: 'node', pass: 's3cret' });
      await meshed(a, b);
      const echo = b.spawn(Echo, undefined);
      expect(await a.call(echo, 'q', 2000)).toMatchObject({ echo: 'q' });
      const bad = Node.start({ name: 'c', transport: transport(secured.url, { user: 'node', pass: 'wrong' }) });
      expect(String(await failure(bad))).toMatch(/auth/i);
      await stopAll();
    } finally {
      await secured.dispose();
    }
  });

  test('nodes of two clusters on one server do not see each other', async () => {
    const a = await startNode(server.url, 'a');
    const other = await startNode(server.url, 'b', { cluster: 'other' });
    const b = await startNode(server.url, 'b');
    await meshed(a, b);
    expect(other.nodes()).toEqual([]);
    expect(a.nodes()).toEqual(['b']);
  });
});
