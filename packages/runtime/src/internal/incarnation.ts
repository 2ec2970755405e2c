/** Seconds since 2025-01-01: small enough to print, different for each restart of a node. */
const EPOCH_MS = Date.UTC(2025, 0, 1);
const last = new Map<string, number>();

/**
 * The incarnation for a node named `name` starting now: a clock reading in seconds, bumped past
 * the previous one given in this OS process, so two starts never share one.
 */
export function nextIncarnation(name: string, nowMs = Date.now()): number {
  const prev = last.get(name) ?? 0;
  const inc = Math.max(prev + 1, Math.floor((nowMs - EPOCH_MS) / 1000));
  last.set(name, inc);
  return inc;
}
