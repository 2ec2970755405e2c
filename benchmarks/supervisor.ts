/**
 * supervisor: restart latency (a child crashes → its replacement answers a call; median of
 * many), a one_for_all restart of 1,000 children (crash → all 1,000 replaced), and a mass exit
 * of 100,000 temporary children of a DynamicSupervisor (each EXIT must find its child in O(1):
 * a scan per EXIT made this O(n²)).
 *
 *   pnpm tsx benchmarks/supervisor.ts
 */
import { Actor, Node, type Pid } from '@foundation/runtime';
import { DynamicSupervisor, Supervisor, type SupervisorHandle } from '@foundation/supervisor';

class Echo extends Actor<'ping' | 'crash', string, void> {
  override handleCall() {
    return 'pong';
  }
  override handleCast() {
    throw new Error('crash');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function childPid(sup: SupervisorHandle, old: Pid | null, index = 0): Promise<Pid> {
  for (;;) {
    const c = (await sup.whichChildren())[index]!;
    if (c.pid !== null && (old === null || !c.pid.equals(old))) return c.pid;
  }
}

async function restartLatency(rounds: number): Promise<void> {
  const node = await Node.start({ name: 'bench' });
  const sup = await Supervisor.start(node, {
    maxRestarts: rounds + 1,
    maxSeconds: 3600,
    children: [{ id: 'echo', start: [Echo, undefined] }],
  });
  const samples: number[] = [];
  let pid = await childPid(sup, null);
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    node.cast(pid, 'crash');
    pid = await childPid(sup, pid);
    await node.call(pid, 'ping');
    samples.push((performance.now() - t0) * 1000);
  }
  console.log(JSON.stringify({ workload: 'restart-latency', impl: 'foundation', unit: 'µs', median: Math.round(median(samples)), rounds }));
  await node.stop();
}

async function oneForAll(children: number, rounds: number): Promise<void> {
  const node = await Node.start({ name: 'bench' });
  const specs = Array.from({ length: children }, (_, i) => ({ id: `c${i}`, start: [Echo, undefined] as const }));
  const sup = await Supervisor.start(node, { strategy: 'one_for_all', maxRestarts: rounds + 1, maxSeconds: 3600, children: specs });
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const before = await sup.whichChildren();
    const last = before[children - 1]!.pid!;
    const t0 = performance.now();
    node.cast(before[0]!.pid!, 'crash');
    await childPid(sup, last, children - 1);
    samples.push(performance.now() - t0);
  }
  console.log(
    JSON.stringify({
      workload: 'one-for-all-restart',
      impl: 'foundation',
      unit: 'ms',
      children,
      median: Number(median(samples).toFixed(2)),
      rounds,
    }),
  );
  await node.stop();
}

/** Every child of a DynamicSupervisor exits at once; the time until the supervisor has handled every EXIT. */
async function massExit(children: number): Promise<void> {
  const node = await Node.start({ name: 'bench' });
  const sup = await DynamicSupervisor.start(node, {});
  const pids: Pid[] = [];
  for (let i = 0; i < children; i++) pids.push(await sup.startChild({ start: [Echo, undefined], restart: 'temporary' }));
  const t0 = performance.now();
  // Newest first: a linear scan for the exited child would walk the whole table each time.
  for (const pid of pids.reverse()) node.cast(pid, 'crash');
  while ((await sup.countChildren()).active > 0) await new Promise((r) => setImmediate(r));
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({ workload: 'mass-exit', impl: 'foundation', unit: 'ms', children, median: Number(ms.toFixed(1)), rounds: 1 }),
  );
  await node.stop();
}

await restartLatency(1000);
await oneForAll(1000, 5);
await massExit(Number(process.env.MASS_EXIT_CHILDREN ?? 100_000));
