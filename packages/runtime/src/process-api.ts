import type { Pid, Ref } from './pid.js';
import type { Node } from './node.js';
import type { Target } from './target.js';
import type { ActorClass } from './actor.js';
import { Kind } from './internal/mailbox.js';
import { Flag, ProcessHandle } from './internal/process.js';
import { call, reply, type From } from './internal/calls.js';
import { demonitor, link, monitor, sendExitSignal, unlink } from './internal/signals.js';
import { spawn, type SpawnOptions } from './internal/spawn.js';
import { spawnAndWait } from './internal/spawn-wait.js';
import { resolvePid } from './internal/resolve.js';
import { spawnOn } from './internal/remote-spawn.js';
import type { CallOf, CallOptions, CallResult, CastOf, InfoOf, PidOf, SpawnArgOf, SpawnResult } from './protocol.js';

/**
 * What every process can do, whether an Actor or an Inbox: send, call, spawn, link, monitor,
 * exit. These are the methods of OTP's `erlang` module that act on behalf of `self()`.
 */
export abstract class BaseProcess extends ProcessHandle {
  /** This process's pid. */
  get self(): Pid {
    return this.$p.$pid;
  }

  /** The node this process runs on. */
  get node(): Node {
    return this.$p.$k.node;
  }

  /** Whether exit signals arrive as `{ from, reason }` messages instead of ending the process. */
  get trapExit(): boolean {
    return (this.$p.$flags & Flag.Trap) !== 0;
  }

  set trapExit(on: boolean) {
    const p = this.$p;
    p.$flags = on ? p.$flags | Flag.Trap : p.$flags & ~Flag.Trap;
  }

  /** Sends `msg` to `to` (arrives in `handleInfo`; a typed target takes what its handleInfo takes). Throws UnknownNameError for an unknown local name. */
  send<To extends Target>(to: To, msg: InfoOf<To>): void {
    const k = this.$p.$k;
    if (k.inspect !== null) k.inspect.sent(this.$p.$pid, to, Kind.Info, msg);
    k.sendTo(to, Kind.Info, msg);
  }

  /** Casts `msg` to `to` (arrives in `handleCast`; a typed target takes what its handleCast takes). */
  cast<To extends Target>(to: To, msg: CastOf<To>): void {
    const k = this.$p.$k;
    if (k.inspect !== null) k.inspect.sent(this.$p.$pid, to, Kind.Cast, msg);
    k.sendTo(to, Kind.Cast, msg);
  }

  /**
   * Calls `to` and resolves with its reply; while awaiting it, only this process waits. A typed
   * target takes what its handleCall takes and resolves with the reply type for `msg`;
   * `call<R>(to, msg)` is the untyped form. `opts`: a timeout in ms, or `{ timeoutMs, signal }`.
   */
  call<R = never, To extends Target = Target, const M extends CallOf<To> = CallOf<To>>(
    to: To,
    msg: M,
    opts?: number | CallOptions,
  ): Promise<CallResult<NoInfer<R>, To, M>> {
    return call(this.$p, to, msg, opts) as Promise<CallResult<NoInfer<R>, To, M>>;
  }

  /** Answers a call later (after returning `noReply` from `handleCall`). */
  reply(from: From, value: unknown): void {
    reply(this.$p.$k, from, value, this.$p);
  }

  /**
   * Spawns a child (this process is its parent): `Pid<Cls>` for a class (`args` checked against
   * its init), an untyped Pid for a class name. With `opts.node`, spawns on another node (a
   * class named with defineActor) and resolves with the pid.
   */
  spawn<C extends ActorClass | string, O extends SpawnOptions = { node?: undefined }>(
    cls: C,
    args: SpawnArgOf<C>,
    opts?: O,
  ): SpawnResult<C, O> {
    if (opts?.node !== undefined) return spawnOn(this.$p, cls, args, opts) as SpawnResult<C, O>;
    return spawn(this.$p.$k, this.$p.$pid, cls, args, opts) as SpawnResult<C, O>;
  }

  /** Spawns a child and resolves with its pid once its init has succeeded (rejects with InitError). */
  spawnAndWait<C extends ActorClass | string>(cls: C, args: SpawnArgOf<C>, opts?: SpawnOptions): Promise<PidOf<C>> {
    return spawnAndWait(this.$p.$k, this.$p.$pid, cls, args, opts) as Promise<PidOf<C>>;
  }

  /** Spawns a child linked to this process. */
  spawnLink<C extends ActorClass | string>(cls: C, args: SpawnArgOf<C>, opts?: SpawnOptions): PidOf<C> {
    return spawn(this.$p.$k, this.$p.$pid, cls, args, { ...opts, link: true }) as PidOf<C>;
  }

  /** Runs a CPU-bound task on the node's dirty pool (see `Node.runTask`); awaiting it suspends only this process. */
  runTask(moduleUrl: string | URL, exportName: string, input?: unknown): Promise<unknown> {
    return this.$p.$k.node.runTask(moduleUrl, exportName, input);
  }

  /**
   * Subscribes this process to node events (OTP's `monitor_nodes`): `{ nodeup: name }` and
   * `{ nodedown: name, reason }` messages (isNodeUp / isNodeDown), never dropped, in order with
   * what arrived from that node; `false` unsubscribes. It ends with the process.
   */
  monitorNodes(on = true): void {
    if (on) this.$p.$k.nodeWatchers.add(this.$p);
    else this.$p.$k.nodeWatchers.delete(this.$p);
  }

  /** Links this process with `to`: when either exits abnormally, so does the other (unless trapping). */
  link(to: Target): void {
    link(this.$p, resolvePid(this.$p.$k, to));
  }

  unlink(to: Target): void {
    unlink(this.$p, resolvePid(this.$p.$k, to));
  }

  /** Monitors `to`: one `{ ref, pid, reason }` message arrives when it exits. */
  monitor(to: Target): Ref {
    return monitor(this.$p, resolvePid(this.$p.$k, to, true));
  }

  /** Cancels a monitor; no DOWN for it arrives afterwards. */
  demonitor(ref: Ref): boolean {
    return demonitor(this.$p, ref);
  }

  /** Sends the exit signal `reason` to `to` (`'kill'` cannot be trapped). */
  exit(to: Target, reason: unknown): void {
    sendExitSignal(this.$p.$k, this.$p.$pid, resolvePid(this.$p.$k, to), reason, false);
  }
}
