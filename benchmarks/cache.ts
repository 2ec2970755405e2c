/**
 * cache: @foundation/cache against its peers, each pair measured in the same run, interleaved
 * (peer, foundation, peer, foundation...), medians and ratios of those medians.
 *
 * - `cache-local-get` / `cache-local-put`: the local adapter (`await cache.get(k)`) over 10,000
 *   keys, 1,000,000 operations a run, against raw lru-cache called the same way through an async
 *   function (`lru-cache-async`: what any promise-returning API pays per call) and plainly
 *   (`lru-cache-sync`: the floor, no promise at all). Target: foundation ≥ 0.8 × lru-cache-async.
 * - `cache-partitioned-get`: a partitioned cache on 3 nodes of one loopback mesh (in this
 *   process), 100,000 gets from one node with 256 in flight (about 2/3 of the keys live on the
 *   other nodes), against ioredis GET with the same 256 in flight on a redis-server started here
 *   (`ioredis-get`), and the redis adapter over that server (`foundation-redis`).
 * - `cache-stampede`: 10,000 concurrent getOrSet of one missing key whose loader takes 20 ms:
 *   how many times the loader ran (must be 1) and how long until every caller had the value;
 *   local, and partitioned with the callers spread over the 3 nodes.
 *
 *   pnpm tsx benchmarks/cache.ts            (BENCH_RUNS=5 for more timed runs)
 *
 * stdout: JSON lines `{ workload, impl, unit, median, runs }` and `{ workload, ratio, metric, value }`.
 * lru-cache and ioredis are the cache package's dependencies, loaded from there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { Node } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { Cache, type CacheHandle } from '@foundation/cache';
import { RUNS, WARMUP, emit, log, main, median, now, rate } from './lib/harness.js';

// The root workspace does not depend on them: typed here by the little this script uses.
interface Lru<K, V> {
  get(k: K): V | undefined;
  set(k: K, v: V): unknown;
}
interface RedisClient {
  get(k: string): Promise<string | null>;
  set(k: string, v: string): Promise<unknown>;
  disconnect(): void;
}
const fromCache = createRequire(new URL('../packages/cache/package.json', import.meta.url));
const { LRUCache } = fromCache('lru-cache') as { LRUCache: new <K, V>(opts: { max: number }) => Lru<K, V> };
const { Redis } = fromCache('ioredis') as { Redis: new (opts: { host: string; port: number }) => RedisClient };

const KEYS = 10_000;
const LOCAL_OPS = 1_000_000;
const REMOTE_OPS = 100_000;
const IN_FLIGHT = 256;
const STAMPEDE = 10_000;
const COOKIE = 'bench-cache';

const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);

/** Runs each impl WARMUP times, then RUNS rounds of all impls in turn; emits results and foundation/peer ratios. */
async function interleaved(
  workload: string,
  unit: string,
  impls: Record<string, () => Promise<number>>,
  ratios: [string, string][],
): Promise<void> {
  const names = Object.keys(impls);
  for (const name of names) for (let i = 0; i < WARMUP; i++) await impls[name]!();
  const runs = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < RUNS; r++) for (const name of names) runs.get(name)!.push(await impls[name]!());
  const medians = new Map<string, number>();
  for (const name of names) {
    const rs = runs.get(name)!;
    medians.set(name, median(rs));
    emit({ workload, impl: name, unit, median: median(rs), runs: rs });
    log(`[cache] ${workload} ${name}: ${median(rs).toLocaleString('en-US')} ${unit}`);
  }
  for (const [a, b] of ratios) {
    const value = Math.round((medians.get(a)! / medians.get(b)!) * 1000) / 1000;
    emit({ workload, ratio: `${a}/${b}`, metric: 'median', value });
    log(`[cache] ${workload} ${a}/${b}: ${value}`);
  }
}

async function local(): Promise<void> {
  const node = await Node.start({ name: 'bench-local' });
  const cache = await Cache.start<string, number>(node, { name: 'bench', adapter: 'local', maxEntries: KEYS * 2 });
  const lru = new LRUCache<string, number>({ max: KEYS * 2 });
  const lruGet = async (k: string) => lru.get(k);
  const lruSet = async (k: string, v: number) => {
    lru.set(k, v);
  };
  for (let i = 0; i < KEYS; i++) {
    await cache.put(keys[i]!, i);
    lru.set(keys[i]!, i);
  }
  const loop = async (op: (k: string, i: number) => unknown): Promise<number> => {
    let sink = 0;
    const t0 = now();
    for (let i = 0, k = 0; i < LOCAL_OPS; i++) {
      sink += ((await op(keys[k]!, i)) as number | undefined) ?? 0;
      if (++k === KEYS) k = 0;
    }
    const t1 = now();
    if (sink < 0) log('impossible');
    return rate(LOCAL_OPS, t1 - t0);
  };
  await interleaved(
    'cache-local-get',
    'ops/s',
    {
      'lru-cache-sync': () => loop((k) => lru.get(k)),
      'lru-cache-async': () => loop((k) => lruGet(k)),
      foundation: () => loop((k) => cache.get(k)),
    },
    [
      ['foundation', 'lru-cache-async'],
      ['foundation', 'lru-cache-sync'],
    ],
  );
  await interleaved(
    'cache-local-put',
    'ops/s',
    {
      'lru-cache-sync': () => loop((k, i) => lru.set(k, i) && 0),
      'lru-cache-async': () => loop((k, i) => lruSet(k, i).then(() => 0)),
      foundation: () => loop((k, i) => cache.put(k, i).then(() => 0)),
    },
    [
      ['foundation', 'lru-cache-async'],
      ['foundation', 'lru-cache-sync'],
    ],
  );
  await node.stop();
}

