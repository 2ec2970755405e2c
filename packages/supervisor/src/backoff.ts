/**
 * Restart with backoff, beyond OTP: a child that keeps failing is restarted after a delay
 * that doubles from `minMs` up to `maxMs`, and falls back to `minMs` once the child has gone
 * `resetMs` without a restart. While it waits, the child shows pid null.
 */
export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  /** Quiet time after which the delay starts again from `minMs` (default: the intensity window). */
  readonly resetMs?: number;
}

/** One child's place on its backoff curve. */
export interface BackoffState {
  /** Restarts scheduled since the last reset. */
  readonly attempt: number;
  /** When the last restart was scheduled (ms), or null before the first. */
  readonly lastAt: number | null;
}

/** The state of a child that never failed. */
export const initialBackoff: BackoffState = { attempt: 0, lastAt: null };

/** The delay before the next restart of a child failing at `now`, and its next backoff state. */
export function nextDelay(
  opts: BackoffOptions,
  resetMs: number,
  state: BackoffState,
  now: number,
): { delayMs: number; next: BackoffState } {
  const attempt = state.lastAt !== null && now - state.lastAt >= resetMs ? 0 : state.attempt;
  const delayMs = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(attempt, 52));
  return { delayMs, next: { attempt: attempt + 1, lastAt: now } };
}
