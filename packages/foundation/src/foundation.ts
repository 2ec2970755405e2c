import { availableParallelism } from 'node:os';
import {
  InvalidArgumentError,
  isPid,
  isRemoteName,
  isVia,
  type RemoteName,
  type ActorClass,
  type Node,
  type Pid,
  type SpawnArgOf,
  type Target,
} from '@foundation/runtime';
import type { DistributedRegistry, ProcessGroups, Registry } from '@foundation/registry';
import { type DistributedSupervisor, type SupervisorHandle } from '@foundation/supervisor';
import type { PubSub } from '@foundation/pubsub';
import type { CacheHandle } from '@foundation/cache';
import { checkFoundationOptions, type FoundationOptions } from './options.js';
import { resolveConfig, type FoundationConfig } from './config.js';
import { wire, type Parts } from './internal/wiring.js';
import { DeadlineExceededError, FoundationOptionError, ServiceExistsError, UnknownTargetError } from './errors.js';
import { currentContext } from './context.js';
import { wrapInContext } from './envelope.js';
import { startStrategy, type Running, type ServiceStrategy } from './services.js';
import { MAP_WORKER, MapWorker, mapReduce, type MapReduceOptions, type MapTask } from './map-reduce.js';
import { ServiceMesh, type Routing, type ServiceFilter } from './service-mesh.js';
import { LOAD_REPORTER, LoadReporter, clusterInfo, type ClusterInfo, type ServiceInfo } from './cluster-info.js';

/** Options of startService. */
export interface StartServiceOptions {
  /** The service's name: `send(name, ...)` and `{ service: name }` reach it. */
  readonly name: string;
  /** Default 'local'. */
  readonly strategy?: ServiceStrategy;
}

/** A service started with startService: where it runs, and stop (this node's part). */
export interface ServiceHandle {
  readonly name: string;
  readonly strategy: ServiceStrategy;
  /** The pid to reach (for partitioned: key `key`'s instance, started if needed). */
  resolve(key?: string): Promise<Pid>;
  stop(): Promise<void>;
}

/** What send and call reach: a pid or name, a service (by startService or registerService), every subscriber of a topic, or a group's members. */
export type FoundationTarget =
  | Target
  | { readonly service: string; readonly key?: string; readonly routing?: Routing; readonly filter?: ServiceFilter }
  | { readonly topic: string }
  | { readonly group: string };

/** Health as a load balancer or Kubernetes probe wants it. */
export interface Health {
  readonly ok: boolean;
  readonly node: string;
  readonly connected: number;
  readonly expected: number | undefined;
  readonly checks: Readonly<Record<string, boolean>>;
}

const byNode = new WeakMap<Node, Foundation>();
const SERVICE_NAME = /^[A-Za-z0-9_.:-]+$/;
const CALL_DEFAULT_MS = 5000;

/**
 * One import from a laptop to a production cluster: `await Foundation.start()` detects the
 * profile, starts a node on the mesh with discovery, a registry, supervisors, pubsub and a
 * cache, and offers a small API over them; every part stays reachable (level 3).
 */
export class Foundation {
  private readonly running = new Map<string, Running>();
  private readonly mesh: ServiceMesh;
  private stopping: Promise<void> | undefined;
  private readonly observeStop: (() => void | Promise<void>) | undefined;

  private constructor(
    private readonly parts: Parts,
    private readonly cfg: FoundationConfig,
    private readonly env: Readonly<Record<string, string | undefined>>,
    observe: FoundationOptions['observe'],
    private readonly schedulers: number | 'auto' | undefined,
  ) {
    this.mesh = new ServiceMesh(parts.node, parts.services);
    byNode.set(parts.node, this);
    const r = observe?.(this);
    this.observeStop = typeof r === 'function' ? r : undefined;
  }

  /** The Foundation running `node` (an actor's `this.node`), or undefined: how a service reaches the API. */
  static of(node: Node): Foundation | undefined {
    return byNode.get(node);
  }

