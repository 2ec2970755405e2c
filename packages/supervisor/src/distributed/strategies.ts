import {
  InvalidArgumentError,
  type ActorClass,
  type Pid,
  type PidOf,
  type ProcessContext,
  type SpawnArgOf,
  type ViaName,
} from '@foundation/runtime';
import type { ChildSpec, TypedChildSpec } from '../child-spec.js';
import { ChildAlreadyPresentError, ChildAlreadyStartedError } from '../errors.js';
import { DistributedSupervisor } from './distributed-supervisor.js';
import { DEFAULT_SYNC_INTERVAL_MS, type DistributedSupervisorOptions } from './options.js';

/** Options of the process strategies: a DistributedSupervisor's, its name defaulting to `<strategy>:<spec id>`. */
export type StrategyOptions = Omit<DistributedSupervisorOptions, 'name' | 'distribution'> & { name?: string };

/** Waits (at most a few sync intervals) until every connected node running the supervisor has spoken: its children are then in view. */
async function settle(ds: DistributedSupervisor, syncIntervalMs: number): Promise<void> {
  const deadline = Date.now() + 5 * syncIntervalMs;
  while (Date.now() < deadline && !ds.node.nodes().every((n) => ds.heardFrom(n))) {
    await new Promise((r) => setTimeout(r, Math.max(1, syncIntervalMs / 2)));
  }
}

/** Starts `spec` unless it is already known to the cluster (another member started it). */
async function ensure(ds: DistributedSupervisor, spec: ChildSpec): Promise<void> {
  try {
    await ds.startChild(spec as TypedChildSpec<ActorClass>);
  } catch (e) {
    if (!ChildAlreadyStartedError.is(e) && !ChildAlreadyPresentError.is(e)) throw e;
  }
}

