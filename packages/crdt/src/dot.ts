/**
 * A dot: one event of one replica, `[replica, counter]`, counters starting at 1. Every write
 * of a causal CRDT is tagged with a fresh dot; a causal context records the dots seen.
 */
export type Dot = readonly [replica: string, counter: number];

/** Orders dots by replica id, then counter: for canonical (sorted) wire forms. */
export function compareDots(a: Dot, b: Dot): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] - b[1];
}

/** Prints a dot as `replica:counter`. */
export const showDot = (d: Dot): string => `${d[0]}:${d[1]}`;
