import type { Dot } from './dot.js';
import { InvalidWireError } from './errors.js';

/** The plain-data form of a CausalContext: sorted, so equal contexts encode to equal bytes. */
export interface CausalContextWire {
  /** The compact part: for each replica, every counter 1..n has been seen. */
  readonly vv: ReadonlyArray<readonly [replica: string, counter: number]>;
  /** Dots seen beyond the compact part (gaps not yet filled), ascending per replica. */
  readonly cloud: ReadonlyArray<readonly [replica: string, counters: readonly number[]]>;
}

/**
 * The set of dots a replica has seen (Almeida, Shoker, Baquero: "causal context"), kept as a
 * version vector (every counter 1..vv[r] of replica r) plus a dot cloud (the dots seen out of
 * order). It is always compact: a cloud dot that extends or falls under the vector is moved
 * into it, so a replica that has seen every event of every peer holds one number per peer,
 * however many writes and removals happened — removals leave no other trace.
 */
export class CausalContext {
  private readonly vv = new Map<string, number>();
  private readonly cloud = new Map<string, Set<number>>();

  /** True when `dot` has been seen. */
  has(dot: Dot): boolean {
    const [r, n] = dot;
    return n <= (this.vv.get(r) ?? 0) || (this.cloud.get(r)?.has(n) ?? false);
  }

  /** The highest counter of `replica` seen (compact or not); 0 when none. */
  max(replica: string): number {
    let m = this.vv.get(replica) ?? 0;
    const c = this.cloud.get(replica);
    if (c) for (const n of c) if (n > m) m = n;
    return m;
  }

  /**
   * The next dot of `replica`, recorded as seen: what a replica tags its own new write with.
   * (The paper's `makedot`.) Only the replica itself should call it with its own id.
   */
  next(replica: string): Dot {
    const dot: Dot = [replica, this.max(replica) + 1];
    this.add(dot);
    return dot;
  }

  /** Records `dot` as seen, keeping the context compact. */
  add(dot: Dot): void {
    const [r, n] = dot;
    if (!(Number.isSafeInteger(n) && n > 0)) throw new InvalidWireError('dot counter', 'an integer ≥ 1', n);
    const v = this.vv.get(r) ?? 0;
    if (n <= v) return;
    if (n === v + 1) {
      this.vv.set(r, n);
      this.absorb(r);
    } else {
      let c = this.cloud.get(r);
      if (!c) this.cloud.set(r, (c = new Set()));
      c.add(n);
    }
  }

  /** Records every dot 1..upTo of `replica` as seen. */
  addRange(replica: string, upTo: number): void {
    if (!(Number.isSafeInteger(upTo) && upTo >= 0)) throw new InvalidWireError('dot counter', 'an integer ≥ 0', upTo);
    if (upTo <= (this.vv.get(replica) ?? 0)) return;
    this.vv.set(replica, upTo);
    this.absorb(replica);
  }

  /** Drops every dot of `replica` (pruning: see ../internal/pruning.ts for when that is safe). */
  forget(replica: string): void {
    this.vv.delete(replica);
    this.cloud.delete(replica);
  }

  /** Adds every dot of `other` to this context (the least upper bound of the two). */
  join(other: CausalContext): void {
    if (other === this) return;
    for (const [r, n] of other.vv) {
      if (n > (this.vv.get(r) ?? 0)) this.vv.set(r, n);
    }
    for (const [r, ns] of other.cloud) {
      let c = this.cloud.get(r);
      if (!c) this.cloud.set(r, (c = new Set()));
      for (const n of ns) c.add(n);
    }
    this.compact();
  }

  /** Moves cloud dots that are contiguous with the version vector into it; drops covered ones. */
  compact(): void {
    for (const r of [...this.cloud.keys()]) this.absorb(r);
  }

  private absorb(r: string): void {
    const c = this.cloud.get(r);
    if (!c) return;
    let v = this.vv.get(r) ?? 0;
    while (c.delete(v + 1)) v++;
    if (v > 0) this.vv.set(r, v);
    for (const n of c) if (n <= v) c.delete(n);
    if (c.size === 0) this.cloud.delete(r);
  }

