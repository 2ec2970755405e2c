import { Pid, type Ref } from '../pid.js';
import { CallExitError, CallTimeoutError, InvalidArgumentError } from '../errors.js';
import type { RemoteName, Target } from '../target.js';
import { Kind } from './mailbox.js';
import type { ProcessCore } from './process.js';
import type { Kernel } from './kernel.js';
import { demonitor, monitor } from './signals.js';

/** Who is waiting for a call's reply: hand it to `reply(from, value)` to answer later. */
export interface From {
  readonly pid: Pid;
  readonly ref: Ref;
}

/** A call as it sits in the callee's mailbox. */
export interface CallEnvelope {
  readonly msg: unknown;
  readonly from: From;
}

/** A call waiting for its reply, on the caller's side. */
export interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: unknown;
  readonly target: Pid | RemoteName;
  readonly ms: number;
}

/** The default call timeout, as in gen_server. */
export const DEFAULT_CALL_TIMEOUT = 5000;

/** Checks a timeout argument: a finite number ≥ 0 or Infinity. */
export function checkTimeout(field: string, ms: unknown): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new InvalidArgumentError(field, 'a number of milliseconds ≥ 0 (or Infinity)', ms);
  }
  return ms;
}

function describe(target: Pid | RemoteName): string {
  return target instanceof Pid ? target.toString() : `'${target.name}' on ${target.node}`;
}

/**
 * Calls `target` from process `p`: monitors it, sends `{ msg, from }` and waits for the reply.
 * Rejects with CallTimeoutError, or CallExitError with the callee's exit reason (`'noproc'`
 * for a dead or unknown target, `'noconnection'` for an unreachable node).
 */
export function call(p: ProcessCore, target: Target, msg: unknown, timeoutMs: number = DEFAULT_CALL_TIMEOUT): Promise<unknown> {
  const k = p.$k;
  let to: Pid | RemoteName | undefined;
  try {
    checkTimeout('timeoutMs', timeoutMs);
    to = k.resolve(target);
  } catch (e) {
    return Promise.reject(e);
  }
  if (to === undefined) return Promise.reject(new CallExitError(k.describe(target), 'noproc'));
  const dest = to;
  return new Promise((resolve, reject) => {
    const ref = k.makeRef();
    const pending: PendingCall = { resolve, reject, timer: null, target: dest, ms: timeoutMs };
    const calls = (p.$x().calls ??= new Map());
    calls.set(ref.id, pending);
    monitor(p, dest, ref);
    if (!calls.has(ref.id)) return; // DOWN at once: noproc or noconnection
    if (timeoutMs !== Infinity) pending.timer = k.clock.setTimeout(() => timeoutCall(p, ref), timeoutMs);
    const envelope: CallEnvelope = { msg, from: { pid: p.$pid, ref } };
    try {
      if (dest instanceof Pid) k.deliver(dest, Kind.Call, envelope);
      else k.deliverNamed(dest, Kind.Call, envelope);
    } catch (e) {
      settle(p, ref);
      reject(e as Error);
    }
  });
}

/** Removes a pending call and its monitor and timer; returns it (or undefined when gone). */
function settle(p: ProcessCore, ref: Ref): PendingCall | undefined {
  const calls = p.$ext?.calls;
  const pending = calls?.get(ref.id);
  if (!pending) return undefined;
  calls!.delete(ref.id);
  if (pending.timer !== null) p.$k.clock.clearTimeout(pending.timer);
  demonitor(p, ref);
  return pending;
}

function timeoutCall(p: ProcessCore, ref: Ref): void {
  const pending = settle(p, ref);
  if (pending) pending.reject(new CallTimeoutError(describe(pending.target), pending.ms));
}

/** A DOWN arrived for a pending call's monitor: the call fails with the callee's reason. */
export function failCall(p: ProcessCore, ref: Ref, reason: unknown): void {
  const calls = p.$ext!.calls!;
  const pending = calls.get(ref.id)!;
  calls.delete(ref.id);
  if (pending.timer !== null) p.$k.clock.clearTimeout(pending.timer);
  pending.reject(new CallExitError(describe(pending.target), reason));
}

/** A reply arrived for process `p`: settles its pending call (late replies are dropped). */
export function settleReply(p: ProcessCore, ref: Ref, value: unknown): void {
  if (ref.node !== p.$k.name) return;
  const pending = settle(p, ref);
  if (pending) pending.resolve(value);
}

/** Sends `value` as the reply to the call `from`, wherever its caller is. */
export function reply(k: Kernel, from: From, value: unknown): void {
  const w = k.local(from.pid);
  if (w !== null) settleReply(w, from.ref, value);
  else if (!k.isLocal(from.pid)) k.sendFrame(from.pid.node, { t: 'reply', to: from.pid, ref: from.ref, value });
}
