import { Actor, stopProcess, type Node, type Pid } from '@foundation/runtime';
import { CacheOptionError } from './errors.js';

/**
 * A key of a multilevel cache changed on some node (`k`: its canonical encoding), or the whole
 * cache was cleared (`k: null`): every other node drops it from its near cache. `origin` is the
 * multilevel cache that wrote (its node's name and a number), which ignores its own events.
 */
export interface InvalidationEvent {
  readonly cache: string;
  readonly k: string | null;
  readonly origin: string;
}

/**
 * What a multilevel cache needs to tell the other nodes that an entry changed: publish to all,
 * hear from all. MeshInvalidationBus sends over the mesh; a pubsub topic fits the same shape.
 */
export interface InvalidationBus {
  /** Tells every other node (not this one: its own writer already knows). */
  publish(event: InvalidationEvent): void;
  /** Calls `handler` for each event from another node; returns the function that removes it. */
  subscribe(handler: (event: InvalidationEvent) => void): () => void;
}

/** The process behind a MeshInvalidationBus on one node. */
export interface MeshInvalidationBusHandle extends InvalidationBus {
  readonly pid: Pid;
  readonly name: string;
  stop(): Promise<void>;
}

/** The registered name of a bus process. */
function busName(name: string): string {
  return `foundation.cache.bus:${name}`;
}

/** What travels between bus processes. */
interface Wire {
  readonly inv: string;
  readonly cache: string;
  readonly k: string | null;
  readonly origin: string;
}

/** The boundary: a Wire from a peer of this bus, or undefined. */
function parseWire(msg: unknown, bus: string): Wire | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  if (m.inv !== bus || typeof m.cache !== 'string' || typeof m.origin !== 'string') return undefined;
  if (m.k !== null && typeof m.k !== 'string') return undefined;
  return { inv: m.inv, cache: m.cache, k: m.k, origin: m.origin };
}

interface BusArgs {
  readonly name: string;
  readonly handlers: Set<(e: InvalidationEvent) => void>;
}

/** Hands events from peers to this node's handlers; a handler that throws is logged, not fatal. */
class BusProcess extends Actor<never, never, BusArgs> {
  private a!: BusArgs;

  override init(args: BusArgs): void {
    this.a = args;
  }

  override handleInfo(msg: unknown): void {
    const w = parseWire(msg, this.a.name);
    if (w === undefined) return;
    const event: InvalidationEvent = { cache: w.cache, k: w.k, origin: w.origin };
    for (const h of this.a.handlers) {
      try {
        h(event);
      } catch (e) {
        console.error(`invalidation bus '${this.a.name}': a handler threw`, e);
      }
    }
  }
}

/**
 * An InvalidationBus over plain node-to-node sends: one process per node (registered as
 * `foundation.cache.bus:<name>`), and publish sends the event to that process on every
 * connected node. At most once, like any send: a node that was cut off meanwhile misses events,
 * which is why near caches also bound their entries' lifetime (MultilevelCacheOptions.nearTtlMs).
 */
export const MeshInvalidationBus = {
  /** Starts this node's bus process `name` and resolves with its handle. */
  async start(node: Node, opts: { readonly name: string }): Promise<MeshInvalidationBusHandle> {
    const name = (opts as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || name.length === 0)
      throw new CacheOptionError('MeshInvalidationBus.start name', 'a non-empty string', name);
    const handlers = new Set<(e: InvalidationEvent) => void>();
    const registered = busName(name);
    const pid = await node.spawnAndWait(BusProcess, { name, handlers }, { name: registered });
    return {
      pid,
      name,
      publish(event: InvalidationEvent): void {
        const wire: Wire = { inv: name, cache: event.cache, k: event.k, origin: event.origin };
        for (const peer of node.nodes()) node.send({ name: registered, node: peer }, wire);
      },
      subscribe(handler: (event: InvalidationEvent) => void): () => void {
        if (typeof handler !== 'function') throw new CacheOptionError('InvalidationBus.subscribe handler', 'a function', handler);
        const own = (e: InvalidationEvent) => handler(e);
        handlers.add(own);
        return () => {
          handlers.delete(own);
        };
      },
      stop: () => stopProcess(node, pid),
    };
  },
};
