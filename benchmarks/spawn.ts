/**
 * spawn: 1,000,000 idle actors (bench.erl's `spawn`). Timed from the first `node.spawn` until
 * every actor has run its init: a sentinel spawned last reports from its init, and the
 * dispatcher runs first turns in FIFO order, so all earlier inits have run by then. Reports
 * spawns/s and heap bytes per idle actor: `heapUsed` after a full GC minus `heapUsed` before
 * spawning (node and inbox already created), divided by the count. Pids are not kept by the
 * benchmark (the node's process table keeps the actors alive), as bench.erl subtracts its
 * own pid list.
 *
 * spawn-classes: the same with the eight classes of CLASSES (each its own fields) in the
 * process, as an application has many: before timing, each is spawned (and stopped), so the
 * runtime's inline caches have seen them all. `foundation` then times 1M spawns cycling through
 * the eight classes; `foundation-one-class` times 1M spawns of one of them after the others were
 * seen. The `spawn` workload runs first, before any of these classes exists, and `spawn-classes`
 * after it in the same process.
 *
 *   pnpm tsx benchmarks/spawn.ts spawn-classes   (one workload; default: both, in that order)
 *
 * Needs `global.gc`: when started without `--expose-gc` it re-runs itself with it, so both
 *   pnpm tsx benchmarks/spawn.ts
 *   node --expose-gc --conditions=@foundation/source --import tsx benchmarks/spawn.ts
 * work.
 */
import { Actor, Node, type ActorClass, type Pid } from '@foundation/runtime';
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

/*
 * Eight actor classes with different fields, so each has its own hidden class (as the actors
 * of an application do). Their fields are small integers: in-object, 4 bytes each.
 */
class C0 extends Actor {}
class C1 extends Actor {
  a = 1;
}
class C2 extends Actor {
  a = 1;
  b = 2;
}
class C3 extends Actor {
  x = 0;
  override handleInfo(): void {
    this.x++;
  }
}
class C4 extends Actor {
  a = 1;
  b = 2;
  c = 3;
  override init(): void {}
}
class C5 extends Actor<number, number> {
  n = 5;
  override handleCall(m: number): number {
    return m + this.n;
  }
}
class C6 extends Actor<string> {
  s = '';
  t = 0;
  override handleCast(m: string): void {
    this.s = m;
  }
}
class C7 extends Actor {
  a = 1;
  b = 2;
  c = 3;
  d = 4;
}
const CLASSES = [C0, C1, C2, C3, C4, C5, C6, C7] as const;

/** Spawns and stops a few of each class, and has each handle one message, so that the ICs have seen them. */
async function seeAllClasses(node: Node): Promise<void> {
  const box = node.inbox();
  for (const cls of CLASSES) {
    for (let i = 0; i < 4; i++) {
      const pid: Pid = node.spawn(cls, undefined);
      node.send(pid, 'hello');
      box.monitor(pid);
      node.exit(pid, 'kill');
      await box.receive();
    }
  }
  box.close();
}

function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

/** Spawns `count` actors: `classes[i % classes.length]` for the i-th (the classes are seen first, untimed). */
async function foundationSpawn(count: number, classes: readonly ActorClass<void>[] = [Idle]): Promise<Sample> {
  const node = await Node.start();
  if (classes[0] !== Idle) await seeAllClasses(node);
  const box = node.inbox();
  collectGarbage();
  const heap0 = heapUsed();
  const t0 = now();
  const n = classes.length;
  if (n === 1) {
    const cls = classes[0]!;
    for (let i = 0; i < count; i++) node.spawn(cls, undefined);
  } else {
    for (let i = 0; i < count; i++) node.spawn(classes[i % n]!, undefined);
  }
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

const WORKLOADS = ['spawn', 'spawn-classes'];

main(async () => {
  if (!(await ensureExposeGc())) return; // re-ran itself with --expose-gc
  const asked = process.argv.slice(2);
  for (const w of asked) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload "${w}" (expected some of ${WORKLOADS.join(', ')})`);
  const run = (w: string) => asked.length === 0 || asked.includes(w);
  if (run('spawn')) {
    await benchmark({
      workload: 'spawn',
      unit: 'spawns/s',
      impls: [
        { impl: 'foundation', once: () => foundationSpawn(COUNT) },
        { impl: 'bare', once: async () => bareSpawn(COUNT) },
      ],
    });
  }
  if (run('spawn-classes')) {
    await benchmark({
      workload: 'spawn-classes',
      unit: 'spawns/s',
      impls: [
        { impl: 'foundation', once: () => foundationSpawn(COUNT, CLASSES) },
        { impl: 'foundation-one-class', once: () => foundationSpawn(COUNT, [C4]) },
      ],
      erlang: null, // Erlang's spawn does not depend on modules: the `spawn` workload compares with it
    });
  }
});
