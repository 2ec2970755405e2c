/*
 * Hostile input at volume, against a live node (mesh-hostile.test.ts has the case-by-case
 * shapes; this file mutates what an honest peer really sends, and floods): batches captured
 * from a real node's socket, mutated byte by byte, truncated, extended, oversized; hellos of
 * every protocol version; hundreds of connections that never finish a handshake, and dozens of
 * authenticated peers that misbehave. After each, the node serves its well-behaved peer, each
 * bad connection is closed and logged exactly once, and nothing crashed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Pid, Ref, encode, type Node } from '@foundation/runtime';
import { CloseCode, PROTOCOL_VERSION } from '../src/index.js';
import { REC_FRAME, REC_HEADER } from '../src/mesh/protocol.js';
import { COOKIE, Echo, LogLines, connectionTo, rawClient, rawPeer, record, startNode, stopAll, until } from './mesh-helpers.js';

const MAX_FRAME = 64 * 1024;
const crashes: unknown[] = [];
const onCrash = (e: unknown) => crashes.push(e);
let target: Node;
let log: LogLines;
/** Batches a real node wrote to the target: what an honest peer's traffic looks like. */
const captured: Buffer[] = [];

beforeAll(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  ({ node: target, log } = await startNode('target', { maxFrameBytes: MAX_FRAME }));
  target.spawn(Echo, undefined, { name: 'echo' });
  const { node: friend } = await startNode('friend');
  friend.spawn(Echo, undefined, { name: 'echo' });
  await friend.connect(target.url);
  // A third node whose socket to the target is tapped: its sends are recorded, then it talks.
  const { node: spy } = await startNode('spy');
  await spy.connect(target.url);
  const ws = connectionTo(spy, 'target').ws;
  const send = ws.send.bind(ws);
  ws.send = ((data: Buffer, ...rest: unknown[]) => {
    captured.push(Buffer.from(data));
    return (send as (...a: unknown[]) => void)(data, ...rest);
  }) as typeof ws.send;
  const pid = target.whereis('echo')!;
  for (let i = 0; i < 20; i++) {
    await spy.call({ name: 'echo', node: 'target' }, { i, text: 'x'.repeat(i * 50), list: [i, [i, i]] }, 5000);
    spy.cast(pid, ['cast', i]);
    spy.send(pid, { info: i });
  }
  await spy.call(pid, { big: 'y'.repeat(4000) }, 5000);
  await until(() => expect(captured.length).toBeGreaterThan(20));
});

afterAll(async () => {
  await stopAll();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
});

/** The target still answers its well-behaved peer, and nothing crashed. */
async function stillServing(): Promise<void> {
  expect(crashes).toEqual([]);
  expect(target.nodes()).toContain('friend');
  expect(await target.call({ name: 'echo', node: 'friend' }, 'still here', 5000)).toMatchObject({ echo: 'still here' });
}

