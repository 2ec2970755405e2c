/**
 * Five node processes under a steady workload while a seeded scheduler kills and restarts them,
 * partitions and heals them, slows and drops their links; then the claims are checked (run.ts).
 * `CHAOS_SEED=n pnpm test:chaos` replays a schedule; `CHAOS_MS` sets how long faults run.
 */
import { afterAll, expect, test } from 'vitest';
import { ChaosCluster } from './cluster.js';
import { chaosRound, startChildren } from './run.js';

const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
const FAULTS_MS = Number(process.env.CHAOS_MS ?? 30_000);
/** Bound on each node process's resident memory (a tsx-run node with every service uses about a quarter). */
const RSS_BOUND_MIB = 600;

let cluster: ChaosCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
});

const log = (msg: string) => process.stderr.write(`[chaos seed=${SEED}] ${msg}\n`);

test(`survives kills, partitions, slow and dropped links (seed ${SEED})`, async () => {
  log(`replay with CHAOS_SEED=${SEED}`);
  cluster = await ChaosCluster.start(5, `chaos-${SEED}`);
  await startChildren(cluster);
  const figures = await chaosRound(cluster, SEED, FAULTS_MS, log);
  process.stdout.write(`${JSON.stringify({ chaos: { ...figures, restarts: cluster.nodes.reduce((a, n) => a + n.starts - 1, 0) } })}\n`);
  for (const [name, mib] of Object.entries(figures.peakRssMiB)) expect(mib, `peak RSS of ${name}`).toBeLessThan(RSS_BOUND_MIB);
  expect(figures.faults).toBeGreaterThan(0);
  expect((figures.calls as { ok: number }).ok).toBeGreaterThan(0);
  expect(figures.writesReadBack).toBeGreaterThan(0);
});
