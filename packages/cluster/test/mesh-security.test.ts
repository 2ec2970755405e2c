/*
 * What a peer without the secrets can do: nothing. A captured handshake replayed (either side's
 * half) is refused; TLS between nodes with certificates made here (a CA of our own, and a rogue
 * one); and a peer that is in cannot spawn a class the target never registered, nor reach a
 * process by a name it was never given.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Actor, encode } from '@foundation/runtime';
import { CloseCode, MeshConnectError } from '../src/index.js';
import { Handshake } from '../src/mesh/handshake.js';
import { instanceId } from '../src/mesh/protocol.js';
import { parseHandshake } from '../src/mesh/wire.js';
import { COOKIE, Echo, closeOf, failure, rawClient, startNode, stopAll, until } from './mesh-helpers.js';

afterEach(async () => {
  await stopAll();
});

/** A TCP proxy to `port` that records what the dialer sent, byte for byte. */
async function recordingProxy(port: number): Promise<{ url: string; sent: Buffer[]; close: () => void }> {
  const sent: Buffer[] = [];
  const sockets: Socket[] = [];
  const server = createServer((client) => {
    const up = connect(port, '127.0.0.1');
    sockets.push(client, up);
    client.on('data', (d: Buffer) => {
      sent.push(Buffer.from(d));
      up.write(d);
    });
    up.on('data', (d: Buffer) => client.write(d));
    for (const s of [client, up]) {
      s.on('error', () => {});
      s.on('close', () => {
        client.destroy();
        up.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    sent,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const portOf = (url: string) => Number(new URL(url).port);

describe('cookie authentication', () => {
  test("a dialer's captured handshake replayed byte for byte on a new connection is refused: the challenge's nonce is new", async () => {
    const { node: target, log } = await startNode('target');
    const { node: victim } = await startNode('victim');
    const tap = await recordingProxy(portOf(target.url!));
    await victim.connect(tap.url);
    expect(target.nodes()).toEqual(['victim']);
    const captured = Buffer.concat(tap.sent);
    tap.close();
    await victim.stop();
    await until(() => expect(target.nodes()).toEqual([]));
    const refusedBefore = log.count(/closing \(4003\)/);

    // The replay: the same upgrade request and hello frames, on a raw TCP connection.
    const raw = connect(portOf(target.url!), '127.0.0.1');
    raw.on('error', () => {});
    const got: Buffer[] = [];
    raw.on('data', (d: Buffer) => got.push(d));
    await new Promise<void>((r) => raw.once('connect', () => r()));
    raw.write(captured);
    await new Promise<void>((r) => raw.once('close', () => r()));
    expect(log.count(/closing \(4003\)/)).toBe(refusedBefore + 1);
    expect(target.nodes()).toEqual([]);
    // The close frame the target sent: opcode 8, code 4003.
    const all = Buffer.concat(got);
    const at = all.lastIndexOf(0x88);
    expect(at).toBeGreaterThan(0);
    expect(all.readUInt16BE(at + 2)).toBe(CloseCode.cookie);
  });

  test("an acceptor's captured welcome replayed to a dialing node is refused: a server without the cookie cannot pose as a node", async () => {
    const { node: target } = await startNode('target');
    // A real welcome, from a handshake this test makes with the cookie.
    const c = await rawClient(target.url!);
    const ch = parseHandshake(await c.next(), 'challenge');
    if (!ch.ok) throw new Error(ch.reason);
    const hs = new Handshake({ name: 'recorder', inc: 1, instance: instanceId(), url: 'ws://127.0.0.1:1' }, COOKIE);
    c.ws.send(encode(hs.hello(ch.value)));
    const welcome = await c.next();
    expect(parseHandshake(welcome, 'welcome').ok).toBe(true);
    c.ws.close();

    // The impostor: answers any dialer with the target's challenge, then the captured welcome.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const closes: Array<Promise<{ code: number; reason: string }>> = [];
    wss.on('connection', (ws: WebSocket) => {
      closes.push(closeOf(ws));
      ws.send(encode(ch.value));
      ws.once('message', () => ws.send(welcome));
    });
    try {
      const { node: dialer } = await startNode('dialer');
      const e = await failure(dialer.connect(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`));
      expect(MeshConnectError.is(e)).toBe(true);
      expect(dialer.nodes()).toEqual([]);
      expect((await closes[0]!).code).toBe(CloseCode.cookie);
    } finally {
      wss.close();
    }
  });
});

/** A CA, and a certificate for 127.0.0.1 signed by it, made with openssl. */
function certificates(): { ca: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-sec-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    ssl('req', '-x509', ...ec, '-days', '1', '-subj', '/CN=test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
    ssl('req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', f('key.pem'), '-out', f('node.csr'));
    execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1' > ${f('ext')}`]);
    ssl(
      'x509',
      '-req',
      '-in',
      f('node.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      f('ext'),
      '-out',
      f('cert.pem'),
    );
    return { ca: readFileSync(f('ca.pem'), 'utf8'), key: readFileSync(f('key.pem'), 'utf8'), cert: readFileSync(f('cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('TLS between nodes', () => {
  test('nodes with certificates of one CA mesh over wss://; a rogue CA, a wrong cookie and a plaintext client are all refused', async () => {
    const good = certificates();
    const rogue = certificates();
    const tls = { key: good.key, cert: good.cert, ca: good.ca };
    const { node: a } = await startNode('a', { tls });
    const { node: b } = await startNode('b', { tls });
    a.spawn(Echo, undefined, { name: 'echo' });
    await b.connect(a.url!);
    expect(await b.call({ name: 'echo', node: 'a' }, 'over tls', 2000)).toMatchObject({ echo: 'over tls' });

    // A server with a certificate from another CA cannot be dialled, even holding the cookie.
    const { node: impostor } = await startNode('impostor', { tls: { key: rogue.key, cert: rogue.cert, ca: rogue.ca } });
    expect(MeshConnectError.is(await failure(b.connect(impostor.url!)))).toBe(true);
    expect(b.nodes()).toEqual(['a']);
    // The right CA without the cookie: the TLS session opens, the handshake is refused.
    const { node: outsider } = await startNode('outsider', { tls, cookie: 'not-the-cookie' });
    expect(MeshConnectError.is(await failure(outsider.connect(a.url!)))).toBe(true);
    // A plaintext client gets no challenge from a wss:// node.
    const plain = new WebSocket(a.url!.replace('wss://', 'ws://'));
    const err = await new Promise<unknown>((resolve) => {
      plain.once('error', resolve);
      plain.once('open', () => resolve(undefined));
    });
    expect(err).toBeInstanceOf(Error);
    expect(a.nodes()).toEqual(['b']);
  });
});

/** Counts what reaches it, so a test can tell nothing did. */
class Secret extends Actor<unknown, string> {
  static reached = 0;
  override handleCall(): string {
    Secret.reached++;
    return 'secret';
  }
  override handleInfo(): void {
    Secret.reached++;
  }
}

describe('what a connected peer can reach', () => {
  test('spawning a class name the target never registered fails with a named error, and starts nothing there', async () => {
    const { node: a } = await startNode('a');
    const { node: b } = await startNode('b');
    await b.connect(a.url!);
    const before = a.stats().processes;
    const e = await failure(
      Promise.resolve().then(() => b.spawn('nobody.registered.This' as never, undefined as never, { node: 'a' }) as Promise<unknown>),
    );
    expect(e.name).not.toBe('Error');
    expect(e.message).toContain('nobody.registered.This');
    expect(a.stats().processes).toBe(before);
  });

  test('a process is reachable by a name only once it was given one: by another name, or unregistered, a call fails', async () => {
    const { node: a } = await startNode('a');
    const { node: b } = await startNode('b');
    await b.connect(a.url!);
    const pid = a.spawn(Secret, undefined);
    for (const name of ['Secret', 'secret', String(pid), 'echo']) {
      const e = await failure(b.call({ name, node: 'a' }, 'hi' as never, 2000));
      expect(e.name, name).toBe('CallExitError');
      b.send({ name, node: 'a' }, 'hi' as never);
    }
    // A round trip after the sends: had any of them reached the process, it would have counted.
    a.spawn(Echo, undefined, { name: 'echo' });
    await b.call({ name: 'echo', node: 'a' }, 'sync', 2000);
    expect(Secret.reached).toBe(0);
    a.register('given', pid);
    expect(await b.call({ name: 'given', node: 'a' }, 'hi' as never, 2000)).toBe('secret');
    expect(Secret.reached).toBe(1);
    a.unregister('given');
    expect((await failure(b.call({ name: 'given', node: 'a' }, 'hi' as never, 2000))).name).toBe('CallExitError');
  });
});
