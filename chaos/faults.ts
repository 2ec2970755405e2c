/**
 * The seeded fault scheduler: one fault at a time (kill and restart, partition and heal, slow
 * link, dropped connections), each held for a while, undone, and followed by a wait until the
 * mesh is whole again. The seed fixes which faults, where and for how long; the interleaving
 * with the workload is real time, so a seed replays the schedule, not every message.
 */
import { Prng } from '@foundation/testkit';
import type { ChaosCluster } from './cluster.js';

/** One fault, as printed in the run's log. */
export type Fault =
  | { kind: 'kill'; node: string; downMs: number }
  | { kind: 'partition'; side: string[]; forMs: number }
  | { kind: 'slow'; a: string; b: string; delayMs: number; forMs: number }
  | { kind: 'drop'; a: string; b: string };

const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.int(xs.length)]!;

/** The next fault on `names`, drawn from `r`. */
export function drawFault(r: Prng, names: readonly string[]): Fault {
  const k = r.int(4);
  if (k === 0) return { kind: 'kill', node: pick(r, names), downMs: 300 + r.int(1500) };
  if (k === 1) {
    const shuffled = names.map((n) => [r.next(), n] as const).sort((x, y) => x[0] - y[0]);
    const size = 1 + r.int(2);
    return {
      kind: 'partition',
      side: shuffled
        .slice(0, size)
        .map(([, n]) => n)
        .sort(),
      forMs: 500 + r.int(2000),
    };
  }
  const a = pick(r, names);
  const b = pick(
    r,
    names.filter((n) => n !== a),
  );
  if (k === 2) return { kind: 'slow', a, b, delayMs: 20 + r.int(200), forMs: 500 + r.int(2000) };
  return { kind: 'drop', a, b };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applies `f` to the cluster, holds it, and undoes it. */
export async function inject(cluster: ChaosCluster, f: Fault): Promise<void> {
  const names = cluster.nodes.map((n) => n.name);
  switch (f.kind) {
    case 'kill': {
      const n = cluster.node(f.node);
      await n.kill();
      await sleep(f.downMs);
      await n.start();
      return;
    }
    case 'partition': {
      const other = names.filter((n) => !f.side.includes(n));
      const links = f.side.flatMap((a) => other.flatMap((b) => cluster.net.pair(a, b)));
      for (const l of links) l.cut();
      await sleep(f.forMs);
      for (const l of links) l.heal();
      return;
    }
    case 'slow': {
      const links = cluster.net.pair(f.a, f.b);
      for (const l of links) l.slow(f.delayMs);
      await sleep(f.forMs);
      for (const l of links) l.slow(0);
      return;
    }
    case 'drop':
      for (const l of cluster.net.pair(f.a, f.b)) l.drop();
      return;
  }
}

/** Polls `check` until it stops throwing, or throws its last error after `timeoutMs`. */
export async function until<T>(check: () => Promise<T>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(intervalMs);
    }
  }
}

/** Resolves once every node runs and is connected to every other (and their supervisors see all members). */
export async function whole(cluster: ChaosCluster, timeoutMs = 30_000): Promise<void> {
  const all = cluster.nodes.map((n) => n.name).sort();
  await until(async () => {
    for (const n of cluster.nodes) {
      const s = await n.ask<{ nodes: string[]; members: string[] }>({ op: 'stats' });
      const want = all.filter((m) => m !== n.name);
      if (s.nodes.join() !== want.join()) throw new Error(`${n.name} connected to ${s.nodes.join(',')}`);
      if ([...s.members].sort().join() !== all.join()) throw new Error(`${n.name}'s supervisor members: ${s.members.join(',')}`);
    }
  }, timeoutMs);
}
