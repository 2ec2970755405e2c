import { FederationOptionsError } from './errors.js';

/** How clusters of a federation reach each other. */
export type Topology = 'mesh' | 'hub' | 'hierarchy';

/**
 * Which cluster a message for `to` goes to next, from `from`, in a federation of `clusters`:
 * - mesh: straight to `to`;
 * - hub: spokes talk to the hub only: spoke → hub → spoke;
 * - hierarchy: a tree (`parents`: each cluster's parent, the root has none): up to the lowest
 *   common ancestor, then down.
 */
export class Routes {
  constructor(
    readonly topology: Topology,
    readonly clusters: readonly string[],
    private readonly hub: string | undefined,
    private readonly parents: Readonly<Record<string, string>>,
  ) {}

  /** Checks the topology's shape; FederationOptionsError naming what is wrong. */
  static check(
    topology: Topology,
    clusters: readonly string[],
    hub: string | undefined,
    parents: Record<string, string> | undefined,
  ): Routes {
    const known = new Set(clusters);
    if (topology === 'hub') {
      if (hub === undefined || !known.has(hub)) throw new FederationOptionsError('hub', 'one of clusters (the hub of a hub topology)', hub);
    } else if (hub !== undefined) throw new FederationOptionsError('hub', "given only with topology 'hub'", hub);
    if (topology === 'hierarchy') {
      if (parents === undefined || typeof parents !== 'object')
        throw new FederationOptionsError('parents', 'an object { child: parent } (a hierarchy)', parents);
      for (const [c, p] of Object.entries(parents)) {
        if (!known.has(c) || !known.has(p)) throw new FederationOptionsError('parents', 'clusters named in clusters', { [c]: p });
      }
      const roots = clusters.filter((c) => parents[c] === undefined);
      if (roots.length !== 1) throw new FederationOptionsError('parents', 'a tree: exactly one cluster without a parent', parents);
      for (const c of clusters) {
        const seen = new Set<string>();
        for (let x: string | undefined = c; x !== undefined; x = parents[x]) {
          if (seen.has(x)) throw new FederationOptionsError('parents', 'a tree (no cycle)', parents);
          seen.add(x);
        }
      }
    } else if (parents !== undefined) throw new FederationOptionsError('parents', "given only with topology 'hierarchy'", parents);
    return new Routes(topology, clusters, hub, parents ?? {});
  }

  /** The next cluster on the way from `from` to `to` (`to` itself when it is reached directly). */
  next(from: string, to: string): string {
    if (from === to || this.topology === 'mesh') return to;
    if (this.topology === 'hub') return from === this.hub || to === this.hub ? to : this.hub!;
    const up = this.ancestors(to);
    const i = up.indexOf(from);
    // `from` is above `to`: down one step towards it; otherwise up one step.
    return i > 0 ? up[i - 1]! : this.parents[from]!;
  }

  /** `c`, its parent, its parent's parent… up to the root. */
  private ancestors(c: string): string[] {
    const out: string[] = [];
    for (let x: string | undefined = c; x !== undefined; x = this.parents[x]) out.push(x);
    return out;
  }
}
