import { CausalMap, type CausalMapWire } from './internal/causal-map.js';
import { InvalidWireError } from './errors.js';
import { keyOf } from './key.js';

/** The wire form of an AWORSet (or of one of its deltas). */
export type AWORSetWire<T> = CausalMapWire<'aworset', T, null>;

/**
 * An add-wins observed-remove set, delta-state: `add` and `remove` change this replica and
 * return the delta — itself an AWORSet — to ship to the others, who `join` it. A remove takes
 * out only the adds it has seen, so an add concurrent with it survives (add wins). Elements
 * are compared by a canonical encoding (`keyOf`): pids, arrays, Maps and plain objects work.
 *
 * ```ts
 * const a = new AWORSet<string>('a'), b = new AWORSet<string>('b');
 * b.join(a.add('x'));          // ship the delta
 * a.join(b.remove('x'));
 * ```
 */
export class AWORSet<T> extends CausalMap<'aworset', T, null> {
  readonly kind = 'aworset' as const;

  empty(): this {
    return new AWORSet<T>(this.replica) as this;
  }

  protected checkPayload(p: unknown, path: string): null {
    if (p !== null) throw new InvalidWireError(path, 'null', p);
    return null;
  }

  /** Adds `value`; returns the delta. */
  add(value: T): AWORSet<T> {
    return this.writeDelta(value, null);
  }

  /** Removes `value` (the adds of it seen here); returns the delta (empty when absent). */
  remove(value: T): AWORSet<T> {
    return this.removeDelta([keyOf(value)]);
  }

  /** Removes every element seen here; returns the delta. */
  clear(): AWORSet<T> {
    return this.removeDelta([...this.entries.keys()]);
  }

  /** True when `value` is in the set. */
  has(value: T): boolean {
    return this.entries.has(keyOf(value));
  }

  /** The elements, in no particular order. */
  values(): T[] {
    const out: T[] = [];
    for (const e of this.entries.values()) out.push(e.key);
    return out;
  }

  /** Rebuilds a set (state or delta) from its wire form; `replica` is who will write to it. */
  static fromWire<T>(w: unknown, replica: string): AWORSet<T> {
    return new AWORSet<T>(replica).loadWire(w);
  }
}
