import {
  Node,
  BaseProcess,
  InvalidArgumentError,
  StoppedError,
  actorName,
  definedActors,
  checkEncodable,
  stopProcess,
  type ActorClass,
  type Pid,
  type PidOf,
  type ProcessContext,
  type Target,
  type ViaName,
} from '@foundation/runtime';
import { checkChildSpec, type TypedChildSpec } from '../child-spec.js';
import { ChildAlreadyPresentError, ChildAlreadyStartedError, ChildNotFoundError } from '../errors.js';
import { NoQuorumError, UnknownChildClassError } from './errors.js';
import { checkDistributedOptions, type DistributedSupervisorOptions } from './options.js';
import { DistributedSupervisorOwner } from './owner.js';
import { ChildTable, type DistributedChildCounts, type DistributedChildInfo } from './table.js';
import type { OwnerCall, OwnerReply, WireSpec } from './wire.js';

function nodeOf(ctx: unknown): Node {
  if (ctx instanceof Node) return ctx;
  if (ctx instanceof BaseProcess) return ctx.node;
  throw new InvalidArgumentError('DistributedSupervisor.start: ctx', 'a Node (from Node.start) or a process (an actor, an inbox)', ctx);
}

function checkId(id: unknown, where: string): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError(`${where} id`, 'a non-empty string', id);
}

/**
 * A supervisor whose children outlive their node (Horde's DynamicSupervisor, done over): start
 * it under the same name on every member; each child runs on one member, the one rendezvous
 * hashing of its id over the live members picks, and its spec is replicated to all of them.
 *
 * - When a member is lost, its permanent and transient children restart on the survivors the
 *   ring now picks, as soon as its nodedown arrives (temporary children are not restarted).
 * - At most one instance per id once the cluster is connected: after a partition heals, the
 *   instance started last wins and the others stop with `{ duplicateChild: ... }`.
 * - `redistribution: 'active'`: when a member joins, the children it now owns move to it; the old
 *   instance's `handoff()` (see HandsOff) gives the state the new one's `init(args, { handoff })` gets.
 * - `distribution: 'quorum'`: a side without a majority of the members runs nothing.
 *
 * Children are started by class name: their class must be named with `defineActor` on every
 * member. Reads (`whereis`, `via`, `whichChildren`, `countChildren`, `members`) come from this
 * member's view without a message; they lag the cluster by about a sync interval.
 *
 * ```ts
 * const ds = await DistributedSupervisor.start(node, { name: 'workers' });
 * await ds.startChild({ id: 'user:42', start: [Session, { user: 42 }] });
 * await node.call(ds.via('user:42'), 'ping'); // wherever it runs
 * ```
 */
export class DistributedSupervisor {
  private constructor(
    /** The node this member runs on. */
    readonly node: Node,
    /** The supervisor's name (its owner actor's registered name on every member). */
    readonly name: string,
    /** This member's owner actor. */
    readonly pid: Pid,
    private readonly table: ChildTable,
    private readonly ctx: ProcessContext,
  ) {}

  /**
   * Starts this node's member of the supervisor `opts.name` from `ctx` (the node, or an actor:
   * then it is the owner's parent) and resolves once it runs — without waiting for other
   * members: they are found as they connect.
   */
  static async start(ctx: ProcessContext, opts: DistributedSupervisorOptions): Promise<DistributedSupervisor> {
    const node = nodeOf(ctx);
    const o = checkDistributedOptions(opts, node.name);
    const table = new ChildTable(node.name, o);
    const pid = await ctx.spawnAndWait(DistributedSupervisorOwner, { opts: o, table }, { name: o.name });
    return new DistributedSupervisor(node, o.name, pid, table, ctx);
  }

  /** True while this member's owner actor runs. */
  get alive(): boolean {
    return this.table.running && this.node.whereis(this.name)?.equals(this.pid) === true;
  }

