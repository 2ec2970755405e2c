/**
 * The performance targets `pnpm bench:check` holds the runtime to (issue #10), and the scripts
 * that produce their figures. Plain data: adjust it here, in one place.
 *
 * A target names a result line (workload + impl) and one of its numeric fields (metric); its
 * bound is absolute, or — with `peer` — a ratio figure / peer figure over the same workload and
 * metric, measured in the same script run. `atLeast` for higher-is-better (rates), `atMost` for
 * lower-is-better (latencies, bytes). The names are the contract each script emits.
 */
import type { Target } from './lib/check-table.js';

/** Scripts (`benchmarks/<name>.ts`) the check runs, in this order, to get every figure below. */
export const SUITE: readonly string[] = ['machine', 'pingpong', 'ring', 'fanout', 'spawn', 'calls', 'threads', 'mesh'];

const vsErlang = (workload: string): Target => ({ workload, impl: 'foundation', metric: 'median', peer: 'erlang', atLeast: 2 });

/** Every target, in the order the table shows them. */
export const TARGETS: readonly Target[] = [
  // Message passing and calls: at least twice Erlang's rate (`erl +S 1`), same run.
  vsErlang('pingpong'),
  vsErlang('ring'),
  vsErlang('fanout'),
  vsErlang('call-seq'),
  vsErlang('call-concurrent'),
  // Spawn: one class (spawn.ts `spawn`) and with 8+ classes in the process (`spawn-classes`).
  { workload: 'spawn', impl: 'foundation', metric: 'median', atLeast: 2_000_000 },
  { workload: 'spawn', impl: 'foundation', metric: 'bytesPerItem', atMost: 300 },
  { workload: 'spawn-classes', impl: 'foundation', metric: 'median', atLeast: 2_000_000 },
  { workload: 'spawn-classes', impl: 'foundation', metric: 'bytesPerItem', atMost: 300 },
  // Round trips, p50, idle and with the cores busy: within 1.5× the raw transport, same run.
  { workload: 'thread-rtt', impl: 'foundation-2sched', metric: 'p50', peer: 'raw-postmessage', atMost: 1.5 },
  { workload: 'thread-rtt-busy', impl: 'foundation-2sched', metric: 'p50', peer: 'raw-postmessage', atMost: 1.5 },
  { workload: 'mesh-call-rtt', impl: 'foundation-mesh', metric: 'p50', peer: 'raw-ws', atMost: 1.5 },
  { workload: 'mesh-call-rtt-busy', impl: 'foundation-mesh', metric: 'p50', peer: 'raw-ws', atMost: 1.5 },
  // A frame to another scheduler waits at most 1 ms beyond its own handler (unit: ms).
  // (Issued from plain code, and sent by a handler whose turn is followed by a long one.)
  { workload: 'frame-wait', impl: 'foundation', metric: 'median', atMost: 1 },
  { workload: 'frame-wait', impl: 'foundation-from-handler', metric: 'median', atMost: 1 },
  // One-way messages across threads keep their batching throughput.
  { workload: 'threads-oneway', impl: 'foundation-2sched', metric: 'median', atLeast: 2_000_000 },
];
