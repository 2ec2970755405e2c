import { checkKnownOptions, type Transport } from '@foundation/runtime';
import type { DnsOptions, KubernetesOptions, MdnsOptions, Strategy } from '@foundation/cluster';
import type { AdapterFactory } from '@foundation/pubsub';
import { FoundationOptionError } from './errors.js';

/** The deployment profile: development wires one machine's cluster, production a real one. */
export type Profile = 'development' | 'production';

/** How nodes find each other: mDNS (development), Kubernetes, DNS, a static list, or not at all. */
export type ClusterMode = 'mdns' | 'kubernetes' | 'dns' | 'static' | 'none';

/** Level 2: how this node finds and talks to others. */
export interface ClusteringOptions {
  /** Extra strategies, used besides (or, with `cluster: 'none'`, instead of) the chosen one. */
  readonly discovery?: readonly Strategy[];
  /** Options of the mdns strategy (default: loopback only, service 'foundation'). */
  readonly mdns?: MdnsOptions;
  /** Options of the dns strategy (its `query` is required with `cluster: 'dns'`). */
  readonly dns?: DnsOptions;
  /** Options of the kubernetes strategy. */
  readonly kubernetes?: KubernetesOptions;
  /** Mesh heartbeat period, in ms (default 1000). */
  readonly tickMs?: number;
  /** How many nodes the cluster will have: tunes sync intervals (also FOUNDATION_EXPECTED_NODES). */
  readonly expectedNodes?: number;
}

/** Level 2: registry and supervision. */
export interface ProcessesOptions {
  /** Scheduler threads of the node (default 1). */
  readonly schedulers?: number | 'auto';
  /** A node-local Registry or a cluster-wide DistributedRegistry (default: by profile). */
  readonly registry?: 'local' | 'distributed';
  /** Restart intensity of the supervisors Foundation starts (default 3 in 5 s). */
  readonly maxRestarts?: number;
  /** The restart-intensity window, in seconds (OTP's name). */
  readonly maxSeconds?: number;
  /** How often replicated tables ship changes, in ms (default: from expectedNodes). */
  readonly syncIntervalMs?: number;
}

/** Level 2: pubsub. */
export interface MessagingOptions {
  /** The PubSub's name (default 'foundation'). */
  readonly name?: string;
  /** Its adapter (default: the mesh, clusterAdapter). */
  readonly adapter?: AdapterFactory;
}

/** Level 2: the cache Foundation starts. */
export interface CachingOptions {
  /** local, partitioned, replicated, multilevel (a near cache over a partitioned one), or false: none (default: by profile). */
  readonly adapter?: 'local' | 'partitioned' | 'replicated' | 'multilevel' | false;
  /** The cache's name (default 'foundation'). */
  readonly name?: string;
  /** Backups of each key, partitioned and multilevel (default 1). */
  readonly replicas?: number;
  /** Entries per node at most. */
  readonly maxEntries?: number;
  /** How long a call to a peer may take, in ms. */
  readonly timeoutMs?: number;
  /** Multilevel: the longest a near copy lives, in ms. */
  readonly nearTtlMs?: number;
}

/** Options of Foundation.start: every one optional (level 0 is none at all). */
export interface FoundationOptions {
  /** The node's name (default: `<host>-<pid>`). */
  readonly name?: string;
  /** 'auto' (default) looks at FOUNDATION_PROFILE, KUBERNETES_SERVICE_HOST and NODE_ENV. */
  readonly profile?: 'auto' | Profile;
  /** Level 1: the discovery strategy (default: mdns in development; kubernetes, dns or static by environment in production). */
  readonly cluster?: ClusterMode;
  /** The cluster's shared secret (default: FOUNDATION_COOKIE; development derives one per machine and project). */
  readonly cookie?: string;
  /** Address to listen on (default: 127.0.0.1 in development, 0.0.0.0 in production; FOUNDATION_HOST). */
  readonly host?: string;
  /** Port to listen on (default 0: any free port; FOUNDATION_PORT). */
  readonly port?: number;
  /** Peer URLs for `cluster: 'static'` (default: FOUNDATION_PEERS, comma-separated). */
  readonly peers?: readonly string[];
  /** The environment to read (default process.env): tests and tools pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clustering?: ClusteringOptions;
  readonly processes?: ProcessesOptions;
  readonly messaging?: MessagingOptions;
  readonly caching?: CachingOptions;
  /** A transport of your own instead of the mesh (a MemoryNetwork's, or another package's): discovery options are then unused. */
  readonly transport?: Transport;
  /**
   * Hook for an inspection package: called once with the started Foundation (before start
   * resolves); what it returns (if a function) is called at stop.
   */
  readonly observe?: (foundation: unknown) => void | (() => void | Promise<void>);
}

