/**
 * pubsub: @foundation/pubsub's figures (issue 15), each beside a peer measured in the same run,
 * runs interleaved (one timed run of each implementation per round; medians).
 *
 * - `pubsub-local-broadcast` (deliveries/s; target ≥ 5M/s): 100 broadcasts to one topic with
 *   10,000 subscriber actors on this node, timed until every subscriber has handled all of them.
 *   `foundation-broadcast` (`ps.broadcast`, the cluster adapter with no other node),
 *   `foundation-local` (`ps.localBroadcast`); peer `send-loop`: the same actors sent the same
 *   messages by a plain `node.send` loop (what any fan-out costs on this runtime).
 * - `pubsub-match` (matches/s; target ≥ 1M/s): `ps.subscribers(topic)` with 10,000 patterns
 *   subscribed (literal, `*` and `#` ones), topics of which about half match something; peer
 *   `scan`: the same answer by testing every pattern (what the trie index saves).
 * - `pubsub-cluster` (frames/broadcast and deliveries/s): 3 mesh nodes in this process, 1,000
 *   subscribers on b and c each, none on a; 2,000 broadcasts from a. `frames/broadcast` must be
 *   2 (the nodes with subscribers); a second topic subscribed on b only must give 1.
 * - `pubsub-redis` (broadcasts/s, end to end): 20,000 broadcasts through the Redis adapter from
 *   node a to one subscriber on node b (a redis-server this script starts on a free loopback
 *   port); peer `ioredis`: the same number of publishes of the same encoded frame with ioredis
 *   alone, to a subscriber connection, timed until it received them all; and `ioredis-2-subscribers`,
 *   the same with a second subscriber connection (the adapter's publishing node is subscribed to
 *   the channel too, as every node is, so Redis sends each broadcast to two connections).
 *
 *   pnpm tsx benchmarks/pubsub.ts                 (BENCH_RUNS=5 for more timed runs)
 *   pnpm tsx benchmarks/pubsub.ts match redis     (some of: local, match, cluster, redis)
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import { Actor, Node, encode, type Pid } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { PubSub, redisAdapter } from '@foundation/pubsub';
import {
  RUNS,
  WARMUP,
  collectGarbage,
  emit,
  log,
  median,
  nextImmediate,
  now,
  rate,
  waitQuiescent,
  type Result,
  type Sample,
} from './lib/harness.js';

// ioredis is a dependency of the pubsub package, not of the workspace root: load it from there.
interface RedisClient {
  subscribe(channel: string): Promise<unknown>;
  publish(channel: string, message: Buffer): Promise<number>;
  on(event: 'messageBuffer', cb: () => void): unknown;
  disconnect(): void;
}
const { Redis } = createRequire(new URL('../packages/pubsub/package.json', import.meta.url))('ioredis') as {
  Redis: new (url: string) => RedisClient;
};

interface Impl {
  impl: string;
  once: () => Promise<Sample>;
}

/** Warm-up, then RUNS rounds of one run of each implementation; a result line each and `<impl>/<peer>` ratios. */
async function interleaved(workload: string, unit: string, impls: Impl[], peer: string): Promise<Map<string, Result>> {
  for (const impl of impls) for (let i = 0; i < WARMUP; i++) await impl.once();
  const runs = new Map<string, number[]>(impls.map((i) => [i.impl, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const impl of impls) {
      collectGarbage();
      await nextImmediate();
      runs.get(impl.impl)!.push((await impl.once()).rate);
    }
  }
  const results = new Map<string, Result>();
  for (const impl of impls) {
    const rs = runs.get(impl.impl)!;
    const result: Result = { workload, impl: impl.impl, unit, median: median(rs), runs: rs };
    results.set(impl.impl, result);
    emit(result);
  }
  const den = results.get(peer)!;
  for (const r of results.values()) {
    if (r.impl === peer) continue;
    emit({ workload, ratio: `${r.impl}/${peer}`, metric: 'median', value: Math.round((r.median / den.median) * 1000) / 1000 });
  }
  return results;
}

/** Counts into a shared tally; resolves `done` when the tally reaches its goal. */
const tally = { n: 0, goal: 0, done: (): void => {} };
class Counter extends Actor {
  override handleInfo(): void {
    if (++tally.n === tally.goal) tally.done();
  }
}
const reached = (goal: number): Promise<void> =>
  new Promise((resolve) => {
    tally.n = 0;
    tally.goal = goal;
    tally.done = resolve;
  });

const SUBSCRIBERS = 10_000;
const BROADCASTS = 100;

async function localBroadcast(kind: 'broadcast' | 'local' | 'send-loop'): Promise<Sample> {
  const node = await Node.start();
  const ps = await PubSub.start(node, { name: 'bench' });
  const pids: Pid[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) pids.push(node.spawn(Counter, undefined));
  for (const pid of pids) await ps.subscribe(pid, 'room.lobby');
  await waitQuiescent(node);
  const msg = { text: 'hello' };
  const done = reached(SUBSCRIBERS * BROADCASTS);
  const t0 = now();
  for (let b = 0; b < BROADCASTS; b++) {
    if (kind === 'broadcast') await ps.broadcast('room.lobby', msg);
    else if (kind === 'local') ps.localBroadcast('room.lobby', msg);
    else for (let i = 0; i < pids.length; i++) node.send(pids[i]!, msg);
  }
  await done;
  const t1 = now();
  await ps.stop();
  await node.stop();
  return { rate: rate(SUBSCRIBERS * BROADCASTS, t1 - t0) };
}

/** The reference AMQP matcher the scan peer uses. */
function matches(p: readonly string[], t: readonly string[], i = 0, j = 0): boolean {
  if (i === p.length) return j === t.length;
  if (p[i] === '#') {
    for (let k = j; k <= t.length; k++) if (matches(p, t, i + 1, k)) return true;
    return false;
  }
  return j < t.length && (p[i] === '*' || p[i] === t[j]) && matches(p, t, i + 1, j + 1);
}

const PATTERNS = 10_000;
const MATCHES = 200_000;
function pattern(i: number): string {
  switch (i % 4) {
    case 0:
      return `orders.r${i % 50}.o${i}.created`;
    case 1:
      return `orders.r${i % 50}.*.shipped`;
    case 2:
      return `user.u${i}.#`;
    default:
      return `svc${i % 100}.*.ev${i}`;
  }
}
function topic(k: number): string {
  const i = (k * 7919) % PATTERNS;
  switch (k % 5) {
    case 0:
      return `orders.r${i % 50}.o${i - (i % 4)}.created`;
    case 1:
      return `orders.r${i % 50}.x${k}.shipped`;
    case 2:
      return `user.u${i - (i % 4) + 2}.profile.changed`;
    case 3:
      return `svc${i % 100}.node${k % 3}.ev${i}`;
    default:
      return `nobody.listens.here`;
  }
}

let matchPs: PubSub | undefined;
const topics = Array.from({ length: 1000 }, (_, k) => topic(k));
async function matchSetup(): Promise<PubSub> {
  if (matchPs) return matchPs;
  const node = await Node.start();
  const ps = await PubSub.start(node, { name: 'match' });
  const sub = node.spawn(Counter, undefined);
  for (let i = 0; i < PATTERNS; i++) await ps.subscribe(sub, pattern(i));
  let hits = 0;
  for (const t of topics) if (ps.subscribers(t).length > 0) hits++;
  log(`[pubsub-match] ${hits} of ${topics.length} topics match a pattern`);
  return (matchPs = ps);
}
async function matchTrie(): Promise<Sample> {
  const ps = await matchSetup();
  let found = 0;
  const t0 = now();
  for (let k = 0; k < MATCHES; k++) found += ps.subscribers(topics[k % topics.length]!).length;
  const t1 = now();
  if (found === 0) throw new Error('nothing matched');
  return { rate: rate(MATCHES, t1 - t0) };
}
const split = Array.from({ length: PATTERNS }, (_, i) => pattern(i).split('.'));
async function matchScan(): Promise<Sample> {
  const n = MATCHES / 100; // a scan is slow: fewer topics, same rate unit
  let found = 0;
  const t0 = now();
  for (let k = 0; k < n; k++) {
    const t = topics[k % topics.length]!.split('.');
    for (const p of split) if (matches(p, t)) found++;
  }
  const t1 = now();
  if (found === 0) throw new Error('nothing matched');
  return { rate: rate(n, t1 - t0) };
}

async function clusterBroadcast(): Promise<void> {
  const nodes: Node[] = [];
  for (const name of ['a', 'b', 'c']) {
    const node = await Node.start({ name, transport: mesh({ cookie: 'bench', logger: () => {} }) });
    for (const n of nodes) await node.connect(n.url);
    nodes.push(node);
  }
  const [, b, c] = nodes as [Node, Node, Node];
  const [pa, pb, pc] = await Promise.all(nodes.map((n) => PubSub.start(n, { name: 'bench' })));
  const PER_NODE = 1000;
  const N = 2000;
  for (const [node, ps] of [
    [b, pb!],
    [c, pc!],
  ] as const) {
    for (let i = 0; i < PER_NODE; i++) await ps.subscribe(node.spawn(Counter, undefined), 'room.lobby');
  }
  await pb!.subscribe(b.spawn(Counter, undefined), 'room.b-only');
  while (pa!.nodesFor('room.lobby').length < 2 || pa!.nodesFor('room.b-only').length < 1) await new Promise((r) => setTimeout(r, 5));
  const rates: number[] = [];
  const frames: number[] = [];
  for (let r = 0; r < WARMUP + RUNS; r++) {
    const before = pa!.stats();
    const done = reached(2 * PER_NODE * N);
    const t0 = now();
    for (let i = 0; i < N; i++) await pa!.broadcast('room.lobby', { i });
    await done;
    const t1 = now();
    if (r < WARMUP) continue;
    const after = pa!.stats();
    frames.push((after.framesSent - before.framesSent) / (after.broadcasts - before.broadcasts));
    rates.push(rate(2 * PER_NODE * N, t1 - t0));
  }
  const before = pa!.stats();
  const one = reached(100);
  for (let i = 0; i < 100; i++) await pa!.broadcast('room.b-only', i);
  await one;
  const after = pa!.stats();
  emit({ workload: 'pubsub-cluster', impl: 'foundation-mesh', unit: 'deliveries/s', median: median(rates), runs: rates });
  emit({
    workload: 'pubsub-cluster-frames',
    impl: 'foundation-mesh',
    unit: 'frames/broadcast (2 nodes with subscribers)',
    median: median(frames),
    runs: frames,
  });
  const single = (after.framesSent - before.framesSent) / (after.broadcasts - before.broadcasts);
  emit({
    workload: 'pubsub-cluster-frames-one-node',
    impl: 'foundation-mesh',
    unit: 'frames/broadcast (1 node with subscribers)',
    median: single,
    runs: [single],
  });
  for (const p of [pa, pb, pc]) await p!.stop();
  for (const n of nodes) await n.stop();
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 200) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  const stop = async () => {
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await gone;
  };
  return { url: `redis://127.0.0.1:${port}`, stop };
}

