import { isPid, resolvePidOf, type Pid, type ProcessContext, type SpawnOptions } from '@foundation/runtime';
import { checkDynamicOptions, type DynamicSupervisorOptions } from './options.js';
import { ChildNotFoundError, MaxChildrenError, StartChildError } from './errors.js';
import type { SupervisorRequest } from './protocol.js';
import { checkDynamicChild } from './dynamic-child.js';
import { dynamicSupervisorHandle, type DynamicSupervisorHandle } from './handle.js';
import { SupervisorBase, type ChildRecord } from './internal/base.js';
import { countOf, infoOf } from './internal/views.js';

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

  protected byToken(token: number): ChildRecord | undefined {
    for (const c of this.children.keys()) if (c.pending === token) return c;
    return undefined;
  }

  protected remove(child: ChildRecord): void {
    if (child.pid !== null) this.setPid(child, null);
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
    this.children.set(this.record(spec, label, r.pid), true);
    return r.pid;
  }

  private async terminateOne(pid: unknown): Promise<void> {
    const c = isPid(pid) ? this.byPid(pid) : undefined;
    if (c === undefined) throw new ChildNotFoundError(String(pid));
    await this.stopProcesses([c]);
    this.children.delete(c);
  }

  /**
   * Starts a DynamicSupervisor from `ctx` (the node, or an actor: then it is the supervisor's
   * parent) and resolves with its handle; throws the named option error at once.
   */
  static async start(
    ctx: ProcessContext,
    options: DynamicSupervisorOptions = {},
    spawnOptions?: SpawnOptions,
  ): Promise<DynamicSupervisorHandle> {
    checkDynamicOptions(options);
    return dynamicSupervisorHandle(ctx, await ctx.spawnAndWait(DynamicSupervisor, options, spawnOptions));
  }

  /** The handle of a running DynamicSupervisor known by pid or local registered name (a child of a tree), calling from `ctx`. */
  static of(ctx: ProcessContext, target: Pid | string): DynamicSupervisorHandle {
    return dynamicSupervisorHandle(ctx, resolvePidOf(ctx, target, 'DynamicSupervisor.of'));
  }
}
