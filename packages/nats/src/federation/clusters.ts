/** What the federation knows of one cluster. */
export interface ClusterInfo {
  cluster: string;
  /** The node serving as its gateway, as last announced (null: never heard). */
  gateway: string | null;
  /** Its nodes, as its gateway last announced them. */
  nodes: string[];
  /** Heard from within the last `missed` heartbeats (this node's own cluster: always). */
  reachable: boolean;
}

/**
 * The registry of the federation's clusters: each gateway announces its cluster every
 * heartbeat; a cluster not heard for `missed` heartbeats is unreachable.
 */
export class ClusterRegistry {
  private readonly heard = new Map<string, { gateway: string; nodes: string[]; at: number }>();

  constructor(
    private readonly own: string,
    private readonly clusters: readonly string[],
    private readonly limitMs: number,
  ) {}

  /** A gateway announced its cluster. */
  announce(cluster: string, gateway: string, nodes: string[], now: number): void {
    if (this.clusters.includes(cluster)) this.heard.set(cluster, { gateway, nodes, at: now });
  }

  /** True when `cluster` was heard recently (or is this node's own). */
  reachable(cluster: string, now: number): boolean {
    if (cluster === this.own) return true;
    const h = this.heard.get(cluster);
    return h !== undefined && now - h.at <= this.limitMs;
  }

  /** Every cluster of the federation, in the order given. */
  list(now: number): ClusterInfo[] {
    return this.clusters.map((cluster) => {
      const h = this.heard.get(cluster);
      return { cluster, gateway: h?.gateway ?? null, nodes: h?.nodes ?? [], reachable: this.reachable(cluster, now) };
    });
  }
}
