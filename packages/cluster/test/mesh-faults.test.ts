import { afterEach, describe, expect, test } from 'vitest';
import { Node, UnknownOptionError, encode } from '@foundation/runtime';
import { CloseCode, MeshConnectError, MeshOptionsError, dns, kubernetes, mdns, mesh } from '../src/index.js';
import { Handshake } from '../src/mesh/handshake.js';
import { PROTOCOL_VERSION, REC_CONTROL, instanceId } from '../src/mesh/protocol.js';
import { parseHandshake } from '../src/mesh/wire.js';
import { BigReply } from './fixtures/big-reply.js';
import {
  COOKIE,
  Echo,
  LogLines,
  connectionTo,
  failure,
  meshOf,
  rawClient,
  rawPeer,
  record,
  startNode,
  stopAll,
  until,
} from './mesh-helpers.js';

afterEach(stopAll);

/** Two connected nodes, b holding 'echo': the bystanders a bad connection must not disturb. */
async function bystanders() {
  const { node: a, log } = await startNode('a');
  const { node: b } = await startNode('b');
  await b.connect(a.url);
  b.spawn(Echo, undefined, { name: 'echo' });
  const stillFine = async () => {
    expect(a.nodes()).toEqual(['b']);
    expect(await a.call({ name: 'echo', node: 'b' }, 'still here', 2000)).toMatchObject({ echo: 'still here' });
  };
  return { a, b, log, stillFine };
}

describe('options', () => {
  test('each wrong option is named in a MeshOptionsError', () => {
    const bad: Array<[unknown, string]> = [
      [undefined, 'options'],
      [{}, 'cookie'],
      [{ cookie: '' }, 'cookie'],
      [{ cookie: 'x', port: 70000 }, 'port'],
      [{ cookie: 'x', tickMs: 1.5 }, 'tickMs'],
      [{ cookie: 'x', maxFrameBytes: 10 }, 'maxFrameBytes'],
      [{ cookie: 'x', discovery: [{}] }, 'discovery[0]'],
      [{ cookie: 'x', tls: { key: 1 } }, 'tls.key'],
    ];
    for (const [opts, field] of bad) {
      let err: unknown;
      try {
        mesh(opts as never);
      } catch (e) {
        err = e;
      }
      expect(MeshOptionsError.is(err), String(field)).toBe(true);
      expect((err as MeshOptionsError).field).toBe(field);
    }
  });

  test.each([
    [
      "mesh: unknown option 'prot' (known: port, host, advertiseHost, cookie, discovery, tls, tickMs, maxFrameBytes, maxBufferedBytes, logger)",
      () => mesh({ cookie: 'x', prot: 1 } as never),
    ],
    [
      "mesh option tls: unknown option 'certificate' (known: key, cert, ca, rejectUnauthorized)",
      () => mesh({ cookie: 'x', tls: { key: 'k', cert: 'c', certificate: 'c' } } as never),
    ],
    [
      "dns: unknown option 'interval' (known: query, type, intervalMs, clock, port, scheme, resolver, timeoutMs)",
      () => dns({ query: 'x.test', port: 1, interval: 5 } as never),
    ],
    [
      "kubernetes: unknown option 'labelSelector' (known: namespace, selector, port, scheme, apiServer, tokenPath, caPath, intervalMs, clock, timeoutMs)",
      () => kubernetes({ selector: 'app=x', port: 1, labelSelector: 'app=x' } as never),
    ],
    [
      "mdns: unknown option 'name' (known: service, interface, bind, loopback, intervalMs, clock, port)",
      () => mdns({ name: 'x' } as never),
    ],
  ])('%s', (message, make) => {
    expect(make).toThrow(UnknownOptionError);
    expect(make).toThrow(message);
  });

  test('connect() with something that is not a ws:// URL rejects with MeshOptionsError', async () => {
    const { node } = await startNode('a');
    expect(MeshOptionsError.is(await failure(node.connect('http://127.0.0.1:1')))).toBe(true);
  });
});

