import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { Foundation, withContext } from '../src/index.js';
import { slowSquare, type HopReport } from './fixtures/tasks.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../../..');
const children: ChildProcess[] = [];
const started: Foundation[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(started.splice(0).map((f) => f.stop()));
});

/** A production node in a child process, configured by the environment alone; resolves once it says ready. */
function peer(name: string, env: Record<string, string>): Promise<{ proc: ChildProcess; progress: () => number }> {
  const args = ['--conditions=@foundation/source', '--import', 'tsx', join(HERE, 'fixtures/peer.ts')];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env, FOUNDATION_NODE_NAME: name },
  });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const progress = () => out.split('\n').filter((l) => l === 'mapped').length;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (out.includes(`ready ${name}`)) resolve({ proc, progress });
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`peer ${name} exited with ${code}`)));
  });
}

/** This process's node 'a' and two peers 'b' and 'c' joined through FOUNDATION_PEERS: a production cluster over the real mesh. */
async function cluster(extra: Record<string, string> = {}) {
  const cookie = `test-${randomBytes(8).toString('hex')}`;
  const a = await Foundation.start({ name: 'a', profile: 'production', cookie, host: '127.0.0.1', cluster: 'static' });
  started.push(a);
  await a.startService((await import('./fixtures/tasks.js')).Hop, null, { name: 'hop-a' });
  const env = {
    FOUNDATION_PROFILE: 'production',
    FOUNDATION_COOKIE: cookie,
    FOUNDATION_HOST: '127.0.0.1',
    FOUNDATION_PEERS: a.node.url,
    FOUNDATION_TEST_HOPS: 'hop-a,hop-b,hop-c',
    ...extra,
  };
  const [b, c] = await Promise.all([peer('b', env), peer('c', env)]);
  await a.waitForNodes(3);
  await expect.poll(() => ['hop-b', 'hop-c'].every((h) => a.registry.whereis(h) !== undefined), { timeout: 10_000 }).toBe(true);
  return { a, b, c };
}

test('a context crosses three nodes: every hop sees the trace, tenant and deadline of the first', async () => {
  const { a } = await cluster();
  const traceId = randomBytes(16).toString('hex');
  const deadline = Date.now() + 20_000;
  const hops = await withContext({ traceId, tenant: 'acme', deadline }, () => a.call<HopReport[]>('hop-b', { via: ['hop-c', 'hop-a'] }));
  expect(hops.map((h) => h.node)).toEqual(['b', 'c', 'a']);
  for (const h of hops) expect(h).toMatchObject({ traceId, tenant: 'acme', deadline });
  // Outside any context, nothing is carried.
  const plain = await a.call<HopReport[]>('hop-b', { via: ['hop-c'] });
  expect(plain.map((h) => h.traceId)).toEqual([undefined, undefined]);
}, 60_000);

test('mapReduce finishes with the right result when a node is killed halfway', async () => {
  const { a, c } = await cluster({ FOUNDATION_TEST_PROGRESS: '1' });
  const items = Array.from({ length: 300 }, (_, i) => i);
  const run = a.mapReduce(items, slowSquare, (squares) => squares.reduce((s, x) => s + x, 0), { chunkSize: 5 });
  // Halfway for c: once it has mapped some items, and before it could have mapped its share.
  await expect.poll(() => c.progress(), { timeout: 20_000, interval: 5 }).toBeGreaterThan(10);
  c.proc.kill('SIGKILL');
  const expected = items.reduce((s, x) => s + x * x, 0);
  await expect(run).resolves.toBe(expected);
  expect(c.progress()).toBeLessThan(100);
}, 60_000);