  /** Starts a node with everything wired for the detected (or given) profile. */
  static async start(opts?: FoundationOptions): Promise<Foundation> {
    const o = checkFoundationOptions(opts);
    const env = o.env ?? process.env;
    const cfg = resolveConfig(o, env);
    const parts = await wire(cfg, o, env);
    await parts.node.spawnAndWait(MapWorker, null, { name: MAP_WORKER });
    const schedulers = o.processes?.schedulers === 'auto' ? availableParallelism() : (o.processes?.schedulers ?? 1);
    await parts.node.spawnAndWait(LoadReporter, schedulers, { name: LOAD_REPORTER });
    const { cookieValue: _secret, ...shown } = cfg;
    return new Foundation(parts, shown, env, o.observe, o.processes?.schedulers);
  }

  /** What was chosen and why (never the cookie itself). */
  config(): FoundationConfig {
    return this.cfg;
  }

  /** Level 3: the runtime node. */
  get node(): Node {
    return this.parts.node;
  }
  /** Level 3: the name registry (node-local in development, a DistributedRegistry in production). */
  get registry(): Registry | DistributedRegistry {
    return this.parts.registry;
  }
  /** Level 3: the service mesh's table (a duplicate-key DistributedRegistry: name -> instances and capabilities). */
  get services(): DistributedRegistry<string, Record<string, unknown>> {
    return this.parts.services;
  }
  /** Level 3: process groups of scope 'foundation' (what `{ group }` reaches). */
  get groups(): ProcessGroups {
    return this.parts.groups;
  }
  /** Level 3: the supervisor of local services. */
  get supervisor(): SupervisorHandle {
    return this.parts.supervisor;
  }
  /** Level 3: the cluster's DistributedSupervisor 'foundation' (production; undefined in development). */
  get distributedSupervisor(): DistributedSupervisor | undefined {
    return this.parts.distributed;
  }
  /** Level 3: the PubSub (what `{ topic }` reaches). */
  get pubsub(): PubSub {
    return this.parts.pubsub;
  }
  /** Level 3: the cache (undefined with `caching: { adapter: false }`). */
  get cache(): CacheHandle<unknown, unknown> | undefined {
    return this.parts.cache;
  }

