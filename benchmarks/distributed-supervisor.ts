/**
 * distributed-supervisor: children that outlive their node.
 *
 * - `ds-failover`: 1,000 children on 3 nodes in 3 OS processes over the mesh; one member is
 *   killed with SIGKILL; the time until every child it ran answers a call (by via-name, from a
 *   survivor) on its new member. Its peer in the same run: the time until the survivor saw the
 *   nodedown (what the mesh's failure detection costs, before any restart) — the ratio says how
 *   much the supervisor adds to detection.
 * - `ds-handoff`: 1,000 children with state on 2 nodes of a MemoryNetwork, `redistribution:
 *   'active'`; a third node joins; the time until every child it now owns answers there with its
 *   state. Its peer: the same cluster of 3 losing a node (crash) until its children answer on
 *   the survivors (a restart without state, moving about the same third of them).
 * - `ds-whereis`: `ds.whereis(id)` over the 1,000 ids, 5,000,000 a run; peer: a unique
 *   DistributedRegistry's `whereis` over 1,000 keys, same count.
 *
 *   pnpm tsx benchmarks/distributed-supervisor.ts        (BENCH_RUNS=5 for more timed runs)
 *
 * stdout: one JSON line per measurement; progress on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Actor, MemoryNetwork, Node, defineActor, type Pid } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';
import { DistributedRegistry } from '@foundation/registry';
import { DistributedSupervisor, type HandoffInit } from '@foundation/supervisor';
import { RUNS, WARMUP, emit, log, main, median, nextImmediate, now, rate } from './lib/harness.js';

const CHILDREN = 1000;
const LOOKUPS = 5_000_000;
const SYNC = 50;
const COOKIE = 'ds-bench';
const IN_FLIGHT = 64;

/** A child with a number: answers 'get' with it and its node, and hands it over when it moves. */
class Held extends Actor<'get', { n: number; node: string; moved: boolean }, { n: number }> {
  n = 0;
  moved = false;
  override init(a: { n: number }, m?: HandoffInit<number>): void {
    this.n = m?.handoff ?? a.n;
    this.moved = m !== undefined;
  }
  override handleCall() {
    return { n: this.n, node: this.node.name, moved: this.moved };
  }
  handoff(): number {
    return this.n;
  }
}
defineActor('bench.Held', Held);

const ids = Array.from({ length: CHILDREN }, (_, i) => `w${i}`);

async function startAll(ds: DistributedSupervisor): Promise<void> {
  for (let b = 0; b < CHILDREN; b += IN_FLIGHT) {
    await Promise.all(ids.slice(b, b + IN_FLIGHT).map((id, i) => ds.startChild({ id, start: [Held, { n: b + i }] })));
  }
}

/** Resolves once every id of `which` answers from a node in `on` (calls by via-name from `node`, retried). */
async function allAnswer(
  node: Node,
  ds: DistributedSupervisor,
  which: readonly string[],
  on: (n: string) => boolean,
  state?: boolean,
): Promise<void> {
  let left = [...which];
  const t0 = now();
  while (left.length > 0) {
    const next: string[] = [];
    for (let b = 0; b < left.length; b += IN_FLIGHT) {
      const batch = left.slice(b, b + IN_FLIGHT);
      const got = await Promise.all(
        batch.map((id) =>
          ds.whereis(id) === undefined
            ? Promise.resolve(null)
            : node.call<{ n: number; node: string; moved: boolean }>(ds.via(id), 'get' as never, 1000).catch(() => null),
        ),
      );
      got.forEach((r, i) => {
        const ok = r !== null && on(r.node) && (!state || (r.moved && r.n === Number(batch[i]!.slice(1))));
        if (!ok) next.push(batch[i]!);
      });
    }
    left = next;
    if (left.length > 0) await new Promise((r) => setTimeout(r, 2));
    if (now() - t0 > 60_000) throw new Error(`${left.length} children never answered`);
  }
}

// ---- failover across OS processes

