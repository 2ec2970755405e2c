/**
 * Exploration: writes in flight from the minority side while the partition begins and heals.
 */
import { afterEach, expect, test } from 'vitest';
import { ChaosCluster } from './cluster.js';
import { until, whole } from './faults.js';

let cluster: ChaosCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

test('writes acknowledged while a two-node side is cut off and healed are readable afterwards', async () => {
  cluster = await ChaosCluster.start(5, 'chaos-cache-race');
  await whole(cluster);
  const minority = ['n2', 'n3'];
  const majority = ['n0', 'n1', 'n4'];
  const links = minority.flatMap((a) => majority.flatMap((b) => cluster!.net.pair(a, b)));
  const acked = new Map<string, number>();
  const where = new Map<string, string>();
  let phase = 'before';
  let running = true;
  let i = 0;
  const lanes = minority.map(async (name) => {
    while (running) {
      const n = ++i;
      const p = phase;
      const o = await cluster!.node(name).request({ op: 'write', key: `r${n}`, value: n });
      if (!o.ok) await new Promise((r) => setTimeout(r, 20));
      if (o.ok) {
        acked.set(`r${n}`, n);
        where.set(`r${n}`, `${name} ${p}->${phase}`);
      }
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  phase = 'cut';
  for (const l of links) l.cut();
  await new Promise((r) => setTimeout(r, 2000));
  phase = 'healed';
  for (const l of links) l.heal();
  await whole(cluster);
  phase = 'whole';
  await cluster.node('n2').kill();
  await new Promise((r) => setTimeout(r, 600));
  running = false;
  await Promise.all(lanes);
  await cluster.node('n2').start();
  await whole(cluster);
  const lost: string[] = [];
  await until(
    async () => {
      lost.length = 0;
      for (const [key, v] of acked) {
        const o = await cluster!.node('n0').request({ op: 'read', key });
        if (!o.ok || o.value !== v) lost.push(`${key} (${where.get(key)}): ${o.ok ? String(o.value) : o.error}`);
      }
      expect(lost).toEqual([]);
    },
    20_000,
    1000,
  );
  console.log(`acked ${acked.size}`);
});