const REDIS_N = 20_000;
const BATCH = 500;

async function redisPubSub(url: string): Promise<Sample> {
  const [na, nb] = [await Node.start({ name: 'ra' }), await Node.start({ name: 'rb' })];
  const pa = await PubSub.start(na, { name: 'bench', adapter: redisAdapter({ url }) });
  const pb = await PubSub.start(nb, { name: 'bench', adapter: redisAdapter({ url }) });
  await pb.subscribe(nb.spawn(Counter, undefined), 'room.lobby');
  const done = reached(REDIS_N);
  const t0 = now();
  for (let i = 0; i < REDIS_N; i += BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < i + BATCH; j++) batch.push(pa.broadcast('room.lobby', { i: j }));
    await Promise.all(batch);
  }
  await done;
  const t1 = now();
  await pa.stop();
  await pb.stop();
  await na.stop();
  await nb.stop();
  return { rate: rate(REDIS_N, t1 - t0) };
}

async function redisAlone(url: string, subscribers: number): Promise<Sample> {
  const pub = new Redis(url);
  const subs = Array.from({ length: subscribers }, () => new Redis(url));
  for (const sub of subs) await sub.subscribe('bench:alone');
  const sub = subs[0]!;
  const frame = Buffer.from(
    encode({ pubsub: 'bench', topic: 'room.lobby', message: { i: 0 }, from: null, dispatcher: null, origin: 'ra' }),
  );
  let got = 0;
  const done = new Promise<void>((resolve) =>
    sub.on('messageBuffer', () => {
      if (++got === REDIS_N) resolve();
    }),
  );
  const t0 = now();
  for (let i = 0; i < REDIS_N; i += BATCH) {
    const batch: Promise<number>[] = [];
    for (let j = i; j < i + BATCH; j++) batch.push(pub.publish('bench:alone', frame));
    await Promise.all(batch);
  }
  await done;
  const t1 = now();
  pub.disconnect();
  for (const c of subs) c.disconnect();
  return { rate: rate(REDIS_N, t1 - t0) };
}

