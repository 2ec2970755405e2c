import type { Pid } from '@foundation/runtime';

/** One registration as `lookup` returns it. */
export interface RegistryEntry<V = unknown> {
  readonly pid: Pid;
  readonly value: V;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** The keys one process holds, in registration order (a key twice when registered twice). */
interface PidRow<K> {
  readonly pid: Pid;
  keys: K[];
}

/**
 * A registry's table: written only by the registry's owner actor, read by anyone on its
 * thread. Each key's entry list is replaced (never mutated) on a write, and frozen, so `lookup`
 * can hand out the stored array itself: no copy, no allocation, and a reader's array stays a
 * consistent snapshot.
 */
export class RegistryTable<K, V> {
  private readonly byKey = new Map<K, readonly RegistryEntry<V>[]>();
  private readonly byPid = new Map<string, PidRow<K>>();
  /** Number of entries (registrations). */
  size = 0;

  constructor(readonly unique: boolean) {}

  lookup(key: K): readonly RegistryEntry<V>[] {
    return this.byKey.get(key) ?? EMPTY;
  }

  /** The pid holding a unique key (the first entry of a duplicate one). */
  whereis(key: K): Pid | undefined {
    return this.byKey.get(key)?.[0]?.pid;
  }

  keysOf(pid: Pid): readonly K[] {
    return this.byPid.get(pid.key)?.keys ?? EMPTY;
  }

  /** True while the process holds at least one key. */
  holds(pid: Pid): boolean {
    return this.byPid.has(pid.key);
  }

  /** Every entry, as `[key, entries]` pairs. */
  entries(): IterableIterator<[K, readonly RegistryEntry<V>[]]> {
    return this.byKey.entries();
  }

  /** Adds an entry; the caller has checked uniqueness. */
  add(key: K, pid: Pid, value: V): RegistryEntry<V> {
    const entry: RegistryEntry<V> = Object.freeze({ pid, value });
    const old = this.byKey.get(key);
    this.byKey.set(key, Object.freeze(old ? [...old, entry] : [entry]));
    let row = this.byPid.get(pid.key);
    if (!row) this.byPid.set(pid.key, (row = { pid, keys: [] }));
    row.keys = [...row.keys, key];
    this.size++;
    return entry;
  }

  /** Replaces the value of `pid`'s entries under `key`; returns the old entries (none: nothing changed). */
  update(key: K, pid: Pid, value: V): RegistryEntry<V>[] {
    const old = this.byKey.get(key);
    if (!old) return [];
    const replaced: RegistryEntry<V>[] = [];
    const next = old.map((e) => {
      if (!e.pid.equals(pid)) return e;
      replaced.push(e);
      return Object.freeze({ pid, value });
    });
    if (replaced.length > 0) this.byKey.set(key, Object.freeze(next));
    return replaced;
  }

  /** Removes every entry of `pid` under `key`; returns them. */
  remove(key: K, pid: Pid): RegistryEntry<V>[] {
    const old = this.byKey.get(key);
    if (!old) return [];
    const kept: RegistryEntry<V>[] = [];
    const removed: RegistryEntry<V>[] = [];
    for (const e of old) (e.pid.equals(pid) ? removed : kept).push(e);
    if (removed.length === 0) return removed;
    if (kept.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, Object.freeze(kept));
    const row = this.byPid.get(pid.key)!;
    row.keys = row.keys.filter((k) => k !== key);
    if (row.keys.length === 0) this.byPid.delete(pid.key);
    this.size -= removed.length;
    return removed;
  }

  /** Removes every entry of `pid`; returns them with their keys. */
  removePid(pid: Pid): [K, RegistryEntry<V>][] {
    const row = this.byPid.get(pid.key);
    if (!row) return [];
    const out: [K, RegistryEntry<V>][] = [];
    for (const key of new Set(row.keys)) for (const e of this.remove(key, pid)) out.push([key, e]);
    return out;
  }

  clear(): void {
    this.byKey.clear();
    this.byPid.clear();
    this.size = 0;
  }
}
