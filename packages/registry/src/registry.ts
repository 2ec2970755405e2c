import { StoppedError, stopProcess, type Node, type ActorOf, type Pid, type ProcessContext, type Target } from '@foundation/runtime';
import { RunningHandles } from './internal/handles.js';
import { checkContext, checkKey, checkLocalPid, checkPid, checkRegistryStart, checkTarget } from './internal/checks.js';
import { RegistryOwner, type OwnerCall, type OwnerReply } from './internal/registry-owner.js';
import { RegistryTable } from './internal/registry-table.js';
import { RegistryReads } from './internal/reads.js';

export type { RegistryEntry } from './internal/registry-table.js';

/** What a registry key may be: a string or a number, compared by value. */
export type RegistryKey = string | number;

/** `unique`: a key names at most one process; `duplicate`: any number (pub/sub, properties). */
export type KeysMode = 'unique' | 'duplicate';

/** Options of `Registry.start`. */
export interface RegistryOptions {
  /** The registry's name: its owner actor is registered under it on the node. */
  name: string;
  /** Whether a key names one process or many. */
  keys: KeysMode;
  /** Processes told of every registration and removal (`RegistryEvent` messages). */
  listeners?: readonly Target[];
}

/** One registration as `select` returns it. */
export interface SelectedEntry<K, V> {
  readonly key: K;
  readonly pid: Pid;
  readonly value: V;
}

const OPTION_KEYS = ['name', 'keys', 'listeners'] as const;
const running = new RunningHandles<Registry<RegistryKey, unknown>>();

function unwrap(reply: OwnerReply): unknown {
  if ('error' in reply) throw reply.error;
  return reply.ok;
}

/**
 * A node-local process registry (Elixir's Registry): keys name processes of this node, with a
 * value each. Writes go through the registry's owner actor, one at a time; reads (`lookup`,
 * `match`, `select`, `count`, `keys`, `dispatch`, via-names) come straight from its table,
 * without a message. Entries go when their process exits.
 *
 * ```ts
 * const reg = await Registry.start(node, { name: 'services', keys: 'unique' });
 * await reg.register('db', pid, { role: 'primary' });
 * reg.lookup('db');                 // [{ pid, value: { role: 'primary' } }]
 * await node.call(reg.via('db'), 'ping');
 * ```
 */
export class Registry<K extends RegistryKey = string, V = unknown> extends RegistryReads<K, V> {
  private constructor(
    /** The node the registry lives on. */
    readonly node: Node,
    /** The registry's name (and its owner's registered name). */
    name: string,
    /** Whether a key names one process or many. */
    keysMode: KeysMode,
    /** The owner actor's pid. */
    readonly pid: Pid,
    protected override readonly table: RegistryTable<K, V>,
    /** Where writes are called from. */
    private readonly ctx: ProcessContext,
  ) {
    super(name, keysMode, table);
  }

  /**
   * Starts a registry from `ctx` — the node, or an actor (then it is the owner's parent, and
   * writes through this handle suspend only that actor) — and resolves with its handle once
   * its owner runs.
   */
  static async start<K extends RegistryKey = string, V = unknown>(ctx: ProcessContext, opts: RegistryOptions): Promise<Registry<K, V>> {
    const { node, name, keys, listeners } = checkRegistryStart(ctx, opts, 'Registry.start', OPTION_KEYS);
    const table = new RegistryTable<K, V>(keys === 'unique');
    const pid = await ctx.spawnAndWait(RegistryOwner, { name, table, listeners }, { name });
    const reg = new Registry<K, V>(node, name, keys, pid, table, ctx);
    running.set(node, name, reg as unknown as Registry<RegistryKey, unknown>);
    return reg;
  }

  /**
   * The handle of the running registry called `name` on `ctx`'s node (for code that did not
   * start it), writing from `ctx`; UnknownNameError when none runs.
   */
  static of<K extends RegistryKey = string, V = unknown>(ctx: ProcessContext, name: string): Registry<K, V> {
    const reg = running.running(checkContext(ctx, 'Registry.of'), name, name) as unknown as Registry<K, V>;
    return reg.ctx === ctx ? reg : new Registry<K, V>(reg.node, reg.name, reg.keysMode, reg.pid, reg.table, ctx);
  }

  /** True while the owner actor runs. */
  get alive(): boolean {
    // The owner holds the registry's name exactly as long as it runs (it runs on this thread).
    return this.node.whereis(this.name)?.equals(this.pid) === true;
  }

  /**
   * Registers `pid` (a live process of this node) under `key` with `value`. In a unique
   * registry a key held by anyone — the same process included — rejects with
   * AlreadyRegisteredError; in a duplicate one a process may hold a key several times.
   * A dead pid rejects with NoProcessError.
   */
  register<Key extends K>(key: Key, pid: Pid<ActorOf<Key>>, value?: V): Promise<void> {
    return this.write(() => {
      checkKey(key);
      checkLocalPid(this.node, pid);
      return { op: 'register', key, pid, value: value as V };
    }).then(() => undefined);
  }

  /** Removes every entry of `pid` under `key`; resolves with false when it held none. */
  unregister(key: K, pid: Pid): Promise<boolean> {
    return this.write(() => {
      checkKey(key);
      checkPid(pid);
      return { op: 'unregister', key, pid };
    }) as Promise<boolean>;
  }

  /** Replaces the value of `pid`'s entries under `key` (listeners see unregistered + registered); false when it held none. */
  updateValue(key: K, pid: Pid, value: V): Promise<boolean> {
    return this.write(() => {
      checkKey(key);
      checkPid(pid);
      return { op: 'update', key, pid, value };
    }) as Promise<boolean>;
  }

  /**
   * Sends `target` a `RegistryEvent` for every later registration and removal (by
   * `unregister`, `updateValue` or the process exiting). A listener given by pid is dropped when
   * it exits. Resolves with false when it was already listening.
   */
  listen(target: Target): Promise<boolean> {
    return this.write(() => {
      checkTarget(target, 'listen(target)');
      return { op: 'listen', target };
    }) as Promise<boolean>;
  }

  /** Stops sending events to `target`; false when it was not listening. */
  unlisten(target: Target): Promise<boolean> {
    return this.write(() => {
      checkTarget(target, 'unlisten(target)');
      return { op: 'unlisten', target };
    }) as Promise<boolean>;
  }

  /** Stops the owner actor; the table empties, writes reject with StoppedError. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    try {
      await stopProcess(this.ctx, this.pid);
    } finally {
      this.table.clear();
      running.delete(this.node, this.name, this.pid);
    }
  }

  private async write(build: () => OwnerCall<K, V>): Promise<unknown> {
    const msg = build();
    if (!this.alive) throw new StoppedError(`registry '${this.name}'`);
    return unwrap(await this.ctx.call<OwnerReply>(this.pid, msg));
  }
}
