/**
 * Foundation, zero configuration: three node processes on this machine find each other over
 * mDNS (loopback only, a development cookie derived for this machine and project), run a
 * supervised singleton and a replicated service across them, chat over pubsub, share a cache —
 * then the node running the singleton is killed with SIGKILL, and a summary table shows how
 * everything recovered. Finishes by itself. Run: `pnpm demo` (after the one-node tour), or
 * `pnpm tsx examples/foundation-demo.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Actor, defineActor } from '@foundation/runtime';
import { Foundation } from 'foundation';

/** Counts the calls it answered and says where it runs: the cluster's one singleton. */
class Ledger extends Actor<'tick', { count: number; node: string }, null> {
  count = 0;
  override handleCall() {
    return { count: ++this.count, node: this.node.name };
  }
}
defineActor('DemoLedger', Ledger);

/** One per node: answers with its node's name. */
class Greeter extends Actor<string, string, null> {
  override handleCall(who: string) {
    return `hello ${who}, from ${this.node.name}`;
  }
}
defineActor('DemoGreeter', Greeter);

const say = (event: Record<string, unknown>) => process.stdout.write(JSON.stringify(event) + '\n');
const until = async (what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 15_000, why?: () => Promise<string>) => {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${why ? ` (${await why()})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A node process: no options but the cache's adapter; the environment scopes it to this run. */
async function node(): Promise<void> {
  const t0 = Date.now();
  const f = await Foundation.start({ caching: { adapter: 'partitioned' } });
  const me = f.node.name;
  await f.waitForNodes(3, 20_000);
  const joinedMs = Date.now() - t0;
  await f.startService(Ledger, null, { name: 'ledger', strategy: 'singleton' });
  await f.startService(Greeter, null, { name: 'greeter', strategy: 'replicated' });
  const chat = f.node.inbox();
  await f.pubsub.subscribe(chat.self, 'chat.lobby');
  await f.cache!.put(`profile:${me}`, { node: me, at: Date.now() });
  say({ ev: 'up', node: me, joinedMs, url: f.node.url, config: f.config().reasons.cluster });

  const heard: string[] = [];
  const listen = async (n: number) => {
    while (heard.length < n) heard.push(String(await chat.receive(() => true, 10_000)));
  };
  process.stdin.setEncoding('utf8');
  let buf = '';
  process.stdin.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const [cmd, arg] = buf.slice(0, i).split(' ');
      buf = buf.slice(i + 1);
      void run(cmd!, Number(arg)).catch((e: unknown) => say({ ev: 'error', node: me, error: String(e) }));
    }
  });
  process.stdin.on('end', () => void f.stop().then(() => process.exit(0)));

  async function run(cmd: string, n: number): Promise<void> {
    if (cmd === 'chat') {
      await f.send({ topic: 'chat.lobby' }, `${me}: hi all`);
      await listen(heard.length + n);
      say({ ev: 'chat', node: me, heard: heard.slice(-n) });
    } else if (cmd === 'report') {
      const ledger = await f.call<{ node: string; count: number }>('ledger', 'tick');
      const greeting = await f.call<string>('greeter', me);
      const keys = ['n1', 'n2', 'n3'].map((k) => `profile:${k}`);
      const found = (await f.cache!.getAll(keys)).size;
      say({ ev: 'report', node: me, ledger, greeting, cacheFound: found, info: await f.clusterInfo() });
    } else if (cmd === 'recover') {
      const t = Date.now();
      // `n` is the killed node's number: wait until this node knows it is gone, then re-check everything.
      await until('nodedown', () => !f.node.nodes().includes(`n${n}`));
      const downMs = Date.now() - t;
      let ledger = { node: '', count: 0 };
      let lastError: unknown;
      await until(
        'the singleton to run again',
        async () => {
          ledger = await f.call<{ node: string; count: number }>('ledger', 'tick', 1000).catch((e: unknown) => {
            lastError = e;
            return { node: '', count: 0 };
          });
          return ledger.node !== '' && ledger.node !== `n${n}`;
        },
        15_000,
        // What to look at if it never does: the last call's failure and where this node sees each service.
        async () => `last call: ${String(lastError)}; services: ${JSON.stringify((await f.clusterInfo()).services)}`,
      );
      const singletonMs = Date.now() - t;
      const keys = ['n1', 'n2', 'n3'].map((k) => `profile:${k}`);
      const found = (await f.cache!.getAll(keys)).size;
      const info = await f.clusterInfo();
      say({ ev: 'recovered', node: me, downMs, singletonMs, ledger, cacheFound: found, nodes: info.nodes, services: info.services });
    }
  }
}

// ---- the coordinator: starts three node processes, drives them, prints what happened ----

interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly events: Record<string, unknown>[];
  waiters: (() => void)[];
}

function startNode(name: string, clusterId: string): Child {
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, [...process.execArgv, file, 'node'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, FOUNDATION_NODE_NAME: name, FOUNDATION_CLUSTER_ID: clusterId },
  });
  const c: Child = { name, proc, events: [], waiters: [] };
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        c.events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        console.log(`   [${name}] ${line}`);
      }
      for (const w of c.waiters.splice(0)) w();
    }
  });
  return c;
}

async function event(c: Child, ev: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = c.events.find((e) => e.ev === ev);
    if (found) {
      c.events.splice(c.events.indexOf(found), 1);
      return found;
    }
    const err = c.events.find((e) => e.ev === 'error');
    if (err) throw new Error(`${c.name}: ${String(err.error)}`);
    if (c.proc.exitCode !== null) throw new Error(`${c.name} exited (${c.proc.exitCode}) before '${ev}'`);
    if (Date.now() > end) throw new Error(`${c.name}: no '${ev}' within ${timeoutMs} ms`);
    await new Promise<void>((r) => {
      const t = setTimeout(r, 200);
      c.waiters.push(() => {
        clearTimeout(t);
        r();
      });
    });
  }
}

async function coordinator(): Promise<void> {
  const started = Date.now();
  // One id per run scopes discovery, so two demos on one machine stay two clusters.
  const clusterId = `d${randomBytes(4).toString('hex')}`;
  console.log('Foundation demo: three node processes, zero configuration (mDNS on loopback)\n');
  const nodes = ['n1', 'n2', 'n3'].map((n) => startNode(n, clusterId));
  const rows: [string, string, string][] = [];
  try {
    const ups = await Promise.all(nodes.map((c) => event(c, 'up')));
    for (const u of ups)
      console.log(`   ${String(u.node)} up at ${String(u.url)}, cluster of 3 in ${String(u.joinedMs)} ms (${String(u.config)})`);
    rows.push(['discovery', 'three processes, no configuration', `joined in ${Math.max(...ups.map((u) => Number(u.joinedMs)))} ms`]);

    console.log('\n1. chat over pubsub: each node says hi');
    for (const c of nodes) c.proc.stdin!.write('chat 3\n');
    const chats = await Promise.all(nodes.map((c) => event(c, 'chat')));
    for (const ch of chats) console.log(`   ${String(ch.node)} heard: ${(ch.heard as string[]).join(' | ')}`);
    rows.push([
      'pubsub chat',
      '3 messages to 3 nodes',
      `${chats.filter((c) => (c.heard as string[]).length === 3).length}/3 nodes heard all`,
    ]);

    console.log('\n2. services and the shared cache, seen from n1');
    nodes[0]!.proc.stdin!.write('report\n');
    const report = await event(nodes[0]!, 'report');
    const ledger = report.ledger as { node: string; count: number };
    console.log(`   singleton 'ledger' runs on ${ledger.node}; replicated 'greeter' from n1: "${String(report.greeting)}"`);
    console.log(`   cache: n1 reads ${String(report.cacheFound)}/3 profiles written by n1, n2, n3`);

    const victim = nodes.find((c) => c.name === ledger.node)!;
    const survivor = nodes.find((c) => c !== victim)!;
    console.log(`\n3. ${victim.name} (running the singleton) is killed with SIGKILL`);
    victim.proc.kill('SIGKILL');
    survivor.proc.stdin!.write(`recover ${victim.name.slice(1)}\n`);
    const rec = await event(survivor, 'recovered');
    const after = rec.ledger as { node: string; count: number };
    console.log(
      `   ${survivor.name}: nodedown after ${String(rec.downMs)} ms; singleton restarted on ${after.node} (${String(rec.singletonMs)} ms); cluster now ${(rec.nodes as string[]).join(', ')}`,
    );
    console.log(`   cache: ${String(rec.cacheFound)}/3 profiles still readable (each key has a backup on another node)`);
    rows.push(['node lost', `${victim.name} SIGKILLed`, `nodedown seen in ${String(rec.downMs)} ms`]);
    rows.push([
      'singleton',
      `was on ${victim.name}`,
      `runs on ${after.node} after ${String(rec.singletonMs)} ms (state restarts: count ${after.count})`,
    ]);
    rows.push(['shared cache', '3 keys, replicas: 1', `${String(rec.cacheFound)}/3 readable after the loss`]);
    const greeter = (rec.services as { name: string; nodes: string[] }[]).find((s) => s.name === 'greeter');
    rows.push(['replicated service', 'one per node', `on ${greeter?.nodes.join(', ') ?? '?'} (the lost node's instance is not moved)`]);

    console.log('\n4. the survivors chat again');
    const left = nodes.filter((c) => c !== victim);
    for (const c of left) c.proc.stdin!.write('chat 2\n');
    const chats2 = await Promise.all(left.map((c) => event(c, 'chat')));
    rows.push([
      'pubsub after loss',
      '2 messages to 2 nodes',
      `${chats2.filter((c) => (c.heard as string[]).length === 2).length}/2 nodes heard all`,
    ]);
  } finally {
    for (const c of nodes) c.proc.stdin?.end();
    await Promise.all(
      nodes.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.proc.exitCode !== null || c.proc.signalCode !== null) return r();
            const t = setTimeout(() => c.proc.kill('SIGKILL'), 10_000);
            c.proc.once('exit', () => {
              clearTimeout(t);
              r();
            });
          }),
      ),
    );
  }
  const w = [20, 34, 0];
  console.log('\nSummary');
  console.log(`   ${'what'.padEnd(w[0]!)}${'setup'.padEnd(w[1]!)}recovery`);
  for (const [a, b, c] of rows) console.log(`   ${a.padEnd(w[0]!)}${b.padEnd(w[1]!)}${c}`);
  console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[2] === 'node') await node();
else await coordinator();
