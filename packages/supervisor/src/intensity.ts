/**
 * Restart intensity, OTP's way: the times of recent restarts, newest first, kept while they
 * fall inside the window. A restart is allowed while the list, including it, has at most
 * `maxRestarts` entries.
 */
export interface Intensity {
  readonly maxRestarts: number;
  /** The window, in ms. */
  readonly periodMs: number;
  /** Restart times (ms) inside the window, newest first. */
  readonly restarts: readonly number[];
}

/** A fresh intensity record: no restarts yet. */
export function intensity(maxRestarts: number, maxSeconds: number): Intensity {
  return { maxRestarts, periodMs: maxSeconds * 1000, restarts: [] };
}

/**
 * Records a restart at `now` (OTP's add_restart): drops the restarts older than the window
 * (one exactly `periodMs` old still counts, as in OTP), adds `now`, and says whether the
 * supervisor may restart (`ok`) or has reached its maximum intensity and must give up.
 */
export function addRestart(i: Intensity, now: number): { ok: boolean; next: Intensity } {
  const threshold = now - i.periodMs;
  const kept: number[] = [now];
  for (const t of i.restarts) {
    if (t < threshold) break;
    kept.push(t);
  }
  return { ok: kept.length <= i.maxRestarts, next: { ...i, restarts: kept } };
}
