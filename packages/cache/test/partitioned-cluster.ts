import { Node } from '@foundation/runtime';
import { mesh } from '@foundation/cluster';
import { Cache, type CacheOptions } from '../src/index.js';
import { until } from './support.js';

export const COOKIE = 'cache-test-cookie';

/** Nodes of one mesh in this process (loopback), for partitioned caches. */
export class PartitionedCluster {
  private constructor(readonly nodes: Node[]) {}

  /** Starts the named nodes, each connected to the first, and waits for the full mesh. */
  static async start(names: string[]): Promise<PartitionedCluster> {
    const first = await Node.start({ name: names[0]!, transport: mesh({ port: 0, host: '127.0.0.1', cookie: COOKIE }) });
    const nodes = [first];
    for (const name of names.slice(1)) {
      const n = await Node.start({ name, transport: mesh({ port: 0, host: '127.0.0.1', cookie: COOKIE }) });
      await n.connect(first.url);
      nodes.push(n);
    }
    await until(() => {
      for (const n of nodes) if (n.nodes().length !== nodes.length - 1) throw new Error('mesh not full yet');
    }, 10_000);
    return new PartitionedCluster(nodes);
  }

  /** A partitioned (or, with `adapter`, replicated) cache `name` on every node (one handle per node, in node order), once each has met all the others. */
  async caches(name: string, opts: Partial<CacheOptions> = {}): Promise<Cache<unknown, unknown>[]> {
    const caches = await Promise.all(this.nodes.map((n) => Cache.start(n, { name, adapter: 'partitioned', ...opts } as CacheOptions)));
    await until(async () => {
      for (const n of this.nodes) {
        const members = await n.call<{ ok: string[] }>(`foundation.cache:${name}`, { op: 'members' }, 5000);
        if (members.ok.length !== this.nodes.length) throw new Error(`${n.name} sees ${members.ok.join(',')}`);
      }
    }, 10_000);
    return caches;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
