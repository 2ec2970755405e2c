import { isPid, type ActorClass, type Pid, type SpawnOptions, type Target } from '@foundation/runtime';
import { checkChildSpec, type ChildSpec, type NormalizedChildSpec } from './child-spec.js';
import { checkDynamicOptions, type DynamicSupervisorOptions } from './options.js';
import { ChildNotFoundError, ChildSpecError, MaxChildrenError, StartChildError } from './errors.js';
import {
  request,
  type CallContext, type ChildCounts, type ChildInfo, type SpawnContext,
  type SupervisorRequest,
} from './protocol.js';
import { SupervisorBase, childRecord, type ChildRecord } from './internal/base.js';
import { countOf, infoOf } from './internal/views.js';

/** What a DynamicSupervisor starts: a child spec (its `id` optional) or `[ActorClass, args]`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ChildStart
export type DynamicChild<A = any> =
  | (Omit<ChildSpec<A>, 'id'> & { readonly id?: string })
  | readonly [ActorClass<A>, A]
  | readonly [ActorClass<A>];

/** Checks what `startChild` was given; returns the spec and the id to show (null when none). */
export function checkDynamicChild(input: unknown): { spec: NormalizedChildSpec; label: string | null } {
  if (Array.isArray(input)) return { spec: checkChildSpec({ id: 'dynamic', start: input }), label: null };
  if (typeof input !== 'object' || input === null) {
    throw new ChildSpecError(undefined, 'child', 'a child spec or [ActorClass, args]', input);
  }
  const given = input as { id?: unknown };
  const spec = checkChildSpec({ ...input, id: given.id ?? 'dynamic' });
  return { spec, label: given.id === undefined ? null : spec.id };
}

/**
 * Elixir's DynamicSupervisor (OTP's simple_one_for_one, generalised): starts no children at
 * first and starts each one on demand, at most `maxChildren`; restarts them one_for_one
 * within the restart intensity; stops them all at once when it stops.
 */
export class DynamicSupervisor extends SupervisorBase<DynamicSupervisorOptions> {
  private maxChildren = Infinity;
  /** In start order (a Map keeps insertion order). */
  private children = new Map<ChildRecord, true>();

  override init(options: DynamicSupervisorOptions): void {
    const o = checkDynamicOptions(options);
    this.setup(o);
    this.maxChildren = o.maxChildren;
  }

  protected byPid(pid: Pid): ChildRecord | undefined {
    for (const c of this.children.keys()) if (c.pid !== null && c.pid.equals(pid)) return c;
    return undefined;
  }

  protected byToken(token: number): ChildRecord | undefined {
    for (const c of this.children.keys()) if (c.pending === token) return c;
    return undefined;
  }

  protected remove(child: ChildRecord): void {
    this.children.delete(child);
  }

  protected async stopAll(): Promise<void> {
    await this.stopProcesses([...this.children.keys()]);
  }

  protected async restartGroup(child: ChildRecord): Promise<ChildRecord | null> {
    return (await this.restartRecord(child)) ? null : child;
  }

  protected async answer(req: SupervisorRequest): Promise<unknown> {
    switch (req.$supervisor) {
      case 'whichChildren':
        return [...this.children.keys()].map(infoOf);
      case 'countChildren':
        return countOf(this.children.keys());
      case 'startChild':
        return this.startNew(req.spec);
      case 'terminateChild':
        return this.terminateOne(req.child);
      case 'restartChild':
      case 'deleteChild':
        throw new TypeError(`a DynamicSupervisor has no ${req.$supervisor}: its children have no kept specs`);
    }
  }

  private async startNew(input: unknown): Promise<Pid> {
    const { spec, label } = checkDynamicChild(input);
    if (this.children.size >= this.maxChildren) throw new MaxChildrenError(this.maxChildren);
    const r = await this.startProcess(spec, label);
    if ('reason' in r) throw new StartChildError(label, r.reason);
    this.children.set(childRecord(spec, label, r.pid), true);
    return r.pid;
  }

  private async terminateOne(pid: unknown): Promise<void> {
    const c = isPid(pid) ? this.byPid(pid) : undefined;
    if (c === undefined) throw new ChildNotFoundError(String(pid));
    await this.stopProcesses([c]);
    this.children.delete(c);
  }

  /** Starts a DynamicSupervisor; throws the named option error at once. */
  static async start(ctx: SpawnContext, options: DynamicSupervisorOptions = {}, spawnOptions?: SpawnOptions): Promise<Pid> {
    checkDynamicOptions(options);
    return await ctx.spawnAndWait(DynamicSupervisor, options, spawnOptions);
  }

  /** Starts a child from a spec or `[ActorClass, args]`; resolves with its pid (MaxChildrenError, StartChildError). */
  static async startChild(ctx: CallContext, sup: Target, child: DynamicChild, timeoutMs?: number): Promise<Pid> {
    checkDynamicChild(child);
    return await request(ctx, sup, { $supervisor: 'startChild', spec: child }, timeoutMs);
  }

  /** Stops the child `pid` and forgets it (ChildNotFoundError). */
  static terminateChild(ctx: CallContext, sup: Target, pid: Pid, timeoutMs?: number): Promise<void> {
    return request(ctx, sup, { $supervisor: 'terminateChild', child: pid }, timeoutMs);
  }

  /** The children, in start order: `[{ id, pid | null, type, restart }]`. */
  static whichChildren(ctx: CallContext, sup: Target, timeoutMs?: number): Promise<ChildInfo[]> {
    return request(ctx, sup, { $supervisor: 'whichChildren' }, timeoutMs);
  }

  /** `{ specs, active, supervisors, workers }`. */
  static countChildren(ctx: CallContext, sup: Target, timeoutMs?: number): Promise<ChildCounts> {
    return request(ctx, sup, { $supervisor: 'countChildren' }, timeoutMs);
  }
}
