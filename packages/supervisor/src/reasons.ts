import { isCleanExit } from '@foundation/runtime';
import type { RestartType } from './child-spec.js';

/**
 * Why a supervisor exits on its own, as a `{ shutdown: x }` reason (OTP's supervisor exits
 * with `shutdown`; this one also names the child): it gave up after reaching its maximum
 * restart intensity, or a child failed to start while the supervisor itself started.
 * Being a `{ shutdown: _ }` reason, a transient parent does not restart it; a permanent one does.
 */
export type SupervisorExitReason =
  | { readonly shutdown: { readonly reachedMaxRestartIntensity: { readonly child: string | null; readonly reason: unknown } } }
  | { readonly shutdown: { readonly failedToStartChild: { readonly child: string; readonly reason: unknown } } };

/** The reason of a supervisor that reached its maximum restart intensity while restarting `child`. */
export function reachedMaxRestartIntensity(child: string | null, reason: unknown): SupervisorExitReason {
  return { shutdown: { reachedMaxRestartIntensity: { child, reason } } };
}

/** The reason of a supervisor whose child `child` failed to start during the supervisor's own start. */
export function failedToStartChild(child: string, reason: unknown): SupervisorExitReason {
  return { shutdown: { failedToStartChild: { child, reason } } };
}

function shutdownPayload(reason: unknown): Record<string, unknown> | undefined {
  if (typeof reason !== 'object' || reason === null || !('shutdown' in reason)) return undefined;
  const inner = reason.shutdown;
  return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : undefined;
}

/** True for the exit reason of a supervisor that gave up (reached its maximum restart intensity). */
export function isReachedMaxRestartIntensity(
  reason: unknown,
): reason is Extract<SupervisorExitReason, { shutdown: { reachedMaxRestartIntensity: unknown } }> {
  const p = shutdownPayload(reason);
  return p !== undefined && typeof p.reachedMaxRestartIntensity === 'object' && p.reachedMaxRestartIntensity !== null;
}

/** True for the exit reason of a supervisor whose start failed because a child's init failed. */
export function isFailedToStartChild(
  reason: unknown,
): reason is Extract<SupervisorExitReason, { shutdown: { failedToStartChild: unknown } }> {
  const p = shutdownPayload(reason);
  return p !== undefined && typeof p.failedToStartChild === 'object' && p.failedToStartChild !== null;
}

/**
 * Whether a child that exited with `reason` is restarted (OTP's do_restart): permanent always,
 * temporary never, transient unless the exit was clean (`'normal'`, `'shutdown'`, `{ shutdown: _ }`).
 */
export function shouldRestart(restart: RestartType, reason: unknown): boolean {
  switch (restart) {
    case 'permanent':
      return true;
    case 'temporary':
      return false;
    case 'transient':
      return !isCleanExit(reason);
  }
}
