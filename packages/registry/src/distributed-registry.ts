import {
  StoppedError,
  checkDuration,
  checkEncodable,
  stopProcess,
  type Node,
  type ActorOf,
  type Pid,
  type ProcessContext,
  type Target,
} from '@foundation/runtime';
import { RunningHandles } from './internal/handles.js';
import { checkContext, checkKey, checkLocalPid, checkPid, checkRegistryStart, checkTarget } from './internal/checks.js';
import { DistTable } from './internal/dreg-table.js';
import { DistributedRegistryOwner, type DOwnerCall, type DOwnerReply, type DistributedRegistryStats } from './internal/dreg-owner.js';
import { RegistryReads } from './internal/reads.js';
import type { KeysMode, RegistryKey } from './registry.js';

export type { DistributedRegistryStats } from './internal/dreg-owner.js';

/** Options of `DistributedRegistry.start`. */
export interface DistributedRegistryOptions {
  /** The registry's name: its owner actor is registered under it on every node that runs it. */
  name: string;
  /** Whether a key names one process cluster-wide or many. */
  keys: KeysMode;
  /** Milliseconds between shipments of local changes to the other nodes (default 100). */
  syncIntervalMs?: number;
  /** Milliseconds between digests (anti-entropy) to every connected node (default 10 sync intervals). */
  antiEntropyIntervalMs?: number;
  /** Processes told of every change of this node's view (`RegistryEvent` messages). */
  listeners?: readonly Target[];
}

const OPTION_KEYS = ['name', 'keys', 'syncIntervalMs', 'antiEntropyIntervalMs', 'listeners'] as const;
const running = new RunningHandles<DistributedRegistry<RegistryKey, unknown>>();

function unwrap(reply: DOwnerReply): unknown {
  if ('error' in reply) throw reply.error;
  return reply.ok;
}

function checkInterval(v: unknown, field: string): void {
  if (v !== undefined) checkDuration(field, v, { positive: true });
}

/**
 * A cluster-wide process registry (Horde's, with duplicate keys too) on a delta-state
 * AWLWWMap. Start it under the same name on every node; each node's owner actor holds a
 * replica and ships its changes every `syncIntervalMs`. Reads — `lookup`, `whereis`, `match`,
 * `select`, `count`, `keys`, `dispatch`, via-names — come from the local replica's table without
 * a message; writes go through the owner of the process's node.
 *
 * - A process registers on its own node; its entries go when it exits, and on every other node
 *   when its node is lost.
 * - Unique keys: a key free in this node's view can be taken here; if another node took it
 *   meanwhile (or on the other side of a partition), the write with the greater HLC timestamp
 *   (ties by replica, so by node) keeps it — the same one everywhere — and the loser's node sends
 *   it the exit `{ nameConflict: { name, winner } }` once (see `isNameConflict`).
 *
 * ```ts
 * const reg = await DistributedRegistry.start(node, { name: 'global', keys: 'unique' });
 * await reg.register('db', pid, { role: 'primary' });
 * otherNodesReg.lookup('db');          // [{ pid, value }] once replicated (a sync interval or so)
 * await node.call(reg.via('db'), 'ping');
 * ```
 */
export class DistributedRegistry<K extends RegistryKey = string, V = unknown> extends RegistryReads<K, V> {
  private constructor(
    /** The node this handle's replica lives on. */
    readonly node: Node,
    /** The registry's name (and its owners' registered name on every node). */
    name: string,
    /** Whether a key names one process or many. */
    keysMode: KeysMode,
    /** Milliseconds between shipments of changes. */
    readonly syncIntervalMs: number,
    /** This node's owner actor. */
    readonly pid: Pid,
    protected override readonly table: DistTable<K, V>,
    /** Where writes are called from. */
    private readonly ctx: ProcessContext,
  ) {
    super(name, keysMode, table);
  }

