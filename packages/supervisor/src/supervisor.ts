import { resolvePidOf, type ActorClass, type Pid, type ProcessContext, type SpawnOptions } from '@foundation/runtime';
import { checkChildSpec } from './child-spec.js';
import { checkSupervisorOptions, type Strategy, type SupervisorOptions, type TypedSupervisorOptions } from './options.js';
import { failedToStartChild } from './reasons.js';
import { ChildAlreadyPresentError, ChildAlreadyStartedError, ChildNotFoundError, ChildRunningError, StartChildError } from './errors.js';
import type { SupervisorRequest } from './protocol.js';
import { supervisorHandle, type SupervisorHandle } from './handle.js';
import { SupervisorBase, type ChildRecord } from './internal/base.js';
import { countOf, infoOf } from './internal/views.js';

/**
 * OTP's supervisor: starts its children in order (each once the previous one's init
 * succeeded), restarts them by `strategy` and restart type within the restart intensity, and
 * stops them in reverse order. Over the intensity it stops its children and exits with
 * `{ shutdown: { reachedMaxRestartIntensity: { child, reason } } }`, so its own supervisor decides.
 */
export class Supervisor extends SupervisorBase<SupervisorOptions> {
  private strategy: Strategy = 'one_for_one';
  /** In start order. */
  private children: ChildRecord[] = [];

  override async init(options: SupervisorOptions): Promise<void> {
    const o = checkSupervisorOptions(options);
    this.setup(o);
    this.strategy = o.strategy;
    for (const spec of o.children) {
      const r = await this.startProcess(spec, spec.id);
      if ('reason' in r) {
        await this.stopAll();
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- init's throw is this supervisor's exit reason: OTP's {shutdown, {failed_to_start_child, ...}}
        throw failedToStartChild(spec.id, r.reason);
      }
      this.children.push(this.record(spec, spec.id, r.pid));
    }
  }

  protected byToken(token: number): ChildRecord | undefined {
    return this.children.find((c) => c.pending === token);
  }

  protected remove(child: ChildRecord): void {
    if (child.pid !== null) this.setPid(child, null);
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
  }

  /** Stops children one at a time, last started first. */
  protected async stopAll(): Promise<void> {
    for (const c of [...this.children].reverse()) await this.stopProcesses([c]);
  }

  /**
   * one_for_one restarts the child; one_for_all stops the others (last started first) and
   * starts them all in order; rest_for_one does that for the child and those started after
   * it. Temporary children stopped this way are forgotten, not restarted (OTP's rule).
   */
  protected async restartGroup(child: ChildRecord): Promise<ChildRecord | null> {
    const from = this.strategy === 'one_for_one' ? -1 : this.strategy === 'one_for_all' ? 0 : this.children.indexOf(child);
    const group = from < 0 ? [child] : this.children.slice(from);
    for (const c of [...group].reverse()) {
      if (c.pid === null) continue;
      await this.stopProcesses([c]);
      if (c.spec.restart === 'temporary') this.remove(c);
    }
    for (const c of group) {
      if (c.spec.restart === 'temporary' && !this.children.includes(c)) continue;
      c.pending = null;
      if (!(await this.restartRecord(c))) return c;
    }
    return null;
  }

  protected async answer(req: SupervisorRequest): Promise<unknown> {
    switch (req.$supervisor) {
      case 'whichChildren':
        return this.children.map(infoOf);
      case 'countChildren':
        return countOf(this.children);
      case 'startChild':
        return this.startNew(req.spec);
      case 'terminateChild':
        return this.terminateOne(req.child);
      case 'restartChild':
        return this.restartOne(req.id);
      case 'deleteChild':
        return this.deleteOne(req.id);
    }
  }

  private find(id: unknown): ChildRecord {
    const c = typeof id === 'string' ? this.children.find((x) => x.spec.id === id) : undefined;
    if (c === undefined) throw new ChildNotFoundError(typeof id === 'string' ? `'${id}'` : String(id));
    return c;
  }

  private async startNew(input: unknown): Promise<Pid> {
    const spec = checkChildSpec(input);
    const old = this.children.find((c) => c.spec.id === spec.id);
    if (old?.pid) throw new ChildAlreadyStartedError(spec.id, old.pid.toString());
    if (old) throw new ChildAlreadyPresentError(spec.id);
    const r = await this.startProcess(spec, spec.id);
    if ('reason' in r) throw new StartChildError(spec.id, r.reason);
    this.children.push(this.record(spec, spec.id, r.pid));
    return r.pid;
  }

  private async terminateOne(id: unknown): Promise<void> {
    const c = this.find(id);
    c.pending = null;
    await this.stopProcesses([c]);
    if (c.spec.restart === 'temporary') this.remove(c);
  }

  private async restartOne(id: string): Promise<Pid> {
    const c = this.find(id);
    if (c.pid !== null) throw new ChildRunningError(id);
    c.pending = null;
    const r = await this.startProcess(c.spec, c.label);
    if ('reason' in r) throw new StartChildError(id, r.reason);
    this.setPid(c, r.pid);
    return r.pid;
  }

  private deleteOne(id: string): void {
    const c = this.find(id);
    if (c.pid !== null) throw new ChildRunningError(id);
    this.remove(c);
  }

  /**
   * Starts a Supervisor from `ctx` (the node, or an actor: then it is the supervisor's parent)
   * and resolves with its handle once every child started; throws the named option or
   * child-spec error at once, and rejects with InitError when the start fails.
   */
  static async start<const Cs extends readonly (ActorClass | string)[]>(
    ctx: ProcessContext,
    options: TypedSupervisorOptions<Cs>,
    spawnOptions?: SpawnOptions,
  ): Promise<SupervisorHandle> {
    checkSupervisorOptions(options);
    return supervisorHandle(ctx, await ctx.spawnAndWait(Supervisor, options as SupervisorOptions, spawnOptions));
  }

  /** The handle of a running Supervisor known by pid or local registered name (a child of a tree), calling from `ctx`. */
  static of(ctx: ProcessContext, target: Pid | string): SupervisorHandle {
    return supervisorHandle(ctx, resolvePidOf(ctx, target, 'Supervisor.of'));
  }
}
