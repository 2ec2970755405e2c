import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { encode } from '@foundation/runtime';
import { CloseCode } from '../src/index.js';
import { Handshake } from '../src/mesh/handshake.js';
import { PeerIdentities } from '../src/mesh/identities.js';
import { instanceId } from '../src/mesh/protocol.js';
import { parseHandshake } from '../src/mesh/wire.js';
import { COOKIE, RefusedError, failure, rawClient, rawPeer, startNode, stopAll, until } from './mesh-helpers.js';

afterEach(stopAll);

async function refusal(p: Promise<unknown>): Promise<RefusedError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RefusedError) return e;
    throw e;
  }
  throw new Error('expected the handshake to be refused');
}

describe('a node remembers the identity each peer name came up with', () => {
  test('another process claiming a known name and incarnation (another instance id) is refused as a duplicate, and logged', async () => {
    const { node: a, log } = await startNode('a');
    const inst = instanceId();
    const first = await rawPeer(a.url, 'x', COOKIE, { inc: 7, instance: inst });
    await until(() => expect(a.nodes()).toEqual(['x']));
    first.ws.close();
    await until(() => expect(a.nodes()).toEqual([]));
    const e = await refusal(rawPeer(a.url, 'x', COOKIE, { inc: 7, instance: instanceId() }));
    expect(e.code).toBe(CloseCode.duplicate);
    expect(log.count(/warn .*x .*closing \(4004\).*incarnation 7 came up before with another instance id/)).toBe(1);
    // The same process (same instance) reconnecting, and a new start (new incarnation), are welcome.
    const again = await rawPeer(a.url, 'x', COOKIE, { inc: 7, instance: inst });
    await until(() => expect(a.nodes()).toEqual(['x']));
    again.ws.close();
    await until(() => expect(a.nodes()).toEqual([]));
    await rawPeer(a.url, 'x', COOKIE, { inc: 8, instance: instanceId() });
    await until(() => expect(a.nodes()).toEqual(['x']));
  });

  test('while the first is connected, the second process is a duplicate (not the same node reconnecting)', async () => {
    const { node: a } = await startNode('a');
    await rawPeer(a.url, 'x', COOKIE, { inc: 7 });
    await until(() => expect(a.nodes()).toEqual(['x']));
    expect((await refusal(rawPeer(a.url, 'x', COOKIE, { inc: 7 }))).code).toBe(CloseCode.duplicate);
    expect(a.nodes()).toEqual(['x']);
  });

  test('the cookie proof covers the instance id: a hello whose instance id was changed fails the proof', async () => {
    const { node: a } = await startNode('a');
    const c = await rawClient(a.url);
    const ch = parseHandshake(await c.next(), 'challenge');
    if (!ch.ok) throw new Error(ch.reason);
    const hello = new Handshake({ name: 'x', inc: 1, instance: instanceId(), url: 'ws://127.0.0.1:1' }, COOKIE).hello(ch.value);
    c.ws.send(encode({ ...hello, inst: instanceId() }));
    expect((await c.closed).code).toBe(CloseCode.cookie);
  });

  test('two nodes started under one name each get their own instance id in the handshake', async () => {
    const { node: a } = await startNode('a');
    const seen: Uint8Array[] = [];
    for (let i = 0; i < 2; i++) {
      const { node: b } = await startNode('b');
      const c = await rawClient(b.url);
      const ch = parseHandshake(await c.next(), 'challenge');
      if (!ch.ok) throw new Error(ch.reason);
      seen.push(ch.value.inst);
      c.ws.close();
      await b.stop();
    }
    expect(Buffer.from(seen[0]!).equals(Buffer.from(seen[1]!))).toBe(false);
    void a;
  });
});

/** A raw acceptor: a server that answers a dial as node `name` with this incarnation and instance id. */
async function rawAcceptor(name: string, inc: number, instance: Uint8Array) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on('connection', (ws) => {
    const hs = new Handshake({ name, inc, instance, url }, COOKIE);
    ws.send(encode(hs.challenge()));
    ws.once('message', (data) => {
      const h = parseHandshake(data as Buffer, 'hello');
      if (h.ok && hs.checkHello(h.value)) ws.send(encode(hs.welcome([])));
    });
  });
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

describe('the dialing side checks the identity too', () => {
  test('a dial that reaches another process with a known name and incarnation fails as a duplicate', async () => {
    const { node: a, log } = await startNode('a');
    const first = await rawAcceptor('x', 7, instanceId());
    await a.connect(first.url);
    expect(a.nodes()).toEqual(['x']);
    await first.close();
    await until(() => expect(a.nodes()).toEqual([]));
    const second = await rawAcceptor('x', 7, instanceId());
    const e = await failure(a.connect(second.url));
    expect(e.message).toMatch(/\(4004\).*another instance id/);
    expect(log.count(/closing \(4004\).*incarnation 7 came up before with another instance id/)).toBe(1);
    await second.close();
  });
});

describe('PeerIdentities', () => {
  test('one entry per name, replaced by a new incarnation, forgotten a while after the node went down', () => {
    const ids = new PeerIdentities(1000);
    const one = instanceId();
    ids.up('x', 1, one);
    expect(ids.conflict('x', 1, instanceId())).toMatch(/duplicate/);
    expect(ids.conflict('x', 1, one)).toBeNull();
    expect(ids.conflict('x', 2, instanceId())).toBeNull();
    ids.up('x', 2, instanceId());
    expect(ids.size).toBe(1);
    expect(ids.conflict('x', 1, instanceId())).toBeNull();
    ids.down('x', 0);
    ids.prune(900);
    expect(ids.size).toBe(1);
    ids.prune(1001);
    expect(ids.size).toBe(0);
  });
});
