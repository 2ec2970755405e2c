import { InvalidArgumentError } from './errors.js';
import { checkKnownOptions } from './known-options.js';

/**
 * Hands a node's scheduling to a deterministic simulator (`@foundation/testkit`): the node
 * never picks when its actors run, nor draws its incarnation, so that a whole cluster in one
 * process replays exactly from one seed. Without it (the default) the dispatcher drains from
 * microtasks and `setImmediate`, bounded by wall time, and the incarnation is random.
 */
export interface Scheduling {
  /**
   * Called, instead of `queueMicrotask` / `setImmediate`, when the node has processes to run
   * and no drain is pending; the simulator calls `drain` when it chooses (once per request).
   */
  schedule(drain: () => void): void;
  /**
   * How much one drain may do, counted in work (a process turn is 1 plus the messages it
   * handled), instead of a wall-time slice: wall time would make interleavings differ run to
   * run. 1 runs exactly one process turn per drain.
   */
  workPerDrain: number;
  /** This start's incarnation (an integer in [1, 2^48)), given so that pids replay too. */
  incarnation?: number;
}

/** Checks a `scheduling` option of `Node.start`: a named error for what is wrong. */
export function checkScheduling(s: unknown): Scheduling {
  checkKnownOptions('Node.start option scheduling', s, ['schedule', 'workPerDrain', 'incarnation']);
  if (s === undefined) throw new InvalidArgumentError('scheduling', '{ schedule, workPerDrain }', s);
  if (typeof s.schedule !== 'function') throw new InvalidArgumentError('scheduling.schedule', 'a function', s.schedule);
  const w = s.workPerDrain;
  if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 1) {
    throw new InvalidArgumentError('scheduling.workPerDrain', 'an integer ≥ 1', w);
  }
  const inc = s.incarnation;
  if (inc !== undefined && (typeof inc !== 'number' || !Number.isSafeInteger(inc) || inc < 1 || inc >= 2 ** 48)) {
    throw new InvalidArgumentError('scheduling.incarnation', 'an integer in [1, 2^48)', inc);
  }
  return s as unknown as Scheduling;
}
