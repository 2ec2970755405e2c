import { InvalidArgumentError, StoppedError, isPid, type Node, type Pid } from '@foundation/runtime';
import { RunningHandles, stopOwner } from './internal/handles.js';
import { checkLocalPid, checkName, checkNode, checkOptionKeys, checkPid } from './internal/checks.js';
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
  ) {}

  /** Starts the scope's actor on `node`; it finds the scope on the nodes connected now and later. */
  static async start(node: Node, opts: ProcessGroupsOptions = {}): Promise<ProcessGroups> {
    checkNode(node, 'ProcessGroups.start');
    checkOptionKeys(opts, 'ProcessGroups.start', ['scope']);
    const scope = opts.scope ?? 'default';
    checkName(scope, 'ProcessGroups.start option scope');
    const table = new GroupTable();
    const pid = await node.spawnAndWait(ScopeActor, { scope, table }, { name: scopeActorName(scope) });
    const pg = new ProcessGroups(node, scope, pid, table);
    running.set(node, scope, pg);
    return pg;
  }

  /** The running scope `scope` on `node`, if any (for code that did not start it). */
  static of(node: Node, scope = 'default'): ProcessGroups | undefined {
    const pg = running.get(node, scope);
    return pg?.alive ? pg : undefined;
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
      await stopOwner(this.node, this.pid);
    } finally {
      this.table.clear();
      running.delete(this.node, this.scope, this as never);
    }
  }

  private pidList(group: string, pids: Pid | readonly Pid[], what: string): readonly Pid[] {
    checkName(group, 'group');
    const list = isPid(pids) ? [pids] : pids;
    if (!Array.isArray(list) || list.length === 0) {
      throw new InvalidArgumentError(`${what}(group, pids): pids`, 'a Pid or a non-empty array of Pids', pids);
    }
    list.forEach((pid, i) => checkPid(pid, `${what}(group, pids): pids[${i}]`));
    return list;
  }

  private async write(msg: ScopeCall): Promise<unknown> {
    if (!this.alive) throw new StoppedError(`process groups scope '${this.scope}'`);
    return unwrap(await this.node.call<ScopeReply>(this.pid, msg));
  }
}
