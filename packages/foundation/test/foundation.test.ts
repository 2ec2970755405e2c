import { afterEach, describe, expect, it } from 'vitest';
import { Actor, defineActor, type From } from '@foundation/runtime';
import { DistributedRegistry, Registry } from '@foundation/registry';
import {
  Foundation,
  MAILBOX_BOUND,
  NoHealthyInstanceError,
  UnknownTargetError,
  withContext,
  DeadlineExceededError,
  type FoundationOptions,
} from '../src/index.js';

// A discovery scope of this run's own, so concurrent runs never join each other.
let serial = 0;
const scope = () => `f${process.pid.toString(36)}x${(serial++).toString(36)}`;

const started: Foundation[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.stop()));
});

async function start(name: string, id: string, extra: FoundationOptions = {}): Promise<Foundation> {
  const f = await Foundation.start({ name, env: { FOUNDATION_CLUSTER_ID: id }, ...extra });
  started.push(f);
  return f;
}

/** Answers where it runs; `slow` waits before answering. */
class Echo extends Actor<string | { slow: number }, string, string> {
  label = '';
  override init(label: string) {
    this.label = label;
  }
  override async handleCall(msg: string | { slow: number }, _from: From) {
    if (typeof msg === 'object') await new Promise((r) => setTimeout(r, msg.slow));
    return `${this.label}@${this.node.name}:${typeof msg === 'string' ? msg : 'slow'}`;
  }
}
defineActor('FoundationTestEcho', Echo);

/** Counts 'inc' calls; 'get' reads the count. */
class Tally extends Actor<'inc' | 'get', number, string> {
  n = 0;
  override handleCall(msg: 'inc' | 'get') {
    if (msg === 'inc') this.n++;
    return this.n;
  }
}
defineActor('FoundationTestTally', Tally);

describe('Foundation.start', () => {
  it('level 0: two zero-config nodes on this machine find each other over mDNS on the loopback', async () => {
    const id = scope();
    const a = await start('a', id);
    const b = await start('b', id);
    await a.waitForNodes(2);
    await b.waitForNodes(2);
    expect(a.node.nodes()).toEqual(['b']);
    expect(a.config()).toMatchObject({ profile: 'development', cluster: 'mdns', host: '127.0.0.1', mdnsService: id });
    expect(a.node.url).toMatch(/^ws:\/\/127\.0\.0\.1:/);
    expect(a.registry).toBeInstanceOf(Registry);
    expect(a.distributedSupervisor).toBeUndefined();
    expect(a.health().ok).toBe(true);
  });

  it('level 1: the production profile wires a DistributedRegistry, a DistributedSupervisor and a partitioned cache shared by the nodes', async () => {
    const id = scope();
    const prod: FoundationOptions = { profile: 'production', cookie: `cookie-${id}`, host: '127.0.0.1', cluster: 'static' };
    const a = await start('a', id, prod);
    const b = await start('b', id, { ...prod, peers: [a.node.url] });
    await a.waitForNodes(2);
    expect(a.registry).toBeInstanceOf(DistributedRegistry);
    expect(a.distributedSupervisor).toBeDefined();
    expect(a.config().cache).toBe('partitioned');
    await a.cache!.put('k', 'from a');
    await expect.poll(() => b.cache!.get('k'), { timeout: 5000 }).toBe('from a');
  });

  it('level 2: a multilevel cache over pubsub invalidations drops near copies on the other node', async () => {
    const id = scope();
    const opts: FoundationOptions = { caching: { adapter: 'multilevel' } };
    const a = await start('a', id, opts);
    const b = await start('b', id, opts);
    await a.waitForNodes(2);
    await a.cache!.put('k', 1);
    await expect(b.cache!.get('k')).resolves.toBe(1); // now near on b
    await a.cache!.put('k', 2);
    await expect.poll(() => b.cache!.get('k'), { timeout: 5000 }).toBe(2);
  });
});

describe('hooks and health', () => {
  it('observe is called with the started Foundation, and what it returns at stop', async () => {
    const seen: unknown[] = [];
    const f = await Foundation.start({ cluster: 'none', observe: (x) => (seen.push(x), () => void seen.push('stopped')) });
    expect(seen).toEqual([f]);
    await f.stop();
    expect(seen).toEqual([f, 'stopped']);
  });

  it('health fails its quorum check while fewer than half the expected nodes are connected', async () => {
    const f = await start('a', scope(), { cluster: 'none', clustering: { expectedNodes: 3 } });
    expect(f.health()).toMatchObject({ ok: false, connected: 0, expected: 3, checks: { quorum: false, node: true } });
  });
});

