import { checkKnownOptions } from '@foundation/runtime';
import { resolveNatsOptions, TOKEN, type NatsOptions, type ResolvedNatsOptions } from '../options.js';
import { FederationOptionsError } from './errors.js';
import { Routes, type Topology } from './routes.js';

/**
 * Options of `Federation.start`: where NATS is (as for `nats()`: servers, credentials, TLS),
 * this node's cluster, and the federation's shape. Every node of a cluster starts one; the
 * first of the cluster's nodes by name (of those up) is its gateway.
 */
export interface FederationOptions extends Omit<NatsOptions, 'maxFrameBytes' | 'connectTimeoutMs'> {
  /** This node's cluster (required here: it names the cluster in the federation). */
  cluster: string;
  /** Every cluster of the federation, this one included. */
  clusters: string[];
  /** How clusters reach each other (default 'mesh'; see Routes). */
  topology?: Topology;
  /** The hub of a 'hub' topology. */
  hub?: string;
  /** A 'hierarchy' topology's tree: each cluster's parent (the root has none). */
  parents?: Record<string, string>;
  /** The default timeout of `callCluster`, in ms (default 5000). */
  callTimeoutMs?: number;
}

/** FederationOptions checked, defaults filled in. */
export interface ResolvedFederationOptions {
  nats: ResolvedNatsOptions;
  cluster: string;
  routes: Routes;
  callTimeoutMs: number;
}

const OWN = ['clusters', 'topology', 'hub', 'parents', 'callTimeoutMs'];
const NATS = ['servers', 'cluster', 'user', 'pass', 'token', 'nkeySeed', 'tls', 'heartbeatMs', 'missedHeartbeats', 'logger'];

/** Checks `opts` (UnknownOptionError, FederationOptionsError, NatsOptionsError for the NATS part). */
export function resolveFederationOptions(opts: FederationOptions): ResolvedFederationOptions {
  checkKnownOptions('Federation.start', opts, [...OWN, ...NATS]);
  if (opts === undefined) throw new FederationOptionsError('cluster', 'a cluster name', undefined);
  const natsPart: Record<string, unknown> = {};
  for (const k of NATS)
    if ((opts as unknown as Record<string, unknown>)[k] !== undefined) natsPart[k] = (opts as unknown as Record<string, unknown>)[k];
  const nats = resolveNatsOptions(natsPart as unknown as NatsOptions);
  if (typeof opts.cluster !== 'string') throw new FederationOptionsError('cluster', 'a cluster name', opts.cluster);
  const clusters = opts.clusters;
  if (
    !Array.isArray(clusters) ||
    !clusters.every((c) => typeof c === 'string' && TOKEN.test(c)) ||
    new Set(clusters).size !== clusters.length
  ) {
    throw new FederationOptionsError('clusters', "a list of distinct cluster names (letters, digits, '_', '-')", clusters);
  }
  if (!clusters.includes(opts.cluster))
    throw new FederationOptionsError('clusters', `a list that holds this node's cluster '${opts.cluster}'`, clusters);
  const topology = opts.topology ?? 'mesh';
  if (topology !== 'mesh' && topology !== 'hub' && topology !== 'hierarchy')
    throw new FederationOptionsError('topology', "'mesh', 'hub' or 'hierarchy'", topology);
  const routes = Routes.check(topology, clusters, opts.hub, opts.parents);
  const t = opts.callTimeoutMs ?? 5000;
  if (typeof t !== 'number' || !(t > 0)) throw new FederationOptionsError('callTimeoutMs', 'a positive number of ms', t);
  return { nats, cluster: opts.cluster, routes, callTimeoutMs: t };
}