  /**
   * Starts a child on the member that owns its id and resolves with its pid once its init
   * succeeded, wherever it runs, and its spec is held by two members (that one and this one),
   * so the loss of either before the next sync does not lose the child. ChildSpecError (an id that is not a string...),
   * UnknownChildClassError (a class not named with defineActor, or not defined on a member),
   * ChildAlreadyStartedError / ChildAlreadyPresentError, NoQuorumError, StartChildError.
   */
  async startChild<C extends ActorClass | string>(spec: TypedChildSpec<C>, timeoutMs = Infinity): Promise<PidOf<C>> {
    const given: unknown = Array.isArray(spec?.start) ? spec.start[0] : undefined;
    if (typeof given === 'string' && typeof spec.id === 'string' && !definedActors().includes(given)) {
      throw new UnknownChildClassError(spec.id, given, [this.node.name]);
    }
    const s = checkChildSpec(spec);
    const cls = typeof given === 'string' ? given : actorName(s.start[0]);
    if (cls === undefined) throw new UnknownChildClassError(s.id, s.start[0].name, []);
    checkEncodable(s.start[1], `child '${s.id}' start args`);
    const missing = this.table.liveMembers().filter((m) => {
      const info = this.table.members.get(m);
      return info !== undefined && !info.classes.includes(cls);
    });
    if (missing.length > 0) throw new UnknownChildClassError(s.id, cls, missing);
    this.checkRunning();
    const running = this.table.whereis(s.id);
    if (running) throw new ChildAlreadyStartedError(s.id, String(running));
    if (this.table.specs.has(s.id)) throw new ChildAlreadyPresentError(s.id);
    const target = this.table.placement(s.id);
    if (target === undefined) throw new NoQuorumError(this.name, this.table.liveMembers(), this.table.knownMembers());
    const wire: WireSpec = { id: s.id, cls, args: s.start[1], restart: s.restart, shutdown: s.shutdown, type: s.type };
    const pid = (await this.ask(target, { $ds: 'start', spec: wire }, timeoutMs)) as PidOf<C>;
    // Until the next sync only the placed member knows the spec: losing it then would lose the child.
    if (target !== this.node.name) await this.ask(this.node.name, { $ds: 'know', spec: wire, pid }, timeoutMs);
    return pid;
  }

  /** Stops the child `id` wherever it runs and forgets its spec (ChildNotFoundError). */
  async terminateChild(id: string, timeoutMs = Infinity): Promise<void> {
    checkId(id, 'terminateChild');
    this.checkRunning();
    if (!this.table.specs.has(id)) throw new ChildNotFoundError(id);
    await this.ask(this.table.whereis(id)?.node ?? this.node.name, { $ds: 'terminate', id }, timeoutMs);
  }

  /** Stops the child `id` and starts it again on the same member (or here, when it runs nowhere); resolves with the new pid. */
  async restartChild(id: string, timeoutMs = Infinity): Promise<Pid> {
    checkId(id, 'restartChild');
    this.checkRunning();
    if (!this.table.specs.has(id)) throw new ChildNotFoundError(id);
    return (await this.ask(this.table.whereis(id)?.node ?? this.node.name, { $ds: 'restart', id }, timeoutMs)) as Pid;
  }

  /** Every child, cluster-wide, as this member sees it: `{ id, node, pid, restart, cls }`, by id. */
  whichChildren(): DistributedChildInfo[] {
    return this.table.children();
  }

  /** `{ specs, active }`, cluster-wide, as this member sees it. */
  countChildren(): DistributedChildCounts {
    return this.table.counts();
  }

  /** The pid of the child `id`, wherever it runs; undefined when it runs nowhere (in this member's view). */
  whereis(id: string): Pid | undefined {
    checkId(id, 'whereis');
    return this.table.whereis(id);
  }

  /**
   * The pid of the child `id` as `whereis` gives it, or, when this view does not show it yet (a
   * child started elsewhere moments ago), as the member the ring places it on sees it.
   */
  async locate(id: string, timeoutMs = Infinity): Promise<Pid | undefined> {
    const here = this.whereis(id);
    if (here) return here;
    this.checkRunning();
    const target = this.table.placement(id);
    if (target === undefined || target === this.node.name) return undefined;
    return ((await this.ask(target, { $ds: 'whereis', id }, timeoutMs)) as Pid | null) ?? undefined;
  }

  /** A via-name for the child `id`: `call(ds.via('user:42'), msg)` reaches it wherever it runs. */
  via<A = unknown>(id: string): ViaName<A> {
    checkId(id, 'via');
    const table = this.table;
    return { via: { whereis: (key: unknown) => (typeof key === 'string' ? table.whereis(key) : undefined) }, key: id };
  }

  /** The live members as this node sees them (itself included), sorted. */
  members(): string[] {
    return this.table.liveMembers();
  }

  /** The member that owns `id` now (where a new instance would start); undefined on a side without quorum. */
  placement(id: string): string | undefined {
    checkId(id, 'placement');
    return this.table.placement(id);
  }

  /** True when the member on `node` has spoken to this one since they connected: its children are in this view. */
  heardFrom(node: string): boolean {
    return this.table.heard.has(node);
  }

  /** Stops this member: its children stop here and restart on the other members. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    await stopProcess(this.ctx, this.pid);
    this.table.clear();
  }

  private checkRunning(): void {
    if (!this.alive) throw new StoppedError(`distributed supervisor '${this.name}'`);
  }

  private async ask(node: string, msg: OwnerCall, timeoutMs: number): Promise<unknown> {
    const to: Target = node === this.node.name ? this.pid : { name: this.name, node };
    const r = await this.ctx.call<OwnerReply>(to, msg, timeoutMs);
    if ('error' in r) throw r.error;
    return r.ok;
  }
}
