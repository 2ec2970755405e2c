/**
 * Partitioned counters: one Counter actor per key, placed on the nodes by the hash ring
 * (`strategy: 'partitioned'`), reached with `{ service, key }` from any node. Two nodes here.
 * Run: `pnpm tsx examples/foundation/partitioned-counters.ts`
 */
import { randomBytes } from 'node:crypto';
import { Actor, defineActor } from '@foundation/runtime';
import { Foundation } from 'foundation';

/** One key's count. */
class Counter extends Actor<{ inc: number } | 'get', { key: string; n: number; node: string }, string> {
  key = '';
  n = 0;
  override init(key: string) {
    this.key = key;
  }
  override handleCall(msg: { inc: number } | 'get') {
    if (msg !== 'get') this.n += msg.inc;
    return { key: this.key, n: this.n, node: this.node.name };
  }
}
defineActor('ExampleCounter', Counter);

const env = { FOUNDATION_CLUSTER_ID: `pc${randomBytes(3).toString('hex')}` };
const nodes = await Promise.all(['a', 'b'].map((name) => Foundation.start({ name, env, caching: { adapter: false } })));
try {
  await nodes[0]!.waitForNodes(2);
  await Promise.all(nodes.map((f) => f.startService(Counter, (key: string) => key, { name: 'counters', strategy: 'partitioned' })));
  const keys = ['apples', 'pears', 'plums', 'figs', 'kiwis', 'limes'];
  for (let i = 0; i < 60; i++) await nodes[i % 2]!.call({ service: 'counters', key: keys[i % keys.length]! }, { inc: 1 });
  for (const key of keys) {
    const c = await nodes[0]!.call<{ key: string; n: number; node: string }>({ service: 'counters', key }, 'get');
    console.log(`${c.key.padEnd(8)} ${c.n} (on ${c.node})`);
  }
} finally {
  await Promise.all(nodes.map((f) => f.stop()));
}
