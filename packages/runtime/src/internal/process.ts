import type { Pid, Ref } from '../pid.js';
import type { Mailbox } from './mailbox.js';
import type { Kernel } from './kernel.js';
import type { From } from './calls.js';
import type { SlotMap } from './slot-map.js';

/** Bits of ProcessCore.flags. */
export const enum Flag {
  Trap = 1,
  Running = 2,
  Suspended = 4,
  Dead = 8,
  InitPending = 16,
  Exported = 32,
  Stopping = 64,
  Terminating = 128,
  Inbox = 256,
  /** An async init is under way. */
  InitAsync = 512,
  /** In the dispatcher's run queue (read and written by the dispatcher as `$queued`). */
  Queued = 1024,
}

/** An exit signal waiting to be handled by its target (signals overtake user messages). */
export interface ExitSignal {
  readonly from: Pid;
  readonly reason: unknown;
  /** True when it comes from a link (a dying linked process), false for `exit(pid, reason)`. */
  readonly link: boolean;
}

/** A monitor seen from the watched side. */
export interface MonitorEntry {
  readonly ref: Ref;
  readonly watcher: Pid;
}

/** A monitor seen from the watcher's side. */
export interface WatchEntry {
  readonly ref: Ref;
  readonly target: Pid;
  /** Set when the monitor names a process registered on another node. */
  readonly name?: string;
}

/**
 * The rarely used per-process state, created on first use, so an idle actor that never links,
 * monitors, calls or sets timers pays nothing for it.
 */
export class ProcessExt {
  /** Linked processes, keyed by pid.key. */
  links: Map<string, Pid> | null = null;
  /** Monitors others hold on this process, keyed by ref id (local refs) or ref.key (remote refs). */
  monitoredBy: SlotMap<number | string, MonitorEntry> | null = null;
  /** Monitors this process holds (a pending call is one too), keyed by ref id. */
  watching: SlotMap<number, WatchEntry> | null = null;
  /** Timers started with sendAfter, keyed by ref id. */
  timers: Map<number, unknown> | null = null;
  /** Exit signals not yet handled. */
  signals: ExitSignal[] | null = null;
  name: string | null = null;
  capacity = Infinity;
  overflow: 'drop_newest' | 'drop_oldest' | 'reject' = 'drop_newest';
  dropped = 0;
  stopReason: unknown = 'normal';
  /** Callers of `stopProcess`, answered once terminate has run. */
  stoppers: From[] | null = null;
  /** Who waits for init to finish (spawnAndWait). */
  initWaiter: { resolve(): void; reject(reason: unknown): void } | null = null;
}

/**
 * The runtime's record of a process: an actor's (ActorProcess), an inbox's (InboxProcess) or
 * the node's own (RootProcess). The runtime owns it and the user's classes never extend it, so
 * every runtime path sees these few shapes however many actor classes an application has (the
 * state once lived on the user's actor object: each actor class was one more hidden class at
 * every runtime access, and spawning slowed down 5× once eight classes had been seen). The
 * user's object (an Actor or an Inbox) reaches its record through its one field, `$p`.
 */
export abstract class ProcessCore {
  /** @internal */ $k!: Kernel;
  /** @internal */ $pid!: Pid;
  /** @internal */ $parent: Pid | null = null;
  /** @internal */ $mbox: Mailbox | null = null;
  /** @internal */ $flags = 0;
  /** @internal Intrusive list of the node's live processes. */
  $prev: ProcessCore | null = null;
  /** @internal */ $next: ProcessCore | null = null;
  /** @internal */ $ext: ProcessExt | null = null;

  /** @internal The dispatcher's bit, kept in the flags: one field less on every process. */
  get $queued(): boolean {
    return (this.$flags & Flag.Queued) !== 0;
  }

  set $queued(on: boolean) {
    this.$flags = on ? this.$flags | Flag.Queued : this.$flags & ~Flag.Queued;
  }

  /** @internal */
  $x(): ProcessExt {
    return (this.$ext ??= new ProcessExt());
  }

  /** @internal One turn on the dispatcher. */
  abstract $runTurn(): number;

  /** @internal Signals were queued: the process must get a turn (or handle them now). */
  abstract $wake(): void;

  /** @internal A user-level message for this process (send, cast, call, trapped EXIT, DOWN). */
  abstract $accept(kind: number, payload: unknown): void;

  /** @internal Last act of a process: subclasses release what they hold. */
  abstract $onDead(reason: unknown): void;

  /** @internal The object whose class the user wrote (the actor, the inbox), or this record for the node's own process. */
  abstract $object(): object;
}

/**
 * The user's side of a process (what Actor and Inbox extend): it holds only the runtime's
 * record of the process, assigned right after construction. Declared, not initialised: a class
 * field is defined by one site on the instances of every actor class, and V8 takes a slow path
 * for such a definition once the site has seen many shapes (measured with eight classes: it
 * doubled the cost of constructing the object), where a plain assignment stays cached.
 */
export abstract class ProcessHandle {
  /** @internal */ declare $p: ProcessCore;
}
