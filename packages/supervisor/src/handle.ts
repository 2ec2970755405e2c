import { stopProcess, type ActorClass, type Pid, type PidOf, type ProcessContext } from '@foundation/runtime';
import { checkChildSpec, type TypedChildSpec } from './child-spec.js';
import { request, type ChildCounts, type ChildInfo, type SupervisorRequest } from './protocol.js';
import { checkDynamicChild, type DynamicChild, type TypedDynamicChild } from './dynamic-child.js';

/**
 * A running Supervisor, as `Supervisor.start` and `Supervisor.of` give it. Its calls go out
 * from the context the handle was made with (the node, or an actor whose calls suspend only
 * that actor); `timeoutMs` defaults to Infinity, as OTP's supervisor calls.
 */
export interface SupervisorHandle {
  /** The supervisor's process: link to it, monitor it, list it in a parent's children. */
  readonly pid: Pid;
  /** The children, in start order: `[{ id, pid | null, type, restart }]`. */
  whichChildren(timeoutMs?: number): Promise<ChildInfo[]>;
  /** `{ specs, active, supervisors, workers }`. */
  countChildren(timeoutMs?: number): Promise<ChildCounts>;
  /**
   * Adds a child spec and starts it; resolves with its pid — a `Pid<Cls>` for `start: [Cls,
   * args]`, args checked against Cls's init (ChildSpecError, ChildAlreadyStartedError,
   * ChildAlreadyPresentError, StartChildError).
   */
  startChild<C extends ActorClass | string>(spec: TypedChildSpec<C>, timeoutMs?: number): Promise<PidOf<C>>;
  /** Stops a child and keeps its spec (a temporary child's spec is dropped). ChildNotFoundError. */
  terminateChild(id: string, timeoutMs?: number): Promise<void>;
  /** Starts a stopped child again from its spec; resolves with its pid (ChildRunningError, StartChildError). */
  restartChild(id: string, timeoutMs?: number): Promise<Pid>;
  /** Forgets a stopped child's spec (ChildRunningError while it runs). */
  deleteChild(id: string, timeoutMs?: number): Promise<void>;
  /**
   * Stops the supervisor as OTP's `supervisor:stop` (reason `'normal'`) and resolves once its
   * children have stopped; at once when it is not running. A supervisor in a tree is restarted
   * by its parent as for any exit: stop it there with the parent's `terminateChild`.
   */
  stop(timeoutMs?: number): Promise<void>;
}

/** A running DynamicSupervisor, as `DynamicSupervisor.start` and `DynamicSupervisor.of` give it (see SupervisorHandle). */
export interface DynamicSupervisorHandle {
  /** The supervisor's process: link to it, monitor it, list it in a parent's children. */
  readonly pid: Pid;
  /**
   * Starts a child from a spec or `[Cls, args]` (args checked against Cls's init); resolves
   * with its pid, a `Pid<Cls>` (MaxChildrenError, StartChildError).
   */
  startChild<C extends ActorClass | string>(child: TypedDynamicChild<C>, timeoutMs?: number): Promise<PidOf<C>>;
  /** Stops the child `pid` and forgets it (ChildNotFoundError). */
  terminateChild(pid: Pid, timeoutMs?: number): Promise<void>;
  /** The children, in start order: `[{ id, pid | null, type, restart }]`. */
  whichChildren(timeoutMs?: number): Promise<ChildInfo[]>;
  /** `{ specs, active, supervisors, workers }`. */
  countChildren(timeoutMs?: number): Promise<ChildCounts>;
  /** Stops the supervisor (exit reason `'normal'`) and resolves once its children have stopped; at once when it is not running. */
  stop(timeoutMs?: number): Promise<void>;
}

/** @internal The handle of the Supervisor `pid`, calling from `ctx`. */
export function supervisorHandle(ctx: ProcessContext, pid: Pid): SupervisorHandle {
  const ask = <T>(req: SupervisorRequest, timeoutMs?: number) => request<T>(ctx, pid, req, timeoutMs);
  return Object.freeze({
    pid,
    whichChildren: (timeoutMs?: number) => ask<ChildInfo[]>({ $supervisor: 'whichChildren' }, timeoutMs),
    countChildren: (timeoutMs?: number) => ask<ChildCounts>({ $supervisor: 'countChildren' }, timeoutMs),
    startChild: async <C extends ActorClass | string>(spec: TypedChildSpec<C>, timeoutMs?: number) => {
      checkChildSpec(spec);
      return await ask<PidOf<C>>({ $supervisor: 'startChild', spec }, timeoutMs);
    },
    terminateChild: (id: string, timeoutMs?: number) => ask<void>({ $supervisor: 'terminateChild', child: id }, timeoutMs),
    restartChild: (id: string, timeoutMs?: number) => ask<Pid>({ $supervisor: 'restartChild', id }, timeoutMs),
    deleteChild: (id: string, timeoutMs?: number) => ask<void>({ $supervisor: 'deleteChild', id }, timeoutMs),
    stop: (timeoutMs?: number) => stopProcess(ctx, pid, timeoutMs),
  });
}

/** @internal The handle of the DynamicSupervisor `pid`, calling from `ctx`. */
export function dynamicSupervisorHandle(ctx: ProcessContext, pid: Pid): DynamicSupervisorHandle {
  const ask = <T>(req: SupervisorRequest, timeoutMs?: number) => request<T>(ctx, pid, req, timeoutMs);
  return Object.freeze({
    pid,
    startChild: async <C extends ActorClass | string>(child: TypedDynamicChild<C>, timeoutMs?: number) => {
      checkDynamicChild(child);
      return await ask<PidOf<C>>({ $supervisor: 'startChild', spec: child as DynamicChild }, timeoutMs);
    },
    terminateChild: (child: Pid, timeoutMs?: number) => ask<void>({ $supervisor: 'terminateChild', child }, timeoutMs),
    whichChildren: (timeoutMs?: number) => ask<ChildInfo[]>({ $supervisor: 'whichChildren' }, timeoutMs),
    countChildren: (timeoutMs?: number) => ask<ChildCounts>({ $supervisor: 'countChildren' }, timeoutMs),
    stop: (timeoutMs?: number) => stopProcess(ctx, pid, timeoutMs),
  });
}
