/**
 * spawn: 1,000,000 idle actors (bench.erl's `spawn`). Timed from the first `node.spawn` until
 * every actor has run its init: a sentinel spawned last reports from its init, and the
 * dispatcher runs first turns in FIFO order, so all earlier inits have run by then. Reports
 * spawns/s and heap bytes per idle actor: `heapUsed` after a full GC minus `heapUsed` before
 * spawning (node and inbox already created), divided by the count. Pids are not kept by the
 * benchmark (the node's process table keeps the actors alive), as bench.erl subtracts its
 * own pid list.
 *
 * Needs `global.gc`: when started without `--expose-gc` it re-runs itself with it, so both
 *   pnpm tsx benchmarks/spawn.ts
 *   node --expose-gc --conditions=@foundation/source --import tsx benchmarks/spawn.ts
 * work.
 */
import { Actor, Node, type Pid } from '@foundation/runtime';
import { benchmark, checkNoDeadLetters, collectGarbage, ensureExposeGc, main, now, rate, type Sample } from './lib/harness.js';
import { bareSpawn } from './lib/baseline.js';

const COUNT = 1_000_000;

/** An actor that does nothing: no state, no init, waiting for messages that never come. */
class Idle extends Actor {}

/** Spawned last: its init runs after every earlier actor's. */
class Sentinel extends Actor<never, never, Pid> {
  override init(report: Pid): void {
    this.send(report, 'all spawned');
  }
}

function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

async function foundationSpawn(count: number): Promise<Sample> {
  const node = await Node.start();
  const box = node.inbox();
  collectGarbage();
  const heap0 = heapUsed();
  const t0 = now();
  for (let i = 0; i < count; i++) node.spawn(Idle, undefined);
  node.spawn(Sentinel, box.self);
  await box.receive();
  const t1 = now();
  collectGarbage();
  const bytes = (heapUsed() - heap0) / count;
  const { processes } = node.stats();
  // The actors, the sentinel and the inbox.
  if (processes !== count + 2) throw new Error(`spawn: ${processes} live processes, expected ${count + 2}`);
  checkNoDeadLetters(node, 'spawn');
  await node.stop();
  return { rate: rate(count, t1 - t0), bytesPerItem: Math.round(bytes) };
}

main(async () => {
  if (!(await ensureExposeGc())) return; // re-ran itself with --expose-gc
  await benchmark({
    workload: 'spawn',
    unit: 'spawns/s',
    impls: [
      { impl: 'foundation', once: () => foundationSpawn(COUNT) },
      { impl: 'bare', once: async () => bareSpawn(COUNT) },
    ],
  });
});
