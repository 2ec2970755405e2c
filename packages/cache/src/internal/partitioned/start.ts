import type { Clock, Node } from '@foundation/runtime';
import type { Cache } from '../../api.js';
import { CacheFront } from '../front.js';
import type { LocalBounds } from '../local-store.js';
import { PartitionClient } from './client.js';
import { Membership } from './membership.js';
import { serverName } from './protocol.js';
import { PartitionServer, READY } from './server.js';

/** What startPartitioned needs, checked by Cache.start. */
export interface PartitionedArgs {
  readonly name: string;
  readonly replicas: number;
  readonly bounds: LocalBounds;
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly leaseMs: number;
  /** Replicated: every member holds every key, reads and writes are served by this node's own copy. */
  readonly replicated: boolean;
  /** The HLC's physical clock, for tests (default: the wall clock). */
  readonly clock?: Pick<Clock, 'now'>;
}

/** @internal Starts this node's cache process and resolves once it has met the members already running. */
export async function startPartitioned<K, V>(node: Node, args: PartitionedArgs): Promise<Cache<K, V>> {
  const membership = new Membership(node.name, args.replicated ? Infinity : args.replicas);
  const pid = node.spawn(
    PartitionServer,
    {
      cache: args.name,
      membership,
      bounds: args.bounds,
      timeoutMs: args.timeoutMs,
      graceMs: args.graceMs,
      leaseMs: args.leaseMs,
      ...(args.clock === undefined ? {} : { clock: args.clock }),
    },
    { name: serverName(args.name) },
  );
  await node.call(pid, READY, args.timeoutMs * 2);
  const client = new PartitionClient(node, args.name, membership, pid, args.timeoutMs, args.leaseMs, args.replicated);
  return new CacheFront<K, V>(args.name, args.replicated ? 'replicated' : 'partitioned', pid, client);
}
