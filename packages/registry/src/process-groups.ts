import { InvalidArgumentError, StoppedError, isPid, stopProcess, type Node, type Pid, type ProcessContext } from '@foundation/runtime';
import { RunningHandles } from './internal/handles.js';
import { checkContext, checkLocalPid, checkName, checkOptionKeys, checkPid } from './internal/checks.js';
import { ScopeActor, type ScopeCall, type ScopeReply } from './internal/pg-scope.js';
import { GroupTable } from './internal/pg-table.js';
import { scopeActorName } from './internal/pg-protocol.js';

/** Options of `ProcessGroups.start`. */
export interface ProcessGroupsOptions {
  /** Independent sets of groups; nodes share groups of the same scope (default `'default'`). */
  scope?: string;
}

const running = new RunningHandles<ProcessGroups>();

function unwrap(reply: ScopeReply): unknown {
  if ('error' in reply) throw reply.error;
  return reply.ok;
}

/**
 * Process groups, cluster-wide (Erlang's `pg`): processes join named groups; every node of the
 * cluster that runs the same scope sees the members of every other node it is connected to.
 * Each node owns its own members (only local processes may join), monitors them, and tells the
 * other nodes; a node's members vanish from the others' views when it goes down or is cut off,
 * and come back when it reconnects. Views may differ for a moment (strong eventual consistency):
 * reads are local and never wait.
 *
 * ```ts
 * const pg = await ProcessGroups.start(node);            // scope 'default'
 * await pg.join('workers', pid);
 * pg.members('workers');                                  // pids on every connected node
 * ```
 */
export class ProcessGroups {
  private constructor(
    /** The node this handle reads from and writes through. */
    readonly node: Node,
    /** The scope's name. */
    readonly scope: string,
    /** This node's scope actor (registered as `pg:<scope>`). */
    readonly pid: Pid,
    private readonly table: GroupTable,
    /** Where writes are called from. */
    private readonly ctx: ProcessContext,
  ) {}

  /**
   * Starts the scope's actor from `ctx` — the node, or an actor (then it is the scope actor's
   * parent, and writes through this handle suspend only that actor); it finds the scope on the
   * nodes connected now and later.
   */
  static async start(ctx: ProcessContext, opts: ProcessGroupsOptions = {}): Promise<ProcessGroups> {
    const node = checkContext(ctx, 'ProcessGroups.start');
    checkOptionKeys(opts, 'ProcessGroups.start', ['scope']);
    const scope = opts.scope ?? 'default';
    checkName(scope, 'ProcessGroups.start option scope');
    const table = new GroupTable();
    const pid = await ctx.spawnAndWait(ScopeActor, { scope, table }, { name: scopeActorName(scope) });
    const pg = new ProcessGroups(node, scope, pid, table, ctx);
    running.set(node, scope, pg);
    return pg;
  }

  /**
   * The handle of the running scope `scope` on `ctx`'s node (for code that did not start it),
   * writing from `ctx`; UnknownNameError (naming its actor, `pg:<scope>`) when none runs.
   */
  static of(ctx: ProcessContext, scope = 'default'): ProcessGroups {
    const pg = running.running(checkContext(ctx, 'ProcessGroups.of'), scope, scopeActorName(scope));
    return pg.ctx === ctx ? pg : new ProcessGroups(pg.node, pg.scope, pg.pid, pg.table, ctx);
  }

  /** True while the scope actor runs. */
  get alive(): boolean {
    // The scope actor holds its name exactly as long as it runs (it runs on this thread).
    return this.node.whereis(scopeActorName(this.scope))?.equals(this.pid) === true;
  }

  /**
   * Adds local processes to `group` (a pid once per join: join twice, leave twice). Rejects with
   * InvalidArgumentError for a pid of another node and NoProcessError for a dead one (then
   * nobody joins).
   */
  async join(group: string, pids: Pid | readonly Pid[]): Promise<void> {
    const list = this.pidList(group, pids, 'join');
    for (const [i, pid] of list.entries()) checkLocalPid(this.node, pid, `join(group, pids): pids[${i}]`);
    await this.write({ op: 'join', group, pids: list });
  }

  /** Removes one occurrence of each pid from `group`; resolves with false when none was a member. */
  async leave(group: string, pids: Pid | readonly Pid[]): Promise<boolean> {
    const list = this.pidList(group, pids, 'leave');
    return (await this.write({ op: 'leave', group, pids: list })) as boolean;
  }

  /** Members of `group` on this node and every connected node of the scope (a frozen snapshot). */
  members(group: string): readonly Pid[] {
    checkName(group, 'group');
    return this.table.members(group);
  }

  /** Members of `group` on this node. */
  localMembers(group: string): readonly Pid[] {
    checkName(group, 'group');
    return this.table.localMembers(group);
  }

  /** Groups with at least one member this node sees. */
  groups(): string[] {
    return this.table.groups();
  }

  /**
   * Sends `subscriber` a `{ scope, group, joined }` / `{ scope, group, left }` message for every
   * later change of `group`, and resolves with its members now (atomically: no change falls
   * between the two). Dropped when the subscriber exits.
   */
  async monitor(group: string, subscriber: Pid): Promise<readonly Pid[]> {
    checkName(group, 'group');
    checkPid(subscriber, 'monitor(group, subscriber): subscriber');
    return (await this.write({ op: 'monitor', group, pid: subscriber })) as readonly Pid[];
  }

  /** Like `monitor`, for every group of the scope; resolves with all groups and their members now. */
  async monitorScope(subscriber: Pid): Promise<Map<string, readonly Pid[]>> {
    checkPid(subscriber, 'monitorScope(subscriber)');
    return (await this.write({ op: 'monitor', group: null, pid: subscriber })) as Map<string, readonly Pid[]>;
  }

  /** Ends a `monitor(group, subscriber)`; false when there was none. */
  async demonitor(group: string, subscriber: Pid): Promise<boolean> {
    checkName(group, 'group');
    checkPid(subscriber, 'demonitor(group, subscriber): subscriber');
    return (await this.write({ op: 'demonitor', group, pid: subscriber })) as boolean;
  }

  /** Ends a `monitorScope(subscriber)`; false when there was none. */
  async demonitorScope(subscriber: Pid): Promise<boolean> {
    checkPid(subscriber, 'demonitorScope(subscriber)');
    return (await this.write({ op: 'demonitor', group: null, pid: subscriber })) as boolean;
  }

  /** Stops this node's scope actor: its members leave every other node's view. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    try {
      await stopProcess(this.ctx, this.pid);
    } finally {
      this.table.clear();
      running.delete(this.node, this.scope, this.pid);
    }
  }

  private pidList(group: string, pids: Pid | readonly Pid[], what: string): readonly Pid[] {
    checkName(group, 'group');
    const given: unknown = isPid(pids) ? [pids] : pids;
    if (!Array.isArray(given) || given.length === 0) {
      throw new InvalidArgumentError(`${what}(group, pids): pids`, 'a Pid or a non-empty array of Pids', pids);
    }
    given.forEach((pid, i) => checkPid(pid, `${what}(group, pids): pids[${i}]`));
    return given as readonly Pid[];
  }

  private async write(msg: ScopeCall): Promise<unknown> {
    if (!this.alive) throw new StoppedError(`process groups scope '${this.scope}'`);
    return unwrap(await this.ctx.call<ScopeReply>(this.pid, msg));
  }
}
