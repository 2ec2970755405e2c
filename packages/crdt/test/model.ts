import type { ReplicatedCrdt } from '@foundation/crdt';

/*
 * The sequential model of an add-wins map of last-writer-wins registers (an AWORSet is the
 * same with no values): a write of a key is live unless a later operation on that key — a
 * set, add, delete or remove — had seen it when it was made. What a replica had seen is read
 * from its causal context just before the operation (the one input taken from the code under
 * test; the deltas give each write's dot and timestamp). From there the model decides on its
 * own: which writes are live, and which one a read returns — the greatest timestamp, compared
 * here (physical ms, then counter, then replica id), not with the code's HLC.compare.
 */

/** A timestamp as the model reads it off a register. */
export interface ModelTime {
  readonly ms: number;
  readonly c: number;
  readonly r: string;
}

/** One write the model knows: its dot (`replica:counter`), key, value and timestamp. */
export interface ModelWrite {
  readonly dot: string;
  readonly key: number;
  readonly v: number | undefined;
  readonly t: ModelTime | undefined;
}

/** a after b in the documented order: physical ms, then counter, then replica id. */
export function later(a: ModelTime, b: ModelTime): boolean {
  if (a.ms !== b.ms) return a.ms > b.ms;
  if (a.c !== b.c) return a.c > b.c;
  return a.r > b.r;
}

type Context = ReplicatedCrdt['context'];

export class ObservedRemoveModel {
  readonly writes: ModelWrite[] = [];
  private readonly dead = new Set<string>();

  /**
   * Makes one operation on `key` at replica `at` — `op` a write (set, add) or, with `del`, a
   * removal (delete, remove) — and records it with what `at` had seen; returns its delta.
   */
  apply<D extends ReplicatedCrdt>(at: ReplicatedCrdt, key: number, del: boolean, op: () => D): D {
    const seen = this.seen(at.context, key);
    const d = op();
    if (del) this.remove(seen);
    else this.write(key, seen, d);
    return d;
  }

  /** The writes of `key` a replica whose causal context is `ctx` has seen: call before its operation. */
  seen(ctx: Context, key: number): ModelWrite[] {
    return this.writes.filter((w) => w.key === key && ctx.has(dotOf(w.dot)));
  }

  /**
   * A set (or add) of `key` made after seeing `seen`, shipped as `delta`: the writes seen are
   * replaced. Throws when the write's timestamp is not after every live one it saw — the HLC's
   * promise that a write which saw another wins over it. (A write already removed may be known
   * by its dot alone, from a removal's context, its timestamp never seen: it is not compared.)
   */
  write(key: number, seen: ModelWrite[], delta: ReplicatedCrdt): ModelWrite {
    const entries = delta.toWire().entries;
    if (entries.length !== 1 || entries[0]![1].length !== 1)
      throw new Error(`a write's delta has one key with one dot, got ${JSON.stringify(entries)}`);
    const [r, n, p] = entries[0]![1][0]!;
    const reg = p as { v: number; t: ModelTime } | null;
    const w: ModelWrite = { dot: `${r}:${n}`, key, v: reg?.v, t: reg?.t };
    if (this.writes.some((x) => x.dot === w.dot)) throw new Error(`dot ${w.dot} given twice`);
    for (const s of seen)
      if (w.t && s.t && !this.dead.has(s.dot) && !later(w.t, s.t))
        throw new Error(`write ${w.dot} at ${JSON.stringify(w.t)} saw ${s.dot} at ${JSON.stringify(s.t)} yet is not after it`);
    this.remove(seen);
    this.writes.push(w);
    return w;
  }

  /** A delete (or remove) made after seeing `seen`: those writes, and only those, go. */
  remove(seen: ModelWrite[]): void {
    for (const s of seen) this.dead.add(s.dot);
  }

  /** The writes of `key` no operation has seen. */
  live(key: number): ModelWrite[] {
    return this.writes.filter((w) => w.key === key && !this.dead.has(w.dot));
  }

  /** The write a read of `key` returns: the live one with the greatest timestamp (undefined: the key is absent; a set's adds have none: any). */
  winner(key: number): ModelWrite | undefined {
    let best: ModelWrite | undefined;
    for (const w of this.live(key)) if (!best || (w.t && best.t && later(w.t, best.t))) best = w;
    return best;
  }

  /** Every live dot, as `replica:counter` strings, sorted. */
  liveDots(): string[] {
    return this.writes
      .filter((w) => !this.dead.has(w.dot))
      .map((w) => w.dot)
      .sort();
  }

  /** The keys ever written. */
  keys(): number[] {
    return [...new Set(this.writes.map((w) => w.key))].sort((a, b) => a - b);
  }
}

function dotOf(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}