const TOP = [
  'name',
  'profile',
  'cluster',
  'cookie',
  'host',
  'port',
  'peers',
  'env',
  'clustering',
  'processes',
  'messaging',
  'caching',
  'transport',
  'observe',
] as const;
const CLUSTERING = ['discovery', 'mdns', 'dns', 'kubernetes', 'tickMs', 'expectedNodes'] as const;
const PROCESSES = ['schedulers', 'registry', 'maxRestarts', 'maxSeconds', 'syncIntervalMs'] as const;
const MESSAGING = ['name', 'adapter'] as const;
const CACHING = ['adapter', 'name', 'replicas', 'maxEntries', 'timeoutMs', 'nearTtlMs'] as const;

function oneOf(field: string, value: unknown, allowed: readonly unknown[]): void {
  if (value !== undefined && !allowed.includes(value))
    throw new FoundationOptionError(field, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
}

function integer(field: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new FoundationOptionError(field, `an integer from ${min} to ${max}`, value);
}

function text(field: string, value: unknown, re: RegExp, expected: string): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !re.test(value)) throw new FoundationOptionError(field, expected, value);
}

function object(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
    throw new FoundationOptionError(field, 'an object', value);
}

/**
 * Checks every option of Foundation.start once, at the boundary: an unknown key throws
 * UnknownOptionError naming where it was, a wrong value FoundationOptionError naming the field.
 */
export function checkFoundationOptions(opts: unknown): FoundationOptions {
  checkKnownOptions('Foundation.start', opts, TOP);
  const o = (opts ?? {}) as FoundationOptions;
  text('name', o.name, /^[A-Za-z0-9_@-]+$/, 'a node name (letters, digits, _, -, @)');
  oneOf('profile', o.profile, ['auto', 'development', 'production']);
  oneOf('cluster', o.cluster, ['mdns', 'kubernetes', 'dns', 'static', 'none']);
  text('cookie', o.cookie, /^.{8,}$/s, 'a string of at least 8 characters');
  text('host', o.host, /^[^\s]+$/, 'an address');
  integer('port', o.port, 0, 65535);
  if (o.peers !== undefined && (!Array.isArray(o.peers) || !o.peers.every((p) => typeof p === 'string')))
    throw new FoundationOptionError('peers', 'an array of ws:// URLs', o.peers);
  object('env', o.env);
  if (o.transport !== undefined && (typeof o.transport !== 'object' || o.transport === null))
    throw new FoundationOptionError('transport', 'a Transport', o.transport);
  if (o.observe !== undefined && typeof o.observe !== 'function') throw new FoundationOptionError('observe', 'a function', o.observe);

  object('clustering', o.clustering);
  checkKnownOptions('Foundation.start clustering', o.clustering, CLUSTERING);
  const c: ClusteringOptions = (o.clustering as ClusteringOptions | undefined) ?? {};
  if (
    c.discovery !== undefined &&
    (!Array.isArray(c.discovery) || !c.discovery.every((s: unknown) => typeof (s as { start?: unknown } | null)?.start === 'function'))
  )
    throw new FoundationOptionError('clustering.discovery', 'an array of discovery strategies', c.discovery);
  object('clustering.mdns', c.mdns);
  object('clustering.dns', c.dns);
  object('clustering.kubernetes', c.kubernetes);
  integer('clustering.tickMs', c.tickMs, 10, 60_000);
  integer('clustering.expectedNodes', c.expectedNodes, 1, 100_000);

  object('processes', o.processes);
  checkKnownOptions('Foundation.start processes', o.processes, PROCESSES);
  const p: ProcessesOptions = (o.processes as ProcessesOptions | undefined) ?? {};
  if (p.schedulers !== undefined && p.schedulers !== 'auto') integer('processes.schedulers', p.schedulers, 1, 256);
  oneOf('processes.registry', p.registry, ['local', 'distributed']);
  integer('processes.maxRestarts', p.maxRestarts, 0, 1_000_000);
  integer('processes.maxSeconds', p.maxSeconds, 1, 86_400);
  integer('processes.syncIntervalMs', p.syncIntervalMs, 1, 3_600_000);

  object('messaging', o.messaging);
  checkKnownOptions('Foundation.start messaging', o.messaging, MESSAGING);
  const m: MessagingOptions = (o.messaging as MessagingOptions | undefined) ?? {};
  text('messaging.name', m.name, /^[A-Za-z0-9_.:-]+$/, 'a name (letters, digits, _ . : -)');
  if (m.adapter !== undefined && typeof m.adapter !== 'function')
    throw new FoundationOptionError('messaging.adapter', 'an adapter factory', m.adapter);

  object('caching', o.caching);
  checkKnownOptions('Foundation.start caching', o.caching, CACHING);
  const k: CachingOptions = (o.caching as CachingOptions | undefined) ?? {};
  oneOf('caching.adapter', k.adapter, ['local', 'partitioned', 'replicated', 'multilevel', false]);
  text('caching.name', k.name, /^[A-Za-z0-9_.:-]+$/, 'a name (letters, digits, _ . : -)');
  integer('caching.replicas', k.replicas, 0, 16);
  integer('caching.maxEntries', k.maxEntries, 1, 1_000_000_000);
  integer('caching.timeoutMs', k.timeoutMs, 1, 3_600_000);
  integer('caching.nearTtlMs', k.nearTtlMs, 1, 2_147_483_647);
  return o;
}
