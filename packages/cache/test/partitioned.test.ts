import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { Node } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { Cache, CacheUnavailableError } from '../src/index.js';
import { COOKIE, PartitionedCluster } from './partitioned-cluster.js';
import { failure, until } from './support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../../..');
const children: ChildProcess[] = [];
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.signalCode === 'SIGSTOP') c.kill('SIGCONT');
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  for (const stop of stops.splice(0)) await stop();
});

/** A node running the partitioned cache `cache` in a child process (node itself, so SIGKILL reaches it). */
function child(name: string, seed: string, cache: string): Promise<ChildProcess> {
  const args = ['--conditions=@foundation/source', '--import', 'tsx', join(HERE, 'fixtures/cache-child.ts'), name, COOKIE, seed, cache];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('{"url"')) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`child ${name} exited with ${code}`)));
  });
}

async function members(node: Node, cache: string): Promise<string[]> {
  return (await node.call<{ ok: string[] }>(`foundation.cache:${cache}`, { op: 'members' }, 5000)).ok;
}

async function mainNode(name: string): Promise<Node> {
  const node = await Node.start({ name, transport: mesh({ port: 0, host: '127.0.0.1', cookie: COOKIE, tickMs: 100, logger: () => {} }) });
  stops.push(() => node.stop());
  return node;
}

test('SIGKILL of a node in another OS process loses nothing with replicas: 1, nor does a second kill after rebalancing', async () => {
  const node = await mainNode('main');
  const cache = await Cache.start(node, { name: 'kill', adapter: 'partitioned', replicas: 1, timeoutMs: 2000, handoffGraceMs: 1000 });
  const [c1, c2] = await Promise.all([child('c1', node.url, 'kill'), child('c2', node.url, 'kill')]);
  await until(async () => expect(await members(node, 'kill')).toEqual(['c1', 'c2', 'main']), 20_000);
  for (let i = 0; i < 300; i++) await cache.put(`k${i}`, { i });
  expect(await cache.size()).toBe(300);

  c1.kill('SIGKILL');
  // Reads right away: before or after the node is seen down, every key is found (on its backup).
  const got = await cache.getAll(Array.from({ length: 300 }, (_, i) => `k${i}`));
  expect(got.size).toBe(300);
  await until(async () => expect(await members(node, 'kill')).toEqual(['c2', 'main']), 10_000);
  for (let i = 0; i < 300; i++) expect(await cache.get(`k${i}`)).toEqual({ i });

  // The survivors re-replicated to the new backups: a second kill loses nothing either.
  await until(async () => expect(await cache.size()).toBe(300), 10_000);
  await new Promise((r) => setTimeout(r, 1500)); // past the handoff grace: no asking around any more
  c2.kill('SIGKILL');
  await until(async () => expect(await members(node, 'kill')).toEqual(['main']), 10_000);
  const all = await cache.getAll(Array.from({ length: 300 }, (_, i) => `k${i}`));
  expect(all.size).toBe(300);
  expect(await cache.size()).toBe(300);
  await cache.stop();
}, 60_000);

test('a stopped (SIGSTOP) owner fails a call within the timeout, never hangs', async () => {
  const node = await mainNode('main2');
  const cache = await Cache.start(node, { name: 'stall', adapter: 'partitioned', replicas: 0, timeoutMs: 500 });
  const c1 = await child('s1', node.url, 'stall');
  await until(async () => expect(await members(node, 'stall')).toEqual(['main2', 's1']), 20_000);
  // A key the child owns.
  let key: string | undefined;
  for (let i = 0; key === undefined; i++) {
    await cache.put(`k${i}`, i);
    const owner = await node.call<{ ok: unknown }>({ name: 'foundation.cache:stall', node: 's1' }, { op: 'fetch', k: `k${i}` }, 2000);
    if (owner.ok !== undefined) {
      key = `k${i}`;
    }
  }
  c1.kill('SIGSTOP');
  const t0 = Date.now();
  const e = await failure(cache.get(key));
  expect(e).toBeInstanceOf(CacheUnavailableError);
  expect(Date.now() - t0).toBeLessThan(3000);
  c1.kill('SIGCONT');
  await cache.stop();
}, 60_000);

test('a write whose backup is stalled (SIGSTOP) is acknowledged within the timeout: the backup gets half of it', async () => {
  const node = await mainNode('main3');
  const cache = await Cache.start(node, { name: 'slowbackup', adapter: 'partitioned', replicas: 1, timeoutMs: 300, handoffGraceMs: 1 });
  const c1 = await child('sb1', node.url, 'slowbackup');
  await until(async () => expect(await members(node, 'slowbackup')).toEqual(['main3', 'sb1']), 20_000);
  // Keys this node owns (the child is their backup).
  const own: string[] = [];
  for (let i = 0; own.length < 3; i++) {
    await cache.put(`k${i}`, i);
    const here = await node.call<{ ok: number }>('foundation.cache:slowbackup', { op: 'count' }, 2000);
    if (here.ok > own.length) own.push(`k${i}`);
  }
  c1.kill('SIGSTOP');
  for (const k of own) {
    const t0 = Date.now();
    await cache.put(k, 'while the backup is stalled');
    expect(Date.now() - t0).toBeLessThan(1000);
  }
  c1.kill('SIGCONT');
  await cache.stop();
}, 60_000);

