import { CausalContext, type CausalContextWire } from '../causal-context.js';
import { compareDots, type Dot } from '../dot.js';
import { InvalidArgumentError } from '@foundation/runtime';
import { InvalidWireError, KindMismatchError } from '../errors.js';
import { keyOf } from '../key.js';

/** One dot of a key and what the write tagged with it carried. Never mutated once made. */
export interface Dotted<P> {
  readonly r: string;
  readonly n: number;
  readonly p: P;
}

/** A key with its live dots (several only after concurrent writes). */
interface Entry<K, P> {
  readonly key: K;
  readonly dots: readonly Dotted<P>[];
}

/** The wire form shared by the causal maps: `[key, [replica, counter, payload][]][]`. */
export interface CausalMapWire<Kind extends string, K, P> {
  readonly kind: Kind;
  readonly context: CausalContextWire;
  readonly entries: ReadonlyArray<readonly [key: K, dots: ReadonlyArray<readonly [replica: string, counter: number, payload: P]>]>;
}

const sameDot = (a: Dotted<unknown>, b: Dotted<unknown>) => a.n === b.n && a.r === b.r;

/**
 * The dot store both AWORSet and AWLWWMap are made of: a map from key to a "dot function"
 * (dot → payload), paired with a causal context. The join is the paper's: a dot survives when
 * both sides have it, or when one side has it and the other has not seen it; a dot one side has
 * and the other has seen but dropped was removed there, and stays removed. So a removal is the
 * absence of a dot from the store while it is in the context — no tombstone.
 *
 * An index from dot to key lets a join with a small delta touch only the keys the delta names
 * or whose dots its context covers, instead of walking the whole store.
 */
export abstract class CausalMap<Kind extends string, K, P> {
  /** The dots this replica has seen. */
  readonly context = new CausalContext();
  /** @internal */
  readonly entries = new Map<string, Entry<K, P>>();
  private readonly index = new Map<string, Map<number, string>>();

  constructor(
    /** Which replica this is: it tags its own writes with dots of this id. */
    readonly replica: string,
  ) {
    if (typeof replica !== 'string' || replica === '') throw new InvalidArgumentError('replica', 'a non-empty string', replica);
  }

  /** The kind tag of the wire form. */
  abstract readonly kind: Kind;

  /** An empty CRDT of the same kind and replica: deltas and delta groups start from it. */
  abstract empty(): this;

  /** Checks one payload of a wire form. */
  protected abstract checkPayload(p: unknown, path: string): P;

  /** Called with every payload another state brings in, before it is joined. */
  protected observe(_p: P): void {}

  /**
   * Called with every payload a join would bring in, before the join changes anything: a throw
   * refuses the whole join (AWLWWMap refuses timestamps too far in the future).
   */
  protected admit(_p: P): void {}

  /** True when a live dot of `replica` tags some key here. */
  hasDotsOf(replica: string): boolean {
    return this.index.has(replica);
  }

  /** Number of keys present. */
  get size(): number {
    return this.entries.size;
  }

  /** @internal The write of `payload` under `key`: replaces every dot of it this replica has seen. */
  protected writeDelta(key: K, payload: P): this {
    const ks = keyOf(key);
    const d = this.empty();
    const old = this.entries.get(ks);
    if (old) for (const x of old.dots) d.context.add([x.r, x.n]);
    // The next dot of this replica, recorded here by the join below (not before it: a dot
    // already in this context would read as seen-and-removed).
    const r = this.replica;
    const n = this.context.max(r) + 1;
    d.context.add([r, n]);
    d.put(ks, key, [{ r, n, p: payload }]);
    this.join(d);
    return d;
  }

  /** @internal The removal of the keys given: their dots seen here go to the delta's context. */
  protected removeDelta(keys: Iterable<string>): this {
    const d = this.empty();
    for (const ks of keys) {
      const old = this.entries.get(ks);
      if (old) for (const x of old.dots) d.context.add([x.r, x.n]);
    }
    // A removal is an event of its own, with a dot of this replica: without one, a replica
    // that missed it would have the same causal context as one that saw it, and digests
    // could not tell them apart. The dot costs nothing once the context compacts.
    if (!d.context.isEmpty) d.context.add([this.replica, this.context.max(this.replica) + 1]);
    this.join(d);
    return d;
  }

  /** @internal */
  protected liveKeys(): IterableIterator<[string, Entry<K, P>]> {
    return this.entries.entries();
  }

  /**
   * Joins another state or delta of the same kind into this one (the least upper bound of
   * the two). Returns the keys whose dots changed here, for observers. Commutative,
   * associative and idempotent; `other` is not modified.
   */
  join(other: this): K[] {
    if (other === this) return [];
    if (other.kind !== this.kind) throw new KindMismatchError(this.kind, other.kind);
    const touched = new Set<string>(other.entries.keys());
    this.coveredKeys(other.context, touched);
    const mine = this.context;
    const theirs = other.context;
    // Planned first, applied after: a payload refused by `admit` leaves this state as it was.
    const plans: { ks: string; key: K; keep: readonly Dotted<P>[]; add: readonly Dotted<P>[] }[] = [];
    for (const ks of touched) {
      const a = this.entries.get(ks);
      const b = other.entries.get(ks);
      const ad = a?.dots ?? [];
      const bd = b?.dots ?? [];
      const keep = ad.filter((x) => bd.some((y) => sameDot(x, y)) || !theirs.has([x.r, x.n]));
      const add = bd.filter((y) => !ad.some((x) => sameDot(x, y)) && !mine.has([y.r, y.n]));
      if (keep.length === ad.length && add.length === 0) continue;
      for (const y of add) this.admit(y.p);
      plans.push({ ks, key: (a ?? b)!.key, keep, add });
    }
    const changed: K[] = [];
    for (const { ks, key, keep, add } of plans) {
      for (const y of add) this.observe(y.p);
      this.put(ks, key, add.length === 0 ? keep : keep.concat(add));
      changed.push(key);
    }
    mine.join(theirs);
    return changed;
  }

