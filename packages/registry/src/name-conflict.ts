import type { Pid } from '@foundation/runtime';

/**
 * The exit reason a DistributedRegistry sends a process that lost a unique name after a
 * partition healed: `{ nameConflict: { name, winner } }`. A process that traps exits gets it as
 * `{ from: registryOwner, reason }` and may hand its state over to `winner` before stopping; it
 * no longer holds the name either way.
 */
export interface NameConflict<K = unknown> {
  readonly nameConflict: {
    /** The name both processes held. */
    readonly name: K;
    /** The process that keeps it (the same on every node). */
    readonly winner: Pid;
  };
}

/** True for a `{ nameConflict: { name, winner } }` exit reason. */
export function isNameConflict(reason: unknown): reason is NameConflict {
  if (typeof reason !== 'object' || reason === null || !('nameConflict' in reason)) return false;
  const c = (reason as NameConflict).nameConflict;
  return typeof c === 'object' && c !== null && 'name' in c && 'winner' in c;
}
