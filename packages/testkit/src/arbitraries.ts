import fc from 'fast-check';
import { InvalidArgumentError, checkKnownOptions } from '@foundation/runtime';
import { FAULT_KINDS, type Fault, type FaultKind } from './faults.js';

/** Options of `faultSchedule`. */
export interface FaultScheduleOptions {
  /** The nodes faults may hit (at least two). */
  readonly nodes: readonly string[];
  /** Faults happen within this many ms of the schedule's start (default 1000). */
  readonly withinMs?: number;
  /** At most this many faults (default 8). */
  readonly maxFaults?: number;
  /** The kinds to draw from (default all of FAULT_KINDS). */
  readonly kinds?: readonly FaultKind[];
  /** Longest delay, skew and reconnect wait, in ms (default 200). */
  readonly maxMs?: number;
}

/**
 * A fast-check arbitrary of fault schedules for the nodes given: partitions, heals,
 * disconnects, delays, clock skews, slow nodes, crashes and restarts, in time order. fast-check shrinks a
 * failing schedule toward fewer, earlier, simpler faults, so the one a failure prints is small.
 */
export function faultSchedule(opts: FaultScheduleOptions): fc.Arbitrary<Fault[]> {
  checkKnownOptions('faultSchedule', opts, ['nodes', 'withinMs', 'maxFaults', 'kinds', 'maxMs']);
  const nodes = opts.nodes;
  if (!Array.isArray(nodes) || nodes.length < 2 || !nodes.every((n) => typeof n === 'string')) {
    throw new InvalidArgumentError('faultSchedule nodes', 'at least two node names', nodes);
  }
  const withinMs = positiveInt('withinMs', opts.withinMs ?? 1000);
  const maxFaults = positiveInt('maxFaults', opts.maxFaults ?? 8);
  const maxMs = positiveInt('maxMs', opts.maxMs ?? 200);
  const kinds: readonly FaultKind[] = opts.kinds ?? FAULT_KINDS;
  if (!Array.isArray(kinds) || kinds.length === 0 || !kinds.every((k: unknown) => FAULT_KINDS.includes(k as FaultKind))) {
    throw new InvalidArgumentError('faultSchedule kinds', `a non-empty list of ${FAULT_KINDS.join(', ')}`, kinds);
  }
  const at = fc.integer({ min: 0, max: withinMs });
  const node = fc.constantFrom(...nodes);
  const pair = fc.uniqueArray(node, { minLength: 2, maxLength: 2 }).map(([a, b]) => [a!, b!] as const);
  const ms = fc.integer({ min: 0, max: maxMs });
  const byKind: Record<FaultKind, fc.Arbitrary<Fault>> = {
    // A side of 1..n-1 nodes against the rest: every split the cluster can suffer.
    partition: fc
      .tuple(at, fc.shuffledSubarray([...nodes], { minLength: 1, maxLength: nodes.length - 1 }))
      .map(([at, side]) => ({ at, kind: 'partition', groups: [side.sort(), nodes.filter((n) => !side.includes(n))] })),
    heal: at.map((at) => ({ at, kind: 'heal' })),
    disconnect: fc.tuple(at, pair, ms).map(([at, [a, b], afterMs]) => ({ at, kind: 'disconnect', a, b, afterMs })),
    delay: fc.tuple(at, pair, ms).map(([at, [a, b], ms]) => ({ at, kind: 'delay', a, b, ms })),
    skew: fc.tuple(at, node, fc.integer({ min: -maxMs, max: maxMs })).map(([at, node, ms]) => ({ at, kind: 'skew', node, ms })),
    slow: fc.tuple(at, node, fc.integer({ min: 1, max: 8 })).map(([at, node, factor]) => ({ at, kind: 'slow', node, factor })),
    crash: fc.tuple(at, node).map(([at, node]) => ({ at, kind: 'crash', node })),
    restart: fc.tuple(at, node).map(([at, node]) => ({ at, kind: 'restart', node })),
  };
  return fc
    .array(fc.oneof(...kinds.map((k: FaultKind) => byKind[k])), { maxLength: maxFaults })
    .map((faults) => [...faults].sort((x, y) => x.at - y.at));
}

/**
 * Gives each operation drawn by `op` a time within `withinMs`, in time order: a sequence of
 * operations to run against the cluster while faults happen.
 */
export function timed<T>(
  op: fc.Arbitrary<T>,
  opts: { readonly withinMs?: number; readonly maxLength?: number } = {},
): fc.Arbitrary<{ at: number; op: T }[]> {
  checkKnownOptions('timed', opts, ['withinMs', 'maxLength']);
  const withinMs = positiveInt('withinMs', opts.withinMs ?? 1000);
  const maxLength = positiveInt('maxLength', opts.maxLength ?? 10);
  return fc
    .array(fc.record({ at: fc.integer({ min: 0, max: withinMs }), op }), { maxLength })
    .map((ops) => [...ops].sort((x, y) => x.at - y.at));
}

function positiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError(field, 'an integer ≥ 1', v);
  return v;
}
