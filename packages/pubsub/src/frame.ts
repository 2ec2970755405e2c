import { isPid, type Pid } from '@foundation/runtime';
import { parseTopic } from './topic.js';

/**
 * One broadcast as it travels to another node's PubSub (the cluster adapter sends it to that
 * node's server; the Redis adapter publishes it, with `origin`). Closed: anything else from a
 * peer is dropped at `parseFrame`.
 */
export interface BroadcastFrame {
  /** The PubSub's name (both ends run a PubSub of that name). */
  readonly pubsub: string;
  /** The topic broadcast to (literal). */
  readonly topic: string;
  /** What subscribers get. */
  readonly message: unknown;
  /** The `broadcastFrom` publisher, not delivered to. */
  readonly from: Pid | null;
  /** The dispatcher's name, `null` for the default. */
  readonly dispatcher: string | null;
  /** The publishing node (the Redis adapter skips its own). */
  readonly origin: string;
}

/** The frame, typed, when `x` is a well-formed frame of PubSub `name` with a literal topic; else undefined. */
export function parseFrame(x: unknown, name: string): { frame: BroadcastFrame; segments: string[] } | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const f = x as Record<string, unknown>;
  if (f.pubsub !== name || typeof f.origin !== 'string' || !('message' in f)) return undefined;
  if (f.from !== null && !isPid(f.from)) return undefined;
  if (f.dispatcher !== null && typeof f.dispatcher !== 'string') return undefined;
  let segments: string[];
  try {
    segments = parseTopic(f.topic, 'frame topic');
  } catch {
    return undefined;
  }
  return { frame: f as unknown as BroadcastFrame, segments };
}

/** True when `x` looks addressed to a PubSub (has the `pubsub` key), well-formed or not. */
export function looksLikeFrame(x: unknown): boolean {
  return typeof x === 'object' && x !== null && 'pubsub' in x && 'topic' in x;
}
