// Plain JavaScript against the installed tarballs: each check throws on a wrong answer.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { isMainThread } from 'node:worker_threads';
import { Actor, Node, isDown } from '@foundation/runtime';
import { Supervisor } from '@foundation/supervisor';
import { mesh } from '@foundation/cluster';
import { simulate } from '@foundation/testkit';
import { Counter } from './actors.mjs';

function check(what, got, want) {
  if (got !== want) throw new Error(`${what}: got ${String(got)}, want ${String(want)}`);
  console.log(`  ok  ${what}`);
}

class Crasher extends Actor {
  handleCall() {
    throw new Error('asked to crash');
  }
}

// Local actors, a monitor, and a supervisor restarting a crashed child.
{
  const node = await Node.start({ name: 'local' });
  const pid = node.spawn(Counter, 1);
  node.cast(pid, { inc: 2 });
  check('a local call', await node.call(pid, 'get', 1000), 3);
  const inbox = node.inbox();
  inbox.monitor(pid);
  node.exit(pid, 'kill');
  check('a monitor fires with killed', (await inbox.receive(isDown, 1000)).reason, 'killed');
  const sup = await Supervisor.start(node, {
    strategy: 'one_for_one',
    children: [{ id: 'crasher', start: [Crasher, undefined], restart: 'permanent' }],
  });
  const [before] = await sup.whichChildren();
  await node.call(before.pid, 'crash', 1000).catch(() => {});
  let after;
  for (const deadline = Date.now() + 2000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 5))) {
    [after] = await sup.whichChildren();
    if (after.pid && !after.pid.equals(before.pid)) break;
  }
  check('a supervisor restarts a crashed child', Boolean(after.pid && !after.pid.equals(before.pid)), true);
  await sup.stop();
  check('a supervisor handle stops its supervisor', node.isAlive(sup.pid), false);
  check('an unknown option is named', await Supervisor.start(node, { stratgy: 'one_for_one' }).catch((e) => e.name), 'UnknownOptionError');
  await node.stop();
}

// Two schedulers loading a module of actors, and the dirty pool.
{
  const node = await Node.start({ name: 'threads', schedulers: 2, modules: [new URL('./actors.mjs', import.meta.url)] });
  const pid = node.spawn('Counter', 5, { scheduler: 1 });
  check('a call to an actor on scheduler 1', await node.call(pid, 'get', 2000), 5);
  check('that actor runs on a worker thread', (await node.call(pid, 'where', 2000)) !== 0 && isMainThread, true);
  check('a dirty-pool task', await node.runTask(new URL('./tasks.mjs', import.meta.url), 'fib', 20), 6765);
  await node.stop();
}

// A deterministic simulation from dist/: a cross-node call, and the same trace for the same seed.
{
  const run = () =>
    simulate({ nodes: 2, seed: 5 }, async (cluster) => {
      const pid = cluster.node('b').spawn(Counter, 7);
      const got = await cluster.node('a').call(pid, 'get', 1000);
      return `${got}\n${cluster.trace.join('\n')}`;
    });
  const first = await run();
  check('a simulated cross-node call', first.split('\n')[0], '7');
  check('a simulation replays from its seed', await run(), first);
}

// Two nodes over the mesh, in two OS processes.
{
  const child = spawn(process.execPath, [new URL('./peer.mjs', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const [url] = await once(createInterface({ input: child.stdout }), 'line');
    const node = await Node.start({ name: 'main', transport: mesh({ port: 0, host: '127.0.0.1', cookie: 'packed' }) });
    await node.connect(url);
    check('a call to a named actor on another OS process', await node.call({ name: 'counter', node: 'peer' }, 'get', 2000), 40);
    await node.stop();
  } finally {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await once(child, 'exit');
    clearTimeout(timer);
  }
}
console.log('packed: every check passed');