describe('the simple API', () => {
  it('startService local: reached by name and by { service }, and again after a crash restarts it', async () => {
    const a = await start('a', scope(), { cluster: 'none' });
    await a.startService(Echo, 'e', { name: 'echo' });
    await expect(a.call('echo', 'hi')).resolves.toBe('e@a:hi');
    await expect(a.call({ service: 'echo' }, 'x')).resolves.toBe('e@a:x');
    const first = (await a.supervisor.whichChildren()).find((c) => c.id === 'echo')!.pid!;
    a.node.exit(first, 'kill');
    await expect
      .poll(async () => (await a.supervisor.whichChildren()).find((c) => c.id === 'echo')?.pid?.equals(first) === false)
      .toBe(true);
    await expect(a.call('echo', 'again')).resolves.toBe('e@a:again');
  });

  it('startService singleton: one instance in the cluster, reached from every node', async () => {
    const id = scope();
    const a = await start('a', id);
    const b = await start('b', id);
    await a.waitForNodes(2);
    await a.startService(Echo, 's', { name: 'single', strategy: 'singleton' });
    await b.startService(Echo, 's', { name: 'single', strategy: 'singleton' });
    const fromA = await a.call<string>('single', 'q');
    const fromB = await b.call<string>('single', 'q');
    expect(fromA).toBe(fromB);
  });

  it('startService partitioned: calls for one key from two nodes reach one instance, its state kept', async () => {
    const id = scope();
    const a = await start('a', id, { caching: { adapter: false } });
    const b = await start('b', id, { caching: { adapter: false } });
    await a.waitForNodes(2);
    await Promise.all([a, b].map((f) => f.startService(Tally, (key: string) => key, { name: 'tally', strategy: 'partitioned' })));
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    for (let i = 0; i < 24; i++) await [a, b][i % 2]!.call({ service: 'tally', key: keys[Math.floor(i / 2) % keys.length]! }, 'inc');
    for (const key of keys) await expect(a.call({ service: 'tally', key }, 'get')).resolves.toBe(4);
  });

  it('registerService routing: closest prefers this node, broadcast reaches all, a filter picks by capability, none fit is a named error', async () => {
    const id = scope();
    const a = await start('a', id);
    const b = await start('b', id);
    await a.waitForNodes(2);
    await a.registerService('svc', await a.node.spawnAndWait(Echo, 'gpu'), { gpu: true });
    await b.registerService('svc', await b.node.spawnAndWait(Echo, 'cpu'), { gpu: false });
    await expect.poll(() => a.services.lookup('svc').length + b.services.lookup('svc').length).toBe(4);
    await expect(a.call({ service: 'svc', routing: 'closest' }, 'c')).resolves.toBe('gpu@a:c');
    await expect(b.call({ service: 'svc', routing: 'closest' }, 'c')).resolves.toBe('cpu@b:c');
    expect(((await a.call<string[]>({ service: 'svc', routing: 'broadcast' }, 'all')) as string[]).sort()).toEqual([
      'cpu@b:all',
      'gpu@a:all',
    ]);
    await expect(b.call({ service: 'svc', filter: (c) => c.gpu === true }, 'f')).resolves.toBe('gpu@a:f');
    await expect(a.call({ service: 'svc', filter: (c) => c.tpu === true }, 'f')).rejects.toThrow(NoHealthyInstanceError);
  });

  it('closest routing, with no instance here, goes to the node whose calls answered fastest', async () => {
    const id = scope();
    const a = await start('a', id);
    const b = await start('b', id);
    const c = await start('c', id);
    await a.waitForNodes(3);
    await b.registerService('near', await b.node.spawnAndWait(Echo, 'b'), {});
    await c.registerService('near', await c.node.spawnAndWait(Echo, 'c'), {});
    await expect.poll(() => a.services.lookup('near').length).toBe(2);
    // Neither measured: b first (by name), and its call is slow; then c, not measured yet, answers at once.
    await expect(a.call({ service: 'near', routing: 'closest' }, { slow: 200 })).resolves.toMatch(/^b@b/);
    await expect(a.call({ service: 'near', routing: 'closest' }, 'x')).resolves.toBe('c@c:x');
    for (let i = 0; i < 5; i++) await expect(a.call({ service: 'near', routing: 'closest' }, String(i))).resolves.toBe(`c@c:${i}`);
  });

  it('load_balanced routing sends the next call to the instance with fewer calls in flight', async () => {
    const a = await start('a', scope(), { cluster: 'none' });
    await a.registerService('lb', await a.node.spawnAndWait(Echo, 'one'), {});
    await a.registerService('lb', await a.node.spawnAndWait(Echo, 'two'), {});
    const first = a.call<string>({ service: 'lb' }, { slow: 300 });
    await new Promise((r) => setImmediate(r));
    const second = await a.call<string>({ service: 'lb' }, 'now');
    expect((await first).split('@')[0]).not.toBe(second.split('@')[0]);
  });

  it('send to { topic } reaches subscribers on every node; call to { group } answers with every member', async () => {
    const id = scope();
    const a = await start('a', id, { caching: { adapter: false } });
    const b = await start('b', id, { caching: { adapter: false } });
    await a.waitForNodes(2);
    const inbox = b.node.inbox();
    await b.pubsub.subscribe(inbox.self, 'news');
    await expect.poll(() => a.pubsub.nodesFor('news')).toEqual(['b']);
    await a.send({ topic: 'news' }, 'extra');
    await expect(inbox.receive(() => true, 5000)).resolves.toBe('extra');
    await a.joinGroup('echoes', await a.node.spawnAndWait(Echo, 'ga'));
    await b.joinGroup('echoes', await b.node.spawnAndWait(Echo, 'gb'));
    await expect.poll(() => a.groups.members('echoes').length).toBe(2);
    expect((await a.call<string[]>({ group: 'echoes' }, 'hi')).sort()).toEqual(['ga@a:hi', 'gb@b:hi']);
  });

  it('an instance with a mailbox over the bound is skipped', async () => {
    const a = await start('a', scope(), { cluster: 'none' });
    const busy = await a.node.spawnAndWait(Echo, 'busy');
    const idle = await a.node.spawnAndWait(Echo, 'idle');
    await a.registerService('svc', busy, {});
    await a.registerService('svc', idle, {});
    const stuck = a.node.call(busy, { slow: 500 });
    for (let i = 0; i <= MAILBOX_BOUND; i++) a.node.send(busy, 'queued' as never);
    for (let i = 0; i < 3; i++) await expect(a.call({ service: 'svc', routing: 'closest' }, 'x')).resolves.toBe('idle@a:x');
    await stuck;
  });

  it('load_balanced routing spreads calls started in the same turn over the instances', async () => {
    const a = await start('a', scope(), { cluster: 'none' });
    await a.registerService('lb', await a.node.spawnAndWait(Echo, 'one'), {});
    await a.registerService('lb', await a.node.spawnAndWait(Echo, 'two'), {});
    const replies = await Promise.all([1, 2, 3, 4].map(() => a.call<string>({ service: 'lb' }, { slow: 20 })));
    const by = replies.map((r) => r.split('@')[0]).sort();
    expect(by).toEqual(['one', 'one', 'two', 'two']);
  });

  it('a context deadline cancels a call that cannot finish in time', async () => {
    const a = await start('a', scope(), { cluster: 'none' });
    await a.startService(Echo, 'e', { name: 'echo' });
    await expect(withContext({ deadline: Date.now() + 100 }, () => a.call('echo', { slow: 2000 }))).rejects.toThrow(DeadlineExceededError);
    await expect(withContext({ deadline: Date.now() - 1 }, () => a.call('echo', 'late'))).rejects.toThrow(DeadlineExceededError);
  });

  it('an unknown name is a named error', async () => {
    const a = await start('a', scope(), { cluster: 'none' });
    await expect(a.call('nobody', 'x')).rejects.toThrow(UnknownTargetError);
  });

  it('clusterInfo shows the nodes and where each service runs', async () => {
    const id = scope();
    const a = await start('a', id);
    const b = await start('b', id);
    await a.waitForNodes(2);
    await a.startService(Echo, 'r', { name: 'rep', strategy: 'replicated' });
    await b.startService(Echo, 'r', { name: 'rep', strategy: 'replicated' });
    await expect.poll(async () => (await a.clusterInfo()).services.find((s) => s.name === 'rep')?.nodes.length).toBe(2);
    const info = await a.clusterInfo();
    expect(info.nodes).toEqual(['a', 'b']);
    expect(info.profile).toBe('development');
    expect(Object.keys(info.load).sort()).toEqual(['a', 'b']);
    expect(info.load.b!.processes).toBeGreaterThan(0);
  });
});
