import { hostname } from 'node:os';
import { CookieRequiredError, FoundationOptionError } from './errors.js';
import { developmentCookie } from './cookie.js';
import type { ClusterMode, FoundationOptions, Profile } from './options.js';

/** What Foundation.start chose, and why: `foundation.config()`. Plain data, printable. */
export interface FoundationConfig {
  readonly profile: Profile;
  readonly cluster: ClusterMode;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly peers: readonly string[];
  /** Where the cookie came from (never the cookie itself). */
  readonly cookie: 'option' | 'FOUNDATION_COOKIE' | 'derived (development: machine, user and project)';
  readonly registry: 'local' | 'distributed';
  readonly supervisor: 'local' | 'distributed';
  readonly pubsub: string;
  readonly cache: 'local' | 'partitioned' | 'replicated' | 'multilevel' | 'none';
  readonly expectedNodes: number | undefined;
  readonly syncIntervalMs: number;
  /** The mDNS service name, when discovery is mdns. */
  readonly mdnsService: string | undefined;
  /** For each choice above, the reason: `{ profile: "NODE_ENV is 'production'" }`. */
  readonly reasons: Readonly<Record<string, string>>;
}

/** The environment variables Foundation reads (process.env, or the `env` option). */
export type Environment = Readonly<Record<string, string | undefined>>;

const set = (v: string | undefined): v is string => v !== undefined && v !== '';

function pickProfile(o: FoundationOptions, env: Environment, why: Record<string, string>): Profile {
  if (o.profile !== undefined && o.profile !== 'auto') {
    why.profile = `option profile: '${o.profile}'`;
    return o.profile;
  }
  const p = env.FOUNDATION_PROFILE;
  if (set(p)) {
    if (p !== 'development' && p !== 'production')
      throw new FoundationOptionError('FOUNDATION_PROFILE', "'development' or 'production'", p);
    why.profile = `FOUNDATION_PROFILE is '${p}'`;
    return p;
  }
  if (o.cluster !== undefined && o.cluster !== 'mdns' && o.cluster !== 'none') {
    why.profile = `option cluster: '${o.cluster}' is a production discovery`;
    return 'production';
  }
  if (set(env.KUBERNETES_SERVICE_HOST)) {
    why.profile = 'KUBERNETES_SERVICE_HOST is set (running in a Kubernetes pod)';
    return 'production';
  }
  if (env.NODE_ENV === 'production') {
    why.profile = "NODE_ENV is 'production'";
    return 'production';
  }
  why.profile = set(env.NODE_ENV)
    ? `NODE_ENV is '${env.NODE_ENV}', not 'production'`
    : 'nothing says production (FOUNDATION_PROFILE, NODE_ENV, KUBERNETES_SERVICE_HOST unset)';
  return 'development';
}

function pickCluster(
  o: FoundationOptions,
  env: Environment,
  profile: Profile,
  peers: readonly string[],
  why: Record<string, string>,
): ClusterMode {
  if (o.transport !== undefined) {
    why.cluster = 'a transport was given: its own way of reaching nodes';
    return 'none';
  }
  if (o.cluster !== undefined) {
    why.cluster = `option cluster: '${o.cluster}'`;
    return o.cluster;
  }
  if (profile === 'development') {
    why.cluster = 'development: mDNS finds nodes on this machine with no configuration';
    return 'mdns';
  }
  if (set(env.KUBERNETES_SERVICE_HOST)) {
    why.cluster = 'production in Kubernetes: pods of the same label found through the API';
    return 'kubernetes';
  }
  if (set(env.FOUNDATION_DNS_QUERY) || o.clustering?.dns?.query !== undefined) {
    why.cluster = 'production with a DNS query (FOUNDATION_DNS_QUERY or clustering.dns)';
    return 'dns';
  }
  why.cluster =
    peers.length > 0
      ? 'production with a peer list'
      : 'production with no discovery configured: a static list, empty (this node alone until peers connect to it)';
  return 'static';
}

/** The sync interval that fits a cluster of `n` nodes: fast when small, gentler as shipments multiply. */
export function syncIntervalFor(n: number | undefined): number {
  if (n === undefined || n <= 5) return 100;
  if (n <= 50) return 250;
  return 1000;
}

