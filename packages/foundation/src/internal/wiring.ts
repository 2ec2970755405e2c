import { Node, type Pid } from '@foundation/runtime';
import { dns, kubernetes, mdns, mesh, staticPeers, type Strategy } from '@foundation/cluster';
import { DistributedRegistry, ProcessGroups, Registry } from '@foundation/registry';
import { DistributedSupervisor, Supervisor, type SupervisorHandle, type SupervisorReport } from '@foundation/supervisor';
import { PubSub } from '@foundation/pubsub';
import { Cache, type CacheHandle } from '@foundation/cache';
import { FoundationOptionError } from '../errors.js';
import type { FoundationConfig } from '../config.js';
import type { FoundationOptions } from '../options.js';
import { PubSubInvalidationBus, type PubSubInvalidationBusHandle } from '../pubsub-bus.js';

/** Every object Foundation.start wires, in the order it starts them (stopped in reverse). */
export interface Parts {
  readonly node: Node;
  readonly registry: Registry | DistributedRegistry;
  /** The service mesh's table: name -> instances with their capabilities, cluster-wide. */
  readonly services: DistributedRegistry<string, Record<string, unknown>>;
  readonly groups: ProcessGroups;
  readonly supervisor: SupervisorHandle;
  readonly distributed: DistributedSupervisor | undefined;
  readonly pubsub: PubSub;
  readonly cache: CacheHandle<unknown, unknown> | undefined;
  /** The far level and bus of a multilevel cache (stopped after it). */
  readonly extra: { stop(): Promise<void> }[];
  /** Local services by child id, kept by the supervisor's reports: a restart updates it. */
  readonly localPids: Map<string, Pid>;
}

/** The registry value of a service startService started: its class opens context envelopes. */
export const SERVICE_MARK = { contextAware: true } as const;

const LOOPBACK = /^(127\.|localhost$|::1$)/;

/** The discovery strategies for `cfg.cluster`, plus any given in clustering.discovery. */
export function strategies(cfg: FoundationConfig, o: FoundationOptions, env: Readonly<Record<string, string | undefined>>): Strategy[] {
  const c = o.clustering ?? {};
  const out: Strategy[] = [...(c.discovery ?? [])];
  switch (cfg.cluster) {
    case 'mdns':
      // On a loopback-bound node, discovery stays on the loopback too (never the LAN card).
      out.push(
        mdns({
          ...(LOOPBACK.test(cfg.host) ? { interface: '127.0.0.1', bind: '0.0.0.0', loopback: true } : {}),
          intervalMs: 500,
          ...c.mdns,
          service: cfg.mdnsService,
        }),
      );
      break;
    case 'kubernetes': {
      const selector = c.kubernetes?.selector ?? env.FOUNDATION_K8S_SELECTOR;
      if (selector === undefined)
        throw new FoundationOptionError('clustering.kubernetes.selector', 'a label selector (or FOUNDATION_K8S_SELECTOR)', selector);
      const port = c.kubernetes?.port ?? (cfg.port !== 0 ? cfg.port : undefined);
      if (port === undefined)
        throw new FoundationOptionError('port', 'a fixed port with cluster kubernetes (or FOUNDATION_PORT)', cfg.port);
      out.push(kubernetes({ ...c.kubernetes, selector, port }));
      break;
    }
    case 'dns': {
      const query = c.dns?.query ?? env.FOUNDATION_DNS_QUERY;
      if (query === undefined) throw new FoundationOptionError('clustering.dns.query', 'a DNS name (or FOUNDATION_DNS_QUERY)', query);
      out.push(dns({ ...(cfg.port !== 0 ? { port: cfg.port } : {}), ...c.dns, query }));
      break;
    }
    case 'static':
      if (cfg.peers.length > 0) out.push(staticPeers(cfg.peers));
      break;
    case 'none':
      break;
  }
  return out;
}

