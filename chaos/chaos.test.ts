/**
 * Five node processes under a steady workload while a seeded scheduler kills and restarts them,
 * partitions and heals them, slows and drops their links; then the claims are checked.
 * `CHAOS_SEED=n pnpm test:chaos` replays a schedule; `CHAOS_MS` sets how long faults run.
 */
import { afterAll, expect, test } from 'vitest';
import { Prng } from '@foundation/testkit';
import { ChaosCluster } from './cluster.js';
import { drawFault, inject, whole, type Fault } from './faults.js';
import { Workload } from './workload.js';
import { accounted, childrenExactlyOnce, namesAgree, writesReadable } from './checks.js';
import type { NodeStats } from './protocol.js';

const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
const FAULTS_MS = Number(process.env.CHAOS_MS ?? 30_000);
/** Bound on each node process's resident memory (a tsx-run node with every service uses about a third). */
const RSS_BOUND = 600 * 2 ** 20;
const CHILDREN = Array.from({ length: 30 }, (_, i) => `child-${i}`);

let cluster: ChaosCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

const log = (msg: string) => process.stderr.write(`[chaos seed=${SEED}] ${msg}\n`);

test(`survives kills, partitions, slow and dropped links (seed ${SEED})`, async () => {
  log(`replay with CHAOS_SEED=${SEED}`);
  const r = new Prng(SEED);
  cluster = await ChaosCluster.start(5, `chaos-${SEED}`);
  await whole(cluster);
  await cluster.node('n0').ask({ op: 'startChildren', ids: CHILDREN });
  await childrenExactlyOnce(cluster, CHILDREN, 20_000);

  const peakRss = new Map<string, number>();
  const sample = async () => {
    for (const n of cluster!.live()) {
      const s = await n.request({ op: 'stats' });
      if (s.ok) peakRss.set(n.name, Math.max(peakRss.get(n.name) ?? 0, (s.value as NodeStats).rss));
    }
  };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sample();
      await new Promise((res) => setTimeout(res, 1000));
    }
  })();

  const workload = new Workload(cluster, new Prng(SEED + 1));
  const faults: Fault[] = [];
  const names = cluster.nodes.map((n) => n.name);
  const end = Date.now() + FAULTS_MS;
  while (Date.now() < end) {
    const f = drawFault(r, names);
    log(`fault ${faults.length + 1}: ${JSON.stringify(f)}`);
    workload.during = `fault ${faults.length + 1} ${f.kind}`;
    workload.partitioned = f.kind === 'partition';
    await inject(cluster, f);
    faults.push(f);
    workload.during = `recovery from fault ${faults.length}`;
    await whole(cluster);
    workload.during = `quiet after fault ${faults.length}`;
    workload.partitioned = false;
  }
  await workload.stop();
  sampling = false;
  await sampler;
  cluster.net.healAll();
  await whole(cluster);

  await childrenExactlyOnce(cluster, CHILDREN, 30_000);
  const holders = await namesAgree(cluster, 20_000);
  // Writes acknowledged outside any partition must all read back. Those acknowledged while a
  // partition was in effect or healing are counted apart: in 2 of 3 runs a few were lost (see
  // RELIABILITY.md, "Open"); a lone node's side acknowledges without a replica by design.
  const outside = [...workload.acked.keys()].filter((k) => !workload.ackedInPartition.has(k));
  const { read } = await writesReadable(cluster, workload, outside, 30_000);
  const across = await writesReadable(cluster, workload, [...workload.ackedInPartition], 5_000, false);
  if (across.missing.length > 0) log(`acknowledged during a partition and not readable: ${across.missing.join('; ')}`);
  for (const [name, t] of Object.entries({
    calls: workload.calls,
    publishes: workload.publishes,
    writes: workload.writes,
    registers: workload.registers,
  }))
    accounted(name, t);
  // Every node still delivers: one broadcast from each reaches every node's subscriber.
  const before = await Promise.all(cluster.nodes.map((n) => n.ask<NodeStats>({ op: 'stats' })));
  for (const n of cluster.nodes) await n.ask({ op: 'publish', topic: 'work.final', n: 0 });
  await whole(cluster);
  const { until } = await import('./faults.js');
  await until(async () => {
    const after = await Promise.all(cluster!.nodes.map((n) => n.ask<NodeStats>({ op: 'stats' })));
    after.forEach((s, i) => {
      if (s.received - before[i]!.received < cluster!.nodes.length)
        throw new Error(`${cluster!.nodes[i]!.name} got ${s.received - before[i]!.received} of 5 final broadcasts`);
    });
  }, 10_000);
  await sample();

  const figures = {
    seed: SEED,
    faults: faults.length,
    byKind: faults.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.kind]: (acc[f.kind] ?? 0) + 1 }), {}),
    restarts: cluster.nodes.reduce((a, n) => a + n.starts - 1, 0),
    connectionsRefused: cluster.net.all().reduce((a, l) => a + l.counts.refused, 0),
    connectionsDropped: cluster.net.all().reduce((a, l) => a + l.counts.dropped, 0),
    calls: workload.calls.toJSON(),
    publishes: workload.publishes.toJSON(),
    writes: workload.writes.toJSON(),
    writesReadBack: read,
    writesAckedInPartition: workload.ackedInPartition.size,
    writesAckedInPartitionLost: across.missing.length,
    registers: workload.registers.toJSON(),
    namesHeld: Object.values(holders).filter((h) => h.length === 1).length,
    children: CHILDREN.length,
    peakRssMiB: Object.fromEntries([...peakRss].map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
  };
  process.stdout.write(`${JSON.stringify({ chaos: figures })}\n`);
  for (const [name, rss] of peakRss) expect(rss, `peak RSS of ${name}`).toBeLessThan(RSS_BOUND);
  expect(workload.calls.ok).toBeGreaterThan(0);
  expect(workload.acked.size).toBeGreaterThan(0);
});
