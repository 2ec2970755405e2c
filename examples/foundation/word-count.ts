/**
 * Map-reduce word count over the public-domain texts in examples/foundation/corpus, spread over
 * two nodes: the map task is defined by name (defineTask) so either node can run it; the
 * counts are merged here. Run: `pnpm tsx examples/foundation/word-count.ts`
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Foundation, defineTask } from 'foundation';

/** The words of one line, counted. */
const countWords = defineTask('example.countWords', (line: string) => {
  const counts = new Map<string, number>();
  for (const w of line.toLowerCase().match(/[a-z']+/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
});

const dir = fileURLToPath(new URL('./corpus/', import.meta.url));
const lines = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .flatMap((f) => readFileSync(dir + f, 'utf8').split('\n'))
  .filter((l) => l.trim() !== '');

const env = { FOUNDATION_CLUSTER_ID: `wc${randomBytes(3).toString('hex')}` };
const nodes = await Promise.all(['a', 'b'].map((name) => Foundation.start({ name, env, caching: { adapter: false } })));
try {
  await nodes[0]!.waitForNodes(2);
  const total = await nodes[0]!.mapReduce(
    lines,
    countWords,
    (maps) => {
      const all = new Map<string, number>();
      for (const m of maps) for (const [w, n] of m) all.set(w, (all.get(w) ?? 0) + n);
      return all;
    },
    { chunkSize: 4 },
  );
  const top = [...total].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).slice(0, 8);
  console.log(`${lines.length} lines, ${[...total.values()].reduce((s, n) => s + n, 0)} words, ${total.size} distinct`);
  for (const [w, n] of top) console.log(`${w.padEnd(8)} ${n}`);
} finally {
  await Promise.all(nodes.map((f) => f.stop()));
}
