import type { Pid, ProcessContext } from '@foundation/runtime';
import type { BroadcastFrame } from './frame.js';
import type { PubSubCore } from './internal/core.js';

/** What an adapter is given by the PubSub it serves. */
export interface AdapterHost {
  /** @internal The PubSub's shared state: name, node, local table, delivery, log. */
  readonly core: PubSubCore;
  /** The PubSub's server actor on this node (it receives what the adapter routes to it). */
  readonly server: Pid;
  /** Where the PubSub was started from (the adapter's own processes are started from here). */
  readonly ctx: ProcessContext;
}

/**
 * How one node's PubSub reaches the others (Phoenix's adapter contract, plus what wildcard
 * routing needs). The PubSub calls it from one place, in order; local delivery is the PubSub's.
 */
export interface Adapter {
  /** Connects; the PubSub is usable once it resolves. */
  start(): Promise<void>;
  /** This node got its first subscriber of `pattern` (resolves once that is published). */
  subscribed(pattern: string): Promise<void>;
  /** This node's last subscriber of `pattern` went. */
  unsubscribed(pattern: string): Promise<void>;
  /**
   * Hands `frame` to every other node that has a subscriber for it. Whatever it does
   * synchronously is ordered with the caller's other sends; a rejection means no node got it.
   */
  broadcast(
    frame: BroadcastFrame,
    segments: readonly string[],
    send: (to: Pid | { name: string; node: string }, msg: unknown) => void,
  ): void | Promise<void>;
  /** Hands `frame` to the PubSub of the node `nodeName` (not this node). */
  direct(
    nodeName: string,
    frame: BroadcastFrame,
    send: (to: Pid | { name: string; node: string }, msg: unknown) => void,
  ): void | Promise<void>;
  /** A message the server got that is not its own (the adapter's events); true when taken. */
  onInfo(msg: unknown): boolean;
  /** The other nodes a broadcast to the topic `segments` sends a frame to now. */
  nodesFor(segments: readonly string[]): string[];
  /** Disconnects. */
  stop(): Promise<void>;
}

/** Makes a PubSub's adapter (`clusterAdapter()`, `redisAdapter(...)`): pass it as `PubSub.start`'s `adapter`. */
export interface AdapterFactory {
  /** Its kind, for messages: `'cluster'`, `'redis'`. */
  readonly kind: string;
  /** @internal */
  create(host: AdapterHost): Adapter;
}
