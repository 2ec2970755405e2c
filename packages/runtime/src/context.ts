import type { Node } from './node.js';
import type { BaseProcess } from './process-api.js';
import { Pid } from './pid.js';
import { CallExitError, InvalidArgumentError, UnknownNameError } from './errors.js';
import { STOP_REQUEST } from './internal/stop-request.js';

/**
 * Where a service handle (`Supervisor.start`, `Replicator.start`...) makes its calls from: the
 * node (plain code: each call waits like any promise) or a process — an actor's `this`, an
 * inbox — whose calls suspend only that process.
 */
export type ProcessContext = Node | BaseProcess;

/**
 * The pid a handle is for: `target` itself, or the local process registered under it now
 * (UnknownNameError when nobody is). A handle is for one process; take a new one after the
 * name moves to another (a restarted child).
 */
export function resolvePidOf(ctx: ProcessContext, target: Pid | string, where: string): Pid {
  if (target instanceof Pid) return target;
  if (typeof target !== 'string' || target.length === 0) {
    throw new InvalidArgumentError(`${where} target`, 'a Pid or a registered name', target);
  }
  const node = 'whereis' in ctx ? ctx : ctx.node;
  const pid = node.whereis(target);
  if (pid === undefined) throw new UnknownNameError(target);
  return pid;
}

/**
 * Stops the actor `target` as OTP's `gen_server:stop` does: it finishes the message it is
 * handling, runs `terminate('normal')` and exits `'normal'`; resolves once terminate has run
 * (its exit signals and DOWNs follow at once). Resolves at once when it is not running, or when
 * it exits another way meanwhile. `ctx` is where the call comes from (the node, or an actor:
 * only that actor waits). Works for any actor, wherever it runs — a thread, another node.
 */
export async function stopProcess(ctx: ProcessContext, target: Pid | string, timeoutMs = Infinity): Promise<void> {
  try {
    await ctx.call(target, STOP_REQUEST, timeoutMs);
  } catch (e) {
    if (!CallExitError.is(e)) throw e;
  }
}
