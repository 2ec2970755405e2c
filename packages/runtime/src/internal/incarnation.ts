import { randomInt } from 'node:crypto';

/** Incarnations are drawn from [1, 2^48): a safe integer, and wide enough never to repeat in practice. */
export const INCARNATION_LIMIT = 2 ** 48;

/**
 * The incarnation (OTP's "creation") for a node starting now: a random number drawn for every
 * start, never derived from the clock, so two starts of one node name — in one OS process or in
 * two, in the same millisecond — never share pids, refs or CRDT replica ids. Drawn again in the
 * (vanishingly unlikely) case it equals the previous one given in this process for this name.
 */
export function nextIncarnation(name: string): number {
  let inc = randomInt(1, INCARNATION_LIMIT);
  while (inc === last.get(name)) inc = randomInt(1, INCARNATION_LIMIT);
  last.set(name, inc);
  return inc;
}

// Kept per name only to rule out an immediate repeat; bounded by the node names started here.
const last = new Map<string, number>();
