/**
 * Level 2, full control: every part has its options (`clustering`, `processes`, `messaging`,
 * `caching`), each checked when Foundation starts — a mistyped key or a wrong value is a named
 * error that says which. Here: a multilevel cache (a near copy on each node in front of a
 * partitioned one, invalidated over pubsub) between two nodes.
 * Run: `pnpm tsx examples/foundation/level2.ts`
 */
import { randomBytes } from 'node:crypto';
import { UnknownOptionError } from '@foundation/runtime';
import { Foundation, FoundationOptionError, type FoundationOptions } from 'foundation';

for (const bad of [{ caching: { adaptor: 'local' } }, { caching: { adapter: 'memcached' } }, { processes: { maxRestarts: -1 } }]) {
  try {
    await Foundation.start(bad as FoundationOptions);
  } catch (e) {
    if (!UnknownOptionError.is(e) && !FoundationOptionError.is(e)) throw e;
    console.log(`${(e as Error).name}: ${(e as Error).message}`);
  }
}

const env = { FOUNDATION_CLUSTER_ID: `l2${randomBytes(3).toString('hex')}` }; // this run's own discovery scope
const opts: FoundationOptions = {
  env,
  clustering: { mdns: { intervalMs: 200 }, expectedNodes: 2 },
  processes: { registry: 'distributed', maxRestarts: 5, maxSeconds: 10 },
  messaging: { name: 'app' },
  caching: { adapter: 'multilevel', name: 'users', replicas: 1, nearTtlMs: 30_000 },
};
const a = await Foundation.start({ ...opts, name: 'a' });
const b = await Foundation.start({ ...opts, name: 'b' });
try {
  await a.waitForNodes(2);
  console.log(`cache ${a.config().cache} (${a.config().reasons.cache}), registry ${a.config().registry}, pubsub '${a.config().pubsub}'`);
  await a.cache!.put('user:1', 'Ada');
  console.log(`b reads user:1 -> ${String(await b.cache!.get('user:1'))} (now also near on b)`);
  await a.cache!.put('user:1', 'Ada Lovelace');
  let v: unknown;
  while ((v = await b.cache!.get('user:1')) !== 'Ada Lovelace') await new Promise((r) => setTimeout(r, 20));
  console.log(`after a's write, b reads user:1 -> ${String(v)} (its near copy was invalidated)`);
} finally {
  await b.stop();
  await a.stop();
}
