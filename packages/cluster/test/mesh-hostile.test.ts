/*
 * A hostile peer: a raw `ws` client against a live mesh node sends every malformed thing we
 * could think of, before the cookie proof and after it, by hand and by fast-check. After each,
 * the node still serves a well-behaved peer (a call round trip across the mesh), and no
 * uncaught exception or unhandled rejection happened anywhere in this process.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Pid, Ref, decode, decodeValues, encode, encodeValues, type Node } from '@foundation/runtime';
import { CloseCode } from '../src/index.js';
import { Handshake } from '../src/mesh/handshake.js';
import { splitBatch } from '../src/mesh/outbox.js';
import { PROTOCOL_VERSION, REC_CONTROL, REC_FRAME, REC_FRAMES, REC_HEADER, instanceId } from '../src/mesh/protocol.js';
import { parseHandshake } from '../src/mesh/wire.js';
import { COOKIE, Echo, LogLines, rawClient, rawPeer, record, startNode, stopAll } from './mesh-helpers.js';

const crashes: unknown[] = [];
const onCrash = (e: unknown) => crashes.push(e);
let a: Node;
let log: LogLines;

beforeAll(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  ({ node: a, log } = await startNode('target'));
  const { node: b } = await startNode('friend');
  await b.connect(a.url);
  b.spawn(Echo, undefined, { name: 'echo' });
  a.spawn(Echo, undefined, { name: 'echo' });
});

afterAll(async () => {
  await stopAll();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
});

afterEach(async () => {
  await stillServing();
});

/** The target still serves its well-behaved peer, and nothing crashed. */
async function stillServing(): Promise<void> {
  expect(crashes).toEqual([]);
  expect(a.nodes()).toContain('friend');
  expect(await a.call({ name: 'echo', node: 'friend' }, 'still here', 5000)).toMatchObject({ echo: 'still here' });
}

/** What the target does with one message from a client that holds no cookie: the close code. */
async function preAuth(message: Buffer | string | Uint8Array): Promise<number> {
  const c = await rawClient(a.url);
  await c.next(); // the challenge
  c.ws.send(message);
  return (await c.closed).code;
}

/** A well-formed hello for the challenge in `data`, from a client holding `cookie`. */
function helloFor(data: Buffer, cookie = 'not the cookie'): Record<string, unknown> {
  const ch = parseHandshake(data, 'challenge');
  if (!ch.ok) throw new Error(ch.reason);
  return { ...new Handshake({ name: 'mallory', inc: 1, instance: instanceId(), url: 'ws://127.0.0.1:1' }, cookie).hello(ch.value) };
}

/** Sends the hello `mutate` makes of a well-formed one; the close code. */
async function mutatedHello(mutate: (h: Record<string, unknown>) => unknown): Promise<number> {
  const c = await rawClient(a.url);
  const hello = helloFor(await c.next());
  c.ws.send(encode(mutate(hello)));
  return (await c.closed).code;
}

const REFUSALS = [CloseCode.badFrame, CloseCode.version, CloseCode.cookie];

