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
export function checkEventually(
  cluster: Cluster,
  name: string,
  condition: () => boolean,
  opts: { readonly withinMs?: number } = {},
): Promise<void> {
  checkKnownOptions('checkEventually', opts, ['withinMs']);
  if (typeof condition !== 'function') throw new InvalidArgumentError('checkEventually condition', 'a function', condition);
  const withinMs = checkDuration('checkEventually withinMs', opts.withinMs ?? 10_000);
  return cluster.$engine.until(name, condition, withinMs);
}

/** One case of a simulation property: the schedule of faults and the operations drawn. */
export interface SimulationCase<O> {
  readonly faults: readonly Fault[];
  readonly ops: O;
}

/** Options of `assertSimulation`. */
export interface SimulationPropertyOptions<O = undefined> extends Omit<SimulateOptions, 'seed'> {
  /** The fault schedules to draw (e.g. `faultSchedule({ nodes: ['a', 'b', 'c'] })`); none by default. */
  readonly faults?: fc.Arbitrary<readonly Fault[]>;
  /** The operations to draw for the body (e.g. `timed(...)`); undefined by default. */
  readonly ops?: fc.Arbitrary<O>;
  /** The property: runs against the cluster (the faults are already injected); throws when it fails. */
  readonly property: (cluster: Cluster, drawn: SimulationCase<O>) => Promise<void>;
  /** Runs to try (default 100). */
  readonly numRuns?: number;
  /** Stop searching after this many ms of real time (the run in progress finishes; default none). */
  readonly timeLimitMs?: number;
  /** Run exactly this case once, as a failure printed it, instead of searching. */
  readonly replay?: { readonly seed: number; readonly faults?: readonly Fault[]; readonly ops?: O };
  /** fast-check's own seed (default: random), for a reproducible search. */
  readonly searchSeed?: number;
}

const OPTION_KEYS = [
  'nodes',
  'setup',
  'workPerDrain',
  'maxSteps',
  'maxTimeMs',
  'faults',
  'ops',
  'property',
  'numRuns',
  'timeLimitMs',
  'replay',
  'searchSeed',
];

/**
 * Searches for a seed, a fault schedule and operations that make `property` fail: fast-check
 * draws them, runs the simulation, and on a failure shrinks the case to a small one. Throws a
 * SimulationPropertyError that prints the seed, the shrunk faults and operations, and how to
 * replay them; resolves when every run passed.
 */
export async function assertSimulation<O = undefined>(opts: SimulationPropertyOptions<O>): Promise<void> {
  checkKnownOptions('assertSimulation', opts, OPTION_KEYS);
  if (typeof opts.property !== 'function') throw new InvalidArgumentError('assertSimulation property', 'an async function', opts.property);
  const { faults: faultsArb, ops: opsArb, property, numRuns, timeLimitMs, replay, searchSeed, ...simOpts } = opts;
  const once = (seed: number, faults: readonly Fault[], ops: O) =>
    simulate({ ...simOpts, seed }, async (cluster) => {
      cluster.inject(faults);
      await property(cluster, { faults, ops });
    });
  if (replay !== undefined) {
    try {
      await once(replay.seed, replay.faults ?? [], replay.ops as O);
    } catch (e) {
      throw new SimulationPropertyError(replay.seed, replay.faults ?? [], replay.ops, 1, e);
    }
    return;
  }
  const details = await fc.check(
    fc.asyncProperty(
      fc.nat(),
      faultsArb ?? fc.constant([] as readonly Fault[]),
      opsArb ?? (fc.constant(undefined) as fc.Arbitrary<O>),
      (seed, faults, ops) => once(seed, faults, ops),
    ),
    {
      numRuns: numRuns ?? 100,
      ...(timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false }),
      ...(searchSeed === undefined ? {} : { seed: searchSeed }),
    },
  );
  if (details.failed && details.counterexample !== null) {
    const [seed, faults, ops] = details.counterexample;
    throw new SimulationPropertyError(seed, faults, ops, details.numRuns, details.errorInstance);
  }
}
