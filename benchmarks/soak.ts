/**
 * Soak (not in CI): the chaos suite's five node processes, workload and fault scheduler, for
 * SOAK_MINUTES (default 30) in rounds of SOAK_ROUND_MS (default 60 s of faults each), every
 * round checked like `pnpm test:chaos`. One JSON line per round and a summary on stdout;
 * progress on stderr. `pnpm tsx benchmarks/soak.ts`; CHAOS_SEED=n replays the schedule.
 */
import { ChaosCluster } from '../chaos/cluster.js';
import { chaosRound, startChildren, type RoundFigures } from '../chaos/run.js';

const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const roundMs = Number(process.env.SOAK_ROUND_MS ?? 60_000);
const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
const log = (msg: string) => process.stderr.write(`[soak seed=${seed}] ${msg}\n`);

const cluster = await ChaosCluster.start(5, `soak-${seed}`);
const started = Date.now();
const rounds: RoundFigures[] = [];
let failure: string | undefined;
try {
  await startChildren(cluster);
  for (let i = 0; Date.now() - started < minutes * 60_000; i++) {
    const figures = await chaosRound(cluster, seed + 2 * i, roundMs, log);
    rounds.push(figures);
    process.stdout.write(`${JSON.stringify({ soak: 'round', round: i, ...figures })}\n`);
  }
} catch (e) {
  failure = (e as Error).stack ?? String(e);
  log(`FAILED: ${failure}`);
} finally {
  await cluster.stop();
}
const sum = (f: (r: RoundFigures) => number) => rounds.reduce((a, r) => a + f(r), 0);
const t = (o: object) => o as { made: number; ok: number };
process.stdout.write(
  `${JSON.stringify({
    soak: 'summary',
    seed,
    minutes: Math.round((Date.now() - started) / 600) / 100,
    rounds: rounds.length,
    faults: sum((r) => r.faults),
    restarts: cluster.nodes.reduce((a, n) => a + n.starts - 1, 0),
    connectionsRefused: sum((r) => r.connectionsRefused),
    connectionsDropped: sum((r) => r.connectionsDropped),
    callsMade: sum((r) => t(r.calls).made),
    callsAnswered: sum((r) => t(r.calls).ok),
    writesAcked: sum((r) => t(r.writes).ok),
    writesReadBack: sum((r) => r.writesReadBack),
    writesAckedInPartition: sum((r) => r.writesAckedInPartition),
    writesAckedInPartitionLost: sum((r) => r.writesAckedInPartitionLost),
    peakRssMiB: Math.max(0, ...rounds.flatMap((r) => Object.values(r.peakRssMiB))),
    failure: failure ?? null,
  })}\n`,
);
process.exitCode = failure ? 1 : 0;