describe('before the cookie proof', () => {
  test('garbage bytes, text, and msgpack of every wrong shape close with a protocol error', async () => {
    const shapes: unknown[] = [
      1,
      'hello',
      [],
      [1, 2],
      null,
      true,
      {},
      { h: 'hello' },
      { h: 'welcome', v: PROTOCOL_VERSION },
      new Map([['h', 'hello']]),
    ];
    for (const m of shapes) expect([CloseCode.badFrame, CloseCode.version], String(m)).toContain(await preAuth(Buffer.from(encode(m))));
    expect(await preAuth(Buffer.from([0xc1, 0xc1, 0xff, 0x00]))).toBe(CloseCode.badFrame);
    expect(await preAuth(Buffer.alloc(0))).toBe(CloseCode.badFrame);
    expect(await preAuth('a text message')).toBe(CloseCode.badFrame);
    expect(await preAuth(Buffer.from(encode({ h: 'hello', v: PROTOCOL_VERSION, pad: 'x'.repeat(9000) })))).toBe(CloseCode.badFrame);
  });

  test('a version that is an object, a string, NaN, huge, an array, a bigint, missing: refused as an unknown version', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.again = cyclic;
    const versions = [
      { major: 3 },
      '3',
      Number.NaN,
      2 ** 60,
      1e308,
      Infinity,
      -3,
      3.5,
      [3],
      10n ** 40n,
      cyclic,
      new Date(),
      new Uint8Array(3),
    ];
    for (const v of versions) expect(await mutatedHello((h) => ({ ...h, v }))).toBe(CloseCode.version);
    expect(await mutatedHello(({ v: _v, ...h }) => h)).toBe(CloseCode.version);
  });

  test('each field missing, of the wrong type, out of range, or one field too many: a protocol error', async () => {
    const fields = ['h', 'name', 'inc', 'inst', 'url', 'nonce', 'proof'];
    for (const f of fields) {
      expect(await mutatedHello(({ [f]: _drop, ...h }) => h), `without ${f}`).toBe(CloseCode.badFrame);
    }
    const wrong: Array<[string, unknown]> = [
      ['h', 'challenge'],
      ['h', 7],
      ['name', 5],
      ['name', ''],
      ['name', 'x'.repeat(256)],
      ['name', 'no spaces'],
      ['name', 'ünï'],
      ['name', ['a']],
      ['inc', -1],
      ['inc', 1.5],
      ['inc', '1'],
      ['inc', 2 ** 60],
      ['inc', Number.NaN],
      ['inc', 5n],
      ['inst', new Uint8Array(15)],
      ['inst', new Uint8Array(17)],
      ['inst', 'x'.repeat(16)],
      ['inst', null],
      ['nonce', new Uint8Array(0)],
      ['nonce', [1, 2, 3]],
      ['proof', new Uint8Array(31)],
      ['proof', {}],
      ['url', 'http://127.0.0.1:1'],
      ['url', 'ws://['],
      ['url', 'ws://a:99999'],
      ['url', 'ws://'],
      ['url', `ws://${'a'.repeat(3000)}`],
      ['url', 42],
    ];
    for (const [f, v] of wrong) expect(await mutatedHello((h) => ({ ...h, [f]: v })), `${f}: ${String(v)}`).toBe(CloseCode.badFrame);
    expect(await mutatedHello((h) => ({ ...h, extra: 1 }))).toBe(CloseCode.badFrame);
    expect(await mutatedHello((h) => h)).toBe(CloseCode.cookie); // well formed: only the proof is wrong
    expect(log.count(/unknown protocol version|bad frame|cookie proof/)).toBeGreaterThan(40);
  });

  test('fast-check: any msgpack value, and any mutation of a hello, is refused without a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }),
        async (m) => {
          expect(REFUSALS).toContain(await preAuth(Buffer.from(encode(m))));
        },
      ),
      { numRuns: 40 },
    );
    const field = fc.constantFrom('h', 'v', 'name', 'inc', 'inst', 'url', 'nonce', 'proof', 'extra');
    await fc.assert(
      fc.asyncProperty(field, fc.anything({ withBigInt: true, withTypedArray: true }), fc.boolean(), async (f, value, drop) => {
        const code = await mutatedHello((h) => {
          const copy: Record<string, unknown> = { ...h };
          if (drop) delete copy[f];
          else copy[f] = value;
          return copy;
        });
        expect(REFUSALS).toContain(code);
      }),
      { numRuns: 40 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        expect(REFUSALS).toContain(await preAuth(Buffer.from(bytes)));
      }),
      { numRuns: 30 },
    );
  });
});

let peerCount = 0;

/** A raw peer past the cookie proof, under a fresh name. */
async function authed() {
  const name = `hostile${peerCount++}`;
  return { name, peer: await rawPeer(a.url, name) };
}

/**
 * After `bytes` from an authenticated raw peer: 'closed' (with the code), or 'open' when the
 * target still answers a call the peer makes on the same connection (it took the bytes in).
 */
async function afterAuth(bytes: Buffer): Promise<{ open: true } | { open: false; code: number }> {
  const { name, peer } = await authed();
  peer.ws.send(bytes);
  const from = { pid: new Pid(name, 1, 1), ref: new Ref(name, 1, 1) };
  peer.ws.send(record(encode({ t: 'named', name: 'echo', kind: 2, msg: { msg: 'sync', from } })));
  for (;;) {
    const got = await Promise.race([peer.next(), peer.closed]);
    if (!Buffer.isBuffer(got)) return { open: false, code: got.code };
    const recs = splitBatch(got, 64 * 1024 * 1024);
    if (typeof recs === 'string') throw new Error(`the target sent a bad batch: ${recs}`);
    for (const r of recs) {
      if (r.kind === REC_CONTROL) continue;
      const frames = r.kind === REC_FRAMES ? decodeValues(r.payload) : [(decode(r.payload) as { t: string }).t];
      if (frames.includes('reply')) {
        peer.ws.close();
        return { open: true };
      }
    }
  }
}

const control = (m: unknown) => record(encode(m), REC_CONTROL);
const frame = (m: unknown) => record(encode(m), REC_FRAME);
/** A frames record: a batch of the runtime's frame codec (anything else as msgpack, which is not one). */
const frames = (m: unknown) => record(Array.isArray(m) ? encodeValues(m) : encode(m), REC_FRAMES);

