import type { Pid } from '@foundation/runtime';

/** Sent to a registry's listeners when a key is registered: `{ registered: registryName, key, pid, value }`. */
export interface RegisteredEvent<K = unknown, V = unknown> {
  readonly registered: string;
  readonly key: K;
  readonly pid: Pid;
  readonly value: V;
}

/**
 * Sent to a registry's listeners when an entry goes, by `unregister` or because its process
 * exited: `{ unregistered: registryName, key, pid, value }` (the value it had).
 */
export interface UnregisteredEvent<K = unknown, V = unknown> {
  readonly unregistered: string;
  readonly key: K;
  readonly pid: Pid;
  readonly value: V;
}

/** What a registry listener receives. */
export type RegistryEvent<K = unknown, V = unknown> = RegisteredEvent<K, V> | UnregisteredEvent<K, V>;

const isObj = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null;

/** True for a `{ registered, key, pid, value }` message. */
export function isRegisteredEvent(msg: unknown): msg is RegisteredEvent {
  return isObj(msg) && typeof msg.registered === 'string' && 'key' in msg && 'pid' in msg;
}

/** True for an `{ unregistered, key, pid, value }` message. */
export function isUnregisteredEvent(msg: unknown): msg is UnregisteredEvent {
  return isObj(msg) && typeof msg.unregistered === 'string' && 'key' in msg && 'pid' in msg;
}

/** True for either registry event. */
export function isRegistryEvent(msg: unknown): msg is RegistryEvent {
  return isRegisteredEvent(msg) || isUnregisteredEvent(msg);
}

/** Sent to a group's monitors when members join: `{ scope, group, joined }` (once per occurrence). */
export interface GroupJoined {
  readonly scope: string;
  readonly group: string;
  readonly joined: readonly Pid[];
}

/** Sent to a group's monitors when members leave or exit, or their node is lost: `{ scope, group, left }`. */
export interface GroupLeft {
  readonly scope: string;
  readonly group: string;
  readonly left: readonly Pid[];
}

/** What a process-group monitor receives. */
export type GroupEvent = GroupJoined | GroupLeft;

/** True for a `{ scope, group, joined }` message. */
export function isGroupJoined(msg: unknown): msg is GroupJoined {
  return isObj(msg) && typeof msg.scope === 'string' && typeof msg.group === 'string' && Array.isArray(msg.joined);
}

/** True for a `{ scope, group, left }` message. */
export function isGroupLeft(msg: unknown): msg is GroupLeft {
  return isObj(msg) && typeof msg.scope === 'string' && typeof msg.group === 'string' && Array.isArray(msg.left);
}

/** True for either group event. */
export function isGroupEvent(msg: unknown): msg is GroupEvent {
  return isGroupJoined(msg) || isGroupLeft(msg);
}