async function startCache(
  node: Node,
  cfg: FoundationConfig,
  o: FoundationOptions,
  pubsub: PubSub,
  extra: Parts['extra'],
): Promise<Parts['cache']> {
  const k = o.caching ?? {};
  const name = k.name ?? 'foundation';
  const bounds = { ...(k.maxEntries !== undefined ? { maxEntries: k.maxEntries } : {}) };
  const peer = { ...bounds, ...(k.timeoutMs !== undefined ? { timeoutMs: k.timeoutMs } : {}) };
  switch (cfg.cache) {
    case 'none':
      return undefined;
    case 'local':
      return Cache.start(node, { name, adapter: 'local', ...bounds });
    case 'replicated':
      return Cache.start(node, { name, adapter: 'replicated', ...peer });
    case 'partitioned':
      return Cache.start(node, { name, adapter: 'partitioned', replicas: k.replicas ?? 1, ...peer });
    case 'multilevel': {
      const far = await Cache.start(node, { name: `${name}.far`, adapter: 'partitioned', replicas: k.replicas ?? 1, ...peer });
      extra.push(far);
      const bus: PubSubInvalidationBusHandle = await PubSubInvalidationBus.start(node, pubsub, {
        name: name.replace(/[^A-Za-z0-9_-]/g, '_'),
      });
      extra.push(bus);
      return Cache.start(node, {
        name,
        adapter: 'multilevel',
        far,
        bus,
        ...bounds,
        ...(k.nearTtlMs !== undefined ? { nearTtlMs: k.nearTtlMs } : {}),
      });
    }
  }
}

/**
 * Starts the node and every part the configuration names. A part that fails to start stops
 * the ones already running (and the node) before the error is rethrown: no half-started node.
 */
export async function wire(
  cfg: FoundationConfig & { readonly cookieValue: string },
  o: FoundationOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Parts> {
  const transport =
    o.transport ??
    mesh({
      cookie: cfg.cookieValue,
      host: cfg.host,
      port: cfg.port,
      discovery: strategies(cfg, o, env),
      ...(o.clustering?.tickMs !== undefined ? { tickMs: o.clustering.tickMs } : {}),
    });
  const node = await Node.start({
    name: cfg.name,
    transport,
    ...(o.processes?.schedulers !== undefined ? { schedulers: o.processes.schedulers } : {}),
  });
  const stoppers: (() => Promise<void>)[] = [];
  try {
    const restart = { maxRestarts: o.processes?.maxRestarts ?? 3, maxSeconds: o.processes?.maxSeconds ?? 5 };
    const sync = { syncIntervalMs: cfg.syncIntervalMs };
    const registry =
      cfg.registry === 'distributed'
        ? await DistributedRegistry.start(node, { name: 'foundation.names', keys: 'unique', ...sync })
        : await Registry.start(node, { name: 'foundation.names', keys: 'unique' });
    stoppers.push(() => registry.stop());
    const services = await DistributedRegistry.start<string, Record<string, unknown>>(node, {
      name: 'foundation.services',
      keys: 'duplicate',
      ...sync,
    });
    stoppers.push(() => services.stop());
    const groups = await ProcessGroups.start(node, { scope: 'foundation' });
    stoppers.push(() => groups.stop());
    const localPids = new Map<string, Pid>();
    const onReport = (r: SupervisorReport): void => {
      if (r.child === null) return;
      if (r.kind === 'started') {
        localPids.set(r.child, r.pid);
        // Also under its name in the registry, cluster-wide in production; a dead pid's entry goes by itself.
        registry.register(r.child, r.pid, SERVICE_MARK).catch(() => undefined);
      } else if (r.kind === 'childTerminated' && localPids.get(r.child)?.equals(r.pid)) localPids.delete(r.child);
    };
    const supervisor = await Supervisor.start(node, { ...restart, onReport });
    stoppers.push(() => supervisor.stop());
    const distributed =
      cfg.supervisor === 'distributed' ? await DistributedSupervisor.start(node, { name: 'foundation', ...restart, ...sync }) : undefined;
    if (distributed) stoppers.push(() => distributed.stop());
    const pubsub = await PubSub.start(node, {
      name: cfg.pubsub,
      ...(o.messaging?.adapter !== undefined ? { adapter: o.messaging.adapter } : {}),
    });
    stoppers.push(() => pubsub.stop());
    const extra: Parts['extra'] = [];
    stoppers.push(async () => {
      for (const e of extra.splice(0).reverse()) await e.stop();
    });
    const cache = await startCache(node, cfg, o, pubsub, extra);
    return { node, registry, services, groups, supervisor, distributed, pubsub, cache, extra, localPids };
  } catch (e) {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    await node.stop();
    throw e;
  }
}