async function member(name: string, seed: string): Promise<void> {
  const node = await Node.start({
    name,
    transport: mesh({ cookie: COOKIE, tickMs: 100, discovery: [staticPeers([seed])], logger: () => {} }),
  });
  process.stdin.on('end', () => void node.stop().then(() => process.exit(0)));
  process.stdin.resume();
  await DistributedSupervisor.start(node, { name: 'ds', syncIntervalMs: SYNC });
}

function startMember(name: string, seed: string): ChildProcess {
  return spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'member', name, seed], {
    stdio: ['pipe', 'inherit', 'inherit'],
  });
}

async function failover(): Promise<{ answeredMs: number; nodedownMs: number; moved: number }> {
  const p = await Node.start({ name: 'p', transport: mesh({ cookie: COOKIE, tickMs: 100, logger: () => {} }) });
  const kids = { m1: startMember('m1', p.url!), m2: startMember('m2', p.url!) };
  try {
    const ds = await DistributedSupervisor.start(p, { name: 'ds', syncIntervalMs: SYNC });
    while (ds.members().length < 3 || !ds.heardFrom('m1') || !ds.heardFrom('m2')) await new Promise((r) => setTimeout(r, 10));
    await startAll(ds);
    while (ds.countChildren().active < CHILDREN) await new Promise((r) => setTimeout(r, 5));
    const victim =
      ids.filter((id) => ds.whereis(id)!.node === 'm1').length >= ids.filter((id) => ds.whereis(id)!.node === 'm2').length ? 'm1' : 'm2';
    const moved = ids.filter((id) => ds.whereis(id)!.node === victim);
    let nodedownAt = 0;
    p.once('nodedown', () => (nodedownAt = now()));
    const t0 = now();
    kids[victim].kill('SIGKILL');
    await allAnswer(p, ds, moved, (n) => n !== victim);
    return { answeredMs: now() - t0, nodedownMs: nodedownAt - t0, moved: moved.length };
  } finally {
    for (const k of Object.values(kids)) {
      k.stdin?.end();
      k.kill('SIGKILL');
    }
    await p.stop();
  }
}

// ---- handoff in one process

async function inMemory(kind: 'handoff' | 'crash'): Promise<{ ms: number; moved: number }> {
  const net = new MemoryNetwork();
  const nodes: Node[] = [];
  const start = async (name: string) => {
    const n = await Node.start({ name, transport: net.transport() });
    nodes.push(n);
    return { n, ds: await DistributedSupervisor.start(n, { name: 'ds', syncIntervalMs: SYNC, redistribution: 'active' }) };
  };
  try {
    const a = await start('a');
    await start('b');
    if (kind === 'crash') await start('c');
    while (a.ds.members().length < nodes.length) await nextImmediate();
    await startAll(a.ds);
    while (a.ds.countChildren().active < CHILDREN) await new Promise((r) => setTimeout(r, 2));
    if (kind === 'crash') {
      const moved = ids.filter((id) => a.ds.whereis(id)!.node === 'c');
      const t0 = now();
      net.crash('c');
      await allAnswer(a.n, a.ds, moved, (n) => n !== 'c');
      return { ms: now() - t0, moved: moved.length };
    }
    const t0 = now();
    const c = await start('c');
    while (!a.ds.members().includes('c')) await nextImmediate();
    const moved = ids.filter((id) => a.ds.placement(id) === 'c');
    await allAnswer(c.n, c.ds, moved, (n) => n === 'c', true);
    return { ms: now() - t0, moved: moved.length };
  } finally {
    for (const n of nodes.reverse()) await n.stop();
  }
}

// ---- whereis

class Idle extends Actor {}

