/**
 * A distributed job queue with a supervised worker pool: the queue is a cluster singleton;
 * each of two nodes runs a pool of workers under Foundation's supervisor and registers them
 * in the service mesh. The queue hands each job to the least busy worker anywhere
 * (`load_balanced`); a poisoned job crashes its worker, the supervisor restarts it, and the
 * job is tried again. Run: `pnpm tsx examples/foundation/job-queue.ts`
 */
import { randomBytes } from 'node:crypto';
import { Actor, defineActor } from '@foundation/runtime';
import { Foundation } from 'foundation';

type Job = { id: number; poison?: boolean };
const POOL = 3;

/** Runs one job at a time; registers itself with the mesh at every (re)start. */
class Worker extends Actor<Job, string, string> {
  label = '';
  override async init(label: string) {
    this.label = label;
    await Foundation.of(this.node)!.registerService('jobs.workers', this.self, { node: this.node.name });
  }
  override async handleCall(job: Job) {
    await new Promise((r) => setTimeout(r, 5));
    if (job.poison) throw new Error(`job ${job.id} is poisoned`);
    return `${job.id} by ${this.label}@${this.node.name}`;
  }
}
defineActor('ExampleJobWorker', Worker);

/** The queue: takes jobs, runs each through the mesh, retries one whose worker crashed. */
class Queue extends Actor<{ submit: Job[] }, { done: string[]; retried: number }, null> {
  override async handleCall(msg: { submit: Job[] }) {
    const f = Foundation.of(this.node)!;
    let retried = 0;
    const done = await Promise.all(
      msg.submit.map(async (job) => {
        try {
          return await f.call<string>({ service: 'jobs.workers' }, job);
        } catch {
          retried++;
          return f.call<string>({ service: 'jobs.workers' }, { id: job.id }); // the retry, unpoisoned
        }
      }),
    );
    return { done, retried };
  }
}
defineActor('ExampleJobQueue', Queue);

const env = { FOUNDATION_CLUSTER_ID: `jq${randomBytes(3).toString('hex')}` };
const nodes = await Promise.all(['a', 'b'].map((name) => Foundation.start({ name, env, caching: { adapter: false } })));
try {
  await nodes[0]!.waitForNodes(2);
  for (const f of nodes) for (let i = 0; i < POOL; i++) await f.startService(Worker, `w${i}`, { name: `worker-${i}` });
  await Promise.all(nodes.map((f) => f.startService(Queue, null, { name: 'queue', strategy: 'singleton' })));
  while (!nodes.every((f) => f.services.lookup('jobs.workers').length === 2 * POOL)) await new Promise((r) => setTimeout(r, 20));

  const jobs: Job[] = Array.from({ length: 12 }, (_, id) => ({ id, ...(id === 7 ? { poison: true } : {}) }));
  const { done, retried } = await nodes[1]!.call<{ done: string[]; retried: number }>('queue', { submit: jobs }, 20_000);
  const byNode = new Map<string, number>();
  for (const d of done) byNode.set(d.split('@')[1]!, (byNode.get(d.split('@')[1]!) ?? 0) + 1);
  console.log(`${done.length} jobs done, ${retried} retried after its worker crashed`);
  console.log(`jobs per node: ${[...byNode].map(([n, c]) => `${n} ${c}`).join(', ')}`);
  const info = await nodes[0]!.clusterInfo();
  console.log(`services: ${info.services.map((s) => `${s.name} (${s.strategy} on ${s.nodes.join('+')})`).join(', ')}`);
} finally {
  await Promise.all(nodes.map((f) => f.stop()));
}