  /** Waits until this node is connected to at least `n - 1` others (a cluster of n), or rejects after `timeoutMs`. */
  async waitForNodes(n: number, timeoutMs = 10_000): Promise<void> {
    const node = this.parts.node;
    const deadline = Date.now() + timeoutMs;
    while (node.nodes().length < n - 1) {
      const left = deadline - Date.now();
      if (left <= 0) throw new InvalidArgumentError('waitForNodes', `a cluster of ${n} within ${timeoutMs} ms`, node.nodes().length + 1);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 200));
        function done() {
          clearTimeout(t);
          node.off('nodeup', done);
          resolve();
        }
        node.once('nodeup', done);
      });
    }
  }

  /**
   * Starts `Cls` as the service `name`. `local`: under this node's supervisor. `singleton`,
   * `replicated`, `partitioned`: call it on every node (each node's part of a distributed
   * supervisor); the class must be defined by name (defineActor) on every node. For
   * `partitioned`, `args` is a function from the key to the instance's init argument.
   */
  async startService<C extends ActorClass | string>(
    Cls: C,
    args: SpawnArgOf<C> | ((key: string) => SpawnArgOf<C>),
    opts: StartServiceOptions,
  ): Promise<ServiceHandle> {
    const name = (opts as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !SERVICE_NAME.test(name))
      throw new FoundationOptionError('startService name', 'a name (letters, digits, _ . : -)', name);
    const strategy = opts.strategy ?? 'local';
    if (!['local', 'singleton', 'replicated', 'partitioned'].includes(strategy))
      throw new FoundationOptionError('startService strategy', "'local', 'singleton', 'replicated' or 'partitioned'", strategy);
    if (this.running.has(name)) throw new ServiceExistsError(name);
    const r = await startStrategy(this.parts, strategy, name, Cls, args, this.cfg.syncIntervalMs);
    this.running.set(name, r);
    return {
      name,
      strategy,
      resolve: (key?: string) => r.resolve(key),
      stop: async () => {
        this.running.delete(name);
        await r.stop();
      },
    };
  }

  /** Registers `pid` (of this node) as an instance of the service `name`, with capabilities that filters match. */
  registerService(name: string, pid: Pid, capabilities: Record<string, unknown> = {}): Promise<void> {
    return this.mesh.register(name, pid, capabilities);
  }

  /** Joins local `pid` to the cluster-wide group `group` (what `{ group }` reaches). */
  joinGroup(group: string, pid: Pid): Promise<void> {
    return this.parts.groups.join(group, pid);
  }

  /** Sends `msg` to `target`'s handleInfo (`{ topic }`: every subscriber; `{ group }` or broadcast routing: every member). */
  async send(target: FoundationTarget, msg: unknown): Promise<void> {
    const node = this.parts.node;
    if (isTopic(target)) return this.parts.pubsub.broadcast(target.topic, msg);
    if (isGroup(target)) {
      for (const pid of this.parts.groups.members(target.group)) node.send(pid, msg);
      return;
    }
    const { to, aware, counted } = await this.resolve(target);
    const m = aware ? wrapInContext(msg) : msg;
    for (const pid of to) node.send(pid, m);
    if (counted) for (const pid of to) if (isPid(pid)) this.mesh.release(pid);
  }

  /** Casts `msg` to `target`'s handleCast, reaching what `send` reaches. */
  async cast(target: FoundationTarget, msg: unknown): Promise<void> {
    const node = this.parts.node;
    if (isTopic(target)) throw new UnknownTargetError(target, 'a topic takes send (broadcast), not cast');
    if (isGroup(target)) {
      for (const pid of this.parts.groups.members(target.group)) node.cast(pid, msg);
      return;
    }
    const { to, aware, counted } = await this.resolve(target);
    const m = aware ? wrapInContext(msg) : msg;
    for (const pid of to) node.cast(pid, m);
    if (counted) for (const pid of to) if (isPid(pid)) this.mesh.release(pid);
  }

  /**
   * Calls `target` and resolves with its reply (broadcast routing or a `{ group }`: every
   * member's reply, in an array). Inside withContext, a deadline bounds the call: one already
   * past, or passing first, rejects with DeadlineExceededError.
   */
  async call<R = unknown>(target: FoundationTarget, msg: unknown, timeoutMs = CALL_DEFAULT_MS): Promise<R> {
    if (isTopic(target)) throw new UnknownTargetError(target, 'a topic has no single answerer: use send');
    const ctx = currentContext();
    let wait = timeoutMs;
    if (ctx?.deadline !== undefined) {
      const left = ctx.deadline - Date.now();
      if (left <= 0) throw new DeadlineExceededError(ctx.deadline);
      wait = Math.min(wait, left);
    }
    const one = async (pid: Pid | RemoteName, m: unknown = msg, counted = false): Promise<unknown> => {
      try {
        return await this.mesh.tracked(pid, () => this.parts.node.call(pid, m as never, wait), counted);
      } catch (e) {
        if (ctx?.deadline !== undefined && Date.now() >= ctx.deadline) throw new DeadlineExceededError(ctx.deadline);
        throw e;
      }
    };
    if (isGroup(target)) return (await Promise.all(this.parts.groups.members(target.group).map((p) => one(p)))) as R;
    if (isService(target) && target.routing === 'broadcast')
      return (await Promise.all((await this.resolveAll(target)).map((p) => one(p)))) as R;
    const { to, aware, counted } = await this.resolve(target);
    return (await one(to[0]!, aware ? wrapInContext(msg) : msg, counted === true)) as R;
  }

  /** The pids a target names now (one, except broadcast routing). */
  private async resolveAll(target: FoundationTarget): Promise<(Pid | RemoteName)[]> {
    return (await this.resolve(target)).to;
  }

  /** The pids a target names now, and whether they open context envelopes (services started here are contextAware). */
  private async resolve(target: FoundationTarget): Promise<{ to: (Pid | RemoteName)[]; aware: boolean; counted?: boolean }> {
    if (isService(target)) {
      const started = this.running.get(target.service);
      if (started && target.routing === undefined && target.filter === undefined)
        return { to: [await started.resolve(target.key)], aware: true };
    } else if (typeof target === 'string') {
      const started = this.running.get(target);
      if (started) return { to: [await started.resolve()], aware: true };
      // A local service of another node, by its cluster-wide name: marked when registered.
      const entry = this.parts.registry.lookup(target)[0];
      if (entry !== undefined && (entry.value as { contextAware?: unknown } | undefined)?.contextAware === true)
        return { to: [entry.pid], aware: true };
    }
    const counted = isService(target)
      ? (target.routing ?? 'load_balanced') === 'load_balanced'
      : typeof target === 'string' && this.mesh.has(target) && !this.hasName(target);
    return { to: await this.resolvePlain(target), aware: false, counted };
  }

  private hasName(name: string): boolean {
    return this.parts.registry.whereis(name) !== undefined || this.parts.node.whereis(name) !== undefined;
  }

  private async resolvePlain(target: FoundationTarget): Promise<(Pid | RemoteName)[]> {
    if (isPid(target)) return [target];
    if (isService(target)) return this.mesh.pick(target.service, target.routing ?? 'load_balanced', target.filter);
    if (typeof target === 'string') {
      const named = this.parts.registry.whereis(target) ?? this.parts.node.whereis(target);
      if (named) return [named];
      if (this.mesh.has(target)) return this.mesh.pick(target, 'load_balanced', undefined);
      throw new UnknownTargetError(target, 'no service, registered name or service-mesh entry has that name');
    }
    if (isVia(target)) {
      const pid = target.via.whereis(target.key);
      if (pid) return [pid];
      throw new UnknownTargetError(target, 'the via-name resolves to no process');
    }
    // A remote name goes as it is: its node resolves it (and the runtime reports what it cannot reach).
    if (isRemoteName(target)) return [target];
    throw new UnknownTargetError(target, 'not a pid, name, { service }, { topic } or { group }');
  }

  /**
   * Maps `items` with `mapFn` over the cluster's nodes (a task defined with defineTask runs on
   * any node; a plain function only here) and reduces the results, in item order, with
   * `reduceFn`. A chunk whose node is lost is retried on another.
   */
  mapReduce<I, M, R>(
    items: readonly I[],
    mapFn: MapTask<I, M> | string,
    reduceFn: (mapped: M[]) => R | Promise<R>,
    opts?: MapReduceOptions,
  ): Promise<R> {
    return mapReduce(this.parts.node, items, mapFn, reduceFn, opts);
  }

  /** Nodes, their schedulers and load (each node's own report), services and where they run. */
  async clusterInfo(): Promise<ClusterInfo> {
    const services: ServiceInfo[] = [...this.running].map(([name, r]) => ({ name, strategy: r.strategy, nodes: r.where() }));
    for (const name of this.mesh.names()) services.push({ name, strategy: 'registered', nodes: this.mesh.nodesOf(name) });
    return clusterInfo(this.parts.node, this.cfg, services, this.schedulers === 'auto' ? availableParallelism() : (this.schedulers ?? 1));
  }

  /** Healthy when the node runs, every part answers, and (with expectedNodes) the cluster is at least half there. */
  health(): Health {
    const node = this.parts.node;
    const connected = node.nodes().length;
    const expected = this.cfg.expectedNodes;
    const checks = {
      node: this.stopping === undefined,
      registry: this.parts.registry.alive,
      services: this.parts.services.alive,
      quorum: expected === undefined || connected + 1 > expected / 2,
    };
    return { ok: Object.values(checks).every(Boolean), node: node.name, connected, expected, checks };
  }

  /** Stops the services started here, every part in reverse order, then the node. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.observeStop?.();
      for (const [, r] of [...this.running].reverse()) await r.stop().catch(() => undefined);
      this.running.clear();
      const p = this.parts;
      await p.cache?.stop().catch(() => undefined);
      for (const e of p.extra.splice(0).reverse()) await e.stop().catch(() => undefined);
      await p.pubsub.stop().catch(() => undefined);
      await p.distributed?.stop().catch(() => undefined);
      await p.supervisor.stop().catch(() => undefined);
      await p.groups.stop().catch(() => undefined);
      await p.services.stop().catch(() => undefined);
      await p.registry.stop().catch(() => undefined);
      await p.node.stop();
      byNode.delete(p.node);
    })();
    return this.stopping;
  }
}

function isTopic(t: unknown): t is { topic: string } {
  return typeof t === 'object' && t !== null && !isPid(t) && typeof (t as { topic?: unknown }).topic === 'string';
}
function isGroup(t: unknown): t is { group: string } {
  return typeof t === 'object' && t !== null && !isPid(t) && typeof (t as { group?: unknown }).group === 'string';
}
function isService(t: unknown): t is { service: string; key?: string; routing?: Routing; filter?: ServiceFilter } {
  return typeof t === 'object' && t !== null && !isPid(t) && typeof (t as { service?: unknown }).service === 'string';
}
