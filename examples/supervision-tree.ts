/**
 * A supervision tree: a one_for_one root supervising a DynamicSupervisor pool of workers and a
 * singleton cache. Crashes are injected into a pool worker, the cache, and then repeatedly into
 * one worker until the pool gives up and the root restarts it. The console shows what restarted.
 * Run: `pnpm tsx examples/supervision-tree.ts`.
 */
import { Actor, Node, isDown, type Inbox, type Pid } from '@foundation/runtime';
import { DynamicSupervisor, Supervisor, isReachedMaxRestartIntensity, type SupervisorReport } from '@foundation/supervisor';

/** A pool worker: answers 'ping' with its name, crashes on the cast 'crash'. */
class PoolWorker extends Actor<'ping' | 'crash', string, string> {
  private name = '';
  override init(name: string) {
    this.name = name;
  }
  override handleCall() {
    return this.name;
  }
  override handleCast(msg: 'ping' | 'crash') {
    if (msg === 'crash') throw new Error(`${this.name} hit a bad request`);
  }
}

/** The singleton: a cache whose state is lost when it restarts. */
class Cache extends Actor<'crash' | 'size', number, void> {
  private entries = new Map<string, string>([['greeting', 'hello']]);
  override handleCall() {
    return this.entries.size;
  }
  override handleCast() {
    throw new Error('cache corrupted');
  }
}

const why = (reason: unknown): string =>
  reason instanceof Error
    ? reason.message
    : isReachedMaxRestartIntensity(reason)
      ? `gave up: '${reason.shutdown.reachedMaxRestartIntensity.child}' crashed too often`
      : String(reason);

const describeReport = (r: SupervisorReport): string | undefined => {
  const who = r.child ?? 'child';
  switch (r.kind) {
    case 'started':
      return `  started     ${who} as ${r.pid}`;
    case 'childTerminated':
      return `  terminated  ${who} (${why(r.reason)})`;
    case 'reachedMaxRestartIntensity':
      return `  GIVING UP   after ${who} crashed too often`;
    default:
      return undefined;
  }
};
const log = (name: string) => (r: SupervisorReport) => {
  const line = describeReport(r);
  if (line) console.log(`[${name}]${line}`);
};

async function waitDown(inbox: Inbox, pid: Pid): Promise<void> {
  const ref = inbox.monitor(pid);
  await inbox.receive((m) => isDown(m) && m.ref.equals(ref), 5000);
}

async function main(): Promise<void> {
  const node = await Node.start({ name: 'example' });
  const inbox = node.inbox();

  console.log('starting the tree');
  const root = await Supervisor.start(
    node,
    {
      strategy: 'one_for_one',
      onReport: log('root'),
      children: [
        {
          id: 'pool',
          type: 'supervisor',
          start: [DynamicSupervisor, { maxChildren: 3, maxRestarts: 2, maxSeconds: 5, onReport: log('pool') }],
        },
        { id: 'cache', start: [Cache, undefined] },
      ],
    },
    { name: 'root' },
  );
  // The pool runs as a child of the tree: DynamicSupervisor.of gives its handle from its pid.
  const pool = DynamicSupervisor.of(node, (await root.whichChildren()).find((c) => c.id === 'pool')!.pid!);
  for (const name of ['w1', 'w2', 'w3']) await pool.startChild({ id: name, start: [PoolWorker, name] });
  console.log('pool:', await pool.countChildren());

  console.log('\ncrash one pool worker: only it restarts');
  const [w1] = await pool.whichChildren();
  node.cast(w1!.pid!, 'crash');
  await waitDown(inbox, w1!.pid!);
  await pool.countChildren();
  console.log('pool:', (await pool.whichChildren()).map((c) => String(c.pid)).join(' '));

  console.log('\ncrash the cache: the root restarts it, the pool is untouched');
  const cache = (await root.whichChildren()).find((c) => c.id === 'cache')!.pid!;
  node.cast(cache, 'crash');
  await waitDown(inbox, cache);
  await root.countChildren();

  console.log('\ncrash pool workers until the pool exceeds 2 restarts in 5 s: it gives up, the root restarts it');
  let gaveUp = false;
  const poolDown = waitDown(inbox, pool.pid).then(() => (gaveUp = true));
  while (!gaveUp) {
    const kids = await pool.whichChildren().catch(() => []);
    const first = kids.find((c) => c.pid !== null);
    if (!first) break;
    node.cast(first.pid!, 'crash');
    await waitDown(inbox, first.pid!);
    await pool.countChildren().catch(() => undefined);
  }
  await poolDown;
  await root.countChildren();
  const tree = await root.whichChildren();
  console.log('root children now:', tree.map((c) => `${c.id}=${String(c.pid)}`).join(', '));
  const newPool = DynamicSupervisor.of(node, tree.find((c) => c.id === 'pool')!.pid!);
  console.log('new pool (empty: dynamic children are not respawned by the root):', await newPool.countChildren());

  await node.stop();
  console.log('\nnode stopped: the tree shut down in reverse start order');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