describe('after the cookie proof', () => {
  test('unknown control tags, peers lists that are not arrays, and peers of the wrong shape close the connection', async () => {
    const bad: unknown[] = [
      { c: 'nope' },
      { c: 7 },
      {},
      [],
      'ping',
      null,
      { c: 'ping', extra: 1 },
      { c: 'peers' },
      { c: 'peers', peers: 'x' },
      { c: 'peers', peers: {} },
      { c: 'peers', peers: new Map() },
      { c: 'peers', peers: [1] },
      { c: 'peers', peers: [{ name: 'ok' }] },
      { c: 'peers', peers: [{ name: 5, url: 'ws://127.0.0.1:1' }] },
      { c: 'peers', peers: [{ name: 'ok', url: 'ws://127.0.0.1:1', extra: 1 }] },
      { c: 'peers', peers: Array.from({ length: 10_001 }, (_, i) => ({ name: `n${i}`, url: 'ws://127.0.0.1:1' })) },
    ];
    for (const m of bad)
      expect(await afterAuth(control(m)), JSON.stringify(m)?.slice(0, 80)).toEqual({ open: false, code: CloseCode.badFrame });
  });

  test('gossiped URLs of every bad kind close the connection; good ones are taken', async () => {
    const urls: unknown[] = [
      'ws://[',
      'ws://a:99999',
      'ws://',
      'wss://a b',
      'ws://%zz',
      'http://127.0.0.1:1',
      'ftp://x',
      'ws:',
      '//127.0.0.1:1',
      '127.0.0.1:1',
      '',
      `ws://${'a'.repeat(3000)}`,
      'ws://[::1',
      'ws://a:-1',
      'ws://a:1:2',
      'javascript:alert(1)',
      5,
      null,
      ['ws://a:1'],
      { href: 'ws://a:1' },
    ];
    for (const url of urls) {
      expect(await afterAuth(control({ c: 'peers', peers: [{ name: 'zz', url }] })), String(url).slice(0, 60)).toEqual({
        open: false,
        code: CloseCode.badFrame,
      });
    }
    expect(await afterAuth(control({ c: 'peers', peers: [{ name: 'zz', url: 'WS://127.0.0.1:1/#frag' }] }))).toEqual({ open: true });
  });

  test('malformed frames and batches close the connection', async () => {
    const pid = new Pid('target', 1, a.incarnation);
    const bad: Buffer[] = [
      frame({ t: 'msg', to: 'nope', kind: 0, msg: 1 }),
      frame({ t: 'msg', to: pid, kind: 7, msg: 1 }),
      frame({ t: 'named', name: '', kind: 0, msg: 1 }),
      frame({ t: 'named', name: 'echo', kind: 2, msg: { msg: 1, from: { pid: 1, ref: 2 } } }),
      frame({ t: 'reply', to: pid }),
      frame({ t: 'exit', from: pid, to: pid, reason: 'x', link: 'yes' }),
      frame({ t: 'down', to: pid, ref: 'r', pid, reason: 1 }),
      frame({ t: '__proto__' }),
      frame([1, 2, 3]),
      frames([]),
      frames('msg'),
      frames(['msg', pid, 0]),
      frames(['nonsense', 1, 2]),
      frames(['link', pid]),
      record(encode(1), 0),
      record(encode(1), 255),
      Buffer.from([REC_FRAME, 0, 0]),
      Buffer.concat([Buffer.from([REC_FRAME, 0xff, 0xff, 0xff, 0xff])]),
      record(Buffer.from([0xc1])),
    ];
    for (const [i, bytes] of bad.entries()) expect(await afterAuth(bytes), `case ${i}`).toEqual({ open: false, code: CloseCode.badFrame });
  });

  test('well-formed frames that name nothing real are dead letters, and the connection stays', async () => {
    const ghost = new Pid('target', 987_654, 12345);
    const elsewhere = new Pid('nobody', 1, 1);
    const ref = new Ref('hostile', 1, 1);
    const odd: Buffer[] = [
      frame({ t: 'msg', to: ghost, kind: 0, msg: 1 }),
      frame({ t: 'msg', to: elsewhere, kind: 1, msg: 1 }),
      frame({ t: 'named', name: 'nobody-here', kind: 0, msg: 1 }),
      frame({ t: 'reply', to: ghost, ref, value: 1, released: false }),
      frame({ t: 'link', from: elsewhere, to: ghost }),
      frame({ t: 'unlink', from: elsewhere, to: ghost }),
      frame({ t: 'exit', from: elsewhere, to: ghost, reason: 'kill', link: false }),
      frame({ t: 'monitor', from: elsewhere, to: 'nobody-here', ref }),
      frame({ t: 'demonitor', to: ghost, ref }),
      frame({ t: 'down', to: ghost, ref, pid: elsewhere, reason: 'x' }),
      control({ c: 'ping' }),
    ];
    for (const [i, bytes] of odd.entries()) expect(await afterAuth(bytes), `case ${i}`).toEqual({ open: true });
  });

  test('fast-check: any value as a control record, a frame record or a frames record never crashes the node', async () => {
    const value = fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withDate: true });
    const tags = fc.constantFrom('msg', 'named', 'reply', 'link', 'unlink', 'exit', 'monitor', 'demonitor', 'down', 'x');
    const flat = fc.array(fc.oneof(tags, value, fc.constant(new Pid('target', 1, a.incarnation))), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          value.map(control),
          value.map(frame),
          flat.map(frames),
          fc.uint8Array({ maxLength: 64 }).map((b) => record(Buffer.from(b), REC_FRAMES)),
        ),
        async (bytes) => {
          const r = await afterAuth(bytes);
          if (!r.open) expect([CloseCode.badFrame]).toContain(r.code);
          expect(crashes).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const r = await afterAuth(Buffer.from(bytes));
        if (!r.open) expect(r.code).toBe(CloseCode.badFrame);
      }),
      { numRuns: 30 },
    );
  });
});

void COOKIE;
void REC_HEADER;