async function lookups(): Promise<{ ds: number; dreg: number }> {
  const net = new MemoryNetwork();
  const a = await Node.start({ name: 'a', transport: net.transport() });
  try {
    const ds = await DistributedSupervisor.start(a, { name: 'ds', syncIntervalMs: SYNC });
    await startAll(ds);
    const reg = await DistributedRegistry.start(a, { name: 'reg', keys: 'unique' });
    for (const id of ids) await reg.register(id, a.spawn(Idle, undefined) as Pid);
    const time = (f: (id: string) => Pid | undefined) => {
      let hits = 0;
      const t0 = now();
      for (let i = 0, k = 0; i < LOOKUPS; i++) {
        if (f(ids[k]!) !== undefined) hits++;
        if (++k === CHILDREN) k = 0;
      }
      const r = rate(LOOKUPS, now() - t0);
      if (hits !== LOOKUPS) throw new Error(`lookups missed: ${LOOKUPS - hits}`);
      return r;
    };
    // Interleaved, so both see the same machine.
    const d1 = time((id) => ds.whereis(id));
    const r1 = time((id) => reg.whereis(id));
    const d2 = time((id) => ds.whereis(id));
    const r2 = time((id) => reg.whereis(id));
    return { ds: Math.max(d1, d2), dreg: Math.max(r1, r2) };
  } finally {
    await a.stop();
  }
}

async function bench(): Promise<void> {
  const answered: number[] = [];
  const detected: number[] = [];
  const handoff: number[] = [];
  const crash: number[] = [];
  const dsRate: number[] = [];
  const dregRate: number[] = [];
  for (let i = 0; i < WARMUP; i++) {
    await inMemory('handoff');
    await lookups();
  }
  for (let i = 0; i < RUNS; i++) {
    const f = await failover();
    answered.push(Math.round(f.answeredMs));
    detected.push(Math.round(f.nodedownMs));
    const h = await inMemory('handoff');
    const c = await inMemory('crash');
    handoff.push(Math.round(h.ms));
    crash.push(Math.round(c.ms));
    const l = await lookups();
    dsRate.push(l.ds);
    dregRate.push(l.dreg);
    log(
      `[distributed-supervisor] run ${i + 1}: SIGKILL → ${f.moved} children answering ${f.answeredMs.toFixed(0)} ms (nodedown at ${f.nodedownMs.toFixed(0)} ms); ` +
        `handoff of ${h.moved} on join ${h.ms.toFixed(0)} ms, restart of ${c.moved} on crash ${c.ms.toFixed(0)} ms; ` +
        `whereis ${l.ds.toLocaleString('en-US')}/s (registry ${l.dreg.toLocaleString('en-US')}/s)`,
    );
  }
  emit({ workload: 'ds-failover', impl: 'foundation', unit: 'ms', median: median(answered), runs: answered });
  emit({ workload: 'ds-failover', impl: 'nodedown', unit: 'ms', median: median(detected), runs: detected });
  emit({
    workload: 'ds-failover',
    ratio: 'answering/nodedown',
    metric: 'median',
    value: Math.round((median(answered) / Math.max(1, median(detected))) * 100) / 100,
  });
  emit({ workload: 'ds-handoff', impl: 'foundation', unit: 'ms', median: median(handoff), runs: handoff });
  emit({ workload: 'ds-handoff', impl: 'crash-restart', unit: 'ms', median: median(crash), runs: crash });
  emit({
    workload: 'ds-handoff',
    ratio: 'handoff/crash-restart',
    metric: 'median',
    value: Math.round((median(handoff) / Math.max(1, median(crash))) * 100) / 100,
  });
  emit({ workload: 'ds-whereis', impl: 'foundation', unit: 'lookups/s', median: median(dsRate), runs: dsRate });
  emit({ workload: 'ds-whereis', impl: 'distributed-registry', unit: 'lookups/s', median: median(dregRate), runs: dregRate });
  emit({
    workload: 'ds-whereis',
    ratio: 'foundation/distributed-registry',
    metric: 'median',
    value: Math.round((median(dsRate) / median(dregRate)) * 100) / 100,
  });
}

const [role, name, seed] = process.argv.slice(2);
if (role === 'member') await member(name!, seed!);
else main(bench);
