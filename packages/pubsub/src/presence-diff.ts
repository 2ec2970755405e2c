import { isPid, type Pid } from '@foundation/runtime';

/** One presence: a process tracked under a key of a topic, with its metadata. */
export interface PresenceEntry<M = unknown> {
  readonly key: string;
  readonly pid: Pid;
  readonly meta: M;
}

/**
 * What a topic's subscribers get when its presences change (Phoenix's `presence_diff`): the
 * entries that appeared and the ones that went, as this node saw it. A changed meta is a leave
 * of the old one and a join of the new, as in Phoenix.
 */
export interface PresenceDiff<M = unknown> {
  /** The Presence's name. */
  readonly presenceDiff: string;
  readonly topic: string;
  readonly joins: readonly PresenceEntry<M>[];
  readonly leaves: readonly PresenceEntry<M>[];
}

/** True for a PresenceDiff message. */
export function isPresenceDiff(msg: unknown): msg is PresenceDiff {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as Record<string, unknown>;
  const entry = (e: unknown) =>
    typeof e === 'object' && e !== null && typeof (e as PresenceEntry).key === 'string' && isPid((e as PresenceEntry).pid);
  const entries = (x: unknown) => Array.isArray(x) && x.every(entry);
  return typeof m.presenceDiff === 'string' && typeof m.topic === 'string' && entries(m.joins) && entries(m.leaves);
}
