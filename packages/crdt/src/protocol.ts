import type { CausalContextWire } from './causal-context.js';
import { InvalidWireError } from './errors.js';

/*
 * The replication protocol: four messages between the replicas of one named CRDT, each
 * carrying the CRDT's name, the sender's node (where to answer) and replica id (a replica
 * restarted on the same node has a new one, so stale bookkeeping about it is dropped).
 */

interface Header {
  /** The CRDT's name: the same on every node. */
  readonly name: string;
  /** The sender's node. */
  readonly from: string;
  /** The sender's replica id. */
  readonly replica: string;
}

/** A delta group: the join of the sender's deltas after the last one shipped here, up to `seq`. */
export interface DeltaMessage extends Header {
  readonly $crdt: 'delta';
  readonly seq: number;
  readonly delta: unknown;
}

/** The sender's whole state, which covers its deltas up to `seq`. */
export interface StateMessage extends Header {
  readonly $crdt: 'state';
  readonly seq: number;
  readonly state: unknown;
}

/** The receiver of a delta or state message has joined everything of the sender's up to `seq`. */
export interface AckMessage extends Header {
  readonly $crdt: 'ack';
  readonly seq: number;
}

/**
 * The sender's causal context: what it has seen. A replica that has seen more answers with
 * its state; one that has seen less (and `reply` is false) answers with its own digest.
 */
export interface DigestMessage extends Header {
  readonly $crdt: 'digest';
  readonly context: CausalContextWire;
  readonly reply: boolean;
}

/** Every message replicas exchange: a closed union, tagged by `$crdt`. */
export type ReplicaMessage = DeltaMessage | StateMessage | AckMessage | DigestMessage;

const TAGS = new Set(['delta', 'state', 'ack', 'digest']);

/** True for a message of the replication protocol (checked shallowly; see `checkReplicaMessage`). */
export function isReplicaMessage(x: unknown): x is ReplicaMessage {
  return typeof x === 'object' && x !== null && TAGS.has((x as { $crdt?: unknown }).$crdt as string);
}

/** Checks the header and sequence fields of a protocol message that came off the wire. */
export function checkReplicaMessage(m: ReplicaMessage): ReplicaMessage {
  for (const f of ['name', 'from', 'replica'] as const) {
    if (typeof m[f] !== 'string' || m[f] === '') throw new InvalidWireError(`${m.$crdt}.${f}`, 'a non-empty string', m[f]);
  }
  if (m.$crdt !== 'digest' && !(Number.isSafeInteger(m.seq) && m.seq >= 0)) {
    throw new InvalidWireError(`${m.$crdt}.seq`, 'an integer ≥ 0', m.seq);
  }
  if (m.$crdt === 'digest' && typeof m.reply !== 'boolean') throw new InvalidWireError('digest.reply', 'a boolean', m.reply);
  return m;
}
