import type { CausalContextWire } from './causal-context.js';
import { InvalidWireError } from './errors.js';
import type { PrunedWire, RetiredWire } from './internal/pruning.js';

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

/** A delta group: the join of the sender's deltas after `after` (the last one shipped here), up to `seq`. */
export interface DeltaMessage extends Header {
  readonly $crdt: 'delta';
  /** The sequence number the group starts after: a receiver joins it only if it has everything up to there. */
  readonly after: number;
  readonly seq: number;
  readonly delta: unknown;
  /** Replicas the sender has pruned: put back into the delta's context before joining it. */
  readonly pruned?: readonly PrunedWire[];
}

/** The sender's whole state, which covers its deltas up to `seq`. */
export interface StateMessage extends Header {
  readonly $crdt: 'state';
  readonly seq: number;
  readonly state: unknown;
  /** Replicas the sender has pruned: put back into the state's context before joining it. */
  readonly pruned?: readonly PrunedWire[];
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
  /** The sender's retirement markers (see internal/pruning.ts); its pruned ones are not in `context`. */
  readonly retired?: readonly RetiredWire[];
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
  if (m.$crdt === 'delta' && !(Number.isSafeInteger(m.after) && m.after >= 0 && m.after <= m.seq)) {
    throw new InvalidWireError('delta.after', `an integer ≥ 0 and ≤ seq (${m.seq})`, m.after);
  }
  if (m.$crdt === 'digest' && typeof m.reply !== 'boolean') throw new InvalidWireError('digest.reply', 'a boolean', m.reply);
  if (m.$crdt === 'digest' && m.retired !== undefined) checkList(m.retired, 'digest.retired', 'pruned');
  if ((m.$crdt === 'delta' || m.$crdt === 'state') && m.pruned !== undefined) checkList(m.pruned, `${m.$crdt}.pruned`, 'age');
  return m;
}

/** `[replica: string, upTo: integer ≥ 1, pruned: boolean | age: integer ≥ 0][]`. */
function checkList(list: unknown, path: string, third: 'pruned' | 'age'): void {
  if (!Array.isArray(list)) throw new InvalidWireError(path, 'an array', list);
  list.forEach((e, i) => {
    if (
      !Array.isArray(e) ||
      e.length !== 3 ||
      typeof e[0] !== 'string' ||
      e[0] === '' ||
      !(Number.isSafeInteger(e[1]) && e[1] >= 1) ||
      (third === 'pruned' ? typeof e[2] !== 'boolean' : !(Number.isSafeInteger(e[2]) && e[2] >= 0))
    ) {
      throw new InvalidWireError(
        `${path}[${i}]`,
        third === 'pruned' ? '[replica, upTo ≥ 1, pruned: boolean]' : '[replica, upTo ≥ 1, age ≥ 0]',
        e,
      );
    }
  });
}
