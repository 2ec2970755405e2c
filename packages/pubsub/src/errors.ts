import { describeValue, taggedError } from '@foundation/runtime';

/** A topic given to broadcast (or a pattern given to subscribe) that is not a valid topic: `reason` says why. */
export class InvalidTopicError extends taggedError('InvalidTopicError') {
  constructor(
    /** Which argument, e.g. `broadcast(topic, msg): topic`. */
    readonly field: string,
    /** What is wrong with it. */
    readonly reason: string,
    /** What was given. */
    readonly given: unknown,
  ) {
    super(`${field} ${reason}, got ${describeValue(given)}`);
  }
}

/** A subscription pattern that breaks AMQP's syntax (`*` and `#` only as whole segments). */
export class InvalidPatternError extends taggedError('InvalidPatternError') {
  constructor(
    /** Which argument, e.g. `subscribe(pid, topic): topic`. */
    readonly field: string,
    /** What is wrong with it. */
    readonly reason: string,
    /** What was given. */
    readonly given: unknown,
  ) {
    super(`${field} ${reason}, got ${describeValue(given)}`);
  }
}

/** A broadcast named a dispatcher this PubSub was not started with. */
export class UnknownDispatcherError extends taggedError('UnknownDispatcherError') {
  constructor(
    readonly dispatcher: string,
    readonly known: readonly string[],
  ) {
    super(`unknown dispatcher '${dispatcher}' (known: ${known.join(', ') || 'none'})`);
  }
}

/**
 * The adapter could not hand a broadcast on (the Redis adapter while Redis is unreachable):
 * nothing of this broadcast was delivered, not even locally, so the caller may retry it whole.
 */
export class PubSubUnavailableError extends taggedError('PubSubUnavailableError') {
  constructor(
    /** The PubSub's name. */
    readonly pubsub: string,
    /** Why, as the adapter saw it. */
    readonly reason: string,
  ) {
    super(`pubsub '${pubsub}' cannot broadcast now: ${reason}`);
  }
}

/** `track` of a (process, topic, key) that is tracked already (Phoenix's `already_tracked`): use `update`. */
export class AlreadyTrackedError extends taggedError('AlreadyTrackedError') {
  constructor(
    readonly presence: string,
    readonly topic: string,
    readonly key: string,
    readonly pid: unknown,
  ) {
    super(`presence '${presence}': ${String(pid)} is already tracked under key '${key}' of topic '${topic}' (use update)`);
  }
}
