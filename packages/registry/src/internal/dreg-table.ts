import type { Pid } from '@foundation/runtime';
import { HLC, type Timestamp } from '@foundation/crdt';
import type { RegistryEntry } from './registry-table.js';

/** One process's registration of a key as the replica holds it: its values and write timestamp. */
export interface Candidate<V> {
  readonly pid: Pid;
  /** One value per registration (several only in a duplicate registry). */
  readonly values: readonly V[];
  /** The HLC timestamp of the write that set them (the AWLWWMap register's). */
  readonly t: Timestamp;
}

const EMPTY: readonly never[] = Object.freeze([]);

/** Winner first: the greatest HLC timestamp (physical ms, counter, then replica id — which names the node). */
const byWinner = (a: Candidate<unknown>, b: Candidate<unknown>) => HLC.compare(b.t, a.t);
/** Registration order for duplicate keys: oldest write first, the same order on every node. */
const byAge = (a: Candidate<unknown>, b: Candidate<unknown>) => HLC.compare(a.t, b.t);

/**
 * The view a DistributedRegistry's reads come from, derived from its AWLWWMap replica by the
 * owner actor (its only writer). Every process that registered a key is a candidate; the
 * visible entries of a key are all candidates (duplicate) or the winner alone (unique: until
 * the loser's node has removed it after a heal, both are in the map). Like the local table,
 * each key's visible list is a frozen array replaced on change, so `lookup` hands it out as is.
 */
export class DistTable<K, V> {
  private readonly visible = new Map<K, readonly RegistryEntry<V>[]>();
  private readonly cands = new Map<K, Map<string, Candidate<V>>>();
  private readonly byPid = new Map<string, { readonly pid: Pid; readonly keys: Set<K> }>();
  /** Number of visible entries. */
  size = 0;

  constructor(readonly unique: boolean) {}

  lookup(key: K): readonly RegistryEntry<V>[] {
    return this.visible.get(key) ?? EMPTY;
  }

  whereis(key: K): Pid | undefined {
    return this.visible.get(key)?.[0]?.pid;
  }

  keysOf(pid: Pid): readonly K[] {
    const row = this.byPid.get(pid.key);
    return row ? [...row.keys] : EMPTY;
  }

  entries(): IterableIterator<[K, readonly RegistryEntry<V>[]]> {
    return this.visible.entries();
  }

  /** Every candidate of `key`, winner first. */
  candidates(key: K): Candidate<V>[] {
    const c = this.cands.get(key);
    return c ? [...c.values()].sort(byWinner) : [];
  }

  /** Sets `pid`'s candidate under `key` (undefined: it has none) and recomputes the key's visible entries. */
  put(key: K, pid: Pid, c: Candidate<V> | undefined): void {
    let m = this.cands.get(key);
    if (c === undefined) {
      if (!m?.delete(pid.key)) return;
      if (m.size === 0) this.cands.delete(key);
    } else {
      if (!m) this.cands.set(key, (m = new Map<string, Candidate<V>>()));
      if (m.get(pid.key) === c) return;
      m.set(pid.key, c);
    }
    this.refresh(key, m);
  }

  private refresh(key: K, m: Map<string, Candidate<V>> | undefined): void {
    const before = this.visible.get(key) ?? EMPTY;
    let shown: Candidate<V>[];
    if (!m || m.size === 0) shown = [];
    else if (this.unique) {
      let best: Candidate<V> | undefined;
      for (const c of m.values()) if (!best || byWinner(c, best) < 0) best = c;
      shown = [best!];
    } else shown = [...m.values()].sort(byAge);
    const after: RegistryEntry<V>[] = [];
    for (const c of shown) for (const value of c.values) after.push(Object.freeze({ pid: c.pid, value }));
    this.size += after.length - before.length;
    if (after.length === 0) this.visible.delete(key);
    else this.visible.set(key, Object.freeze(after));
    for (const e of before) this.unindex(key, e.pid);
    for (const e of after) {
      let row = this.byPid.get(e.pid.key);
      if (!row) this.byPid.set(e.pid.key, (row = { pid: e.pid, keys: new Set() }));
      row.keys.add(key);
    }
  }

  private unindex(key: K, pid: Pid): void {
    const row = this.byPid.get(pid.key);
    if (!row) return;
    row.keys.delete(key);
    if (row.keys.size === 0) this.byPid.delete(pid.key);
  }

  clear(): void {
    this.visible.clear();
    this.cands.clear();
    this.byPid.clear();
    this.size = 0;
  }
}
