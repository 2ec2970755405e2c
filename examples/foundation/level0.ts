/**
 * Level 0, zero configuration. Run this same script in three terminals: the nodes find each
 * other over mDNS (on the loopback: nothing is opened to the network), and every line you
 * type is broadcast to the others over pubsub.
 * Run: `pnpm tsx examples/foundation/level0.ts`. With `--until 3` it waits for a cluster of
 * three, exchanges one greeting with each node, prints what it heard and exits (CI runs it so).
 */
import { Foundation } from 'foundation';

const f = await Foundation.start();
const cfg = f.config();
console.log(
  `node ${cfg.name} at ${f.node.url}: profile ${cfg.profile} (${cfg.reasons.profile}); discovery ${cfg.cluster}; cookie ${cfg.cookie}`,
);
f.node.on('nodeup', (n: string) => console.log(`nodeup ${n}`));
f.node.on('nodedown', (n: string) => console.log(`nodedown ${n}`));
const inbox = f.node.inbox();
await f.pubsub.subscribe(inbox.self, 'lobby');

const until = process.argv.indexOf('--until');
if (until >= 0) {
  const n = Number(process.argv[until + 1]);
  await f.waitForNodes(n, 30_000);
  // Greet once every other node's subscription to the lobby is known here.
  while (f.pubsub.nodesFor('lobby').filter((x) => x !== cfg.name).length < n - 1) await new Promise((r) => setTimeout(r, 20));
  await f.send({ topic: 'lobby' }, `hello from ${cfg.name}`);
  const heard = new Set<string>();
  while (heard.size < n) heard.add(String(await inbox.receive(() => true, 15_000)));
  console.log(`cluster of ${n}; heard: ${[...heard].sort().join(', ')}`);
  await f.stop();
} else {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line: string) => void f.send({ topic: 'lobby' }, `${cfg.name}: ${line.trim()}`));
  process.stdin.on('end', () => void f.stop());
  for (;;) console.log(String(await inbox.receive(() => true, Infinity)));
}
