import type { Pid, Ref } from './pid.js';
import type { Node } from './node.js';
import type { Target } from './target.js';
import type { ActorClass } from './actor.js';
import { Kind } from './internal/mailbox.js';
import { Flag, ProcessCore } from './internal/process.js';
import { call, reply, type From } from './internal/calls.js';
import { demonitor, link, monitor, sendExitSignal, unlink } from './internal/signals.js';
import { spawn, type SpawnOptions } from './internal/spawn.js';
import { spawnAndWait } from './internal/spawn-wait.js';
import { resolvePid } from './internal/resolve.js';
import { spawnOn } from './internal/remote-spawn.js';

/**
 * What every process can do, whether an Actor or an Inbox: send, call, spawn, link, monitor,
 * exit. These are the methods of OTP's `erlang` module that act on behalf of `self()`.
 */
export abstract class BaseProcess extends ProcessCore {
  /** This process's pid. */
  get self(): Pid {
    return this.$pid;
  }

  /** The node this process runs on. */
  get node(): Node {
    return this.$k.node;
  }

  /** Whether exit signals arrive as `{ from, reason }` messages instead of ending the process. */
  get trapExit(): boolean {
    return (this.$flags & Flag.Trap) !== 0;
  }

  set trapExit(on: boolean) {
    this.$flags = on ? this.$flags | Flag.Trap : this.$flags & ~Flag.Trap;
  }

  /** Sends `msg` to `to` (arrives in `handleInfo`). Throws UnknownNameError for an unknown local name. */
  send(to: Target, msg: unknown): void {
    this.$k.sendTo(to, Kind.Info, msg);
  }

  /** Casts `msg` to `to` (arrives in `handleCast`). */
  cast(to: Target, msg: unknown): void {
    this.$k.sendTo(to, Kind.Cast, msg);
  }

  /** Calls `to` and resolves with its reply; while awaiting it, only this process waits. */
  call<R = unknown>(to: Target, msg: unknown, timeoutMs?: number): Promise<R> {
    return call(this, to, msg, timeoutMs) as Promise<R>;
  }

  /** Answers a call later (after returning `noReply` from `handleCall`). */
  reply(from: From, value: unknown): void {
    reply(this.$k, from, value);
  }

  /** Spawns a child (this process is its parent). */
  spawn<A>(cls: ActorClass<A> | string, args: A, opts?: SpawnOptions & { node?: undefined }): Pid;
  /** Spawns a child on another node (a class named with defineActor); resolves with its pid. */
  spawn<A>(cls: ActorClass<A> | string, args: A, opts: SpawnOptions & { node: string }): Promise<Pid>;
  spawn<A>(cls: ActorClass<A> | string, args: A, opts?: SpawnOptions): Pid | Promise<Pid> {
    if (opts?.node !== undefined) return spawnOn(this, cls, args, opts);
    return spawn(this.$k, this.$pid, cls, args, opts);
  }

  /** Spawns a child and resolves with its pid once its init has succeeded (rejects with InitError). */
  spawnAndWait<A>(cls: ActorClass<A> | string, args: A, opts?: SpawnOptions): Promise<Pid> {
    return spawnAndWait(this.$k, this.$pid, cls, args, opts);
  }

  /** Spawns a child linked to this process. */
  spawnLink<A>(cls: ActorClass<A> | string, args: A, opts?: SpawnOptions): Pid {
    return spawn(this.$k, this.$pid, cls, args, { ...opts, link: true });
  }

  /** Runs a CPU-bound task on the node's dirty pool (see `Node.runTask`); awaiting it suspends only this process. */
  runTask(moduleUrl: string | URL, exportName: string, input?: unknown): Promise<unknown> {
    return this.$k.node.runTask(moduleUrl, exportName, input);
  }

  /**
   * Subscribes this process to node events (OTP's `monitor_nodes`): `{ nodeup: name }` and
   * `{ nodedown: name, reason }` messages (isNodeUp / isNodeDown), never dropped, in order with
   * what arrived from that node; `false` unsubscribes. It ends with the process.
   */
  monitorNodes(on = true): void {
    if (on) this.$k.nodeWatchers.add(this);
    else this.$k.nodeWatchers.delete(this);
  }

  /** Links this process with `to`: when either exits abnormally, so does the other (unless trapping). */
  link(to: Target): void {
    link(this, resolvePid(this.$k, to));
  }

  unlink(to: Target): void {
    unlink(this, resolvePid(this.$k, to));
  }

  /** Monitors `to`: one `{ ref, pid, reason }` message arrives when it exits. */
  monitor(to: Target): Ref {
    return monitor(this, resolvePid(this.$k, to, true));
  }

  /** Cancels a monitor; no DOWN for it arrives afterwards. */
  demonitor(ref: Ref): boolean {
    return demonitor(this, ref);
  }

  /** Sends the exit signal `reason` to `to` (`'kill'` cannot be trapped). */
  exit(to: Target, reason: unknown): void {
    sendExitSignal(this.$k, this.$pid, resolvePid(this.$k, to), reason, false);
  }
}