/** Log lines about the connection whose client end is on local `port`. */
const linesAbout = (port: number) => log.lines.filter((l) => l.includes(`:${port})`) || l.includes(`:${port}:`) || l.endsWith(`:${port}`));
/** Lines saying a connection ended (closed by the target or found closed). */
const endLines = (port: number) => linesAbout(port).filter((l) => /closing \(|closed by peer or network/.test(l));

let peers = 0;
/** Sends `bytes` as an authenticated peer; whether the target closed the connection, and its log lines. */
async function sendAsPeer(bytes: Buffer, mustClose = false): Promise<{ closed: boolean; code?: number; port: number }> {
  const peer = await rawPeer(target.url, `fuzz-${++peers}`, COOKIE);
  const port = (peer.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
  peer.ws.send(bytes);
  // Bytes that must be refused: whatever the node sends first on its own (a heartbeat, under
  // load) is not an answer — wait for the close (a test timeout if it never comes).
  if (mustClose) return { closed: true, code: (await peer.closed).code, port };
  // A call after the fuzzed bytes: answered (the connection survived) or the close arrives first.
  const from = { pid: new Pid(`fuzz-${peers}`, 1, 1), ref: new Ref(`fuzz-${peers}`, 1, 1) };
  peer.ws.send(record(encode({ t: 'named', name: 'echo', kind: 2, msg: { msg: 'sync', from } })));
  const got = await Promise.race([peer.next(), peer.closed]);
  if (Buffer.isBuffer(got)) {
    peer.ws.close();
    await peer.closed;
    return { closed: false, port };
  }
  return { closed: true, code: got.code, port };
}

describe('mutations of real traffic, after the cookie proof', () => {
  test('fast-check: captured batches with bytes flipped, cut short or extended never crash the node; a closed connection is logged once', async () => {
    const mutation = fc.record({
      which: fc.nat(),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined, freq: 2 }),
      tail: fc.option(fc.uint8Array({ minLength: 1, maxLength: 16 }), { nil: new Uint8Array(0), freq: 2 }),
    });
    let runs = 0;
    let closedRuns = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async ({ which, flips, cut, tail }) => {
        runs++;
        const base = Buffer.from(captured[which % captured.length]!);
        for (const [at, x] of flips) base[at % base.length] = base[at % base.length]! ^ x;
        const bytes = Buffer.concat([cut === undefined ? base : base.subarray(0, cut % (base.length + 1)), Buffer.from(tail)]);
        if (bytes.length === 0) return;
        const r = await sendAsPeer(bytes);
        if (r.closed) {
          closedRuns++;
          expect(r.code).toBe(CloseCode.badFrame);
          await until(() => expect(endLines(r.port)).toHaveLength(1));
        }
        expect(crashes).toEqual([]);
      }),
      { numRuns: 150 },
    );
    expect(runs).toBe(150);
    // Both outcomes happen: some mutations are still valid traffic, some are refused.
    expect(closedRuns).toBeGreaterThan(0);
    expect(closedRuns).toBeLessThan(150);
    expect(endLines(0)).toEqual([]);
    await stillServing();
  });

  test('a record whose length says more than was sent, or past maxFrameBytes, closes the connection as a bad frame, logged once', async () => {
    const real = captured.find((b) => b.length > REC_HEADER + 8)!;
    const longer = Buffer.from(real);
    longer.writeUInt32BE(longer.readUInt32BE(1) + 100, 1);
    const huge = Buffer.alloc(REC_HEADER + 8);
    huge[0] = REC_FRAME;
    huge.writeUInt32BE(MAX_FRAME * 4, 1);
    const oversized = record(encode({ t: 'named', name: 'echo', kind: 0, msg: 'z'.repeat(MAX_FRAME + 10) }));
    for (const [what, bytes] of [
      ['truncated', longer],
      ['claims a huge length', huge],
      ['over maxFrameBytes', oversized],
      ['header only', real.subarray(0, REC_HEADER - 1)],
    ] as const) {
      const r = await sendAsPeer(bytes, true);
      expect(r, what).toMatchObject({ closed: true, code: CloseCode.badFrame });
      await until(() => expect(endLines(r.port), what).toHaveLength(1));
    }
    await stillServing();
  });

  test('dozens of authenticated peers misbehaving at once: each closed and logged once, the node serves on', async () => {
    const before = process.memoryUsage().rss;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => sendAsPeer(Buffer.from([0xff, i, 0, 0, 0, 1, 2]), true)));
    for (const r of results) {
      expect(r).toMatchObject({ closed: true, code: CloseCode.badFrame });
      await until(() => expect(endLines(r.port)).toHaveLength(1));
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
    await stillServing();
  });
});

describe('before the cookie proof', () => {
  test('fast-check: a hello of any other protocol version is refused as a version error, logged once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).filter((v) => v !== PROTOCOL_VERSION),
        async (v) => {
          const c = await rawClient(target.url);
          const port = (c.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
          await c.next();
          c.ws.send(
            encode({
              h: 'hello',
              v,
              name: 'old',
              inc: 1,
              inst: new Uint8Array(16),
              url: 'ws://127.0.0.1:1',
              nonce: new Uint8Array(16),
              proof: new Uint8Array(32),
            }),
          );
          expect((await c.closed).code).toBe(CloseCode.version);
          await until(() => expect(endLines(port)).toHaveLength(1));
        },
      ),
      { numRuns: 40 },
    );
    await stillServing();
  });

  test('a flood of connections that never finish the handshake: every one dropped at the handshake timeout, logged once; the node serves throughout, memory bounded', async () => {
    const before = process.memoryUsage().rss;
    const flood = await Promise.all(Array.from({ length: 300 }, () => rawClient(target.url)));
    const ports = flood.map((c) => (c.ws as unknown as { _socket: { localPort: number } })._socket.localPort);
    // While they hang, the node answers its peer.
    await stillServing();
    const codes = await Promise.all(flood.map((c) => c.closed));
    for (const { code } of codes) expect(code).toBe(CloseCode.handshakeTimeout);
    for (const p of ports) await until(() => expect(endLines(p)).toHaveLength(1));
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
    await stillServing();
  }, 30_000);
});
