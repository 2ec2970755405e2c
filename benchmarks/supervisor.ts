/**
 * supervisor: restart latency (a child crashes → its replacement answers a call; median of
 * many) and a one_for_all restart of 1,000 children (crash → all 1,000 replaced).
 *
 *   pnpm tsx benchmarks/supervisor.ts
 */
import { Actor, Node, type Pid } from '@foundation/runtime';
import { Supervisor, type SupervisorHandle } from '@foundation/supervisor';

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

await restartLatency(1000);
await oneForAll(1000, 5);
