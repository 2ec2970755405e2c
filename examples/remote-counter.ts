/**
 * Two OS processes, one cluster: node `client` finds node `counter-host` through a static peer
 * list, spawns a Counter there by class name (both processes define it with defineActor),
 * casts to it and calls it by pid, then by its registered name `{ name, node }`.
 *
 *   pnpm tsx examples/remote-counter.ts                    both, the client as a child process
 *   pnpm tsx examples/remote-counter.ts host 4400          just the host, on port 4400
 *   pnpm tsx examples/remote-counter.ts client ws://127.0.0.1:4400
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Actor, Node, defineActor } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';

const COOKIE = process.env.FOUNDATION_COOKIE ?? 'remote-counter-example';

/** A counter: calls read it, casts change it. */
class Counter extends Actor<{ inc: number } | 'get', number, number> {
  n = 0;
  override init(start: number) {
    this.n = start;
  }
  override handleCall() {
    return this.n;
  }
  override handleCast(msg: { inc: number }) {
    this.n += msg.inc;
  }
}

defineActor('Counter', Counter);

async function host(port: number): Promise<Node> {
  const node = await Node.start({ name: 'counter-host', transport: mesh({ port, cookie: COOKIE }) });
  node.on('nodeup', (n) => console.log(`[host] nodeup ${n}`));
  node.on('nodedown', (n, reason) => console.log(`[host] nodedown ${n} (${String(reason)})`));
  console.log(`[host] ${node.name} listening at ${node.url}`);
  return node;
}

async function client(hostUrl: string): Promise<void> {
  const node = await Node.start({ name: 'client', transport: mesh({ cookie: COOKIE, discovery: [staticPeers([hostUrl])] }) });
  if (!node.nodes().includes('counter-host')) await new Promise((r) => node.once('nodeup', r));
  console.log(`[client] connected: nodes() = ${JSON.stringify(node.nodes())}`);
  const pid = await node.spawn('Counter', 10, { node: 'counter-host', name: 'counter' });
  console.log(`[client] spawned Counter on counter-host: ${String(pid)}; get -> ${String(await node.call(pid, 'get'))}`);
  for (let i = 1; i <= 3; i++) node.cast(pid, { inc: i });
  const byName = { name: 'counter', node: 'counter-host' };
  console.log(`[client] after casting +1 +2 +3: get by name -> ${String(await node.call(byName, 'get'))}`);
  await node.stop();
  console.log('[client] stopped');
}

const [role, arg] = process.argv.slice(2);
if (role === 'host') {
  await host(Number(arg ?? 4400));
} else if (role === 'client') {
  await client(arg ?? 'ws://127.0.0.1:4400');
} else {
  const node = await host(0);
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'client', node.url], { stdio: 'inherit' });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  await node.stop();
  process.exitCode = code ?? 1;
}
