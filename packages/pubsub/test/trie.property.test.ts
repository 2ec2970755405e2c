import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { canonicalPattern } from '@foundation/pubsub';
import { PatternTrie } from '../src/internal/trie.js';

/** The reference: AMQP matching by plain recursion over segments, no index. */
function matches(pattern: readonly string[], topic: readonly string[]): boolean {
  if (pattern.length === 0) return topic.length === 0;
  const [p, ...rest] = pattern;
  if (p === '#') {
    for (let i = 0; i <= topic.length; i++) if (matches(rest, topic.slice(i))) return true;
    return false;
  }
  if (topic.length === 0) return false;
  return (p === '*' || p === topic[0]) && matches(rest, topic.slice(1));
}

// A small alphabet, so that patterns and topics often meet.
const word = fc.constantFrom('a', 'b', 'c');
const topic = fc.array(word, { minLength: 1, maxLength: 5 });
const pattern = fc
  .array(fc.oneof(word, fc.constant('*'), fc.constant('#')), { minLength: 1, maxLength: 5 })
  .map((s) => canonicalPattern(s.join('.'), 'p'));

describe('the pattern trie', () => {
  test('a topic matches exactly the patterns the reference matcher says, each once', () => {
    fc.assert(
      fc.property(fc.uniqueArray(pattern, { maxLength: 30 }), fc.array(topic, { maxLength: 20 }), (patterns, topics) => {
        const trie = new PatternTrie<string>();
        for (const p of patterns) trie.getOrCreate(p, () => p);
        for (const t of topics) {
          const want = patterns.filter((p) => matches(p.split('.'), t)).sort();
          expect(trie.match(t).sort()).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('removing patterns leaves exactly the others matching, and an emptied trie holds nothing', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(pattern, { maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.array(topic, { maxLength: 10 }),
        (patterns, drop, topics) => {
          const trie = new PatternTrie<string>();
          for (const p of patterns) trie.getOrCreate(p, () => p);
          const kept = patterns.filter((p, i) => {
            if (!drop[i]) return true;
            expect(trie.delete(p)).toBe(true);
            return false;
          });
          expect(trie.size).toBe(kept.length);
          for (const t of topics) expect(trie.match(t).sort()).toEqual(kept.filter((p) => matches(p.split('.'), t)).sort());
          for (const p of kept) trie.delete(p);
          expect(trie.size).toBe(0);
          expect((trie as unknown as { root: { children?: Map<string, unknown>; star?: unknown; hash?: unknown } }).root).toMatchObject({
            star: undefined,
            hash: undefined,
          });
          expect((trie as unknown as { root: { children?: Map<string, unknown> } }).root.children?.size ?? 0).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a pattern of many # against a long topic is matched without an exponential walk', () => {
    const trie = new PatternTrie<string>();
    const p = canonicalPattern(Array.from({ length: 8 }, () => '#.a').join('.') + '.b', 'p');
    trie.getOrCreate(p, () => p);
    const topic = Array.from({ length: 400 }, () => 'a');
    expect(trie.match(topic)).toEqual([]); // no 'b' at the end: every split is tried, each (node, position) once
    expect(trie.match([...topic, 'b'])).toEqual([p]);
  });
});
