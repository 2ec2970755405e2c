/**
 * @foundation/crdt — delta-state CRDTs (Almeida, Shoker, Baquero) and their replication.
 */
export { type Dot, compareDots, showDot } from './dot.js';
export { CausalContext, type CausalContextWire } from './causal-context.js';
export { AWORSet, type AWORSetWire } from './aworset.js';
export { AWLWWMap, type AWLWWMapWire, type Register } from './awlwwmap.js';
export type { CausalMapWire, Dotted } from './internal/causal-map.js';
export { HLC, DEFAULT_MAX_OFFSET_MS, type Timestamp, type HLCOptions } from './hlc.js';
export { keyOf } from './key.js';
export { createCrdt, crdtFromWire, isCrdtKind, type CrdtKind, type ReplicatedCrdt } from './crdt.js';
export { DeltaBuffer } from './delta-buffer.js';
export {
  isReplicaMessage,
  checkReplicaMessage,
  type ReplicaMessage,
  type DeltaMessage,
  type StateMessage,
  type AckMessage,
  type DigestMessage,
} from './protocol.js';
export {
  ReplicationEngine,
  DEFAULT_PRUNING_MARKER_TICKS,
  type ReplicationHost,
  type ReplicationOptions,
  type ReplicationStats,
} from './replication.js';
export type { RetiredWire, PrunedWire } from './internal/pruning.js';
export { replicaId, nodeOfReplica } from './replica-id.js';
export {
  Replicator,
  DEFAULT_PRUNING_MARKER_TTL_MS,
  DEFAULT_RETIRE_DOWN_AFTER_MS,
  type ReplicatorOptions,
  type ReplicatorCall,
  type ReplicatorReply,
  type ReplicatorStats,
} from './replicator.js';
export type { ReplicatorHandle, SetReplicator, MapReplicator } from './replicator-handle.js';
export { UnsupportedKeyError, InvalidWireError, KindMismatchError, ClockOffsetError } from './errors.js';
