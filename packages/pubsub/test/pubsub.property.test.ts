import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import type { Inbox } from '@foundation/runtime';
import { canonicalPattern } from '@foundation/pubsub';
import { clusterFlavour, until } from './support.js';

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

const word = fc.constantFrom('a', 'b', 'c');
const topic = fc.array(word, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
const pattern = fc
  .array(fc.oneof(word, fc.constant('*'), fc.constant('#')), { minLength: 1, maxLength: 4 })
  .map((s) => canonicalPattern(s.join('.'), 'p'));
const subscriber = fc.record({ onB: fc.boolean(), patterns: fc.uniqueArray(pattern, { minLength: 1, maxLength: 4 }) });

describe('PubSub against a reference matcher', () => {
  test('over two nodes, each broadcast reaches exactly the subscribers with a matching pattern, once, in order, with one frame per node that has one', async () => {
    const [a, b] = await clusterFlavour.cluster(['a', 'b']);
    await fc.assert(
      fc.asyncProperty(
        fc.array(subscriber, { minLength: 1, maxLength: 6 }),
        fc.array(topic, { minLength: 1, maxLength: 12 }),
        async (subs, topics) => {
          const inboxes: Inbox[] = [];
          for (const s of subs) {
            const ps = s.onB ? b! : a!;
            const inbox = ps.node.inbox();
            inboxes.push(inbox);
            for (const p of [...s.patterns, 'end']) await ps.subscribe(inbox.self, p);
          }
          const want = subs.map((s) => topics.filter((t) => s.patterns.some((p) => matches(p.split('.'), t.split('.')))));
          for (const t of [...new Set(topics)]) {
            const nodes = subs.some((s) => s.onB && s.patterns.some((p) => matches(p.split('.'), t.split('.')))) ? ['b'] : [];
            await until(() => expect(a!.nodesFor(t)).toEqual(nodes));
          }
          await until(() => expect(a!.nodesFor('end')).toEqual(subs.some((s) => s.onB) ? ['b'] : []));
          const before = a!.stats().framesSent;
          for (const t of topics) await a!.broadcast(t, t);
          const frames = a!.stats().framesSent - before;
          await a!.broadcast('end', 'end');
          for (const [i, inbox] of inboxes.entries()) {
            const got: unknown[] = [];
            for (let m = await inbox.receive(undefined, 3000); m !== 'end'; m = await inbox.receive(undefined, 3000)) got.push(m);
            expect(got).toEqual(want[i]);
          }
          expect(frames).toBe(
            topics.filter((t) => subs.some((s) => s.onB && s.patterns.some((p) => matches(p.split('.'), t.split('.'))))).length,
          );
          for (const inbox of inboxes) inbox.close();
          await until(() => expect([...a!.core.table.patterns(), ...b!.core.table.patterns()]).toEqual([]));
        },
      ),
      { numRuns: 40 },
    );
  });
});
