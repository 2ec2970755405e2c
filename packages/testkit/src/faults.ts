import { InvalidArgumentError, checkDuration } from '@foundation/runtime';

/**
 * One fault of a schedule, at `at` ms after the schedule is injected (`cluster.inject`). Plain
 * data, so that a failing schedule prints, shrinks and replays as it is.
 */
export type Fault =
  /** Cuts every link between nodes of different groups. */
  | { readonly at: number; readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] }
  /** Heals every cut. */
  | { readonly at: number; readonly kind: 'heal' }
  /** Drops the connection between `a` and `b`; they reconnect `afterMs` later. */
  | { readonly at: number; readonly kind: 'disconnect'; readonly a: string; readonly b: string; readonly afterMs: number }
  /** Frames between `a` and `b` take `ms` longer from then on (0 ends it). */
  | { readonly at: number; readonly kind: 'delay'; readonly a: string; readonly b: string; readonly ms: number }
  /** The node's clock runs `ms` ahead (negative: behind). */
  | { readonly at: number; readonly kind: 'skew'; readonly node: string; readonly ms: number }
  /** The node runs `factor` times slower than the others (1: normal again). */
  | { readonly at: number; readonly kind: 'slow'; readonly node: string; readonly factor: number }
  /** The node's machine dies (skipped if it is down). */
  | { readonly at: number; readonly kind: 'crash'; readonly node: string }
  /** A new incarnation of a crashed node starts (skipped if it is up). */
  | { readonly at: number; readonly kind: 'restart'; readonly node: string };

/** The kinds of fault. */
export type FaultKind = Fault['kind'];

/** Every kind of fault. */
export const FAULT_KINDS: readonly FaultKind[] = Object.freeze([
  'partition',
  'heal',
  'disconnect',
  'delay',
  'skew',
  'slow',
  'crash',
  'restart',
]);

/**
 * Checks a schedule given to `cluster.inject` (plain data, perhaps written by hand or pasted from
 * a failure): every fault of a known kind, at a time ≥ 0, naming nodes of the cluster, with
 * numbers in range. The first wrong field throws InvalidArgumentError naming it.
 */
export function checkFaults(faults: unknown, names: readonly string[]): readonly Fault[] {
  if (!Array.isArray(faults)) throw new InvalidArgumentError('faults', 'an array of faults', faults);
  faults.forEach((f: unknown, i) => {
    const where = `faults[${i}]`;
    if (typeof f !== 'object' || f === null) throw new InvalidArgumentError(where, 'a fault object', f);
    const r = f as Record<string, unknown>;
    if (!FAULT_KINDS.includes(r.kind as FaultKind))
      throw new InvalidArgumentError(`${where}.kind`, `one of ${FAULT_KINDS.join(', ')}`, r.kind);
    checkDuration(`${where}.at`, r.at);
    const node = (field: string) => {
      if (!names.includes(r[field] as string))
        throw new InvalidArgumentError(`${where}.${field}`, `one of the nodes ${names.join(', ')}`, r[field]);
    };
    switch (r.kind as FaultKind) {
      case 'partition':
        if (!Array.isArray(r.groups) || !r.groups.every((g) => Array.isArray(g) && g.every((n) => names.includes(n as string)))) {
          throw new InvalidArgumentError(`${where}.groups`, 'arrays of node names of the cluster', r.groups);
        }
        break;
      case 'disconnect':
      case 'delay':
        node('a');
        node('b');
        checkDuration(`${where}.${r.kind === 'delay' ? 'ms' : 'afterMs'}`, r.kind === 'delay' ? r.ms : r.afterMs);
        break;
      case 'skew':
        node('node');
        if (typeof r.ms !== 'number' || !Number.isFinite(r.ms)) throw new InvalidArgumentError(`${where}.ms`, 'a finite number', r.ms);
        break;
      case 'slow':
        node('node');
        if (typeof r.factor !== 'number' || !Number.isSafeInteger(r.factor) || r.factor < 1) {
          throw new InvalidArgumentError(`${where}.factor`, 'an integer ≥ 1', r.factor);
        }
        break;
      case 'crash':
      case 'restart':
        node('node');
        break;
      case 'heal':
        break;
    }
  });
  return faults as readonly Fault[];
}
