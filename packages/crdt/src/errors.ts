import { describeValue, taggedError } from '@foundation/runtime';

/**
 * A key or element that has no stable encoding: a function, a symbol, a class instance other
 * than Pid, Ref, Date, Map, Set or a byte array. `path` says where inside the value it was.
 */
export class UnsupportedKeyError extends taggedError('UnsupportedKeyError') {
  constructor(
    readonly path: string,
    readonly given: string,
  ) {
    super(`${path} cannot be a CRDT key or element: it is ${given}, which has no stable encoding`);
  }
}

/** A wire form (`fromWire`, or a replication message) that is not what this package produces. */
export class InvalidWireError extends taggedError('InvalidWireError') {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`${path} must be ${expected}, got ${describeValue(given)}`);
  }
}

/** Two CRDTs of different kinds were joined, or a wire form of one kind was given for another. */
export class KindMismatchError extends taggedError('KindMismatchError') {
  constructor(
    readonly expected: string,
    readonly given: string,
  ) {
    super(`expected a CRDT of kind '${expected}', got one of kind '${given}'`);
  }
}

/**
 * A remote hybrid-logical-clock reading is further ahead of this machine's wall clock than
 * `maxOffsetMs` allows: adopting it would drag every later timestamp into the future.
 */
export class ClockOffsetError extends taggedError('ClockOffsetError') {
  constructor(
    readonly remoteMs: number,
    readonly localMs: number,
    readonly maxOffsetMs: number,
    readonly remoteReplica?: string,
  ) {
    super(
      `a remote clock${remoteReplica === undefined ? '' : ` (replica ${remoteReplica})`} reads ${remoteMs} ms, ${remoteMs - localMs} ms ahead of this one (at most ${maxOffsetMs} allowed)`,
    );
  }
}
