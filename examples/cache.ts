/**
 * A partitioned cache shared by three OS processes: node `a` (this process) starts `b` and `c`
 * as child processes joined by the mesh; each starts the cache `sessions` (replicas: 1: every
 * key on its owner and one backup) and writes 100 sessions of its own. `a` reads all 300, kills
 * `c` with SIGKILL, and reads all 300 again: nothing was lost. A getOrSet from every node then
 * shows the loader running once cluster-wide.
 * Run: `pnpm tsx examples/cache.ts`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Node } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';
import { Cache } from '@foundation/cache';

const COOKIE = 'cache-example';
const OPTS = { name: 'sessions', adapter: 'partitioned', replicas: 1, timeoutMs: 2000, handoffGraceMs: 2000 } as const;
const PER_NODE = 100;

/** A child process: joins the seed, starts the cache, writes its sessions, says so, lives until killed or stdin ends. */
async function peer(name: string, seed: string): Promise<void> {
  const node = await Node.start({ name, transport: mesh({ cookie: COOKIE, host: '127.0.0.1', discovery: [staticPeers([seed])] }) });
  while (node.nodes().length === 0) await new Promise((r) => node.once('nodeup', r));
  const cache = await Cache.start(node, OPTS);
  for (let i = 0; i < PER_NODE; i++) await cache.put(`${name}:session-${i}`, { user: `${name}-user-${i}`, since: Date.now() });
  process.stdout.write(`ready ${name}\n`);
  // getOrSet requests from the parent, one line each: run it here, answer with who loaded.
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line: string) => {
    if (!line.startsWith('load')) return;
    cache
      .getOrSet('report', () => slowLoad(name))
      .then(
        (v) => process.stdout.write(`loaded ${JSON.stringify(v)}\n`),
        (e: unknown) => process.stdout.write(`loaded nothing: ${String(e)}\n`),
      );
  });
  process.stdin.on('end', () => void node.stop().then(() => process.exit(0)));
}

async function slowLoad(by: string): Promise<string> {
  await new Promise((r) => setTimeout(r, 200));
  return `report computed on ${by}`;
}

function startPeer(name: string, seed: string): ChildProcess {
  const file = fileURLToPath(import.meta.url);
  return spawn(process.execPath, [...process.execArgv, file, 'peer', name, seed], { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** Resolves with the first line of `child`'s stdout that starts with `prefix`. */
function line(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const on = (d: Buffer) => {
      buf += d.toString();
      const found = buf.split('\n').find((l) => l.startsWith(prefix));
      if (found !== undefined) {
        child.stdout!.off('data', on);
        resolve(found);
      }
    };
    child.stdout!.on('data', on);
  });
}

async function main(): Promise<void> {
  const log = (...args: unknown[]) => console.log('  ', ...args);
  const a = await Node.start({ name: 'a', transport: mesh({ cookie: COOKIE, host: '127.0.0.1' }) });
  a.on('nodedown', (n: string, reason: unknown) => log(`nodedown ${n} (${String(reason)})`));
  const cache = await Cache.start(a, OPTS);
  console.log(`node a at ${a.url}; starting b and c as child processes`);
  const children = { b: startPeer('b', a.url), c: startPeer('c', a.url) };
  try {
    await Promise.all([line(children.b, 'ready'), line(children.c, 'ready')]);
    for (let i = 0; i < PER_NODE; i++) await cache.put(`a:session-${i}`, { user: `a-user-${i}`, since: Date.now() });
    const keys = ['a', 'b', 'c'].flatMap((n) => Array.from({ length: PER_NODE }, (_, i) => `${n}:session-${i}`));

    console.log('\n1. three processes share one cache');
    log(`size() = ${await cache.size()}; from a, getAll of the 300 keys finds ${(await cache.getAll(keys)).size}`);
    log(`b:session-7 -> ${JSON.stringify(await cache.get('b:session-7'))}`);

    console.log('\n2. c is killed with SIGKILL');
    children.c.kill('SIGKILL');
    const found = await cache.getAll(keys);
    log(`right away, getAll finds ${found.size} of 300 (a key whose owner was c is read from its backup)`);
    while (a.nodes().includes('c')) await new Promise((r) => a.once('nodedown', r));
    log(`after nodedown: size() = ${await cache.size()}, c:session-42 -> ${JSON.stringify(await cache.get('c:session-42'))}`);

    console.log('\n3. getOrSet from a and b at once: the loader runs once in the cluster');
    children.b.stdin!.write('load\n');
    const fromA = await cache.getOrSet('report', () => slowLoad('a'));
    const fromB = await line(children.b, 'loaded');
    log(`a got ${JSON.stringify(fromA)}; b ${fromB}`);
  } finally {
    children.b.stdin?.end();
    children.c.kill('SIGKILL');
    await new Promise((r) => (children.b.exitCode !== null ? r(null) : children.b.once('exit', r)));
    await cache.stop();
    await a.stop();
  }
  console.log('\ncluster stopped');
}

const [role, name, seed] = process.argv.slice(2);
if (role === 'peer') await peer(name!, seed!);
else await main();
