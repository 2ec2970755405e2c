import { InvalidArgumentError, StoppedError, type Node, type Pid, type Target, type ViaName } from '@foundation/runtime';
import { checkKey, checkLocalPid, checkName, checkNode, checkOptionKeys, checkPid, checkTarget } from './internal/checks.js';
import { RegistryOwner, type OwnerCall, type OwnerReply } from './internal/registry-owner.js';
import { RegistryTable, type RegistryEntry } from './internal/registry-table.js';
import { checkPattern, matches, _, type Pattern } from './pattern.js';

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
const running = new WeakMap<Node, Map<string, Registry<RegistryKey, unknown>>>();

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
export class Registry<K extends RegistryKey = string, V = unknown> {
  private constructor(
    /** The node the registry lives on. */
    readonly node: Node,
    /** The registry's name (and its owner's registered name). */
    readonly name: string,
    /** Whether a key names one process or many. */
    readonly keysMode: KeysMode,
    /** The owner actor's pid. */
    readonly pid: Pid,
    private readonly table: RegistryTable<K, V>,
  ) {}

  /** Starts a registry on `node` and resolves with its handle once its owner runs. */
  static async start<K extends RegistryKey = string, V = unknown>(node: Node, opts: RegistryOptions): Promise<Registry<K, V>> {
    checkNode(node, 'Registry.start');
    checkOptionKeys(opts, 'Registry.start option', OPTION_KEYS);
    checkName(opts.name, 'Registry.start option name');
    if (opts.keys !== 'unique' && opts.keys !== 'duplicate') {
      throw new InvalidArgumentError('Registry.start option keys', "'unique' or 'duplicate'", opts.keys);
    }
    const listeners = opts.listeners ?? [];
    if (!Array.isArray(listeners)) throw new InvalidArgumentError('Registry.start option listeners', 'an array of targets', listeners);
    listeners.forEach((t, i) => checkTarget(t, `Registry.start option listeners[${i}]`));
    const table = new RegistryTable<K, V>(opts.keys === 'unique');
    const pid = await node.spawnAndWait(RegistryOwner, { name: opts.name, table, listeners: [...listeners] }, { name: opts.name });
    const reg = new Registry<K, V>(node, opts.name, opts.keys, pid, table);
    let byName = running.get(node);
    if (!byName) running.set(node, (byName = new Map()));
    byName.set(opts.name, reg as unknown as Registry<RegistryKey, unknown>);
    return reg;
  }

  /** The running registry called `name` on `node`, if any (for code that did not start it). */
  static of<K extends RegistryKey = string, V = unknown>(node: Node, name: string): Registry<K, V> | undefined {
    const reg = running.get(node)?.get(name);
    return reg && reg.alive ? (reg as unknown as Registry<K, V>) : undefined;
  }

  /** True while the owner actor runs. */
  get alive(): boolean {
    return this.node.processInfo(this.pid) !== undefined;
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

  /**
   * The entries under `key`: `[]`, `[{ pid, value }]` (unique), or any number (duplicate), in
   * registration order. The array is a frozen snapshot, shared: do not keep it to watch changes.
   */
  lookup(key: K): readonly RegistryEntry<V>[] {
    return this.table.lookup(key);
  }

  /** The pid holding `key` (the first to register it, in a duplicate registry). */
  whereis(key: K): Pid | undefined {
    return this.table.whereis(key);
  }

  /** The entries under `key` whose value matches `pattern` (see `Pattern`). */
  match(key: K, pattern: Pattern<V>): RegistryEntry<V>[] {
    checkKey(key);
    checkPattern(pattern);
    return this.table.lookup(key).filter((e) => matches(e.value, pattern));
  }

  /**
   * Every entry `{ key, pid, value }` that matches `spec`, a pattern over the whole entry:
   * `{ value: { role: 'primary' } }`, `{ key: where((k) => k.startsWith('db.')) }`, `_`...
   */
  select(spec: Pattern<SelectedEntry<K, V>>): SelectedEntry<K, V>[] {
    checkPattern(spec, 'spec');
    const out: SelectedEntry<K, V>[] = [];
    const keyPattern = typeof spec === 'object' && spec !== null && 'key' in spec ? (spec as { key?: unknown }).key : _;
    if (typeof keyPattern === 'string' || typeof keyPattern === 'number') {
      // A literal key: one table row, not a scan.
      for (const e of this.table.lookup(keyPattern as K)) {
        const entry = { key: keyPattern as K, pid: e.pid, value: e.value };
        if (matches(entry, spec)) out.push(entry);
      }
      return out;
    }
    for (const [key, entries] of this.table.entries()) {
      for (const e of entries) {
        const entry = { key, pid: e.pid, value: e.value };
        if (matches(entry, spec)) out.push(entry);
      }
    }
    return out;
  }

  /** Number of entries (registrations) in the registry. */
  count(): number {
    return this.table.size;
  }

  /** Number of entries under `key` whose value matches `pattern`. */
  countMatch(key: K, pattern: Pattern<V>): number {
    return this.match(key, pattern).length;
  }

  /** Number of entries that `select(spec)` would return. */
  countSelect(spec: Pattern<SelectedEntry<K, V>>): number {
    return this.select(spec).length;
  }

  /** The keys `pid` holds, in registration order (a key twice when registered twice). */
  keys(pid: Pid): readonly K[] {
    checkPid(pid);
    return this.table.keysOf(pid);
  }

  /** The values `pid` registered under `key`. */
  values(key: K, pid: Pid): V[] {
    checkKey(key);
    checkPid(pid);
    const out: V[] = [];
    for (const e of this.table.lookup(key)) if (e.pid.equals(pid)) out.push(e.value);
    return out;
  }

  /**
   * Calls `fn` with the entries under `key` (not at all when there are none), for custom
   * dispatch: `reg.dispatch('topic', (subs) => subs.forEach(({ pid }) => node.send(pid, msg)))`.
   * Returns the number of entries `fn` was given.
   */
  dispatch(key: K, fn: (entries: readonly RegistryEntry<V>[]) => void): number {
    checkKey(key);
    if (typeof fn !== 'function') throw new InvalidArgumentError('dispatch(key, fn): fn', 'a function', fn);
    const entries = this.table.lookup(key);
    if (entries.length > 0) fn(entries);
    return entries.length;
  }

  /**
   * A via-name for `key`: `node.send / cast / call(reg.via('db'), msg)` reach the process that
   * holds it (UnknownNameError for a send, a CallExitError `'noproc'`... as for any unknown name).
   * Unique registries only.
   */
  via(key: K): ViaName {
    checkKey(key);
    if (this.keysMode !== 'unique') {
      throw new InvalidArgumentError(`registry '${this.name}' for via-names`, "a registry with keys: 'unique'", this.keysMode);
    }
    return { via: this, key };
  }

  /** Stops the owner actor; the table empties, writes reject with StoppedError. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const box = this.node.inbox();
    try {
      box.monitor(this.pid);
      this.node.exit(this.pid, 'shutdown');
      await box.receive();
    } finally {
      box.close();
      this.table.clear();
      const byName = running.get(this.node);
      if (byName && byName.get(this.name) === (this as unknown)) byName.delete(this.name);
    }
  }

  private async write(build: () => OwnerCall<K, V>): Promise<unknown> {
    const msg = build();
    if (!this.alive) throw new StoppedError(`registry '${this.name}'`);
    return unwrap(await this.node.call<OwnerReply>(this.pid, msg));
  }
}
