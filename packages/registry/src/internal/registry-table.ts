import type { Pid } from '@foundation/runtime';

/** One registration as `lookup` returns it. */
export interface RegistryEntry<V = unknown> {
  readonly pid: Pid;
  readonly value: V;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** The keys one process holds, in registration order (a key twice when registered twice), with their entries' ids. */
interface PidRow<K> {
  readonly pid: Pid;
  keys: K[];
  ids: number[];
}

/** One key's entries by id (insertion-ordered: registration order), and the frozen list last handed out. */
interface KeyRow<V> {
  readonly entries: Map<number, RegistryEntry<V>>;
  snapshot: readonly RegistryEntry<V>[] | null;
}

/**
 * A registry's table: written only by the registry's owner actor, read by anyone on its
 * thread. A key's entries live in an insertion-ordered map, so adding one to a key with n
 * holders is O(1) and removing a holder's is O(its entries) — a duplicate key with many holders
 * never copies its list per write. `lookup` hands out a frozen snapshot, made on the first read
 * after a write and kept until the next: reads allocate nothing, and a reader's array stays a
 * consistent snapshot.
 */
export class RegistryTable<K, V> {
  private readonly byKey = new Map<K, KeyRow<V>>();
  private readonly byPid = new Map<string, PidRow<K>>();
  private nextId = 0;
  /** Number of entries (registrations). */
  size = 0;

  constructor(readonly unique: boolean) {}

  lookup(key: K): readonly RegistryEntry<V>[] {
    const row = this.byKey.get(key);
    return row === undefined ? EMPTY : snapshot(row);
  }

  /** The pid holding a unique key (the first entry of a duplicate one). */
  whereis(key: K): Pid | undefined {
    return this.byKey.get(key)?.entries.values().next().value?.pid;
  }

  keysOf(pid: Pid): readonly K[] {
    return this.byPid.get(pid.key)?.keys ?? EMPTY;
  }

  /** True while the process holds at least one key. */
  holds(pid: Pid): boolean {
    return this.byPid.has(pid.key);
  }

  /** Every entry, as `[key, entries]` pairs. */
  *entries(): IterableIterator<[K, readonly RegistryEntry<V>[]]> {
    for (const [key, row] of this.byKey) yield [key, snapshot(row)];
  }

  /** Adds an entry; the caller has checked uniqueness. */
  add(key: K, pid: Pid, value: V): RegistryEntry<V> {
    const entry: RegistryEntry<V> = Object.freeze({ pid, value });
    const id = this.nextId++;
    let krow = this.byKey.get(key);
    if (!krow) this.byKey.set(key, (krow = { entries: new Map(), snapshot: null }));
    krow.entries.set(id, entry);
    krow.snapshot = null;
    let row = this.byPid.get(pid.key);
    if (!row) this.byPid.set(pid.key, (row = { pid, keys: [], ids: [] }));
    // A new array for the keys (a process holds few): `keysOf` handed out the old one.
    row.keys = [...row.keys, key];
    row.ids.push(id);
    this.size++;
    return entry;
  }

  /** Replaces the value of `pid`'s entries under `key`; returns the old entries (none: nothing changed). */
  update(key: K, pid: Pid, value: V): RegistryEntry<V>[] {
    const krow = this.byKey.get(key);
    const row = this.byPid.get(pid.key);
    if (!krow || !row) return [];
    const replaced: RegistryEntry<V>[] = [];
    row.keys.forEach((k, i) => {
      if (k !== key) return;
      const id = row.ids[i]!;
      replaced.push(krow.entries.get(id)!);
      krow.entries.set(id, Object.freeze({ pid, value })); // same id: its place in the order is kept
    });
    if (replaced.length > 0) krow.snapshot = null;
    return replaced;
  }

  /** Removes every entry of `pid` under `key`; returns them. */
  remove(key: K, pid: Pid): RegistryEntry<V>[] {
    const krow = this.byKey.get(key);
    const row = this.byPid.get(pid.key);
    if (!krow || !row) return [];
    const removed: RegistryEntry<V>[] = [];
    const keys: K[] = [];
    const ids: number[] = [];
    row.keys.forEach((k, i) => {
      const id = row.ids[i]!;
      if (k !== key) {
        keys.push(k);
        ids.push(id);
        return;
      }
      removed.push(krow.entries.get(id)!);
      krow.entries.delete(id);
    });
    if (removed.length === 0) return removed;
    krow.snapshot = null;
    if (krow.entries.size === 0) this.byKey.delete(key);
    if (keys.length === 0) this.byPid.delete(pid.key);
    else {
      row.keys = keys;
      row.ids = ids;
    }
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

/** A key's entries as a frozen array, made once per change. */
function snapshot<V>(row: KeyRow<V>): readonly RegistryEntry<V>[] {
  return (row.snapshot ??= Object.freeze([...row.entries.values()]));
}