describe('refused connections', () => {
  test('a wrong cookie is refused, with the reason logged on both sides', async () => {
    const { node: a, log: la } = await startNode('a');
    const { node: b, log: lb } = await startNode('b', { cookie: 'other' });
    const e = await failure(b.connect(a.url));
    expect(MeshConnectError.is(e)).toBe(true);
    expect(e.message).toMatch(/cookie/);
    expect(la.has(/warn .*b .*cookie proof/)).toBe(true);
    expect(lb.has(/warn .*cookie/)).toBe(true);
    expect(a.nodes()).toEqual([]);
    expect(b.nodes()).toEqual([]);
  });

  test('an acceptor without the cookie cannot pass as one: the dialer checks its proof too', async () => {
    const { node: a } = await startNode('a');
    // A raw "acceptor" is played by answering a's own challenge with a forged welcome.
    const c = await rawClient(a.url);
    const ch = parseHandshake(await c.next(), 'challenge');
    if (!ch.ok) throw new Error(ch.reason);
    const hs = new Handshake({ name: 'mallory', inc: 1, instance: instanceId(), url: 'ws://127.0.0.1:1' }, 'guess');
    c.ws.send(encode(hs.hello(ch.value)));
    expect((await c.closed).code).toBe(CloseCode.cookie);
  });

  test('an unknown protocol version is refused and named', async () => {
    const { log, stillFine } = await bystanders();
    const url = (await startNode('c', {}, log)).node.url;
    const c = await rawClient(url);
    await c.next(); // the challenge
    c.ws.send(encode({ h: 'hello', v: 99, name: 'x', inc: 1, url: 'ws://127.0.0.1:1' }));
    const closed = await c.closed;
    expect(closed.code).toBe(CloseCode.version);
    expect(closed.reason).toMatch(/unknown protocol version 99/);
    expect(log.has(/warn .*unknown protocol version 99/)).toBe(true);
    await stillFine();
  });

  test('a peer of protocol version 3 (frame batches in msgpack) is refused as an unknown version', async () => {
    const { log, stillFine } = await bystanders();
    const url = (await startNode('c', {}, log)).node.url;
    const c = await rawClient(url);
    await c.next(); // the challenge
    c.ws.send(encode({ h: 'hello', v: 3, name: 'x', inc: 1, url: 'ws://127.0.0.1:1' }));
    const closed = await c.closed;
    expect(closed.code).toBe(CloseCode.version);
    expect(closed.reason).toContain(`unknown protocol version 3 (this node speaks ${PROTOCOL_VERSION})`);
    await stillFine();
  });

  test('a second node with a name already connected is refused as a duplicate', async () => {
    const { a, stillFine } = await bystanders();
    const { node: b2, log } = await startNode('b');
    const e = await failure(b2.connect(a.url));
    expect(e.message).toMatch(/duplicate node name/);
    expect(log.has(/duplicate node name/)).toBe(true);
    await stillFine();
  });

  test('a node named like the node it dials is refused', async () => {
    const { node: a } = await startNode('same');
    const { node: b } = await startNode('same');
    expect((await failure(b.connect(a.url))).message).toMatch(/duplicate node name/);
  });
});

