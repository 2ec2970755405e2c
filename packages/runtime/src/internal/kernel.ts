import { Pid, Ref } from '../pid.js';
import type { Clock } from '../clock.js';
import { AlreadyRegisteredError, InvalidArgumentError, NoProcessError, UnknownNameError } from '../errors.js';
import { Dispatcher } from './dispatcher.js';
import { Outgoing } from './outgoing.js';
import type { Scheduling } from '../scheduling.js';
import { checkEncodable, encodableReason } from '../encodable.js';
import { TimeoutQueue } from './timeouts.js';
import { Flag, type ProcessCore } from './process.js';
import type { Frame, TransportHost, Transport } from '../transport.js';
import type { Target } from '../target.js';
import { isRemoteName, isVia } from '../target.js';
import type { Node } from '../node.js';
import { Kind } from './mailbox.js';
import type { ThreadRouter } from './thread-router.js';
import type { Inspector } from '../inspect.js';

/** Most schedulers a node may have (pid ids carry the owner in their low bits). */
export const MAX_SCHEDULERS = 64;

/*
 * Pid ids. A node with one scheduler numbers its processes 1, 2, 3... (0 is the node's own
 * process). On a node with several, a scheduler allocates pids for any scheduler without
 * asking it (spawn on another scheduler needs no round trip), so an id says who allocated it
 * and for whom:
 *
 *   id = (seq * 64 + allocator) * 64 + target
 *
 * `target % 64` is the scheduler that runs the process (schedulerOf), `allocator` the one that
 * chose the id, and `seq` counts the allocator's pids for that target (1, 2, 3..., each pair on
 * its own counter, so a target sees an allocator's seqs without gaps). Ids below 64 (seq 0) are
 * the schedulers' own processes. A target learns a pid allocated for it from a spawn frame on
 * the allocator's link; see threads/arrivals.ts for what happens to signals that overtake it.
 */

/** The sequence number of a pid id of a node with several schedulers. */
export function seqOf(id: number): number {
  return Math.floor(id / (MAX_SCHEDULERS * MAX_SCHEDULERS));
}

/** The scheduler that allocated a pid id of a node with several schedulers. */
export function allocatorOf(id: number): number {
  return Math.floor(id / MAX_SCHEDULERS) % MAX_SCHEDULERS;
}

/**
 * What a Node is made of inside: pid and ref counters, the live-process list, registered
 * names, the dispatcher and the transport. Public behaviour lives in Node, Actor and Inbox;
 * signal rules in signals.ts, calls in calls.ts, turns in invoker.ts.
 */
export class Kernel {
  readonly dispatcher: Dispatcher;
  /** When frames queued for other schedulers and nodes leave. */
  readonly outgoing: Outgoing;
  /** Call timeouts. */
  readonly timeouts: TimeoutQueue;
  /** Next pid sequence number, by target scheduler (only this one's on a single-scheduler node). */
  private readonly pidSeqs: number[] = [];
  private refSeq = 1;
  private first: ProcessCore | null = null;
  private count = 0;
  /** Registered names of this node (on a node with several schedulers: a replica, see threads). */
  readonly names = new Map<string, Pid>();
  /** This scheduler's index (0: the main thread) and how many the node has. */
  scheduler = 0;
  schedulers = 1;
  /** Processes of this scheduler that monitor nodes (`monitorNodes`). */
  readonly nodeWatchers = new Set<ProcessCore>();
  /** How frames reach the node's other schedulers (set up when it has several). */
  threads: ThreadRouter | null = null;
  /** Local processes whose pids were encoded (may come back by id from a thread or node). */
  private readonly exported = new Map<number, ProcessCore>();
  /** Messages dropped because their target was dead, unknown or unreachable. */
  deadLetters = 0;
  root!: ProcessCore;
  transport: Transport | null = null;
  stopped = false;
  /** The inspection subscribers (inspect.ts), null while nobody listens: each choke point checks this field and nothing else. */
  inspect: Inspector | null = null;
  /** Hooks a remote-facing module installs: incoming frames and node events. */
  host!: TransportHost;

  constructor(
    readonly node: Node,
    readonly name: string,
    readonly incarnation: number,
    readonly clock: Clock,
    sliceMs?: number,
    scheduling: Scheduling | null = null,
  ) {
    this.dispatcher = new Dispatcher(sliceMs, scheduling);
    this.outgoing = new Outgoing(this.dispatcher);
    this.timeouts = new TimeoutQueue(clock);
  }

  /** A fresh pid for a process about to be added. */
  newPid(proc: ProcessCore): Pid {
    return new Pid(this.name, this.allocateId(this.scheduler), this.incarnation, proc);
  }

