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
