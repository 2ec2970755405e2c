/**
 * distributed-registry: the cluster-wide DistributedRegistry on 5 nodes of a MemoryNetwork.
 *
 * - `dreg-convergence`: 10,000 registrations (2,000 on each node, 256 calls in flight per
 *   node, unique keys), then the time from the last write's reply until every node's view holds
 *   all 10,000. Reported in ms and in sync intervals (syncIntervalMs 100 ms). Target: ≤ 3 intervals.
 * - `dreg-bytes-per-registration`: the wire bytes of every frame the five nodes send (the codec's
 *   `encode` size of each frame, counted in a transport wrapper; acks and digests included)
 *   from the first registration until convergence, divided by 10,000. Also per registration and
 *   receiving node (each registration reaches 4 peers), and frames (`MemoryNetwork.framesCarried`).
 * - `dreg-lookup`: `reg.lookup(key)` on one node over the 10,000 replicated keys (every lookup a
 *   hit, round-robin), 10,000,000 a run. Target: ≥ 5M lookups/s.
 *
 *   pnpm tsx benchmarks/distributed-registry.ts        (BENCH_RUNS=5 for more timed runs)
 *
 * stdout: one JSON line per measurement, `{ workload, impl, unit, median, runs }`.
 */
import { Actor, MemoryNetwork, Node, encode, type Pid, type Transport } from '@foundation/runtime';
import { DistributedRegistry } from '@foundation/registry';
import { RUNS, WARMUP, emit, log, main, median, nextImmediate, now, rate } from './lib/harness.js';

const NODES = 5;
const WRITES = 10_000;
const LOOKUPS = 10_000_000;
const SYNC = 100;
const IN_FLIGHT = 256;

class Idle extends Actor {}

/** Counts the encoded size of every frame a node sends. */
function counting(t: Transport, c: { bytes: number }): Transport {
  return {
    start: (h) => t.start(h),
    send(node, frame) {
      const ok = t.send(node, frame);
      if (ok) c.bytes += encode(frame).byteLength;
      return ok;
    },
    connect: (u) => t.connect(u),
    disconnect: (n) => t.disconnect(n),
    nodes: () => t.nodes(),
    stop: () => t.stop(),
  };
}

interface Outcome {
  convergenceMs: number;
  bytes: number;
  frames: number;
  lookupRate: number;
}

async function once(countBytes: boolean, lookups: boolean): Promise<Outcome> {
  const net = new MemoryNetwork();
  const wire = { bytes: 0 };
  const nodes: Node[] = [];
  try {
    for (let i = 0; i < NODES; i++) {
      const t = net.transport();
      nodes.push(await Node.start({ name: `n${i}`, transport: countBytes ? counting(t, wire) : t }));
    }
    const regs = await Promise.all(
      nodes.map((n) => DistributedRegistry.start<string, number>(n, { name: 'bench', keys: 'unique', syncIntervalMs: SYNC })),
    );
    const pids = nodes.map((n) => Array.from({ length: 500 }, () => n.spawn(Idle, undefined) as Pid));
    // Let the start-up exchange (hello digests, empty states) settle before counting.
    for (let i = 0; i < 10; i++) await nextImmediate();
    wire.bytes = 0;
    const frames0 = net.framesCarried;

    const perNode = WRITES / NODES;
    await Promise.all(
      regs.map(async (reg, ni) => {
        for (let base = 0; base < perNode; base += IN_FLIGHT) {
          const batch: Promise<void>[] = [];
          for (let i = base; i < Math.min(base + IN_FLIGHT, perNode); i++) {
            const k = ni * perNode + i;
            batch.push(reg.register(`key-${k}`, pids[ni]![i % pids[ni]!.length]!, k));
          }
          await Promise.all(batch);
        }
      }),
    );
    const lastWrite = now();
    while (!regs.every((r) => r.count() === WRITES)) {
      await nextImmediate();
      if (now() - lastWrite > 60_000) throw new Error(`no convergence: ${regs.map((r) => r.count()).join(', ')}`);
    }
    const convergenceMs = now() - lastWrite;
    // Let the acks of the last shipments arrive, so that they are in the byte count.
    const settle = now();
    while (now() - settle < SYNC) await nextImmediate();

    let lookupRate = 0;
    if (lookups) {
      const reg = regs[NODES - 1]!;
      const keys = Array.from({ length: WRITES }, (_, k) => `key-${k}`);
      let sink = 0;
      const t0 = now();
      for (let i = 0, k = 0; i < LOOKUPS; i++) {
        sink += reg.lookup(keys[k]!).length;
        if (++k === WRITES) k = 0;
      }
      lookupRate = rate(LOOKUPS, now() - t0);
      if (sink !== LOOKUPS) throw new Error(`lookups missed: ${sink}`);
    }
    return { convergenceMs, bytes: wire.bytes, frames: net.framesCarried - frames0, lookupRate };
  } finally {
    for (const n of nodes.reverse()) await n.stop();
  }
}

main(async () => {
  for (let i = 0; i < WARMUP; i++) await once(false, true);
  const conv: number[] = [];
  const lookup: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const o = await once(false, true);
    conv.push(Math.round(o.convergenceMs));
    lookup.push(o.lookupRate);
    log(
      `[distributed-registry] run ${i + 1}: converged ${o.convergenceMs.toFixed(1)} ms after the last write; ${o.lookupRate.toLocaleString('en-US')} lookups/s`,
    );
  }
  const bytes: number[] = [];
  const perPeer: number[] = [];
  const frames: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const o = await once(true, false);
    bytes.push(Math.round(o.bytes / WRITES));
    perPeer.push(Math.round(o.bytes / WRITES / (NODES - 1)));
    frames.push(o.frames);
  }
  emit({ workload: 'dreg-convergence', impl: 'foundation', unit: 'ms', median: median(conv), runs: conv });
  const intervals = conv.map((ms) => Math.round((ms / SYNC) * 100) / 100);
  emit({
    workload: 'dreg-convergence',
    impl: 'foundation',
    unit: 'sync-intervals',
    median: median(intervals.map((x) => x * 100)) / 100,
    runs: intervals,
  });
  emit({ workload: 'dreg-bytes-per-registration', impl: 'foundation', unit: 'bytes', median: median(bytes), runs: bytes });
  emit({ workload: 'dreg-bytes-per-registration-per-peer', impl: 'foundation', unit: 'bytes', median: median(perPeer), runs: perPeer });
  emit({ workload: 'dreg-frames', impl: 'foundation', unit: 'frames', median: median(frames), runs: frames });
  emit({ workload: 'dreg-lookup', impl: 'foundation', unit: 'lookups/s', median: median(lookup), runs: lookup });
  log(
    `[distributed-registry] convergence ${median(conv)} ms (${(median(conv) / SYNC).toFixed(2)} sync intervals, target ≤ 3); ` +
      `${median(bytes)} B/registration (${median(perPeer)} B per peer); lookup ${median(lookup).toLocaleString('en-US')}/s (target ≥ 5M)`,
  );
});
