import type { Pid } from '@foundation/runtime';

/** One local subscription, as a dispatcher sees it. */
export interface Subscriber {
  /** The subscribed process. */
  readonly pid: Pid;
  /** What it subscribed with (`subscribe(pid, topic, { metadata })`), `undefined` when nothing. */
  readonly metadata: unknown;
}

/** What a dispatcher is given for one broadcast on one node. */
export interface Dispatch {
  /** The subscribers on this node whose patterns match, each once. */
  readonly subscribers: readonly Subscriber[];
  /** The publisher of a `broadcastFrom` (skip it), `undefined` for a plain broadcast. */
  readonly from: Pid | undefined;
  /** The topic broadcast to (literal). */
  readonly topic: string;
  /** The message. */
  readonly message: unknown;
  /** Delivers `msg` to `pid` as a plain message (its `handleInfo`), in order with this node's other deliveries. */
  readonly send: (pid: Pid, msg: unknown) => void;
}

/**
 * Custom delivery (Phoenix's `dispatcher`, e.g. a fastlane that sends once per socket whatever
 * was encoded, read from the subscriber's metadata). It runs on every node that has matching
 * subscribers, so every node's PubSub must be started with a dispatcher of the same name; a
 * node without it drops that broadcast and logs. A throw is caught and logged: it ends that one
 * delivery, never the PubSub.
 */
export type Dispatcher = (dispatch: Dispatch) => void;

/**
 * The default delivery, Phoenix's: the bare message to every subscriber but `from`. The topic is
 * not carried, so a subscriber's `handleInfo` sees exactly what was broadcast; a subscriber of
 * wildcard patterns that needs the topic uses `withTopic`.
 */
export const plainDispatcher: Dispatcher = ({ subscribers, from, message, send }) => {
  for (const s of subscribers) if (from === undefined || !s.pid.equals(from)) send(s.pid, message);
};

/** A message as `withTopic` delivers it. */
export interface TopicMessage<M = unknown> {
  readonly topic: string;
  readonly message: M;
}

/** Delivers `{ topic, message }` instead of the bare message (register it under a name in `dispatchers`). */
export const withTopic: Dispatcher = ({ subscribers, from, topic, message, send }) => {
  const wrapped: TopicMessage = { topic, message };
  for (const s of subscribers) if (from === undefined || !s.pid.equals(from)) send(s.pid, wrapped);
};
