/**
 * registry: how fast the local Registry and process groups answer, from their tables.
 *
 * - `registry-lookup` (unique) and `registry-lookup-duplicate`: `reg.lookup(key)` over 10,000
 *   registered keys (every lookup a hit, keys taken round-robin), 10,000,000 lookups a run.
 *   Target: ≥ 5M lookups/s.
 * - `registry-whereis`: `reg.whereis(key)`, what a via-name costs to resolve.
 * - `pg-members`: `pg.members(group)` over 100 groups of 10 members each.
 * - `registry-register`: registrations through the owner actor (a call each, 256 in flight),
 *   10,000 a run: the write path.
 * - `registry-one-key`: 100,000 processes register under ONE duplicate key, then all exit:
 *   adding to and removing from a key with n holders must be O(1) (a copy of the key's list per
 *   write made this O(n²)).
 *
 *   pnpm tsx benchmarks/registry.ts            (BENCH_RUNS=5 for more timed runs)
 *
 * stdout: one JSON line per measurement, `{ workload, impl, unit, median, runs }`.
 */
import { Actor, Node, type Pid } from '@foundation/runtime';
import { ProcessGroups, Registry } from '@foundation/registry';
import { RUNS, WARMUP, emit, log, main, median, now, rate } from './lib/harness.js';

const KEYS = 10_000;
const LOOKUPS = 10_000_000;
const WRITES = 10_000;

class Idle extends Actor {}

async function measure(workload: string, unit: string, once: () => Promise<number>): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await once();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  emit({ workload, impl: 'foundation', unit, median: median(runs), runs });
  log(`[registry] ${workload}: ${median(runs).toLocaleString('en-US')} ${unit}`);
}

/** Runs `fn` over the keys round-robin, `count` times; returns the rate. Sums a field so the loop is not dead code. */
function readLoop(keys: readonly string[], count: number, fn: (key: string) => number): number {
  let sink = 0;
  const n = keys.length;
  const t0 = now();
  for (let i = 0, k = 0; i < count; i++) {
    sink += fn(keys[k]!);
    if (++k === n) k = 0;
  }
  const t1 = now();
  if (sink < 0) log('impossible');
  return rate(count, t1 - t0);
}

async function withRegistry(
  keys: 'unique' | 'duplicate',
  perKey: number,
  fn: (reg: Registry<string, number>, names: string[]) => Promise<number>,
): Promise<number> {
  const node = await Node.start();
  try {
    const reg = await Registry.start<string, number>(node, { name: 'bench', keys });
    const names = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
    const pids: Pid[] = Array.from({ length: 1000 }, () => node.spawn(Idle, undefined));
    let i = 0;
    for (const name of names) {
      for (let j = 0; j < perKey; j++) await reg.register(name, pids[i++ % pids.length]!, j);
    }
    return await fn(reg, names);
  } finally {
    await node.stop();
  }
}

main(async () => {
  await measure('registry-lookup', 'lookups/s', () =>
    withRegistry('unique', 1, async (reg, names) => readLoop(names, LOOKUPS, (k) => reg.lookup(k).length)),
  );
  await measure('registry-lookup-duplicate', 'lookups/s', () =>
    withRegistry('duplicate', 3, async (reg, names) => readLoop(names, LOOKUPS, (k) => reg.lookup(k).length)),
  );
  await measure('registry-whereis', 'lookups/s', () =>
    withRegistry('unique', 1, async (reg, names) => readLoop(names, LOOKUPS, (k) => (reg.whereis(k) ? 1 : 0))),
  );
  await measure('pg-members', 'reads/s', async () => {
    const node = await Node.start();
    try {
      const pg = await ProcessGroups.start(node);
      const groups = Array.from({ length: 100 }, (_, i) => `group-${i}`);
      for (const g of groups)
        await pg.join(
          g,
          Array.from({ length: 10 }, () => node.spawn(Idle, undefined)),
        );
      return readLoop(groups, LOOKUPS, (g) => pg.members(g).length);
    } finally {
      await node.stop();
    }
  });
  await measure('registry-register', 'writes/s', async () => {
    const node = await Node.start();
    try {
      const reg = await Registry.start(node, { name: 'bench', keys: 'duplicate' });
      const pids = Array.from({ length: 1000 }, () => node.spawn(Idle, undefined));
      const t0 = now();
      for (let base = 0; base < WRITES; base += 256) {
        const batch: Promise<void>[] = [];
        for (let i = base; i < Math.min(base + 256, WRITES); i++) batch.push(reg.register(`k${i % 100}`, pids[i % pids.length]!, i));
        await Promise.all(batch);
      }
      return rate(WRITES, now() - t0);
    } finally {
      await node.stop();
    }
  });
  await measure('registry-one-key', 'writes/s', async () => {
    const node = await Node.start();
    try {
      const reg = await Registry.start(node, { name: 'bench', keys: 'duplicate' });
      const n = 100_000;
      const pids = Array.from({ length: n }, () => node.spawn(Idle, undefined));
      const t0 = now();
      for (let base = 0; base < n; base += 256) {
        const batch: Promise<void>[] = [];
        for (let i = base; i < Math.min(base + 256, n); i++) batch.push(reg.register('one', pids[i]!, i));
        await Promise.all(batch);
      }
      for (const pid of pids.reverse()) node.exit(pid, 'kill');
      while (reg.count() > 0) await new Promise((r) => setImmediate(r));
      return rate(2 * n, now() - t0);
    } finally {
      await node.stop();
    }
  });
});