  /** Adds to `out` the keys of this store having a dot that `ctx` has seen. */
  private coveredKeys(ctx: CausalContext, out: Set<string>): void {
    for (const { replica, upTo, cloud } of ctx.replicas()) {
      const idx = this.index.get(replica);
      if (!idx) continue;
      if (upTo < idx.size) {
        for (let n = 1; n <= upTo; n++) {
          const ks = idx.get(n);
          if (ks !== undefined) out.add(ks);
        }
      } else {
        for (const [n, ks] of idx) if (n <= upTo) out.add(ks);
      }
      if (cloud) {
        for (const n of cloud) {
          const ks = idx.get(n);
          if (ks !== undefined) out.add(ks);
        }
      }
    }
  }

  /** Sets the dots of a key (none: the key goes), keeping the dot index in step. */
  private put(ks: string, key: K, dots: readonly Dotted<P>[]): void {
    const old = this.entries.get(ks);
    if (old) {
      for (const x of old.dots) {
        const idx = this.index.get(x.r);
        if (idx) {
          idx.delete(x.n);
          if (idx.size === 0) this.index.delete(x.r);
        }
      }
    }
    if (dots.length === 0) {
      this.entries.delete(ks);
      return;
    }
    this.entries.set(ks, { key, dots });
    for (const x of dots) {
      let idx = this.index.get(x.r);
      if (!idx) this.index.set(x.r, (idx = new Map<number, string>()));
      idx.set(x.n, ks);
    }
  }

  /** An independent copy (payloads and keys are shared: they are never mutated). */
  clone(): this {
    const c = this.empty();
    c.join(this);
    return c;
  }

  /** What this state holds, for memory checks: keys, live dots, and the context's size. */
  stateSize(): { keys: number; dots: number; contextReplicas: number; contextCloud: number } {
    let dots = 0;
    for (const e of this.entries.values()) dots += e.dots.length;
    const c = this.context.size;
    return { keys: this.entries.size, dots, contextReplicas: c.replicas, contextCloud: c.cloud };
  }

  /** True when both hold the same dots, payloads aside (same dot, same write). */
  sameState(other: this): boolean {
    if (other.kind !== this.kind || other.entries.size !== this.entries.size || !this.context.equals(other.context)) return false;
    for (const [ks, a] of this.entries) {
      const b = other.entries.get(ks);
      if (!b || b.dots.length !== a.dots.length || !a.dots.every((x) => b.dots.some((y) => sameDot(x, y)))) return false;
    }
    return true;
  }

  /** The plain-data form: sorted by key and dot, so equal states give equal wire forms. */
  toWire(): CausalMapWire<Kind, K, P> {
    const keys = [...this.entries.keys()].sort();
    return {
      kind: this.kind,
      context: this.context.toWire(),
      entries: keys.map((ks) => {
        const e = this.entries.get(ks)!;
        const dots = [...e.dots].sort((a, b) => compareDots([a.r, a.n], [b.r, b.n]));
        return [e.key, dots.map((x) => [x.r, x.n, x.p] as const)] as const;
      }),
    };
  }

  /** @internal Fills this (empty) instance from a wire form; InvalidWireError names what is wrong. */
  protected loadWire(w: unknown): this {
    const o = w as CausalMapWire<Kind, K, P>;
    if (typeof o !== 'object' || o === null) throw new InvalidWireError(this.kind, `a ${this.kind} wire form`, w);
    if (o.kind !== this.kind) throw new KindMismatchError(this.kind, String(o.kind));
    this.context.join(CausalContext.fromWire(o.context, `${this.kind}.context`));
    if (!Array.isArray(o.entries)) throw new InvalidWireError(`${this.kind}.entries`, 'an array', o.entries);
    (o.entries as unknown[]).forEach((raw, i) => {
      const path = `${this.kind}.entries[${i}]`;
      const dotsSeen = new Set<string>();
      if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[1]) || raw[1].length === 0) {
        throw new InvalidWireError(path, '[key, [replica, counter, payload][] (not empty)]', raw);
      }
      const e = raw as [K, unknown[]];
      const ks = keyOf(e[0]);
      if (this.entries.has(ks)) throw new InvalidWireError(path, 'a key that appears once', e[0]);
      const dots = e[1].map((rawDot, j): Dotted<P> => {
        if (!Array.isArray(rawDot) || typeof rawDot[0] !== 'string' || !(Number.isSafeInteger(rawDot[1]) && (rawDot[1] as number) > 0)) {
          throw new InvalidWireError(`${path}[1][${j}]`, '[replica: string, counter: integer ≥ 1, payload]', rawDot);
        }
        const x = rawDot as [string, number, unknown];
        const dot: Dot = [x[0], x[1]];
        if (this.index.get(x[0])?.has(x[1]) || dotsSeen.has(`${x[1]}@${x[0]}`)) {
          throw new InvalidWireError(`${path}[1][${j}]`, 'a dot that tags one key only', x);
        }
        dotsSeen.add(`${x[1]}@${x[0]}`);
        if (!this.context.has(dot)) throw new InvalidWireError(`${path}[1][${j}]`, 'a dot within the context', x);
        const payload = this.checkPayload(x[2], `${path}[1][${j}][2]`);
        this.observe(payload);
        return { r: x[0], n: x[1], p: payload };
      });
      this.put(ks, e[0], dots);
    });
    return this;
  }
}
