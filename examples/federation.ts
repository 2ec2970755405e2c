/**
 * Two federated clusters on this machine's loopback: two nats-servers joined by a NATS gateway
 * (started here, from config files in a temp dir), cluster `east` (e1, e2) on one and `west`
 * (w1, w2) on the other. Each cluster is its own membership — a node sees only its cluster's
 * nodes — and the federation joins them: a call and a send across, the cluster registry, then
 * east's gateway node stopped and e2 taking over. Exits by itself.
 * Run: `pnpm tsx examples/federation.ts`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, Node, type From } from '@foundation/runtime';
import { Federation, nats } from '@foundation/nats';

/** A stock counter that says where it runs. */
class Stock extends Actor<'count', string, number> {
  n = 0;
  override init(start: number) {
    this.n = start;
  }
  override handleCall(_msg: 'count', _from: From) {
    return `${this.n} left (answered by ${this.node.name})`;
  }
  override handleInfo(msg: { take: number }) {
    this.n -= msg.take;
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

const dir = mkdtempSync(join(tmpdir(), 'federation-example-'));
const servers: ChildProcess[] = [];

/** Starts a nats-server with a gateway named `name` towards every gateway in `all`. */
async function natsServer(name: string, port: number, gwPort: number, all: string): Promise<string> {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, `listen: 127.0.0.1:${port}\ngateway { name: "${name}", listen: "127.0.0.1:${gwPort}", gateways: [${all}] }\n`);
  servers.push(spawn('nats-server', ['-c', conf], { stdio: 'ignore' }));
  while (!(await accepts(port))) await new Promise((r) => setTimeout(r, 20));
  return `nats://127.0.0.1:${port}`;
}

async function member(server: string, cluster: string, name: string) {
  const node = await Node.start({ name, transport: nats({ servers: server, cluster, heartbeatMs: 200 }) });
  const fed = await Federation.start(node, { servers: server, cluster, clusters: ['east', 'west'], heartbeatMs: 200 });
  return { node, fed };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

try {
  const [pe, pw, ge, gw] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const all = `{ name: "E", url: "nats://127.0.0.1:${ge}" }, { name: "W", url: "nats://127.0.0.1:${gw}" }`;
  const eastUrl = await natsServer('E', pe, ge, all);
  const westUrl = await natsServer('W', pw, gw, all);
  console.log(`nats-servers: east ${eastUrl}, west ${westUrl}, joined by a gateway`);

  const e1 = await member(eastUrl, 'east', 'e1');
  const e2 = await member(eastUrl, 'east', 'e2');
  const w1 = await member(westUrl, 'west', 'w1');
  const w2 = await member(westUrl, 'west', 'w2');
  for (const { node } of [e1, e2]) node.spawn(Stock, 10, { name: 'stock' });
  w2.node.spawn(Stock, 5, { name: 'stock' });
  await until('both clusters reachable', () => w2.fed.clusters().every((c) => c.reachable && c.gateway !== null));
  console.log('e1 sees its cluster only:', e1.node.nodes());
  console.log('the federation, from w2:', JSON.stringify(w2.fed.clusters()));

  console.log('w2 calls east:', await w2.fed.callCluster('east', 'stock', 'count'));
  w2.fed.sendToCluster('east', 'stock', { take: 3 });
  console.log('e2 calls west (w2 by name):', await e2.fed.callCluster('west', { name: 'stock', node: 'w2' }, 'count'));
  console.log('w2 calls east again:', await w2.fed.callCluster('east', 'stock', 'count'));

  console.log("east's gateway e1 stops; e2 takes over");
  await e1.fed.stop();
  await e1.node.stop();
  await until('e2 as the gateway of east', () => e2.fed.isGateway && w2.fed.clusters()[0]!.gateway === 'e2');
  console.log('w2 calls east:', await w2.fed.callCluster('east', 'stock', 'count'));

  for (const m of [e2, w1, w2]) {
    await m.fed.stop();
    await m.node.stop();
  }
} finally {
  for (const s of servers) s.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
