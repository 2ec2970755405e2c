import { Actor, stopProcess, type Node, type Pid } from '@foundation/runtime';
import type { InvalidationBus, InvalidationEvent } from '@foundation/cache';
import type { PubSub } from '@foundation/pubsub';
import { FoundationOptionError } from './errors.js';

/** A PubSubInvalidationBus on one node: the bus, its subscriber process, and stop. */
export interface PubSubInvalidationBusHandle extends InvalidationBus {
  readonly pid: Pid;
  readonly topic: string;
  stop(): Promise<void>;
}

/** The boundary: an InvalidationEvent from a peer, or undefined. */
export function parseInvalidation(msg: unknown): InvalidationEvent | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Record<string, unknown>;
  if (typeof m.cache !== 'string' || typeof m.origin !== 'string') return undefined;
  if (m.k !== null && typeof m.k !== 'string') return undefined;
  return { cache: m.cache, k: m.k, origin: m.origin };
}

/** Hands events heard on the topic to this node's handlers; a handler that throws is logged, not fatal. */
class BusSubscriber extends Actor<never, never, Set<(e: InvalidationEvent) => void>> {
  private handlers = new Set<(e: InvalidationEvent) => void>();

  override init(handlers: Set<(e: InvalidationEvent) => void>): void {
    this.handlers = handlers;
  }

  override handleInfo(msg: unknown): void {
    const event = parseInvalidation(msg);
    if (event === undefined) return;
    for (const h of this.handlers) {
      try {
        h(event);
      } catch (e) {
        console.error('PubSubInvalidationBus: a handler threw', e);
      }
    }
  }
}

/**
 * An InvalidationBus over a PubSub topic (`foundation.cache.<name>`): what a multilevel cache
 * uses when Foundation wires it, so invalidations travel wherever the PubSub does (the mesh,
 * or Redis between meshes). At most once, like any broadcast; near caches bound their
 * entries' lifetime for the events that are lost.
 */
export const PubSubInvalidationBus = {
  /** Starts this node's subscriber of the bus `name` on `pubsub` and resolves with the bus. */
  async start(node: Node, pubsub: PubSub, opts: { readonly name: string }): Promise<PubSubInvalidationBusHandle> {
    const name = (opts as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name))
      throw new FoundationOptionError('PubSubInvalidationBus.start name', 'a name of letters, digits, _ or -', name);
    const topic = `foundation.cache.${name}`;
    const handlers = new Set<(e: InvalidationEvent) => void>();
    const pid = await node.spawnAndWait(BusSubscriber, handlers);
    await pubsub.subscribe(pid, topic);
    return {
      pid,
      topic,
      publish(event: InvalidationEvent): void {
        // Not to this node's subscriber: the writer already dropped its own near copy.
        pubsub.broadcastFrom(pid, topic, { cache: event.cache, k: event.k, origin: event.origin }).catch((e: unknown) => {
          console.warn(`PubSubInvalidationBus '${name}': an invalidation was not sent`, e);
        });
      },
      subscribe(handler: (event: InvalidationEvent) => void): () => void {
        if (typeof handler !== 'function') throw new FoundationOptionError('InvalidationBus.subscribe handler', 'a function', handler);
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
