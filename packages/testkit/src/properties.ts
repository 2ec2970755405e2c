import fc from 'fast-check';
import { InvalidArgumentError, checkDuration, checkKnownOptions } from '@foundation/runtime';
import type { Cluster } from './cluster.js';
import { SimulationPropertyError } from './errors.js';
import type { Fault } from './faults.js';
import { simulate, type SimulateOptions } from './simulate.js';

/**
 * Checks `invariant` after every step from now on: a safety property ("never two leaders").
 * When it returns false or throws, the run stops with an InvariantError naming it, the step
 * and the seed.
 */
export function checkAlways(cluster: Cluster, name: string, invariant: () => boolean | void): void {
  if (typeof invariant !== 'function') throw new InvalidArgumentError('checkAlways invariant', 'a function', invariant);
  cluster.$engine.addInvariant(name, invariant);
}

/**
 * Lets the cluster run until `condition` holds (checked after every step): a liveness property
 * ("eventually every node agrees"). Rejects with EventuallyError when it still does not hold
 * `withinMs` of simulated time from now (default 10,000).
 */
export function checkEventually(cluster: Cluster, name: string, condition: () => boolean, opts: { readonly withinMs?: number } = {}): Promise<void> {
  checkKnownOptions('checkEventually', opts, ['withinMs']);
  if (typeof condition !== 'function') throw new InvalidArgumentError('checkEventually condition', 'a function', condition);
  const withinMs = checkDuration('checkEventually withinMs', opts.withinMs ?? 10_000);
  return cluster.$engine.until(name, condition, withinMs);
}

/** Options of `assertSimulation`. */
export interface SimulationPropertyOptions extends Omit<SimulateOptions, 'seed'> {
  /** The fault schedules to draw (e.g. `faultSchedule({ nodes: ['a', 'b', 'c'] })`); none by default. */
  readonly faults?: fc.Arbitrary<readonly Fault[]>;
  /** The property: runs against the cluster (the faults are already injected); throws when it fails. */
  readonly property: (cluster: Cluster, faults: readonly Fault[]) => Promise<void>;
  /** Runs to try (default 100). */
  readonly numRuns?: number;
  /** Stop trying after this many ms of real time (a run in progress finishes; default none). */
  readonly timeLimitMs?: number;
  /** Run exactly this case once, as a failure printed it, instead of searching. */
  readonly replay?: { readonly seed: number; readonly faults?: readonly Fault[] };
  /** fast-check's own seed (default: random), for a reproducible search. */
  readonly searchSeed?: number;
}

const OPTION_KEYS = ['nodes', 'setup', 'workPerDrain', 'maxSteps', 'maxTimeMs', 'faults', 'property', 'numRuns', 'timeLimitMs', 'replay', 'searchSeed'];

/**
 * Searches for a seed and a fault schedule that make `property` fail: fast-check draws both,
 * runs the simulation, and on a failure shrinks the schedule to a small one. Throws a
 * SimulationPropertyError that prints the seed and the shrunk faults (with how to replay them);
 * resolves when every run passed.
 */
export async function assertSimulation(opts: SimulationPropertyOptions): Promise<void> {
  checkKnownOptions('assertSimulation', opts, OPTION_KEYS);
  if (typeof opts.property !== 'function') throw new InvalidArgumentError('assertSimulation property', 'an async function', opts.property);
  const { faults: _faults, property, numRuns, timeLimitMs, replay, searchSeed, ...simOpts } = opts;
  const once = async (seed: number, faults: readonly Fault[]) => {
    await simulate({ ...simOpts, seed }, async (cluster) => {
      cluster.inject(faults);
      await property(cluster, faults);
    });
  };
  if (replay !== undefined) {
    try {
      await once(replay.seed, replay.faults ?? []);
    } catch (e) {
      throw new SimulationPropertyError(replay.seed, replay.faults ?? [], 1, e);
    }
    return;
  }
  const details = await fc.check(
    fc.asyncProperty(fc.nat(), opts.faults ?? fc.constant([] as readonly Fault[]), async (seed, faults) => once(seed, faults)),
    {
      numRuns: numRuns ?? 100,
      ...(timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false }),
      ...(searchSeed === undefined ? {} : { seed: searchSeed }),
    },
  );
  if (details.failed && details.counterexample !== null) {
    const [seed, faults] = details.counterexample;
    throw new SimulationPropertyError(seed, faults, details.numRuns, details.errorInstance);
  }
}