/** `count` calls of `op`, at most IN_FLIGHT at a time; the rate. */
async function pipelined(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await op(i);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return rate(count, now() - t0);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ port: number; proc: ChildProcess } | undefined> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ok = await new Promise<boolean>((resolve) => {
    let out = '';
    proc.once('error', () => resolve(false));
    proc.once('exit', () => resolve(false));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve(true);
    });
  });
  return ok ? { port, proc } : undefined;
}

async function threeNodes(): Promise<Node[]> {
  const nodes: Node[] = [];
  for (const name of ['b1', 'b2', 'b3']) {
    const n = await Node.start({ name, transport: mesh({ port: 0, host: '127.0.0.1', cookie: COOKIE, logger: () => {} }) });
    if (nodes.length > 0) await n.connect(nodes[0]!.url);
    nodes.push(n);
  }
  while (nodes.some((n) => n.nodes().length < 2)) await new Promise((r) => setTimeout(r, 10));
  return nodes;
}

async function partitioned(): Promise<void> {
  const nodes = await threeNodes();
  const caches: CacheHandle<string, number>[] = [];
  for (const n of nodes) caches.push(await Cache.start<string, number>(n, { name: 'bench', adapter: 'partitioned', replicas: 1 }));
  const cache = caches[0]!;
  // Past the handoff grace of the joins, so that a get is one call to the owner.
  await new Promise((r) => setTimeout(r, 10_500));
  for (let i = 0; i < KEYS; i++) await cache.put(keys[i]!, i);
  const redis = await startRedis();
  const impls: Record<string, () => Promise<number>> = { foundation: () => pipelined(REMOTE_OPS, (i) => cache.get(keys[i % KEYS]!)) };
  const ratios: [string, string][] = [];
  let client: RedisClient | undefined;
  const extra: CacheHandle<string, number>[] = [];
  if (redis === undefined) {
    log('[cache] redis-server not found: cache-partitioned-get has no ioredis peer');
  } else {
    client = new Redis({ host: '127.0.0.1', port: redis.port });
    for (let i = 0; i < KEYS; i++) await client.set(keys[i]!, String(i));
    const viaAdapter = await Cache.start<string, number>(nodes[0]!, { name: 'bench', adapter: 'redis', port: redis.port });
    extra.push(viaAdapter);
    for (let i = 0; i < KEYS; i++) await viaAdapter.put(keys[i]!, i);
    const c = client;
    impls['ioredis-get'] = () => pipelined(REMOTE_OPS, (i) => c.get(keys[i % KEYS]!));
    impls['foundation-redis'] = () => pipelined(REMOTE_OPS, (i) => viaAdapter.get(keys[i % KEYS]!));
    ratios.push(['foundation', 'ioredis-get'], ['foundation-redis', 'ioredis-get']);
  }
  await interleaved('cache-partitioned-get', 'ops/s', impls, ratios);

  // Stampede: 10,000 concurrent misses of one key, spread over the three nodes.
  const stampede = async (round: number, handles: typeof caches) => {
    let calls = 0;
    const load = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return round;
    };
    const t0 = now();
    await Promise.all(Array.from({ length: STAMPEDE }, (_, i) => handles[i % handles.length]!.getOrSet(`stampede-${round}`, load)));
    return { calls, ms: now() - t0 };
  };
  const localNode = await Node.start({ name: 'bench-stampede' });
  const localCache = await Cache.start<string, number>(localNode, { name: 'stampede', adapter: 'local' });
  for (const [impl, handles] of [
    ['foundation-local', [localCache]],
    ['foundation-partitioned', caches],
  ] as const) {
    const calls: number[] = [];
    const ms: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const s = await stampede(r, [...handles]);
      calls.push(s.calls);
      ms.push(Math.round(s.ms));
    }
    emit({ workload: 'cache-stampede-loader-calls', impl, unit: 'calls', median: median(calls), runs: calls });
    emit({ workload: 'cache-stampede-ms', impl, unit: 'ms', median: median(ms), runs: ms });
    log(`[cache] stampede ${impl}: loader ran ${calls.join(', ')} time(s); ${ms.join(', ')} ms for ${STAMPEDE} callers`);
  }
  await localNode.stop();
  client?.disconnect();
  for (const c of [...caches, ...extra]) await c.stop();
  redis?.proc.kill('SIGKILL');
  for (const n of nodes) await n.stop();
}

main(async () => {
  await local();
  await partitioned();
});
