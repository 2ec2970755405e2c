/**
 * A Map for the monitor tables of a process (`watching`, `monitoredBy`), which usually hold
 * one entry for a moment: every call adds one on each side and removes it at the reply. V8
 * shrinks a Map's table when it empties, so a Map going 1 → 0 entries allocates a new table
 * each time; here the first entry lives in two fields instead, and a Map is made only for the
 * second entry on. Iteration is in insertion order, as a Map's: the slot is used only while
 * the Map is empty, so the slot's entry is always the oldest.
 */
export class SlotMap<K, V> {
  private slotKey: K | undefined = undefined;
  private slotValue: V | undefined = undefined;
  private more: Map<K, V> | null = null;

  get size(): number {
    return (this.slotKey !== undefined ? 1 : 0) + (this.more !== null ? this.more.size : 0);
  }

  get(key: K): V | undefined {
    if (key === this.slotKey) return this.slotValue;
    return this.more !== null ? this.more.get(key) : undefined;
  }

  set(key: K, value: V): this {
    if (key === this.slotKey) this.slotValue = value;
    else if (this.slotKey === undefined && (this.more === null || this.more.size === 0)) {
      this.slotKey = key;
      this.slotValue = value;
    } else (this.more ??= new Map()).set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (key === this.slotKey) {
      this.slotKey = undefined;
      this.slotValue = undefined;
      return true;
    }
    return this.more !== null && this.more.delete(key);
  }

  *entries(): IterableIterator<[K, V]> {
    // The slot may be emptied or refilled while iterating (a Map's iterators see such changes too).
    if (this.slotKey !== undefined) yield [this.slotKey, this.slotValue!];
    if (this.more !== null) yield* this.more;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
