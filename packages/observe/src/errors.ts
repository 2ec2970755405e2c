import { describeValue, taggedError } from '@foundation/runtime';

/** A pid written as text (`<node.id.incarnation>`) that is not one. */
export class BadPidError extends taggedError('BadPidError') {
  constructor(readonly given: unknown) {
    super(`not a pid: expected '<node.id.incarnation>', got ${describeValue(given)}`);
  }
}

/** A request to a node's observe agent (from a peer, the dashboard or the CLI) that is not one it knows. */
export class BadObserveRequestError extends taggedError('BadObserveRequestError') {
  constructor(
    readonly why: string,
    readonly given: unknown,
  ) {
    super(`bad observe request: ${why}; got ${describeValue(given)}`);
  }
}

/** A node gave no observe agent's answer (it runs no Observer, or it is not connected). */
export class NoObserverError extends taggedError('NoObserverError') {
  constructor(
    readonly node: string,
    override readonly cause: unknown,
  ) {
    super(`node '${node}' did not answer as an observer (is Observer.start running there?): ${describeValue(cause)}`);
  }
}
