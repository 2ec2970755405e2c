import { ProcessGroups, isGroupJoined, isGroupLeft } from '@foundation/registry';
import type { Pid } from '@foundation/runtime';
import type { Adapter, AdapterFactory, AdapterHost } from './adapter.js';
import type { BroadcastFrame } from './frame.js';
import { serverName } from './internal/server.js';
import { PatternTrie } from './internal/trie.js';

/** The process-groups scope a PubSub's servers meet in: groups are patterns, members the servers of nodes subscribed to them. */
export const clusterScope = (name: string): string => `pubsub:${name}`;

type Send = (to: Pid | { name: string; node: string }, msg: unknown) => void;

/**
 * The mesh adapter. Each node's server joins the process group of every pattern it has local
 * subscribers for (process groups replicate the memberships to every connected node, and drop a
 * node's on nodedown); each node indexes the other nodes' patterns in a trie, so a broadcast
 * sends one frame to each node with a matching pattern — none to the others — and that node's
 * server fans it out. A frame goes out on the publisher's connection before its local
 * deliveries, so one publisher's messages reach each subscriber in the order published.
 */
class ClusterAdapter implements Adapter {
  private pg: ProcessGroups | undefined;
  /** Other nodes' servers by pattern. */
  private readonly remote = new PatternTrie<Map<string, Pid>>();

  constructor(private readonly host: AdapterHost) {}

  async start(): Promise<void> {
    const { core, ctx, server } = this.host;
    this.pg = await ProcessGroups.start(ctx, { scope: clusterScope(core.name) });
    const now = await this.pg.monitorScope(server);
    for (const [pattern, pids] of now) this.add(pattern, pids);
  }

  async subscribed(pattern: string): Promise<void> {
    await this.pg!.join(pattern, this.host.server);
  }

  async unsubscribed(pattern: string): Promise<void> {
    // After stop (or the node's shutdown, which may stop the scope first, even while this call
    // is in flight) no one is left to tell.
    const pg = this.pg;
    if (pg?.alive !== true) return;
    try {
      await pg.leave(pattern, this.host.server);
    } catch (e) {
      if (pg.alive) throw e;
    }
  }

  broadcast(frame: BroadcastFrame, segments: readonly string[], send: Send): void {
    const entries = this.remote.match(segments);
    if (entries.length === 0) return;
    const stats = this.host.core.stats;
    if (entries.length === 1) {
      for (const pid of entries[0]!.values()) {
        send(pid, frame);
        stats.framesSent++;
      }
      return;
    }
    const servers = new Map<string, Pid>();
    for (const e of entries) for (const [k, pid] of e) servers.set(k, pid);
    for (const pid of servers.values()) {
      send(pid, frame);
      stats.framesSent++;
    }
  }

  direct(nodeName: string, frame: BroadcastFrame, send: Send): void {
    send({ name: serverName(this.host.core.name), node: nodeName }, frame);
    this.host.core.stats.framesSent++;
  }

  onInfo(msg: unknown): boolean {
    if (isGroupJoined(msg) && msg.scope === clusterScope(this.host.core.name)) {
      this.add(msg.group, msg.joined);
      return true;
    }
    if (isGroupLeft(msg) && msg.scope === clusterScope(this.host.core.name)) {
      const entry = this.remote.get(msg.group);
      if (entry === undefined) return true;
      for (const pid of msg.left) entry.delete(pid.key);
      if (entry.size === 0) this.remote.delete(msg.group);
      return true;
    }
    return false;
  }

  nodesFor(segments: readonly string[]): string[] {
    const nodes = new Set<string>();
    for (const e of this.remote.match(segments)) for (const pid of e.values()) nodes.add(pid.node);
    return [...nodes].sort();
  }

  async stop(): Promise<void> {
    await this.pg?.stop();
  }

  private add(pattern: string, pids: readonly Pid[]): void {
    const self = this.host.server;
    const others = pids.filter((p) => !p.equals(self));
    if (others.length === 0) return;
    const entry = this.remote.getOrCreate(pattern, () => new Map());
    for (const pid of others) entry.set(pid.key, pid);
  }
}

/** The mesh adapter (the default): see the package README. */
export function clusterAdapter(): AdapterFactory {
  return { kind: 'cluster', create: (host) => new ClusterAdapter(host) };
}
