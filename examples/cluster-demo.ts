/**
 * A three-process cluster on this machine's loopback: node `a` (this process) starts `b` and
 * `c` as child processes that find it through a static peer list and each other through the
 * mesh's peer exchange. Then: a remote spawn and call on each, a link and a monitor across
 * nodes, `c` killed with SIGKILL — and what `a` sees: nodedown, DOWN and EXIT
 * `'noconnection'`, a call failing at once. Run: `pnpm tsx examples/cluster-demo.ts`
 * (`pnpm demo` runs it after the local demo).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Actor, Node, defineActor, isDown, isExit, type From } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';

const COOKIE = 'cluster-demo';

/** A counter that says where it runs. */
class Counter extends Actor<{ inc: number } | 'get', string, number> {
  n = 0;
  override init(start: number) {
    this.n = start;
  }
  override handleCall(_msg: 'get', _from: From) {
    return `${this.n} (on ${this.node.name})`;
  }
  override handleCast(msg: { inc: number }) {
    this.n += msg.inc;
  }
}
defineActor('Counter', Counter);

/** A child process: a node that joins the seed and lives until killed or told to stop. */
async function peer(name: string, seed: string): Promise<void> {
  const node = await Node.start({ name, transport: mesh({ cookie: COOKIE, discovery: [staticPeers([seed])] }) });
  process.stdin.on('end', () => void node.stop().then(() => process.exit(0)));
  process.stdin.resume();
}

function startPeer(name: string, seed: string): ChildProcess {
  const file = fileURLToPath(import.meta.url);
  return spawn(process.execPath, [...process.execArgv, file, 'peer', name, seed], { stdio: ['pipe', 'inherit', 'inherit'] });
}

async function main(): Promise<void> {
  const log = (...args: unknown[]) => console.log('  ', ...args);
  const a = await Node.start({ name: 'a', transport: mesh({ cookie: COOKIE }) });
  a.on('nodeup', (n: string) => log(`nodeup ${n}`));
  a.on('nodedown', (n: string, reason: unknown) => log(`nodedown ${n} (${String(reason)})`));
  console.log(`node a at ${a.url}; starting b and c as child processes`);
  const children = { b: startPeer('b', a.url), c: startPeer('c', a.url) };
  const watcher = a.inbox();
  try {
    while (a.nodes().length < 2) await new Promise((r) => a.once('nodeup', r));

    console.log('\n1. remote spawn and call');
    const onB = await a.spawn('Counter', 1, { node: 'b' });
    const onC = await a.spawn('Counter', 100, { node: 'c', name: 'counter' });
    a.cast(onB, { inc: 41 });
    log(`Counter ${onB} -> ${String(await a.call(onB, 'get', 2000))}`);
    log(`{ name: 'counter', node: 'c' } -> ${String(await a.call({ name: 'counter', node: 'c' }, 'get', 2000))}`);

    console.log('\n2. a link and a monitor across nodes, then c is killed with SIGKILL');
    watcher.link(onC);
    watcher.monitor(onC);
    children.c.kill('SIGKILL');
    const down = await watcher.receive(isDown, 10_000);
    log(`DOWN ${down.pid}: ${String(down.reason)}`);
    const exit = await watcher.receive(isExit, 10_000);
    log(`EXIT from ${exit.from} (the watcher traps exits): ${String(exit.reason)}`);
    await a.call(onC, 'get', 2000).catch((e: Error) => log(`call to ${onC}: ${e.name} (${String((e as { reason?: unknown }).reason)})`));
    log(`nodes() = ${JSON.stringify(a.nodes())}`);
  } finally {
    children.b.stdin?.end();
    children.c.kill('SIGKILL');
    await new Promise((r) => (children.b.exitCode !== null ? r(null) : children.b.once('exit', r)));
    await a.stop();
  }
  console.log('\ncluster stopped');
}

const [role, name, seed] = process.argv.slice(2);
if (role === 'peer') await peer(name!, seed!);
else await main();
