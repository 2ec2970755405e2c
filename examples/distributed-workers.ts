/**
 * Children that outlive their node, with a DistributedSupervisor: node `a` (this process)
 * starts `b` and `c` as child processes joined by the mesh, each running a member of the
 * supervisor `workers`. `a` starts twelve workers; the ring spreads them over the three nodes.
 * Then `c` is killed with SIGKILL: its workers restart on `a` and `b` (the ring's new choice),
 * and each answers a call by via-name from its new home.
 * Run: `pnpm tsx examples/distributed-workers.ts`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Actor, Node, defineActor } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';
import { DistributedSupervisor } from '@foundation/supervisor';

const COOKIE = 'distributed-workers';
const SUPERVISOR = 'workers';

/** A worker: answers 'where' with the node it runs on. Named with defineActor, so every node can start it. */
class Worker extends Actor<'where', string, { id: string }> {
  override handleCall(): string {
    return this.node.name;
  }
}
defineActor('example.Worker', Worker);

/** A child process: a node that joins the seed and runs a member of the supervisor until killed or told to stop. */
async function peer(name: string, seed: string): Promise<void> {
  const node = await Node.start({ name, transport: mesh({ cookie: COOKIE, discovery: [staticPeers([seed])] }) });
  process.stdin.on('end', () => void node.stop().then(() => process.exit(0)));
  process.stdin.resume();
  await DistributedSupervisor.start(node, { name: SUPERVISOR, syncIntervalMs: 50 });
}

function startPeer(name: string, seed: string): ChildProcess {
  return spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'peer', name, seed], {
    stdio: ['pipe', 'inherit', 'inherit'],
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const a = await Node.start({ name: 'a', transport: mesh({ cookie: COOKIE }) });
  console.log(`node a at ${a.url}; starting b and c as child processes`);
  const children = { b: startPeer('b', a.url!), c: startPeer('c', a.url!) };
  const t0 = Date.now();
  const ms = () => `${String(Date.now() - t0).padStart(5)} ms`;
  try {
    const ds = await DistributedSupervisor.start(a, { name: SUPERVISOR, syncIntervalMs: 50 });
    while (ds.members().length < 3 || !ds.heardFrom('b') || !ds.heardFrom('c')) await sleep(10);
    console.log(`${ms()}  members: ${ds.members().join(', ')}`);

    console.log('\n1. a starts twelve workers; each runs on the member the ring picks for its id');
    const ids = Array.from({ length: 12 }, (_, i) => `worker-${i + 1}`);
    for (const id of ids) await ds.startChild({ id, start: [Worker, { id }] });
    while (ds.countChildren().active < ids.length) await sleep(10);
    const before = new Map(ids.map((id) => [id, ds.whereis(id)!.node]));
    for (const id of ids) console.log(`   ${id.padEnd(10)} on ${before.get(id)}  (answers: ${await a.call(ds.via<Worker>(id), 'where')})`);

    console.log('\n2. c is killed with SIGKILL; its workers restart on the survivors');
    const killedAt = Date.now();
    children.c.kill('SIGKILL');
    const onC = ids.filter((id) => before.get(id) === 'c');
    const moved = () => onC.every((id) => ['a', 'b'].includes(ds.whereis(id)?.node ?? ''));
    while (!moved()) await sleep(5);
    console.log(`${ms()}  members: ${ds.members().join(', ')}`);
    for (const id of onC) {
      const at = await a.call(ds.via<Worker>(id), 'where', 2000);
      console.log(`   ${id.padEnd(10)} c -> ${ds.whereis(id)!.node}  (answers: ${at})`);
    }
    console.log(`   all ${onC.length} of c's workers answering ${Date.now() - killedAt} ms after the kill; the others did not move:`);
    console.log(`   ${ids.filter((id) => !onC.includes(id)).every((id) => ds.whereis(id)!.node === before.get(id))}`);
  } finally {
    children.b.stdin?.end();
    children.c.kill('SIGKILL');
    const killB = setTimeout(() => children.b.kill('SIGKILL'), 5000);
    await new Promise((r) => (children.b.exitCode !== null ? r(null) : children.b.once('exit', r)));
    clearTimeout(killB);
    await a.stop();
  }
  console.log('\ncluster stopped');
}

const [role, name, seed] = process.argv.slice(2);
if (role === 'peer') await peer(name!, seed!);
else await main();
