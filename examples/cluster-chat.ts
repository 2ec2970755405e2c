/**
 * Cluster chat: run it in three terminals with no arguments. The nodes find each other over
 * multicast DNS (kept on this machine's loopback), print nodeup / nodedown as terminals come
 * and go, and relay each line typed in one terminal to the chat actor on every other node.
 *
 *   pnpm tsx examples/cluster-chat.ts            # in each terminal
 *   pnpm tsx examples/cluster-chat.ts --lan      # discover across the local network instead
 */
import { createInterface } from 'node:readline';
import { Actor, Node, type Pid } from '@foundation/runtime';
import { mdns, mesh } from '@foundation/cluster';

interface Line {
  from: string;
  text: string;
}

/** Prints what other nodes say. Registered as 'chat' on every node. */
class Chat extends Actor<Line, never, void> {
  override handleCast(line: Line) {
    console.log(`\r[${line.from}] ${line.text}`);
  }
}

const lan = process.argv.includes('--lan');
const name = `chat-${process.pid}`;
const node = await Node.start({
  name,
  transport: mesh({
    port: 0,
    host: lan ? '0.0.0.0' : '127.0.0.1',
    cookie: process.env.FOUNDATION_COOKIE ?? 'foundation-chat',
    discovery: [lan ? mdns({ service: 'foundation-chat' }) : mdns({ service: 'foundation-chat', interface: '127.0.0.1', bind: '0.0.0.0' })],
  }),
});
const chat: Pid = node.spawn(Chat, undefined, { name: 'chat' });
console.log(`${name} listening on ${node.url} (chat actor ${chat}); type a line to send it, Ctrl-D to leave`);

node.on('nodeup', (peer: string) => console.log(`\r* ${peer} joined (${node.nodes().length + 1} nodes)`));
node.on('nodedown', (peer: string, reason: unknown) => console.log(`\r* ${peer} left (${String(reason)})`));

const input = createInterface({ input: process.stdin });
input.on('line', (text) => {
  const peers = node.nodes();
  for (const peer of peers) node.cast({ name: 'chat', node: peer }, { from: name, text });
  if (peers.length === 0) console.log('* nobody else here yet');
});
input.on('close', () => {
  void node.stop().then(() => process.exit(0));
});
process.on('SIGINT', () => input.close());