function expected(o: FoundationOptions, env: Environment, why: Record<string, string>): number | undefined {
  if (o.clustering?.expectedNodes !== undefined) {
    why.expectedNodes = 'option clustering.expectedNodes';
    return o.clustering.expectedNodes;
  }
  const e = env.FOUNDATION_EXPECTED_NODES;
  if (!set(e)) return undefined;
  const n = Number(e);
  if (!Number.isInteger(n) || n < 1) throw new FoundationOptionError('FOUNDATION_EXPECTED_NODES', 'a positive integer', e);
  why.expectedNodes = `FOUNDATION_EXPECTED_NODES is ${n}`;
  return n;
}

function defaultName(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 40) || 'node';
  return `${host}-${process.pid}`;
}

/**
 * Decides, from the (checked) options and the environment, every choice Foundation.start
 * makes, each with its reason. Pure apart from the machine's name and the cookie derivation:
 * tests pass `env`.
 */
export function resolveConfig(
  o: FoundationOptions,
  env: Environment,
  cwd: string = process.cwd(),
): FoundationConfig & { readonly cookieValue: string } {
  const why: Record<string, string> = {};
  const profile = pickProfile(o, env, why);
  const peers =
    o.peers ??
    (set(env.FOUNDATION_PEERS)
      ? env.FOUNDATION_PEERS.split(',')
          .map((s) => s.trim())
          .filter(set)
      : []);
  const cluster = pickCluster(o, env, profile, peers, why);

  let cookie: FoundationConfig['cookie'];
  let cookieValue: string;
  if (o.cookie !== undefined) [cookie, cookieValue] = ['option', o.cookie];
  else if (set(env.FOUNDATION_COOKIE)) [cookie, cookieValue] = ['FOUNDATION_COOKIE', env.FOUNDATION_COOKIE];
  else if (profile === 'development') [cookie, cookieValue] = ['derived (development: machine, user and project)', developmentCookie(cwd)];
  else throw new CookieRequiredError(profile);

  const host = o.host ?? (set(env.FOUNDATION_HOST) ? env.FOUNDATION_HOST : profile === 'development' ? '127.0.0.1' : '0.0.0.0');
  why.host =
    o.host !== undefined
      ? 'option host'
      : set(env.FOUNDATION_HOST)
        ? 'FOUNDATION_HOST'
        : profile === 'development'
          ? 'development: loopback only, never an open port'
          : 'production: every interface';
  const portText = env.FOUNDATION_PORT;
  const port = o.port ?? (set(portText) ? Number(portText) : 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FoundationOptionError('FOUNDATION_PORT', 'a port number', portText);

  const registry = o.processes?.registry ?? (profile === 'production' ? 'distributed' : 'local');
  why.registry = o.processes?.registry !== undefined ? 'option processes.registry' : `${profile} profile`;
  const supervisor = profile === 'production' ? 'distributed' : 'local';
  why.supervisor = `${profile} profile`;
  const cacheChoice = o.caching?.adapter ?? (profile === 'production' ? 'partitioned' : 'local');
  why.cache = o.caching?.adapter !== undefined ? 'option caching.adapter' : `${profile} profile`;
  const expectedNodes = expected(o, env, why);
  const syncIntervalMs = o.processes?.syncIntervalMs ?? syncIntervalFor(expectedNodes);
  why.syncIntervalMs =
    o.processes?.syncIntervalMs !== undefined ? 'option processes.syncIntervalMs' : `fits ${expectedNodes ?? 'a few'} nodes`;
  // FOUNDATION_CLUSTER_ID scopes discovery (and the derived cookie's project) to one run: tools and demos set it.
  const clusterId = set(env.FOUNDATION_CLUSTER_ID) ? env.FOUNDATION_CLUSTER_ID : undefined;
  const mdnsService = cluster === 'mdns' ? (o.clustering?.mdns?.service ?? clusterId ?? 'foundation') : undefined;

  return {
    profile,
    cluster,
    name: o.name ?? (set(env.FOUNDATION_NODE_NAME) ? env.FOUNDATION_NODE_NAME : defaultName()),
    host,
    port,
    peers,
    cookie,
    cookieValue: clusterId !== undefined && cookie.startsWith('derived') ? `${cookieValue}-${clusterId}` : cookieValue,
    registry,
    supervisor,
    pubsub: o.messaging?.name ?? 'foundation',
    cache: cacheChoice === false ? 'none' : cacheChoice,
    expectedNodes,
    syncIntervalMs,
    mdnsService,
    reasons: why,
  };
}
