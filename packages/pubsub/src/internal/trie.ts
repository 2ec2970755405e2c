/**
 * An index of AMQP patterns: a trie over segments, with a `*` and a `#` child beside the literal
 * ones, so matching a topic walks only the branches that can match (not every pattern). Each
 * pattern holds one value `V`; removing a pattern prunes the branch it leaves empty.
 */
interface TrieNode<V> {
  parent: TrieNode<V> | undefined;
  segment: string;
  children: Map<string, TrieNode<V>> | undefined;
  star: TrieNode<V> | undefined;
  hash: TrieNode<V> | undefined;
  value: V | undefined;
}

const node = <V>(parent: TrieNode<V> | undefined, segment: string): TrieNode<V> => ({
  parent,
  segment,
  children: undefined,
  star: undefined,
  hash: undefined,
  value: undefined,
});

/** The pattern index (see the file's comment). Patterns are given canonical (see `canonicalPattern`). */
export class PatternTrie<V> {
  private readonly root: TrieNode<V> = node(undefined, '');
  private readonly exact = new Map<string, TrieNode<V>>();

  /** Number of patterns held. */
  get size(): number {
    return this.exact.size;
  }

  get(pattern: string): V | undefined {
    return this.exact.get(pattern)?.value;
  }

  /** The value of `pattern`, made by `make` when the pattern is new. */
  getOrCreate(pattern: string, make: () => V): V {
    const known = this.exact.get(pattern);
    if (known !== undefined) return known.value!;
    let at = this.root;
    for (const s of pattern.split('.')) {
      let next: TrieNode<V> | undefined;
      if (s === '*') next = at.star ??= node(at, s);
      else if (s === '#') next = at.hash ??= node(at, s);
      else {
        at.children ??= new Map();
        next = at.children.get(s);
        if (next === undefined) at.children.set(s, (next = node(at, s)));
      }
      at = next;
    }
    const value = make();
    at.value = value;
    this.exact.set(pattern, at);
    return value;
  }

  /** Removes `pattern` and the branch it leaves empty; false when it was not there. */
  delete(pattern: string): boolean {
    let at = this.exact.get(pattern);
    if (at === undefined) return false;
    this.exact.delete(pattern);
    at.value = undefined;
    while (
      at.parent !== undefined &&
      at.value === undefined &&
      at.star === undefined &&
      at.hash === undefined &&
      (at.children?.size ?? 0) === 0
    ) {
      const parent: TrieNode<V> = at.parent;
      if (at.segment === '*') parent.star = undefined;
      else if (at.segment === '#') parent.hash = undefined;
      else parent.children!.delete(at.segment);
      at = parent;
    }
    return true;
  }

  /** Every (pattern, value). */
  entries(): IterableIterator<[string, V]> {
    const it = this.exact.entries();
    return (function* () {
      for (const [p, n] of it) yield [p, n.value!] as [string, V];
    })();
  }

  /** The values of the patterns that match the topic `segments`, each once. */
  match(segments: readonly string[]): V[] {
    const out: V[] = [];
    walk(this.root, segments, 0, out, { seen: null });
    // A pattern with two `#` can reach its end along two paths (`#.a.#` on `a.a`).
    return out.length > 1 ? [...new Set(out)] : out;
  }
}

/** The `#` nodes already walked from each topic position: a walk from there adds nothing new. */
interface Memo<V> {
  seen: Map<TrieNode<V>, Set<number>> | null;
}

function walk<V>(at: TrieNode<V>, segs: readonly string[], i: number, out: V[], memo: Memo<V>): void {
  const hash = at.hash;
  if (hash !== undefined) {
    // `#` takes zero or more segments: continue after it from here and from every later position.
    // Several `#` in one pattern would revisit the same (node, position) pairs many times over (a
    // walk exponential in the number of `#`): each pair is walked once.
    memo.seen ??= new Map();
    let done = memo.seen.get(hash);
    if (done === undefined) memo.seen.set(hash, (done = new Set()));
    for (let j = i; j <= segs.length; j++) {
      if (done.has(j)) continue;
      done.add(j);
      walk(hash, segs, j, out, memo);
    }
  }
  if (i === segs.length) {
    if (at.value !== undefined) out.push(at.value);
    return;
  }
  const lit = at.children?.get(segs[i]!);
  if (lit !== undefined) walk(lit, segs, i + 1, out, memo);
  if (at.star !== undefined) walk(at.star, segs, i + 1, out, memo);
}
