/**
 * One fault, no workload: acknowledged cache writes made on the minority side of a partition
 * (two nodes: each write has its replica there), then the heal. The README's claim: entries are
 * handed to their new holders when members change, so every one reads back after the heal.
 */
import { afterEach, expect, test } from 'vitest';
import { ChaosCluster } from './cluster.js';
import { until, whole } from './faults.js';

let cluster: ChaosCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/*
 * OPEN DEFECT (the third case; run it with CHAOS_OPEN=1): after the heal, a SIGKILL of n0 right
 * away lost acknowledged key p4 on every node in 2 of 4 runs here (40 or 200 keys; always p4,
 * so it depends on where the ring puts it, and on the order the minority's cache processes meet
 * the others). Suspected cause, packages/cache/src/internal/partitioned/server.ts rebalance():
 * a node counts as already holding an entry when it owned the key on the *previous* ring, which
 * after a heal is a ring the sender built a member at a time (and the other side's own ring never
 * held the entry), so the last copies are dropped once a handoff to one new holder is acknowledged,
 * not once the key's owner and backup both have it. Not a small local fix: left to the lead.
 */
const cases: Array<[string, string | undefined]> = [
  ['after the heal', undefined],
  ['after the heal and a SIGKILL of one of that side right after', 'n3'],
];
if (process.env.CHAOS_OPEN === '1') cases.push(['after the heal and a SIGKILL of a node of the other side right after', 'n0']);

test.each(cases)('cache writes acknowledged on a two-node side of a partition are readable from every node %s', async (_, kill) => {
  cluster = await ChaosCluster.start(5, 'chaos-cache-partition');
  await whole(cluster);
  const minority = ['n3', 'n4'];
  const majority = ['n0', 'n1', 'n2'];
  const links = minority.flatMap((a) => majority.flatMap((b) => cluster!.net.pair(a, b)));
  for (const l of links) l.cut();
  await until(async () => {
    const s = await cluster!.node('n3').ask<{ nodes: string[] }>({ op: 'stats' });
    expect(s.nodes).toEqual(['n4']);
  }, 20_000);
  const keys = Array.from({ length: Number(process.env.CHAOS_KEYS ?? 40) }, (_, i) => `p${i}`);
  // Written from both nodes of the side, so some have n3 as owner and some as replica.
  for (const [i, key] of keys.entries()) await cluster.node(minority[i % 2]!).ask({ op: 'write', key, value: i });
  for (const l of links) l.heal();
  await whole(cluster);
  if (kill) {
    await cluster.node(kill).kill();
    await new Promise((r) => setTimeout(r, 600));
    await cluster.node(kill).start();
    await whole(cluster);
  }
  const lost: string[] = [];
  await until(
    async () => {
      lost.length = 0;
      for (const [i, key] of keys.entries()) {
        for (const n of cluster!.nodes) {
          const o = await n.request({ op: 'read', key });
          if (!o.ok || o.value !== i) lost.push(`${key} from ${n.name}: ${o.ok ? String(o.value) : o.error}`);
        }
      }
      expect(lost).toEqual([]);
    },
    20_000,
    1000,
  );
});
