import type { Pid, ProcessContext, Target } from '@foundation/runtime';
import type { ChildType, RestartType } from './child-spec.js';

/** The calls a supervisor answers (both kinds; each rejects the ones it does not support). */
export type SupervisorRequest =
  | { readonly $supervisor: 'whichChildren' }
  | { readonly $supervisor: 'countChildren' }
  | { readonly $supervisor: 'startChild'; readonly spec: unknown }
  | { readonly $supervisor: 'terminateChild'; readonly child: string | Pid }
  | { readonly $supervisor: 'restartChild'; readonly id: string }
  | { readonly $supervisor: 'deleteChild'; readonly id: string };

/** A supervisor's answer: the value, or the named error the caller then throws. */
export type SupervisorReply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** True for a call meant for a supervisor. */
export function isSupervisorRequest(msg: unknown): msg is SupervisorRequest {
  return typeof msg === 'object' && msg !== null && typeof (msg as { $supervisor?: unknown }).$supervisor === 'string';
}

/** One child as `whichChildren` lists it; `pid` is null while it is not running (stopped or backing off). */
export interface ChildInfo {
  /** The spec's id (a DynamicSupervisor's child given without one: null). */
  readonly id: string | null;
  readonly pid: Pid | null;
  readonly type: ChildType;
  readonly restart: RestartType;
}

/** What `countChildren` answers: child specs, running children, and specs by type. */
export interface ChildCounts {
  readonly specs: number;
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

/**
 * Sends `req` to the supervisor `sup` and resolves with the answer, or throws the named error
 * the supervisor gave. The default timeout is Infinity, as OTP's supervisor calls.
 */
export async function request<T>(ctx: ProcessContext, sup: Target, req: SupervisorRequest, timeoutMs = Infinity): Promise<T> {
  const r = await ctx.call<SupervisorReply>(sup, req, timeoutMs);
  if (!r.ok) throw r.error;
  return r.value as T;
}