  /**
   * Starts this node's replica of the registry from `ctx` — the node, or an actor (then it is
   * the owner's parent, and writes through this handle suspend only that actor) — and resolves
   * with its handle once the owner runs.
   */
  static async start<K extends RegistryKey = string, V = unknown>(
    ctx: ProcessContext,
    opts: DistributedRegistryOptions,
  ): Promise<DistributedRegistry<K, V>> {
    const { node, name, keys, listeners } = checkRegistryStart(ctx, opts, 'DistributedRegistry.start', OPTION_KEYS);
    checkInterval(opts.syncIntervalMs, 'DistributedRegistry.start option syncIntervalMs');
    checkInterval(opts.antiEntropyIntervalMs, 'DistributedRegistry.start option antiEntropyIntervalMs');
    const syncIntervalMs = opts.syncIntervalMs ?? 100;
    const table = new DistTable<K, V>(keys === 'unique');
    const pid = await ctx.spawnAndWait(
      DistributedRegistryOwner,
      { name, table, listeners, syncIntervalMs, antiEntropyIntervalMs: opts.antiEntropyIntervalMs ?? syncIntervalMs * 10 },
      { name },
    );
    const reg = new DistributedRegistry<K, V>(node, name, keys, syncIntervalMs, pid, table, ctx);
    running.set(node, name, reg as unknown as DistributedRegistry<RegistryKey, unknown>);
    return reg;
  }

  /**
   * The handle of this node's replica of the distributed registry `name` (for code that did
   * not start it), writing from `ctx`; UnknownNameError when none runs on `ctx`'s node.
   */
  static of<K extends RegistryKey = string, V = unknown>(ctx: ProcessContext, name: string): DistributedRegistry<K, V> {
    const reg = running.running(checkContext(ctx, 'DistributedRegistry.of'), name, name) as unknown as DistributedRegistry<K, V>;
    if (reg.ctx === ctx) return reg;
    return new DistributedRegistry<K, V>(reg.node, reg.name, reg.keysMode, reg.syncIntervalMs, reg.pid, reg.table, ctx);
  }

  /** True while this node's owner actor runs. */
  get alive(): boolean {
    // The owner holds the registry's name exactly as long as it runs (it runs on this thread).
    return this.node.whereis(this.name)?.equals(this.pid) === true;
  }

  /**
   * Registers `pid` (a live process of this node) under `key` with `value` (which must be
   * encodable: it is replicated). Unique: a key held in this node's view rejects with
   * AlreadyRegisteredError. Duplicate: a process may hold a key several times.
   */
  register<Key extends K>(key: Key, pid: Pid<ActorOf<Key>>, value?: V): Promise<void> {
    return this.write(this.pid, () => {
      checkKey(key);
      checkLocalPid(this.node, pid);
      checkEncodable(value, 'registry value');
      return { op: 'register', key, pid, value: value as V };
    }).then(() => undefined);
  }

  /** Removes every entry of `pid` under `key` (through the owner on `pid`'s node); false when it held none. */
  unregister(key: K, pid: Pid): Promise<boolean> {
    return this.write(pid, () => {
      checkKey(key);
      checkPid(pid);
      return { op: 'unregister', key, pid };
    }) as Promise<boolean>;
  }

  /** Replaces the value of `pid`'s entries under `key` (through the owner on `pid`'s node); false when it held none. */
  updateValue(key: K, pid: Pid, value: V): Promise<boolean> {
    return this.write(pid, () => {
      checkKey(key);
      checkPid(pid);
      checkEncodable(value, 'registry value');
      return { op: 'update', key, pid, value };
    }) as Promise<boolean>;
  }

  /** Sends `target` a `RegistryEvent` for every change of this node's view (local or replicated); false when already listening. */
  listen(target: Target): Promise<boolean> {
    return this.write(this.pid, () => {
      checkTarget(target, 'listen(target)');
      return { op: 'listen', target };
    }) as Promise<boolean>;
  }

  /** Stops sending events to `target`; false when it was not listening. */
  unlisten(target: Target): Promise<boolean> {
    return this.write(this.pid, () => {
      checkTarget(target, 'unlisten(target)');
      return { op: 'unlisten', target };
    }) as Promise<boolean>;
  }

  /** The owner's counters: replication (deltas, states, acks, digests sent), conflicts signalled, removals. */
  async stats(): Promise<DistributedRegistryStats> {
    return (await this.write(this.pid, () => ({ op: 'stats' }))) as DistributedRegistryStats;
  }

  /** Stops this node's replica: its processes' entries are removed cluster-wide, the local view empties. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    try {
      await stopProcess(this.ctx, this.pid);
    } finally {
      this.table.clear();
      running.delete(this.node, this.name, this.pid);
    }
  }

  private async write(owner: Pid, build: () => DOwnerCall<K, V>): Promise<unknown> {
    const msg = build();
    if (!this.alive) throw new StoppedError(`registry '${this.name}'`);
    // A process's entries are written by the owner on its node.
    const to: Target = owner.node === this.node.name ? this.pid : { name: this.name, node: owner.node };
    return unwrap(await this.ctx.call<DOwnerReply>(to, msg));
  }
}