describe('bad frames close that one connection', () => {
  test('garbage before the handshake', async () => {
    const { a, log, stillFine } = await bystanders();
    const c = await rawClient(a.url);
    c.ws.send(Buffer.from('definitely not msgpack \xc1\xc1'));
    expect((await c.closed).code).toBe(CloseCode.badFrame);
    expect(log.count(/bad frame/)).toBe(1);
    await stillFine();
  });

  test('a text message, and a frame sent before the handshake', async () => {
    const { a, stillFine } = await bystanders();
    const c1 = await rawClient(a.url);
    c1.ws.send('hello');
    expect((await c1.closed).code).toBe(CloseCode.badFrame);
    const c2 = await rawClient(a.url);
    c2.ws.send(record(encode({ t: 'named', name: 'echo', kind: 0, msg: 1 })));
    expect((await c2.closed).code).toBe(CloseCode.badFrame);
    await stillFine();
  });

  test('an oversized message is refused by the socket', async () => {
    const { node: a, log } = await startNode('a', { maxFrameBytes: 300 * 1024 });
    const { node: b } = await startNode('b');
    await b.connect(a.url);
    const c = await rawClient(a.url);
    c.ws.send(Buffer.alloc(400 * 1024));
    expect((await c.closed).code).toBe(1009);
    await until(() => expect(log.count(/warn .*bad frame: Max payload size exceeded/)).toBe(1));
    expect(a.nodes()).toEqual(['b']);
  });

  test('after the handshake: not msgpack, wrong shape, oversized record, unknown record kind', async () => {
    const { a, log, stillFine } = await bystanders();
    const bad: Array<[Buffer, RegExp]> = [
      [record(Buffer.from([0xc1, 0xc1, 0xc1])), /not msgpack/],
      [record(encode({ t: 'msg', to: 'not a pid', kind: 0, msg: 1 })), /wrong shape/],
      [record(encode({ t: 'nonsense' })), /wrong shape/],
      [record(encode({ t: 'named', name: 'echo', kind: 2, msg: 'a call with no from' })), /wrong shape/],
      [record(encode({ c: 'peers', peers: 'x' }), REC_CONTROL), /control record/],
      [record(encode(1), 9), /unknown kind 9/],
      [Buffer.concat([record(encode({ c: 'ping' }), REC_CONTROL)]).subarray(0, 7), /truncated/],
    ];
    for (const [i, [bytes, why]] of bad.entries()) {
      const p = await rawPeer(a.url, `raw${i}`);
      await until(() => expect(a.nodes()).toContain(`raw${i}`));
      p.ws.send(bytes);
      expect((await p.closed).code).toBe(CloseCode.badFrame);
      expect(log.has(why)).toBe(true);
    }
    const big = await rawPeer(a.url, 'big');
    const header = Buffer.alloc(5);
    header[0] = 1;
    header.writeUInt32BE(9 * 1024 * 1024, 1);
    big.ws.send(header);
    expect((await big.closed).code).toBe(CloseCode.badFrame);
    expect(log.has(/record of 9437184 bytes/)).toBe(true);
    await stillFine();
  });

  test('a message over maxFrameBytes is refused at the sender: send throws FrameTooLargeError, a call rejects with it at once', async () => {
    const { node: a } = await startNode('a', { maxFrameBytes: 1024 });
    const { node: b } = await startNode('b');
    await b.connect(a.url);
    const echo = b.spawn(Echo, undefined, { name: 'echo' });
    const tooLarge = expect.objectContaining({ name: 'FrameTooLargeError', frame: 'msg', limit: 1024 });
    expect(() => a.send(echo, 'x'.repeat(4096))).toThrow(tooLarge);
    expect(() => a.send({ name: 'echo', node: 'b' }, 'x'.repeat(4096))).toThrow(
      expect.objectContaining({ name: 'FrameTooLargeError', frame: 'named' }),
    );
    const started = performance.now();
    await expect(a.call(echo, 'x'.repeat(4096), 10_000)).rejects.toEqual(tooLarge);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await a.call(echo, 'small', 2000)).toMatchObject({ echo: 'small' });
  });

  test("a reply over the caller's maxFrameBytes fails the call at once with the error (not at its timeout)", async () => {
    const { node: a } = await startNode('a');
    const { node: b } = await startNode('b', { maxFrameBytes: 1024 });
    await b.connect(a.url);
    const big = b.spawn(BigReply, undefined);
    const started = performance.now();
    const err = await a.call(big, 4096, 10_000).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toMatchObject({ name: 'CallExitError' });
    const reason = (err as { reason: Error }).reason;
    expect([reason.name, reason.message]).toEqual([
      'FrameTooLargeError',
      expect.stringMatching(/a 'reply' frame of \d+ bytes is over .* 1024 bytes/),
    ]);
  });

  test('a too-large reply from an actor on a worker scheduler fails the call at once too (the main thread relays it)', async () => {
    const { node: a } = await startNode('a');
    const b = await Node.start({
      name: 'b',
      schedulers: 2,
      modules: [new URL('./fixtures/big-reply.ts', import.meta.url)],
      transport: mesh({ cookie: COOKIE, maxFrameBytes: 1024, logger: () => {} }),
    });
    try {
      await b.connect(a.url);
      const big = b.spawn('BigReply', undefined, { scheduler: 1 });
      expect(await a.call(big, 10, 5000)).toBe('z'.repeat(10));
      const started = performance.now();
      const err = await a.call(big, 4096, 10_000).catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(err).toMatchObject({ name: 'CallExitError' });
      expect((err as { reason: Error }).reason.name).toBe('FrameTooLargeError');
      expect(await a.call(big, 20, 5000)).toBe('z'.repeat(20));
    } finally {
      await b.stop();
    }
  });
});

describe('liveness and limits', () => {
  test("a peer silent for 4 ticks is down: nodedown 'noconnection'", async () => {
    const { node: a, log } = await startNode('a', { tickMs: 50 });
    const downs: unknown[] = [];
    a.on('nodedown', (n, r) => downs.push([n, r]));
    const p = await rawPeer(a.url, 'mute'); // completes the handshake, then never speaks
    await until(() => expect(a.nodes()).toEqual(['mute']));
    const closed = await p.closed;
    expect(closed.code).toBe(CloseCode.heartbeat);
    expect(downs).toEqual([['mute', 'noconnection']]);
    expect(log.has(/silent for \d+ ms \(4 ticks of 50 ms\)/)).toBe(true);
  });

  test("over maxBufferedBytes the connection is dropped, not a frame: nodedown 'noconnection', then the redialer reconnects", async () => {
    const { node: a, log } = await startNode('a', { maxBufferedBytes: 64 * 1024 });
    const { node: b } = await startNode('b');
    await b.connect(a.url);
    const echo = b.spawn(Echo, undefined, { name: 'echo' });
    const downs: unknown[] = [];
    a.on('nodedown', (n, r) => downs.push([n, r]));
    const chunk = 'y'.repeat(2000);
    for (let i = 0; i < 200; i++) a.send(echo, chunk); // 400 KB in one turn, bound 64 KB
    const dropped = a.stats().deadLetters;
    expect(dropped).toBeGreaterThan(100);
    await until(() => expect(downs).toEqual([['b', 'noconnection']]));
    expect(log.count(/closing \(4009\): too slow/)).toBe(1);
    await until(() => expect(a.nodes()).toEqual(['b']));
    expect(await a.call(echo, 'call', 2000)).toMatchObject({ echo: 'call' });
  });
});

