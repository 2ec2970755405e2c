import type { Pid, Ref } from './pid.js';
import type { Node } from './node.js';
import type { Target } from './target.js';
import type { ProcessCore } from './internal/process.js';
import type { Kernel } from './internal/kernel.js';
import type { CallEnvelope, From } from './internal/calls.js';
import { InvalidArgumentError, describeValue } from './errors.js';
import { checkKnownOptions } from './known-options.js';
import { warn } from './internal/warn.js';

/** How a message travels: a send (`handleInfo`), a cast, a call, a trapped exit signal, a DOWN or node event. */
export type MessageKind = 'info' | 'cast' | 'call' | 'exit' | 'down';

const KIND_NAMES: readonly MessageKind[] = ['info', 'cast', 'call', 'exit', 'down'];

/** A process started on this node (an actor, or an inbox). */
export interface SpawnEvent {
  readonly type: 'spawn';
  readonly node: string;
  readonly pid: Pid;
  readonly parent: Pid | null;
  /** The actor class's name (`'Inbox'` for an inbox). */
  readonly className: string;
  /** The time of the event, `Date.now()`. */
  readonly at: number;
}

/** A process of this node ended. */
export interface ExitEvent {
  readonly type: 'exit';
  readonly node: string;
  readonly pid: Pid;
  readonly reason: unknown;
  /** Messages it handled in its life. */
  readonly handled: number;
  readonly at: number;
}

/** A process of this node (or the node's own process, for `node.send`) sent, cast or called. */
export interface SendEvent {
  readonly type: 'send';
  readonly node: string;
  readonly from: Pid;
  readonly to: Target;
  readonly kind: 'info' | 'cast' | 'call';
  readonly msg: unknown;
  readonly at: number;
}

/** An actor of this node took a message out of its mailbox and is about to handle it. */
export interface ReceiveEvent {
  readonly type: 'receive';
  readonly node: string;
  readonly pid: Pid;
  readonly kind: MessageKind;
  /** The message (a call's request, not its envelope). */
  readonly msg: unknown;
  /** The caller, for a call. */
  readonly from: Pid | null;
  /** The call's reference, for a call: its `reply` event carries the same. */
  readonly ref: Ref | null;
  readonly at: number;
}

/** A process of this node answered a call (handled here or given on with `from`). */
export interface ReplyEvent {
  readonly type: 'reply';
  readonly node: string;
  /** Who answered: null when the node's own code did (`reply(from, …)` outside a process). */
  readonly replier: Pid | null;
  /** The caller. */
  readonly to: Pid;
  /** The call's reference, as its `receive` event gave it. */
  readonly ref: Ref;
  readonly value: unknown;
  readonly at: number;
}

/** This node connected to `peer`. */
export interface NodeUpEvent {
  readonly type: 'nodeup';
  readonly node: string;
  readonly peer: string;
  readonly at: number;
}

/** This node lost its connection to `peer`. */
export interface NodeDownEvent {
  readonly type: 'nodedown';
  readonly node: string;
  readonly peer: string;
  readonly reason: unknown;
  readonly at: number;
}

/** A supervisor of this node restarted a child (published by `@foundation/supervisor`). */
export interface RestartEvent {
  readonly type: 'restart';
  readonly node: string;
  readonly supervisor: Pid;
  readonly childId: string;
  /** The child's new pid (null when it is not running after the restart). */
  readonly pid: Pid | null;
  /** Why the old child ended. */
  readonly reason: unknown;
  readonly at: number;
}

/** A name was registered or went away in a registry of this node (published by `@foundation/registry`). */
export interface RegistryChangeEvent {
  readonly type: 'registry';
  readonly node: string;
  /** The registry's own name. */
  readonly registry: string;
  readonly change: 'registered' | 'unregistered';
  /** The key (described, when not a string). */
  readonly name: string;
  readonly pid: Pid;
  readonly at: number;
}

/** What the runtime (and the packages above it) report about a node as it runs: see `inspect`. */
export type InspectEvent =
  SpawnEvent | ExitEvent | SendEvent | ReceiveEvent | ReplyEvent | NodeUpEvent | NodeDownEvent | RestartEvent | RegistryChangeEvent;

/** The event types, as `inspect`'s `types` option names them. */
export type InspectEventType = InspectEvent['type'];

const TYPES: readonly InspectEventType[] = ['spawn', 'exit', 'send', 'receive', 'reply', 'nodeup', 'nodedown', 'restart', 'registry'];

/** Options of `inspect`. */
export interface InspectOptions {
  /** The event types wanted (default: all). Messages cost an event each: ask for them only when needed. */
  types?: readonly InspectEventType[];
}

/** A subscriber and the event types it wants. */
interface Subscriber {
  readonly listener: (e: InspectEvent) => void;
  readonly types: ReadonlySet<InspectEventType>;
}

/**
 * A node's inspection: its subscribers and, per event type, how many want it. The kernel holds
 * one only while somebody listens, so the runtime's choke points pay one null check when
 * nobody does; an event object is made only for a type somebody wants. Not exported from the
 * package's entry point (kernel.d.ts names it, so it is not stripped as internal).
 */
export class Inspector {
  private subs: Subscriber[] = [];
  private readonly wanted = new Map<InspectEventType, number>();
  /** Whether sends and receives are wanted: the two on the message path. */
  sends = false;
  receives = false;

