import { InvalidArgumentError, type ActorOf, type Pid, type ViaName } from '@foundation/runtime';
import { checkKey, checkPid } from './checks.js';
import type { RegistryEntry } from './registry-table.js';
import { checkPattern, matches, _, type Pattern } from '../pattern.js';
import type { KeysMode, RegistryKey, SelectedEntry } from '../registry.js';

/** What a registry handle reads from: its node's table (local, or the replica of a distributed one). */
export interface ReadableTable<K, V> {
  readonly size: number;
  lookup(key: K): readonly RegistryEntry<V>[];
  whereis(key: K): Pid | undefined;
  keysOf(pid: Pid): readonly K[];
  entries(): IterableIterator<[K, readonly RegistryEntry<V>[]]>;
}

/**
 * The read side shared by Registry and DistributedRegistry: every read comes straight from the
 * table on this node, without a message to the owner actor.
 */
export abstract class RegistryReads<K extends RegistryKey, V> {
  protected constructor(
    /** The registry's name (and its owner's registered name). */
    readonly name: string,
    /** Whether a key names one process or many. */
    readonly keysMode: KeysMode,
    protected readonly table: ReadableTable<K, V>,
  ) {}

  /**
   * The entries under `key`: `[]`, `[{ pid, value }]` (unique), or any number (duplicate), in
   * registration order. The array is a frozen snapshot, shared: do not keep it to watch changes.
   */
  lookup(key: K): readonly RegistryEntry<V>[] {
    return this.table.lookup(key);
  }

  /** The pid holding `key` (the first to register it, in a duplicate registry); a `Pid<A>` for a typed key (`name<A>('db')`). */
  whereis<Key extends K>(key: Key): Pid<ActorOf<Key>> | undefined {
    return this.table.whereis(key) as Pid<ActorOf<Key>> | undefined;
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
   * Unique registries only. A typed key (`const db = name<Db>('db')`) gives a typed via-name:
   * messages to it are checked against Db's handlers, and calls resolve with its reply types.
   */
  via<Key extends K>(key: Key): ViaName<ActorOf<Key>> {
    checkKey(key);
    if (this.keysMode !== 'unique') {
      throw new InvalidArgumentError(`registry '${this.name}' for via-names`, "a registry with keys: 'unique'", this.keysMode);
    }
    return { via: this, key };
  }
}
