import { describeValue, taggedError } from '@foundation/runtime';

/**
 * The simulation cannot go on: the test waits for something, but nothing in the cluster can
 * happen any more (no process to run, no frame in flight, no timer), or it ran past its limit
 * of simulated time or steps. `trace` holds the last steps.
 */
export class SimulationStalledError extends taggedError('SimulationStalledError') {
  constructor(
    readonly seed: number,
    readonly why: string,
    readonly trace: readonly string[],
  ) {
    super(`simulation (seed ${seed}) stalled: ${why}\nlast steps:\n${trace.join('\n')}`);
  }
}

/** A `checkAlways` invariant failed (returned false or threw) after a step of the simulation. */
export class InvariantError extends taggedError('InvariantError') {
  constructor(
    readonly seed: number,
    readonly invariant: string,
    readonly step: number,
    readonly trace: readonly string[],
    override readonly cause?: unknown,
  ) {
    super(
      `invariant '${invariant}' failed after step ${step} (seed ${seed})` +
        (cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : describeValue(cause)}`) +
        `\nlast steps:\n${trace.join('\n')}`,
    );
  }
}

/** A `checkEventually` condition did not hold within its time limit. */
export class EventuallyError extends taggedError('EventuallyError') {
  constructor(
    readonly seed: number,
    readonly condition: string,
    readonly withinMs: number,
    readonly trace: readonly string[],
  ) {
    super(`'${condition}' did not hold within ${withinMs} ms of simulated time (seed ${seed})\nlast steps:\n${trace.join('\n')}`);
  }
}

/** A cluster operation named a node the simulation does not have, or one in the wrong state. */
export class SimulatedNodeError extends taggedError('SimulatedNodeError') {
  constructor(
    readonly operation: string,
    readonly given: unknown,
    readonly expected: string,
  ) {
    super(`${operation}: expected ${expected}, got ${describeValue(given)}`);
  }
}

/**
 * A property over simulations failed: `seed`, `faults` and `ops` (shrunk by fast-check) replay
 * it with `assertSimulation({ ...sameOptions, replay: { seed, faults, ops } })`. `cause` is
 * what the failing run threw.
 */
export class SimulationPropertyError extends taggedError('SimulationPropertyError') {
  constructor(
    readonly seed: number,
    readonly faults: unknown,
    readonly ops: unknown,
    readonly runs: number,
    override readonly cause: unknown,
  ) {
    super(
      `simulation property failed after ${runs} run(s)\n` +
        `  seed:   ${seed}\n` +
        `  faults: ${JSON.stringify(faults)}\n` +
        (ops === undefined ? '' : `  ops:    ${JSON.stringify(ops)}\n`) +
        `  replay: assertSimulation({ ...sameOptions, replay: { seed: ${seed}, faults, ops } }) with the values above\n` +
        `cause: ${cause instanceof Error ? cause.message : describeValue(cause)}`,
    );
  }
}