function checkSpecId(spec: unknown, where: string): string {
  const id = (spec as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError(`${where} spec.id`, 'a non-empty string', id);
  return id;
}

/** A cluster singleton: one instance of `spec` in the cluster, moved when its member is lost. */
export interface Singleton<C> {
  readonly supervisor: DistributedSupervisor;
  /** Where it runs now (in this member's view). */
  whereis(): PidOf<C> | undefined;
  /** A via-name that reaches it wherever it runs. */
  via(): ViaName<C extends ActorClass ? InstanceType<C> : unknown>;
  /** Stops this node's member (the singleton moves if it ran here). */
  stop(): Promise<void>;
}

/**
 * Starts this node's part of the singleton `spec.id` (call it on every node): a
 * DistributedSupervisor named `singleton:<id>` with one child. The first call in the cluster
 * starts it; the others find it (after hearing from the members already running).
 */
export async function startSingleton<C extends ActorClass | string>(
  ctx: ProcessContext,
  spec: TypedChildSpec<C>,
  opts: StrategyOptions = {},
): Promise<Singleton<C>> {
  const id = checkSpecId(spec, 'startSingleton');
  const ds = await DistributedSupervisor.start(ctx, { ...opts, name: opts.name ?? `singleton:${id}` });
  await settle(ds, opts.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
  await ensure(ds, spec as ChildSpec);
  return {
    supervisor: ds,
    whereis: () => ds.whereis(id) as PidOf<C> | undefined,
    via: () => ds.via(id),
    stop: () => ds.stop(),
  };
}

/** One instance of `spec` per node that runs it. */
export interface Replicated<C> {
  readonly supervisor: DistributedSupervisor;
  /** The instance on `node` (default: this one). */
  whereis(node?: string): PidOf<C> | undefined;
  /** A via-name for the instance on `node` (default: this one). */
  via(node?: string): ViaName<C extends ActorClass ? InstanceType<C> : unknown>;
  /** Every running instance, by node, in this member's view. */
  instances(): Map<string, Pid>;
  stop(): Promise<void>;
}

const SEP = '@';

/** Places `id@node` on `node` while it is a member, nowhere otherwise (a replicated child never moves). */
const onItsNode = (id: string, members: readonly string[]): string | undefined => {
  const node = id.slice(id.lastIndexOf(SEP) + 1);
  return members.includes(node) ? node : undefined;
};

/**
 * Starts this node's instance of the replicated `spec` (call it on every node, as each node
 * that joins later does): child `<id>@<node>` of a DistributedSupervisor named
 * `replicated:<id>` that places each on its own node and never elsewhere. A lost node's
 * instance is not moved; it comes back when the node does.
 */
export async function startReplicated<C extends ActorClass | string>(
  ctx: ProcessContext,
  spec: TypedChildSpec<C>,
  opts: StrategyOptions = {},
): Promise<Replicated<C>> {
  const id = checkSpecId(spec, 'startReplicated');
  const ds = await DistributedSupervisor.start(ctx, { ...opts, name: opts.name ?? `replicated:${id}`, distribution: onItsNode });
  const self = ds.node.name;
  await ensure(ds, { ...(spec as ChildSpec), id: `${id}${SEP}${self}` });
  return {
    supervisor: ds,
    whereis: (node = self) => ds.whereis(`${id}${SEP}${node}`) as PidOf<C> | undefined,
    via: (node = self) => ds.via(`${id}${SEP}${node}`),
    instances: () => {
      const out = new Map<string, Pid>();
      for (const c of ds.whichChildren()) if (c.pid) out.set(c.id.slice(c.id.lastIndexOf(SEP) + 1), c.pid);
      return out;
    },
    stop: () => ds.stop(),
  };
}

/** One instance of a spec per key, each on the member the ring picks for it. */
export interface Partitioned<C> {
  readonly supervisor: DistributedSupervisor;
  /** Starts key `k`'s instance unless it runs already; resolves with its pid (wherever it runs). */
  ensure(k: string): Promise<PidOf<C>>;
  /** Where key `k`'s instance runs now (in this member's view). */
  whereis(k: string): PidOf<C> | undefined;
  /** A via-name for key `k`'s instance (start it first with `ensure`). */
  via(k: string): ViaName<C extends ActorClass ? InstanceType<C> : unknown>;
  stop(): Promise<void>;
}

/** Options of `startPartitioned`: the strategy's, plus the init argument of each key's instance. */
export type PartitionedOptions<C> = StrategyOptions & {
  /** The init argument of key `k`'s instance. */
  key: (k: string) => SpawnArgOf<C>;
};

/**
 * Starts this node's member of a partitioned `spec` (sharding): one instance per key, child
 * `<id>:<key>` of a DistributedSupervisor named `partitioned:<id>`, placed by the ring and moved
 * as any distributed child is. `spec.start` is `[Cls]`: each key's init argument is `key(k)`.
 */
export async function startPartitioned<C extends ActorClass | string>(
  ctx: ProcessContext,
  spec: Omit<ChildSpec, 'start'> & { readonly start: readonly [C] },
  opts: PartitionedOptions<C>,
): Promise<Partitioned<C>> {
  const id = checkSpecId(spec, 'startPartitioned');
  if (typeof opts?.key !== 'function')
    throw new InvalidArgumentError('startPartitioned option key', 'a function (key) => init argument', opts?.key);
  const { key, ...rest } = opts;
  const ds = await DistributedSupervisor.start(ctx, { ...rest, name: rest.name ?? `partitioned:${id}` });
  // As startSingleton: a key ensured before the members already running have spoken would be
  // placed on a ring of this node alone and started here, replacing the instance that runs.
  await settle(ds, rest.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
  const childId = (k: string) => {
    if (typeof k !== 'string' || k.length === 0) throw new InvalidArgumentError('partition key', 'a non-empty string', k);
    return `${id}:${k}`;
  };
  return {
    supervisor: ds,
    ensure: async (k) => {
      const cid = childId(k);
      const running = ds.whereis(cid);
      if (running) return running as PidOf<C>;
      try {
        return (await ds.startChild({ ...spec, id: cid, start: [spec.start[0], key(k)] } as TypedChildSpec<ActorClass>)) as PidOf<C>;
      } catch (e) {
        if (!ChildAlreadyStartedError.is(e) && !ChildAlreadyPresentError.is(e)) throw e;
        // Started by another member moments ago: ask where.
        const now = await ds.locate(cid);
        if (now) return now as PidOf<C>;
        throw e;
      }
    },
    whereis: (k) => ds.whereis(childId(k)) as PidOf<C> | undefined,
    via: (k) => ds.via(childId(k)),
    stop: () => ds.stop(),
  };
}