  /** The pid of this scheduler's own process (sequence 0: its id is the scheduler's index). */
  rootPid(proc: ProcessCore): Pid {
    return new Pid(this.name, this.schedulers > 1 ? this.scheduler : 0, this.incarnation, proc);
  }

  /** A fresh pid id for a process that scheduler `target` will run (see the id layout above). */
  allocateId(target: number): number {
    const seq = this.pidSeqs[target] ?? 1;
    this.pidSeqs[target] = seq + 1;
    if (this.schedulers === 1) return seq;
    // Published before the pid can leave this thread: the target tells "allocated, not yet
    // arrived" from "never allocated" by it.
    this.threads?.publishSeq(target, seq + 1);
    return (seq * MAX_SCHEDULERS + this.scheduler) * MAX_SCHEDULERS + target;
  }

  /** The next pid sequence number for `target`. */
  nextSeq(target: number): number {
    return this.pidSeqs[target] ?? 1;
  }

  /** The scheduler that owns a pid id of this node. */
  schedulerOf(id: number): number {
    return this.schedulers > 1 ? id % MAX_SCHEDULERS : 0;
  }

  /** Sets the next pid sequence numbers, by target (a restarted scheduler continues past its old pids). */
  startPidsAt(seqs: readonly number[]): void {
    seqs.forEach((seq, target) => {
      this.pidSeqs[target] = Math.max(this.pidSeqs[target] ?? 1, seq);
    });
  }

  makeRef(): Ref {
    const seq = this.refSeq++;
    return new Ref(this.name, this.schedulers > 1 ? seq * MAX_SCHEDULERS + this.scheduler : seq, this.incarnation);
  }

  add(p: ProcessCore): void {
    p.$next = this.first;
    if (this.first) this.first.$prev = p;
    this.first = p;
    this.count++;
    if (this.threads !== null) this.threads.publishLoad(this.count);
  }

  remove(p: ProcessCore): void {
    if (p.$prev) p.$prev.$next = p.$next;
    else if (this.first === p) this.first = p.$next;
    if (p.$next) p.$next.$prev = p.$prev;
    p.$prev = p.$next = null;
    this.count--;
    if (this.threads !== null) this.threads.publishLoad(this.count);
    if (p.$flags & Flag.Exported) this.exported.delete(p.$pid.id);
    const name = p.$ext?.name;
    if (name != null && this.names.get(name) === p.$pid) {
      this.names.delete(name);
      this.threads?.nameChanged(name, null, p.$pid);
    }
  }

  /** Number of live processes (the root and inboxes included). */
  get size(): number {
    return this.count;
  }

  /** Live processes, newest first. */
  *all(): IterableIterator<ProcessCore> {
    for (let p = this.first; p; p = p.$next) yield p;
  }

  /** Marks a local process as reachable by id (its pid is leaving this thread). */
  export(p: ProcessCore): void {
    if (p.$flags & (Flag.Exported | Flag.Dead)) return;
    p.$flags |= Flag.Exported;
    this.exported.set(p.$pid.id, p);
  }

  /** The live local process a pid names, or null (dead, unknown, another node or incarnation). */
  local(pid: Pid): ProcessCore | null {
    const p = pid.proc;
    if (p !== null) return p.$k === this && (p.$flags & Flag.Dead) === 0 ? p : null;
    if (pid.node !== this.name || pid.incarnation !== this.incarnation) return null;
    if (this.schedulers > 1 && this.schedulerOf(pid.id) !== this.scheduler) return null;
    return this.exported.get(pid.id) ?? null;
  }

  /**
   * True when the pid is this scheduler's to answer for: it lives (or lived) here, or it names
   * an earlier incarnation of this node (so it is certainly dead). A pid another scheduler
   * allocated for this one, whose spawn has not arrived yet, is not: what is sent to it waits.
   */
  isLocal(pid: Pid): boolean {
    if (pid.node !== this.name) return false;
    if (pid.incarnation !== this.incarnation) return true;
    return this.schedulerOf(pid.id) === this.scheduler && !(this.threads?.arriving(pid.id) ?? false);
  }

  /**
   * Sends a frame towards the process `to` on another scheduler of this node or on another
   * node; false when it cannot go (node not connected, no such scheduler).
   */
  route(to: Pid, frame: Frame): boolean {
    if (this.stopped) return false;
    if (frame.t === 'exit' || frame.t === 'down') frame = { ...frame, reason: encodableReason(frame.reason) };
    if (to.node !== this.name) return this.sendFrame(to.node, frame);
    return this.threads?.send(this.schedulerOf(to.id), frame) ?? false;
  }