test('getOrSet from three nodes at once runs the function once, on one node, and all get its value', async () => {
  const cluster = await PartitionedCluster.start(['g1', 'g2', 'g3']);
  stops.push(() => cluster.stop());
  const caches = await cluster.caches('flight', { replicas: 1 });
  for (let round = 0; round < 5; round++) {
    let calls = 0;
    const load = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 30));
      return `v${round}`;
    };
    const all = await Promise.all(caches.flatMap((c) => Array.from({ length: 20 }, () => c.getOrSet(`key${round}`, load))));
    expect(new Set(all)).toEqual(new Set([`v${round}`]));
    expect(calls).toBe(1);
  }
});

test('getOrSet: when the loading node fails, a waiter on another node loads instead', async () => {
  const cluster = await PartitionedCluster.start(['f1', 'f2']);
  stops.push(() => cluster.stop());
  const [a, b] = await cluster.caches('fail', { replicas: 1 });
  let started!: () => void;
  const aStarted = new Promise<void>((r) => (started = r));
  const pa = a!.getOrSet('k', async () => {
    started();
    await new Promise((r) => setTimeout(r, 50));
    throw new Error('a failed');
  });
  await aStarted;
  const pb = b!.getOrSet('k', () => 'from b');
  expect(await failure(pa)).toMatchObject({ message: 'a failed' });
  expect(await pb).toBe('from b');
  expect(await a!.get('k')).toBe('from b');
});

test('a node joining: every present key reads present through it while entries move, and after', async () => {
  const cluster = await PartitionedCluster.start(['j1', 'j2', 'j3']);
  stops.push(() => cluster.stop());
  const [n1, n2, n3] = cluster.nodes as [Node, Node, Node];
  const opts = { name: 'join', adapter: 'partitioned', replicas: 1, handoffGraceMs: 1000 } as const;
  const c1 = await Cache.start(n1, opts);
  const c2 = await Cache.start(n2, opts);
  await until(async () => expect(await members(n1, 'join')).toEqual(['j1', 'j2']));
  const keys = Array.from({ length: 400 }, (_, i) => `k${i}`);
  for (const k of keys) await c1.put(k, k);
  const c3 = await Cache.start(n3, opts);
  // Reads through the newcomer and an old member, as the ring changes under them.
  for (let pass = 0; pass < 3; pass++) {
    for (const c of [c3, c2]) {
      const got = await c.getAll(keys);
      expect(got.size).toBe(keys.length);
    }
  }
  await until(async () => expect(await members(n1, 'join')).toEqual(['j1', 'j2', 'j3']));
  await new Promise((r) => setTimeout(r, 1500)); // past the grace: the entries must be where the ring says
  for (const c of [c1, c2, c3]) expect((await c.getAll(keys)).size).toBe(keys.length);
  expect(await c3.size()).toBe(keys.length);
  // j3 owns about a third of the keys now and holds them itself.
  const held = await n3.call<{ ok: number }>('foundation.cache:join', { op: 'count' }, 2000);
  expect(held.ok).toBeGreaterThan(60);
});

test('a request that is not one of the protocol is answered with an error, and the cache process lives on', async () => {
  const cluster = await PartitionedCluster.start(['h1', 'h2']);
  stops.push(() => cluster.stop());
  const [c1] = await cluster.caches('hostile', { replicas: 1 });
  const [n1, n2] = cluster.nodes as [Node, Node];
  for (const bad of [
    { op: 'put', k: 1 },
    { op: 'replicate', changes: [{ k: 'x', value: 1, exp: -1, ver: {} }] },
    'drop table',
    { op: 'ready' },
  ]) {
    const reply = await n2.call<{ error?: Error }>({ name: 'foundation.cache:hostile', node: 'h1' }, bad, 2000);
    expect(reply.error?.name).toBe('CacheOptionError');
  }
  await c1!.put('still', 'here');
  expect(await n1.call<{ ok: unknown }>('foundation.cache:hostile', { op: 'members' }, 2000)).toEqual({ ok: ['h1', 'h2'] });
  expect(await c1!.get('still')).toBe('here');
});

test('a member that stops hands its entries over: nothing lost even with replicas: 0', async () => {
  const cluster = await PartitionedCluster.start(['t1', 't2', 't3']);
  stops.push(() => cluster.stop());
  const [c1, c2, c3] = await cluster.caches('leave', { replicas: 0 });
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
  for (const k of keys) await c1!.put(k, k);
  const held = await cluster.nodes[2]!.call<{ ok: number }>('foundation.cache:leave', { op: 'count' }, 2000);
  expect(held.ok).toBeGreaterThan(50); // t3 owned its share, with no backup anywhere
  await c3!.stop();
  await until(async () => expect(await members(cluster.nodes[0]!, 'leave')).toEqual(['t1', 't2']));
  for (const c of [c1!, c2!]) expect((await c.getAll(keys)).size).toBe(300);
  expect(await c1!.size()).toBe(300);
});