  /** True when every dot of `other` is in this context. */
  includes(other: CausalContext): boolean {
    for (const [r, n] of other.vv) {
      const v = this.vv.get(r) ?? 0;
      if (n > v) {
        const c = this.cloud.get(r);
        if (!c) return false;
        for (let i = v + 1; i <= n; i++) if (!c.has(i)) return false;
      }
    }
    for (const [r, ns] of other.cloud) for (const n of ns) if (!this.has([r, n])) return false;
    return true;
  }

  /** True when every counter 1..upTo of `replica` has been seen. */
  covers(replica: string, upTo: number): boolean {
    const v = this.vv.get(replica) ?? 0;
    if (upTo <= v) return true;
    const c = this.cloud.get(replica);
    if (!c) return false;
    for (let i = v + 1; i <= upTo; i++) if (!c.has(i)) return false;
    return true;
  }

  /** True when both hold the same dots. */
  equals(other: CausalContext): boolean {
    return this.includes(other) && other.includes(this);
  }

  /**
   * The dots of this context, replica by replica: the compact part as `upTo` (counters
   * 1..upTo) and the cloud as a list. For walking a context without expanding ranges.
   */
  *replicas(): IterableIterator<{ replica: string; upTo: number; cloud: ReadonlySet<number> | undefined }> {
    const seen = new Set<string>();
    for (const [r, n] of this.vv) {
      seen.add(r);
      yield { replica: r, upTo: n, cloud: this.cloud.get(r) };
    }
    for (const [r, c] of this.cloud) if (!seen.has(r)) yield { replica: r, upTo: 0, cloud: c };
  }

  /** How much this context holds: replicas in the vector, and dots in the cloud (for memory checks). */
  get size(): { replicas: number; cloud: number } {
    let cloud = 0;
    for (const c of this.cloud.values()) cloud += c.size;
    return { replicas: this.vv.size, cloud };
  }

  /** True when no dot has been seen. */
  get isEmpty(): boolean {
    return this.vv.size === 0 && this.cloud.size === 0;
  }

  /** An independent copy. */
  clone(): CausalContext {
    const c = new CausalContext();
    for (const [r, n] of this.vv) c.vv.set(r, n);
    for (const [r, ns] of this.cloud) c.cloud.set(r, new Set(ns));
    return c;
  }

  /** The plain-data form, sorted (see CausalContextWire). */
  toWire(): CausalContextWire {
    const vv = [...this.vv].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const cloud = [...this.cloud]
      .map(([r, ns]) => [r, [...ns].sort((a, b) => a - b)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { vv, cloud };
  }

  /** Rebuilds a context from `toWire`'s form; InvalidWireError names what is malformed. */
  static fromWire(w: unknown, path = 'context'): CausalContext {
    const o = w as CausalContextWire;
    if (typeof o !== 'object' || o === null || !Array.isArray(o.vv) || !Array.isArray(o.cloud)) {
      throw new InvalidWireError(path, '{ vv: [replica, n][], cloud: [replica, n[]][] }', w);
    }
    const c = new CausalContext();
    o.vv.forEach((e, i) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !(Number.isSafeInteger(e[1]) && e[1] >= 0)) {
        throw new InvalidWireError(`${path}.vv[${i}]`, '[replica: string, counter: integer ≥ 0]', e);
      }
      const [replica, n] = e as [string, number];
      if (n > (c.vv.get(replica) ?? 0)) c.vv.set(replica, n);
    });
    o.cloud.forEach((e, i) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) {
        throw new InvalidWireError(`${path}.cloud[${i}]`, '[replica: string, counters: integer[]]', e);
      }
      for (const n of e[1]) {
        if (!(Number.isSafeInteger(n) && n > 0)) throw new InvalidWireError(`${path}.cloud[${i}]`, 'counters ≥ 1', n);
        c.add([e[0], n]);
      }
    });
    c.compact();
    return c;
  }
}
