/**
 * Cluster-wide names with a DistributedRegistry: node `a` (this process) starts `b` and `c` as
 * child processes joined by the mesh. Each node registers three workers under names of its
 * own and tries to take the name `leader` (one node gets it). `a` prints the registry's events
 * as the names replicate, then `c` is killed with SIGKILL, and the survivors' views (`a`'s own,
 * `b`'s through a call) are printed until `c`'s names are gone from both.
 * Run: `pnpm tsx examples/global-names.ts`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Actor, AlreadyRegisteredError, Node, defineActor, type Pid } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';
import { DistributedRegistry, _, isRegistryEvent } from '@foundation/registry';

const COOKIE = 'global-names';
const REGISTRY = 'global';
const SYNC = 100;

/** A worker: does nothing but hold a name. */
class Worker extends Actor {}

/** Answers `'view'` with this node's view of the registry: `name -> node`, sorted. */
class ViewReporter extends Actor<'view', string[]> {
  override handleCall(): string[] {
    return view(this.node.whereis(REGISTRY) ? DistributedRegistry.of(this, REGISTRY) : undefined);
  }
}
defineActor('ViewReporter', ViewReporter);

function view(reg: DistributedRegistry | undefined): string[] {
  if (!reg) return [];
  return reg
    .select(_)
    .map((e) => `${e.key}@${e.pid.node}`)
    .sort();
}

/** Registers three workers of `node` and tries for `leader`. */
async function registerWorkers(node: Node, reg: DistributedRegistry): Promise<void> {
  for (let i = 1; i <= 3; i++) await reg.register(`${node.name}/worker-${i}`, node.spawn(Worker, undefined) as Pid);
  try {
    await reg.register('leader', node.spawn(Worker, undefined) as Pid);
  } catch (e) {
    if (!AlreadyRegisteredError.is(e)) throw e; // another node took it first (a conflict would be settled too)
  }
}

/** A child process: a node that joins the seed, registers its workers, and lives until killed or told to stop. */
async function peer(name: string, seed: string): Promise<void> {
  const node = await Node.start({ name, transport: mesh({ cookie: COOKIE, discovery: [staticPeers([seed])] }) });
  process.stdin.on('end', () => void node.stop().then(() => process.exit(0)));
  process.stdin.resume();
  const reg = await DistributedRegistry.start(node, { name: REGISTRY, keys: 'unique', syncIntervalMs: SYNC });
  await registerWorkers(node, reg);
}

function startPeer(name: string, seed: string): ChildProcess {
  const file = fileURLToPath(import.meta.url);
  return spawn(process.execPath, [...process.execArgv, file, 'peer', name, seed], { stdio: ['pipe', 'inherit', 'inherit'] });
}

async function main(): Promise<void> {
  const log = (...args: unknown[]) => console.log('  ', ...args);
  const a = await Node.start({ name: 'a', transport: mesh({ cookie: COOKIE }) });
  console.log(`node a at ${a.url}; starting b and c as child processes`);
  const children = { b: startPeer('b', a.url), c: startPeer('c', a.url) };
  const events = a.inbox();
  const t0 = Date.now();
  const ms = () => `${String(Date.now() - t0).padStart(5)} ms`;
  try {
    while (a.nodes().length < 2) await new Promise((r) => a.once('nodeup', r));
    const reg = await DistributedRegistry.start(a, { name: REGISTRY, keys: 'unique', syncIntervalMs: SYNC, listeners: [events.self] });

    console.log('\n1. every node registers its workers; the names replicate');
    await registerWorkers(a, reg);
    const reporterB = (await a.spawn('ViewReporter', undefined, { node: 'b' })) as Pid;
    const viewB = () => a.call<string[]>(reporterB, 'view', 2000);
    const printEvents = async () => {
      // What a's registry tells its listener, as it happens (a short wait, then the views are checked again).
      for (
        let ev = await events.receive(isRegistryEvent, 50).catch(() => null);
        ev;
        ev = events.pending > 0 ? await events.receive(isRegistryEvent, 0).catch(() => null) : null
      ) {
        log(`${ms()}  a: ${'registered' in ev ? '+' : '-'} ${String(ev.key)} -> ${ev.pid}`);
      }
    };
    const expectedNames = 3 * 3 + 1;
    while (view(reg).length < expectedNames || (await viewB()).length < expectedNames) await printEvents();
    await printEvents();
    log(`${ms()}  a's view: ${view(reg).join(' ')}`);
    log(`${ms()}  b's view: ${(await viewB()).join(' ')}`);

    console.log('\n2. c is killed with SIGKILL; the survivors drop its names');
    const killedAt = Date.now();
    children.c.kill('SIGKILL');
    const hasC = (names: string[]) => names.some((n) => n.endsWith('@c'));
    while (hasC(view(reg)) || hasC(await viewB())) await printEvents();
    await printEvents();
    log(`${ms()}  a's view: ${view(reg).join(' ')}`);
    log(`${ms()}  b's view: ${(await viewB()).join(' ')}`);
    log(`converged ${Date.now() - killedAt} ms after the kill; nodes() = ${JSON.stringify(a.nodes())}`);
  } finally {
    children.b.stdin?.end();
    children.c.kill('SIGKILL');
    const killB = setTimeout(() => children.b.kill('SIGKILL'), 5000);
    await new Promise((r) => (children.b.exitCode !== null ? r(null) : children.b.once('exit', r)));
    clearTimeout(killB);
    events.close();
    await a.stop();
  }
  console.log('\ncluster stopped');
}

const [role, name, seed] = process.argv.slice(2);
if (role === 'peer') await peer(name!, seed!);
else await main();
