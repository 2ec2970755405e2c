import { describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { InvalidArgumentError, UnknownOptionError } from '@foundation/runtime';
import { PubSub, PubSubUnavailableError, redisAdapter } from '@foundation/pubsub';
import { LogLines, RedisServer, failure, freePort, soloNode, startPubSub, until } from './support.js';

async function pair(redis: RedisServer, log = new LogLines()) {
  const [na, nb] = [await soloNode('a'), await soloNode('b')];
  const a = await startPubSub(na, 'ps', redisAdapter({ url: redis.url, reconnectMaxMs: 100 }), log);
  const b = await startPubSub(nb, 'ps', redisAdapter({ url: redis.url, reconnectMaxMs: 100 }), log);
  return { a, b, log };
}

describe('the Redis adapter against a real redis-server', () => {
  test('a Redis restart: broadcasts fail with PubSubUnavailableError meanwhile, delivered to nobody; subscriptions come back', async () => {
    const redis = await RedisServer.start();
    const { a, b, log } = await pair(redis);
    const ia = a.node.inbox();
    const ib = b.node.inbox();
    await a.subscribe(ia.self, 't');
    await b.subscribe(ib.self, 't');
    await a.broadcast('t', 'before');
    expect(await ib.receive(undefined, 3000)).toBe('before');
    expect(await ia.receive(undefined, 3000)).toBe('before');

    await redis.kill();
    let refused: Error | undefined;
    await until(async () => {
      refused = await failure(a.broadcast('t', 'during'));
    });
    expect(refused).toBeInstanceOf(PubSubUnavailableError);
    expect(refused!.message).toMatch(/pubsub 'ps' cannot broadcast now/);

    await redis.restart();
    // Probe until b hears again: its subscription came back without anyone subscribing anew.
    const isProbe = (m: unknown) => typeof m === 'string' && m.startsWith('probe');
    let n = 0;
    await until(async () => {
      await a.broadcast('t', `probe${n++}`);
      await ib.receive(isProbe, 50);
    }, 15_000);
    await a.broadcast('t', 'after');
    expect(await ib.receive((m) => m === 'after', 3000)).toBe('after');
    // a's own subscriber never saw the refused broadcasts: the first thing it got after 'before' is a probe.
    expect(isProbe(await ia.receive(undefined, 3000))).toBe(true);
    expect(log.lines.some((l) => /Redis unreachable/.test(l))).toBe(true);
  });

  test('start fails with PubSubUnavailableError when Redis cannot be reached', async () => {
    const node = await soloNode('a');
    const port = await freePort();
    const e = await failure(
      PubSub.start(node, {
        name: 'ps',
        adapter: redisAdapter({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 }),
        logger: () => {},
      }),
    );
    expect(e).toBeInstanceOf(PubSubUnavailableError);
    expect(node.whereis('pubsub:ps')).toBeUndefined();
  });

  test('a malformed message on the channel is dropped and counted', async () => {
    const redis = await RedisServer.start();
    const { a, b } = await pair(redis);
    const ib = b.node.inbox();
    await b.subscribe(ib.self, 't');
    const raw = new Redis(redis.url);
    try {
      await raw.publish('foundation:pubsub:ps', Buffer.from([0xc1, 0xff, 0x00]));
      await raw.publish('foundation:pubsub:ps', 'plain text');
    } finally {
      raw.disconnect();
    }
    await until(() => expect(b.stats().framesDropped).toBe(2));
    await a.broadcast('t', 'fine');
    expect(await ib.receive(undefined, 3000)).toBe('fine');
  });

  test('stop resolves while Redis is down', async () => {
    const redis = await RedisServer.start();
    const { a } = await pair(redis);
    await a.subscribe(a.node.inbox().self, 't');
    await redis.kill();
    await until(async () => expect(await failure(a.broadcast('t', 1))).toBeInstanceOf(PubSubUnavailableError));
    await a.stop();
    expect(a.alive).toBe(false);
  });

  test('a logger that throws loses its line, never the process (Redis events are logged from socket callbacks)', async () => {
    const redis = await RedisServer.start();
    const node = await soloNode('a');
    let calls = 0;
    const ps = await PubSub.start(node, {
      name: 'ps',
      adapter: redisAdapter({ url: redis.url, reconnectMaxMs: 100 }),
      logger: () => {
        calls++;
        throw new Error('logger down');
      },
    });
    await redis.kill();
    await until(() => expect(calls).toBeGreaterThan(0));
    await redis.restart();
    await until(async () => {
      await ps.broadcast('t', 1);
    }, 10_000);
    await ps.stop();
  });

  test('options are checked', () => {
    expect(() => redisAdapter({ ulr: 'x' } as object)).toThrow(UnknownOptionError);
    expect(() => redisAdapter({ url: 'http://x' })).toThrow(InvalidArgumentError);
    expect(() => redisAdapter({ reconnectMaxMs: 0 })).toThrow(InvalidArgumentError);
  });
});