describe("a throw in this node's own code ends that one connection", () => {
  test('in the message handler: the connection closes (1011), logged once, the node serves the others', async () => {
    const { a, log, stillFine } = await bystanders();
    const m = meshOf(a);
    const onControl = m.onControl.bind(m);
    m.onControl = (c, msg) => {
      if (c.peerName === 'buggy') throw new Error('a bug in the mesh');
      onControl(c, msg);
    };
    const p = await rawPeer(a.url, 'buggy');
    p.ws.send(record(encode({ c: 'ping' }), REC_CONTROL));
    expect((await p.closed).code).toBe(CloseCode.internal);
    expect(log.count(/buggy .*closing \(1011\): internal error: the message handler threw: a bug in the mesh/)).toBe(1);
    await stillFine();
  });

  test('in the heartbeat: that peer is closed (1011), the others are still pinged', async () => {
    const { node: a, log } = await startNode('a', { tickMs: 20 });
    const { node: b } = await startNode('b', { tickMs: 20 });
    await b.connect(a.url);
    b.spawn(Echo, undefined, { name: 'echo' });
    const p = await rawPeer(a.url, 'buggy');
    await until(() => expect(a.nodes()).toContain('buggy'));
    connectionTo(a, 'buggy').sendControl = () => {
      throw new Error('a bug in the ping');
    };
    expect((await p.closed).code).toBe(CloseCode.internal);
    expect(log.count(/buggy .*closing \(1011\): internal error: the heartbeat threw: a bug in the ping/)).toBe(1);
    await until(() => expect(a.nodes()).toEqual(['b']));
    expect(await a.call({ name: 'echo', node: 'b' }, 'alive', 2000)).toMatchObject({ echo: 'alive' });
  });
});

describe('what a peer sends is parsed at one boundary', () => {
  test('a gossiped peer URL the URL parser refuses closes that connection as a bad frame; the node keeps serving', async () => {
    const { a, log, stillFine } = await bystanders();
    for (const [i, url] of ['ws://[', 'ws://a:99999', 'ws://', 'wss://a b', 'ws://%zz'].entries()) {
      const p = await rawPeer(a.url, `gossiper${i}`);
      p.ws.send(record(encode({ c: 'peers', peers: [{ name: 'zz', url }] }), REC_CONTROL));
      expect((await p.closed).code).toBe(CloseCode.badFrame);
      await until(() => expect(a.nodes()).toEqual(['b']));
    }
    expect(log.count(/gossiper\d .*closing \(4005\): bad frame: a control record of the wrong shape: peers\.0\.url/)).toBe(5);
    await stillFine();
  });

  test('a client without the cookie whose hello has a version that is not a plain number is refused as such', async () => {
    const { a, log, stillFine } = await bystanders();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const versions: unknown[] = [10n ** 30n, cyclic, '3', [3], { v: 3 }, Number.NaN, 2 ** 60, null, new Map([[1, 2]])];
    for (const v of versions) {
      const c = await rawClient(a.url);
      await c.next(); // the challenge
      c.ws.send(encode({ h: 'hello', v, name: 'x', inc: 1 }));
      const closed = await c.closed;
      expect(closed.code).toBe(CloseCode.version);
      expect(closed.reason).toMatch(/unknown protocol version/);
    }
    expect(log.count(/unknown protocol version/)).toBe(versions.length);
    await stillFine();
  });
});

describe('TLS', () => {
  test('nodes mesh over wss:// with a self-signed certificate; a node without the CA cannot join', async () => {
    const { key, cert } = await selfSigned();
    const tls = { key, cert, ca: cert };
    const { node: a } = await startNode('a', { tls });
    expect(a.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const { node: b } = await startNode('b', { tls });
    await b.connect(a.url);
    a.spawn(Echo, undefined, { name: 'echo' });
    expect(await b.call({ name: 'echo', node: 'a' }, 'secure', 2000)).toMatchObject({ echo: 'secure' });
    const { node: c } = await startNode('c', { tls: { key, cert } }); // trusts only the default roots
    expect(MeshConnectError.is(await failure(c.connect(a.url)))).toBe(true);
  });
});

/** A self-signed certificate for 127.0.0.1, made with openssl. */
async function selfSigned(): Promise<{ key: string; cert: string }> {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'mesh-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
void COOKIE;
void LogLines;
