import { StoppedError, type Node, type Pid, type Target } from '@foundation/runtime';
import { RunningHandles, stopOwner } from './internal/handles.js';
import { checkKey, checkLocalPid, checkPid, checkRegistryStart, checkTarget } from './internal/checks.js';
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
  ) {
    super(name, keysMode, table);
  }

  /** Starts a registry on `node` and resolves with its handle once its owner runs. */
  static async start<K extends RegistryKey = string, V = unknown>(node: Node, opts: RegistryOptions): Promise<Registry<K, V>> {
    const { name, keys, listeners } = checkRegistryStart(node, opts, 'Registry.start', OPTION_KEYS);
    const table = new RegistryTable<K, V>(keys === 'unique');
    const pid = await node.spawnAndWait(RegistryOwner, { name, table, listeners }, { name });
    const reg = new Registry<K, V>(node, name, keys, pid, table);
    running.set(node, name, reg as unknown as Registry<RegistryKey, unknown>);
    return reg;
  }

  /** The running registry called `name` on `node`, if any (for code that did not start it). */
  static of<K extends RegistryKey = string, V = unknown>(node: Node, name: string): Registry<K, V> | undefined {
    const reg = running.get(node, name);
    return reg && reg.alive ? (reg as unknown as Registry<K, V>) : undefined;
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
  register(key: K, pid: Pid, value?: V): Promise<void> {
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
      await stopOwner(this.node, this.pid);
    } finally {
      this.table.clear();
      running.delete(this.node, this.name, this as never);
    }
  }

  private async write(build: () => OwnerCall<K, V>): Promise<unknown> {
    const msg = build();
    if (!this.alive) throw new StoppedError(`registry '${this.name}'`);
    return unwrap(await this.node.call<OwnerReply>(this.pid, msg));
  }
}