  private readonly node: string;

  constructor(private readonly k: Kernel) {
    this.node = k.name;
  }

  get empty(): boolean {
    return this.subs.length === 0;
  }

  add(s: Subscriber): void {
    this.subs = [...this.subs, s];
    for (const t of s.types) this.wanted.set(t, (this.wanted.get(t) ?? 0) + 1);
    this.recount();
  }

  remove(s: Subscriber): void {
    if (!this.subs.includes(s)) return;
    this.subs = this.subs.filter((x) => x !== s);
    for (const t of s.types) this.wanted.set(t, (this.wanted.get(t) ?? 1) - 1);
    this.recount();
    // The last one gone: the runtime's choke points are back to one null check.
    if (this.subs.length === 0 && this.k.inspect === this) this.k.inspect = null;
  }

  private recount(): void {
    this.sends = (this.wanted.get('send') ?? 0) > 0;
    this.receives = (this.wanted.get('receive') ?? 0) > 0;
  }

  wants(t: InspectEventType): boolean {
    return (this.wanted.get(t) ?? 0) > 0;
  }

  /** Hands an event to each subscriber that wants its type; a subscriber that throws is removed (and reported), the others go on. */
  emit(e: InspectEvent): void {
    for (const s of this.subs) {
      if (!s.types.has(e.type)) continue;
      try {
        s.listener(e);
      } catch (err) {
        this.remove(s);
        warn('FOUNDATION_INSPECT_LISTENER_THREW', `an inspect listener of node ${this.node} threw and was removed: ${describeValue(err)}`);
      }
    }
  }

  spawned(p: ProcessCore): void {
    if (!this.wants('spawn')) return;
    const o = p.$object();
    this.emit({ type: 'spawn', node: this.node, pid: p.$pid, parent: p.$parent, className: o.constructor.name, at: Date.now() });
  }

  exited(p: ProcessCore, reason: unknown, handled: number): void {
    if (!this.wants('exit')) return;
    this.emit({ type: 'exit', node: this.node, pid: p.$pid, reason, handled, at: Date.now() });
  }

  sent(from: Pid, to: Target, kind: number, msg: unknown): void {
    if (!this.sends) return;
    this.emit({ type: 'send', node: this.node, from, to, kind: KIND_NAMES[kind] as SendEvent['kind'], msg, at: Date.now() });
  }

  received(p: ProcessCore, kind: number, payload: unknown): void {
    if (!this.receives) return;
    const call = kind === 2 ? (payload as CallEnvelope) : null;
    this.emit({
      type: 'receive',
      node: this.node,
      pid: p.$pid,
      kind: KIND_NAMES[kind]!,
      msg: call !== null ? call.msg : payload,
      from: call !== null ? call.from.pid : null,
      ref: call !== null ? call.from.ref : null,
      at: Date.now(),
    });
  }

  replied(replier: ProcessCore | null, from: From, value: unknown): void {
    if (!this.wants('reply')) return;
    this.emit({ type: 'reply', node: this.node, replier: replier?.$pid ?? null, to: from.pid, ref: from.ref, value, at: Date.now() });
  }

  nodeEvent(peer: string, up: boolean, reason: unknown): void {
    if (up) {
      if (this.wants('nodeup')) this.emit({ type: 'nodeup', node: this.node, peer, at: Date.now() });
    } else if (this.wants('nodedown')) {
      this.emit({ type: 'nodedown', node: this.node, peer, reason, at: Date.now() });
    }
  }
}

/**
 * Subscribes `listener` to the inspection events of `node` (of its main scheduler: processes
 * running on worker schedulers are not reported). Returns the function that unsubscribes.
 * With nobody subscribed the runtime pays one null check at each point that would report; a
 * listener runs synchronously inside the runtime, so it must be quick and must not throw (one
 * that throws is removed, with a process warning).
 */
export function inspect(node: Node, listener: (e: InspectEvent) => void, opts: InspectOptions = {}): () => void {
  if (typeof listener !== 'function') throw new InvalidArgumentError('listener', 'a function', listener);
  checkKnownOptions('inspect', opts, ['types']);
  const types: readonly unknown[] = opts.types ?? TYPES;
  if (!Array.isArray(types) || types.some((t) => !TYPES.includes(t as InspectEventType))) {
    throw new InvalidArgumentError('types', `an array of ${TYPES.join(', ')}`, opts.types);
  }
  const k = node.k;
  const inspector = (k.inspect ??= new Inspector(k));
  const sub: Subscriber = { listener, types: new Set(types as InspectEventType[]) };
  inspector.add(sub);
  return () => inspector.remove(sub);
}

/**
 * Publishes an event on `node`'s inspection stream, for the packages above the runtime (a
 * supervisor's restart, a registry's change). Costs nothing when nobody listens for its type.
 */
export function publishInspectEvent(node: Node, event: RestartEvent | RegistryChangeEvent): void {
  const i = node.k.inspect;
  if (i !== null && i.wants(event.type)) i.emit(event);
}

/** Whether anybody listens for events of `type` on `node` (so a publisher can skip building one). */
export function isInspected(node: Node, type: InspectEventType): boolean {
  const i = node.k.inspect;
  return i !== null && i.wants(type);
}