const wanted = process.argv.slice(2);
const on = (w: string) => wanted.length === 0 || wanted.includes(w);

async function run(): Promise<void> {
  if (on('local')) {
    log(`[pubsub-local-broadcast] ${WARMUP} warm-up + ${RUNS} run(s) each, interleaved`);
    await interleaved(
      'pubsub-local-broadcast',
      'deliveries/s',
      [
        { impl: 'foundation-broadcast', once: () => localBroadcast('broadcast') },
        { impl: 'foundation-local', once: () => localBroadcast('local') },
        { impl: 'send-loop', once: () => localBroadcast('send-loop') },
      ],
      'send-loop',
    );
  }
  if (on('match')) {
    log(`[pubsub-match] subscribing ${PATTERNS} patterns`);
    await interleaved(
      'pubsub-match',
      'matches/s',
      [
        { impl: 'foundation-trie', once: matchTrie },
        { impl: 'scan', once: matchScan },
      ],
      'scan',
    );
    const node = matchPs?.node;
    await matchPs?.stop();
    await node?.stop();
  }
  if (on('cluster')) {
    log('[pubsub-cluster] 3 mesh nodes');
    await clusterBroadcast();
  }
  if (on('redis')) {
    const redis = await startRedis();
    try {
      log('[pubsub-redis] redis-server started');
      await interleaved(
        'pubsub-redis',
        'broadcasts/s',
        [
          { impl: 'foundation-redis', once: () => redisPubSub(redis.url) },
          { impl: 'ioredis', once: () => redisAlone(redis.url, 1) },
          { impl: 'ioredis-2-subscribers', once: () => redisAlone(redis.url, 2) },
        ],
        'ioredis',
      );
    } finally {
      await redis.stop();
    }
  }
}

run().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
