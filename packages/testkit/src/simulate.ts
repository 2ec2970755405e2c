import { InvalidArgumentError, checkKnownOptions, type Node } from '@foundation/runtime';
import { Cluster } from './cluster.js';
import { Engine, type SimNode } from './internal/engine.js';
import { SimulatedNodeError } from './errors.js';

/** Options of `simulate`. */
export interface SimulateOptions {
  /** How many nodes (named a, b, c, …) or their names. */
  readonly nodes: number | readonly string[];
  /** The seed every choice of the run comes from: the same seed, the same run. */
  readonly seed: number;
  /** Runs on every node when it starts, and again on each restart (spawn its actors here). */
  readonly setup?: (node: Node, cluster: Cluster) => void | Promise<void>;
  /** Work (about one per message) a node's drain may do in one step (default 1: one process turn). */
  readonly workPerDrain?: number;
  /** A run stops with SimulationStalledError after this many steps (default 1,000,000). */
  readonly maxSteps?: number;
  /** … or when simulated time would pass this many ms (default 3,600,000: an hour). */
  readonly maxTimeMs?: number;
}

const OPTION_KEYS = ['nodes', 'seed', 'setup', 'workPerDrain', 'maxSteps', 'maxTimeMs'];
const NAME_RE = /^[A-Za-z0-9_@-]+$/;

/** True while a simulation runs in this process: `Date.now()` is its, so one at a time. */
let running = false;

/**
 * Runs `body` against a simulated cluster of `nodes` nodes, every source of nondeterminism —
 * which node runs, which frame arrives, which timer fires, clocks, incarnations, `Date.now()` —
 * driven by `seed`, so that a failure replays exactly. The body must await only the cluster
 * (its nodes, `runUntilQuiet`, `advance`, …), not real timers or I/O. Resolves with what the
 * body returns; a body that throws rejects with its error, the seed and the last steps added.
 *
 * ```ts
 * await simulate({ nodes: 3, seed: 42 }, async (cluster) => {
 *   cluster.partition(['a', 'b'], ['c']);
 *   await cluster.runUntilQuiet();
 * });
 * ```
 */
export async function simulate<T>(opts: SimulateOptions, body: (cluster: Cluster) => Promise<T>): Promise<T> {
  checkKnownOptions('simulate', opts, OPTION_KEYS);
  if (opts === undefined) throw new InvalidArgumentError('simulate options', '{ nodes, seed }', opts);
  if (typeof body !== 'function') throw new InvalidArgumentError('simulate body', 'an async function of the cluster', body);
  const names = nodeNames(opts.nodes);
  const engine = new Engine(opts.seed, {
    workPerDrain: count('workPerDrain', opts.workPerDrain, 1),
    maxSteps: count('maxSteps', opts.maxSteps, 1_000_000),
    maxTimeMs: count('maxTimeMs', opts.maxTimeMs, 3_600_000),
  });
  if (opts.setup !== undefined && typeof opts.setup !== 'function') {
    throw new InvalidArgumentError('simulate option setup', 'a function of (node, cluster)', opts.setup);
  }
  if (running)
    throw new SimulatedNodeError('simulate', 'a second simulation', 'one simulation at a time in a process (Date.now is simulated)');
  running = true;
  const realNow = Date.now;
  Date.now = () => engine.dateNow();
  try {
    const cluster = new Cluster(engine, opts.setup);
    let done = false;
    let failed = false;
    let result: T | undefined;
    let error: unknown;
    const run = async () => {
      for (const name of names) {
        const n: SimNode = { name, node: null, up: false, drain: null, skew: 0, slowness: 1, epoch: 0 };
        engine.nodes.set(name, n);
      }
      engine.log(`start ${names.join(',')} seed=${opts.seed}`);
      for (const n of engine.nodes.values()) await cluster.start(n);
      return body(cluster);
    };
    run().then(
      (r) => ((done = true), (result = r)),
      (e: unknown) => ((done = failed = true), (error = e)),
    );
    await engine.drive(() => done);
    if (failed) throw withSeed(error, engine.seed, engine.tail());
    return result as T;
  } finally {
    Date.now = realNow;
    running = false;
  }
}

/** Adds the seed and the last steps to what the body threw (kept as the same error, for its type). */
function withSeed(e: unknown, seed: number, tail: readonly string[]): unknown {
  if (e instanceof Error && !e.message.includes('(seed ')) {
    e.message += `\n(simulation seed ${seed}; last steps:\n${tail.join('\n')})`;
  }
  return e;
}

function nodeNames(nodes: unknown): string[] {
  if (typeof nodes === 'number') {
    if (!Number.isSafeInteger(nodes) || nodes < 1 || nodes > 64)
      throw new InvalidArgumentError('simulate option nodes', 'an integer in [1, 64]', nodes);
    return Array.from({ length: nodes }, (_, i) => (nodes <= 26 ? String.fromCharCode(97 + i) : `n${i + 1}`));
  }
  if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every((n) => typeof n === 'string' && NAME_RE.test(n))) {
    throw new InvalidArgumentError('simulate option nodes', 'a count or a list of node names', nodes);
  }
  if (new Set(nodes).size !== nodes.length) throw new InvalidArgumentError('simulate option nodes', 'distinct names', nodes);
  return [...(nodes as string[])];
}

function count(field: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new InvalidArgumentError(`simulate option ${field}`, 'an integer ≥ 1', v);
  return v;
}
