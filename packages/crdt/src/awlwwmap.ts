import { CausalMap, type CausalMapWire } from './internal/causal-map.js';
import { HLC, type HLCOptions, type Timestamp } from './hlc.js';
import { InvalidWireError } from './errors.js';
import { keyOf } from './key.js';

/** What one write of an AWLWWMap carries: the value and its hybrid-logical-clock timestamp. */
export interface Register<V> {
  readonly v: V;
  readonly t: Timestamp;
}

/** The wire form of an AWLWWMap (or of one of its deltas). */
export type AWLWWMapWire<K, V> = CausalMapWire<'awlwwmap', K, Register<V>>;

/**
 * An add-wins map of last-writer-wins registers, delta-state (the map Horde's registry is
 * built on, done over): `set` and `delete` change this replica and return the delta — itself
 * an AWLWWMap — to ship; `join` takes a delta or a whole state. A delete removes only the
 * writes it has seen, so a concurrent `set` survives it (add wins). Concurrent sets of one key
 * are all kept until a later write that has seen them replaces them; reads pick the one with
 * the greatest HLC timestamp, the same one on every replica. Keys are compared by `keyOf`.
 */
export class AWLWWMap<K, V> extends CausalMap<'awlwwmap', K, Register<V>> {
  readonly kind = 'awlwwmap' as const;
  /**
   * The clock this replica stamps its writes with; it sees every timestamp joined in. A join
   * (or `fromWire`) bringing a write stamped more than `maxOffsetMs` ahead of this machine's
   * clock throws ClockOffsetError and changes nothing.
   */
  readonly hlc: HLC;

  constructor(
    replica: string,
    private readonly hlcOptions: HLCOptions = {},
  ) {
    super(replica);
    this.hlc = new HLC(replica, hlcOptions);
  }

  empty(): this {
    return new AWLWWMap<K, V>(this.replica, this.hlcOptions) as this;
  }

  protected checkPayload(p: unknown, path: string): Register<V> {
    const o = p as Register<V>;
    if (typeof o !== 'object' || o === null || !('v' in o)) throw new InvalidWireError(path, '{ v, t }', p);
    HLC.check(o.t, `${path}.t`);
    return o;
  }

  /** A write stamped too far ahead of this clock is refused with ClockOffsetError (the join is not made). */
  protected override admit(p: Register<V>): void {
    this.hlc.checkOffset(p.t);
  }

  protected override observe(p: Register<V>): void {
    // Admitted (or read from a wire form, where a reading too far ahead throws ClockOffsetError
    // out of `fromWire`): the clock moves past it, so later local writes win over it.
    this.hlc.update(p.t);
  }

  /** Sets `key` to `value`, replacing every write of it seen here; returns the delta. */
  set(key: K, value: V): AWLWWMap<K, V> {
    return this.writeDelta(key, { v: value, t: this.hlc.now() });
  }

  /** Deletes `key` (the writes of it seen here); returns the delta (empty when absent). */
  delete(key: K): AWLWWMap<K, V> {
    return this.removeDelta([keyOf(key)]);
  }

  /** Deletes every key for which `pred` holds (e.g. the entries of a node that went down); returns one delta. */
  deleteWhere(pred: (key: K, value: V) => boolean): AWLWWMap<K, V> {
    const gone: string[] = [];
    for (const [ks, e] of this.liveKeys()) if (pred(e.key, winner(e.dots).p.v)) gone.push(ks);
    return this.removeDelta(gone);
  }

  /** The value of `key`: the concurrent write with the greatest timestamp. */
  get(key: K): V | undefined {
    const e = this.entries.get(keyOf(key));
    return e ? winner(e.dots).p.v : undefined;
  }

  /** The winning write of `key`, with its timestamp. */
  getRegister(key: K): Register<V> | undefined {
    const e = this.entries.get(keyOf(key));
    return e ? winner(e.dots).p : undefined;
  }

  /**
   * Every live concurrent write of `key`, winner first: more than one after writers that had
   * not seen each other (both sides of a partition, say), until a write that has seen them.
   */
  concurrent(key: K): Register<V>[] {
    const e = this.entries.get(keyOf(key));
    if (!e) return [];
    return e.dots.map((d) => d.p).sort((a, b) => HLC.compare(b.t, a.t));
  }

  /** True when `key` is present. */
  has(key: K): boolean {
    return this.entries.has(keyOf(key));
  }

  /** The keys, in no particular order. */
  keys(): K[] {
    const out: K[] = [];
    for (const e of this.entries.values()) out.push(e.key);
    return out;
  }

  /** `[key, value]` pairs, in no particular order. */
  toArray(): [K, V][] {
    const out: [K, V][] = [];
    for (const e of this.entries.values()) out.push([e.key, winner(e.dots).p.v]);
    return out;
  }

  /** Rebuilds a map (state or delta) from its wire form; `replica` is who will write to it. */
  static fromWire<K, V>(w: unknown, replica: string, opts?: HLCOptions): AWLWWMap<K, V> {
    return new AWLWWMap<K, V>(replica, opts).loadWire(w);
  }
}

function winner<V>(dots: readonly { p: Register<V> }[]): { p: Register<V> } {
  let best = dots[0]!;
  for (let i = 1; i < dots.length; i++) if (HLC.compare(dots[i]!.p.t, best.p.t) > 0) best = dots[i]!;
  return best;
}
