/**
 * Level 1, one line for production: `profile: 'production'` (or FOUNDATION_PROFILE=production,
 * or `cluster: 'kubernetes' | 'dns' | 'static'`) wires a DistributedRegistry, a
 * DistributedSupervisor, cluster pubsub and a partitioned cache with health checks. Here two
 * production nodes in one process, joined by a static peer list on the loopback.
 * Run: `pnpm tsx examples/foundation/level1.ts`
 */
import { randomBytes } from 'node:crypto';
import { Foundation } from 'foundation';

const cookie = randomBytes(16).toString('hex'); // in production: FOUNDATION_COOKIE, from your secrets
const a = await Foundation.start({ name: 'a', cluster: 'static', cookie, host: '127.0.0.1' });
const b = await Foundation.start({ name: 'b', cluster: 'static', cookie, host: '127.0.0.1', peers: [a.node.url] });
try {
  await a.waitForNodes(2);
  const cfg = a.config();
  console.log(`profile ${cfg.profile} (${cfg.reasons.profile})`);
  console.log(`registry ${cfg.registry}, supervisor ${cfg.supervisor}, cache ${cfg.cache}, sync every ${cfg.syncIntervalMs} ms`);
  console.log(`health: ${JSON.stringify(a.health())}`);

  // A cluster-wide name, a cache both nodes share.
  const inbox = b.node.inbox();
  await b.registry.register('billing', inbox.self);
  while (a.registry.whereis('billing') === undefined) await new Promise((r) => setTimeout(r, 20));
  console.log(`a finds 'billing' on node ${a.registry.whereis('billing')!.node}`);
  await a.cache!.put('invoice:1', { total: 42 });
  let seen: unknown;
  while ((seen = await b.cache!.get('invoice:1')) === undefined) await new Promise((r) => setTimeout(r, 20));
  console.log(`b reads invoice:1 -> ${JSON.stringify(seen)}`);
} finally {
  await b.stop();
  await a.stop();
}