  register(name: string, pid: Pid): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError('name', 'a non-empty string', name);
    }
    if (!(pid instanceof Pid)) throw new InvalidArgumentError('pid', 'a Pid', pid);
    const p = this.local(pid);
    if (!p) {
      if (!this.isLocal(pid) && pid.node === this.name) {
        // A process of another scheduler of this node: registered there, as if from there.
        if (this.threads !== null) return this.threads.registerOn(name, pid);
        throw new InvalidArgumentError('pid', `a process of this scheduler (${this.scheduler}); register it where it runs`, pid);
      }
      throw new NoProcessError(pid.toString());
    }
    // This scheduler's table; on a worker a name it has not heard of yet is refused by the claim below.
    const holder = this.names.get(name);
    if (holder) throw new AlreadyRegisteredError(name, holder.toString());
    const own = p.$ext?.name;
    if (own != null) throw new AlreadyRegisteredError(own, `${pid} (a process has at most one name)`);
    this.threads?.claimName(name, pid); // throws AlreadyRegisteredError when another scheduler has it
    p.$x().name = name;
    this.names.set(name, pid);
  }

  unregister(name: string): boolean {
    const pid = this.whereis(name);
    if (!pid) return false;
    const p = this.local(pid);
    if (p === null && this.threads) return this.threads.releaseName(name);
    this.names.delete(name);
    if (p !== null) p.$ext!.name = null;
    this.threads?.nameChanged(name, null, pid);
    return true;
  }

  whereis(name: string): Pid | undefined {
    return this.names.get(name) ?? this.threads?.whereis(name);
  }

  /**
   * Resolves a target to a pid: a pid as is, a local name through the name table, a via-name
   * through its registry. `{ name, node }` for another node stays a name (resolved there).
   * Returns undefined for an unknown local name.
   */
  resolve(target: Target): Pid | { name: string; node: string } | undefined {
    if (target instanceof Pid) return target;
    if (typeof target === 'string') return this.whereis(target);
    if (isRemoteName(target)) {
      if (target.node === this.name) return this.whereis(target.name);
      return target;
    }
    if (isVia(target)) return target.via.whereis(target.key);
    throw new InvalidArgumentError('target', 'a Pid, a registered name, { name, node } or a via-name', target);
  }

  /** Describes a target for error messages. */
  describe(target: Target): string {
    if (target instanceof Pid) return target.toString();
    if (typeof target === 'string') return `'${target}'`;
    if (isRemoteName(target)) return `'${target.name}' on ${target.node}`;
    if (isVia(target)) return `via ${String(target.key)}`;
    return String(target);
  }

  /**
   * A node connected (`reason` undefined) or went away: the processes that monitor nodes get
   * `{ nodeup }` / `{ nodedown, reason }`, in order with what they got from that node before.
   */
  nodeEvent(name: string, up: boolean, reason?: unknown): void {
    if (this.inspect !== null) this.inspect.nodeEvent(name, up, reason);
    const msg = up ? { nodeup: name } : { nodedown: name, reason };
    for (const p of this.nodeWatchers) p.$accept(Kind.Down, msg);
  }

  /** Sends a frame to another node (from a worker scheduler: through the main thread); false when it is not connected. */
  sendFrame(node: string, frame: Frame): boolean {
    if (this.stopped) return false;
    if (this.transport) return this.transport.send(node, frame);
    return this.threads?.sendToNode(node, frame) ?? false;
  }

  /**
   * Delivers a user message to a local process, or as a frame to a remote one; a message the
   * wire cannot carry faithfully is refused with UnencodableError before anything is sent.
   */
  deliver(to: Pid, kind: Kind, payload: unknown): boolean {
    const p = this.local(to);
    if (p !== null) {
      p.$accept(kind, payload);
      return true;
    }
    if (this.isLocal(to)) {
      this.deadLetters++;
      return false;
    }
    checkEncodable(payload);
    const ok = this.route(to, { t: 'msg', to, kind, msg: payload });
    if (!ok) this.deadLetters++;
    return ok;
  }

  /** Delivers a user message to `name` on another node. */
  deliverNamed(to: { name: string; node: string }, kind: Kind, payload: unknown): boolean {
    checkEncodable(payload);
    const ok = this.sendFrame(to.node, { t: 'named', name: to.name, kind, msg: payload });
    if (!ok) this.deadLetters++;
    return ok;
  }

  /** Sends to any target; throws UnknownNameError for an unknown local name. */
  sendTo(target: Target, kind: Kind, payload: unknown): boolean {
    const to = this.resolve(target);
    if (to === undefined) throw new UnknownNameError(this.describe(target));
    return to instanceof Pid ? this.deliver(to, kind, payload) : this.deliverNamed(to, kind, payload);
  }
}
