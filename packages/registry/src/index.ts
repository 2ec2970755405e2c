/**
 * @foundation/registry — names and groups of processes: a node-local Registry (Elixir's, unique
 * or duplicate keys), cluster-wide process groups (Erlang's pg) and a cluster-wide
 * DistributedRegistry (Horde's, on a delta-CRDT).
 */
export { Registry, type RegistryOptions, type RegistryKey, type KeysMode, type RegistryEntry, type SelectedEntry } from './registry.js';
export { DistributedRegistry, type DistributedRegistryOptions, type DistributedRegistryStats } from './distributed-registry.js';
export { isNameConflict, type NameConflict } from './name-conflict.js';
export { ProcessGroups, type ProcessGroupsOptions } from './process-groups.js';
export { _, where, matches, checkPattern, type Pattern, type Guard, type Wildcard } from './pattern.js';
export { AlreadyRegisteredError } from './errors.js';
export {
  isRegisteredEvent,
  isUnregisteredEvent,
  isRegistryEvent,
  isGroupJoined,
  isGroupLeft,
  isGroupEvent,
  type RegisteredEvent,
  type UnregisteredEvent,
  type RegistryEvent,
  type GroupJoined,
  type GroupLeft,
  type GroupEvent,
} from './events.js';
