import { isDown, type Clock, type DownMessage, type Pid } from '@foundation/runtime';
import type { Actor } from '@foundation/runtime';
import type { RestartType, Shutdown } from '../child-spec.js';

/** A running child to stop, as the supervisor knows it. */
export interface Stoppable {
  readonly pid: Pid;
  readonly shutdown: Shutdown;
  readonly restart: RestartType;
}

/** A child that did not end the way it was asked to (OTP's shutdown_error). */
export interface StopError {
  readonly child: Stoppable;
  readonly reason: unknown;
}

/**
 * Whether `reason` is how a child asked to stop should end (OTP's shutdown/2): `'killed'`
 * after brutal_kill, `'shutdown'` otherwise; a non-permanent child may also end with
 * `'normal'` or `{ shutdown: _ }`. `'noproc'` means it was already gone (its EXIT, if any,
 * is ignored by the supervisor, which no longer knows its pid).
 */
function expected(child: Stoppable, reason: unknown): boolean {
  if (reason === 'noproc') return true;
  if (child.shutdown === 'brutal_kill' && reason === 'killed') return true;
  if (child.shutdown !== 'brutal_kill' && reason === 'shutdown') return true;
  if (child.restart === 'permanent') return false;
  return reason === 'normal' || reason === 'shutdown' || (typeof reason === 'object' && reason !== null && 'shutdown' in reason);
}

/** The kill of a child still alive after its shutdown ms: a timer callback, so it never throws. */
function killLate(sup: Actor<unknown, unknown, unknown>, pid: Pid): void {
  try {
    sup.exit(pid, 'kill');
  } catch {
    // Nothing to do: a throw here would be the process's uncaught exception, and the child's
    // DOWN (or the waiter's end with the supervisor) still settles the wait.
  }
}

/**
 * Stops `children` at once, as their supervisor `sup`: monitor each, unlink it (so no EXIT
 * from it is acted on), send `'shutdown'` (or `'kill'` for brutal_kill), and wait for every
 * DOWN; a child still alive after its `shutdown` ms is killed. The DOWNs are awaited on a
 * helper inbox because the supervisor's own mailbox is not read while it is suspended here;
 * the inbox is linked to the supervisor so it dies with it. Resolves with the children that
 * ended with an unexpected reason.
 */
export async function stopChildren(
  sup: Actor<unknown, unknown, unknown>,
  clock: Clock,
  children: readonly Stoppable[],
): Promise<StopError[]> {
  if (children.length === 0) return [];
  const waiter = sup.node.inbox({ trapExit: false });
  sup.link(waiter.self);
  const timers: unknown[] = [];
  const pending = new Map<number, Stoppable>();
  try {
    for (const child of children) {
      pending.set(waiter.monitor(child.pid).id, child);
      sup.unlink(child.pid);
      sup.exit(child.pid, child.shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
      const ms = child.shutdown;
      if (typeof ms === 'number') timers.push(clock.setTimeout(() => killLate(sup, child.pid), ms));
    }
    const errors: StopError[] = [];
    while (pending.size > 0) {
      const down = await waiter.receive<DownMessage>(isDown);
      const child = pending.get(down.ref.id);
      if (child === undefined) continue;
      pending.delete(down.ref.id);
      if (!expected(child, down.reason)) errors.push({ child, reason: down.reason });
    }
    return errors;
  } finally {
    for (const t of timers) clock.clearTimeout(t);
    sup.unlink(waiter.self);
    waiter.close();
  }
}
