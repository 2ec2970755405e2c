import type { Pid } from '@foundation/runtime';

/**
 * The exit reason a DistributedSupervisor sends a child that turned out to run twice (both
 * sides of a healed partition started it): `{ duplicateChild: { supervisor, id, winner } }`.
 * The instance started last wins, the same one on every node. The signal comes from the child's
 * parent (its member's owner), so a child that traps exits runs `terminate(reason)` with it and
 * may pass its state to `winner` there.
 */
export interface DuplicateChild {
  readonly duplicateChild: {
    /** The distributed supervisor's name. */
    readonly supervisor: string;
    /** The child id both instances ran under. */
    readonly id: string;
    /** The instance that keeps running. */
    readonly winner: Pid;
  };
}

/** True for a `{ duplicateChild: { supervisor, id, winner } }` exit reason. */
export function isDuplicateChild(reason: unknown): reason is DuplicateChild {
  if (typeof reason !== 'object' || reason === null || !('duplicateChild' in reason)) return false;
  const c = (reason as DuplicateChild).duplicateChild;
  return typeof c === 'object' && c !== null && typeof c.id === 'string' && 'winner' in c;
}

/** The exit reason of children stopped because their side of the cluster lost its quorum (`distribution: 'quorum'`). */
export const NO_QUORUM = Object.freeze({ shutdown: 'noQuorum' as const });

/** True for the `{ shutdown: 'noQuorum' }` exit reason. */
export function isNoQuorum(reason: unknown): reason is typeof NO_QUORUM {
  return typeof reason === 'object' && reason !== null && (reason as { shutdown?: unknown }).shutdown === 'noQuorum';
}
