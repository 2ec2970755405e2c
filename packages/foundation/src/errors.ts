import { describeValue, taggedError } from '@foundation/runtime';

/** A Foundation option with a wrong value: `field` names it (`'caching.adapter'`), `given` is what came. */
export class FoundationOptionError extends taggedError('FoundationOptionError') {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`Foundation: ${field} must be ${expected}, got ${describeValue(given)}`);
  }
}

/** The production profile was chosen but no cookie was given: a derived one would let any process on the machine in. */
export class CookieRequiredError extends taggedError('CookieRequiredError') {
  constructor(readonly profile: string) {
    super(`Foundation: the ${profile} profile needs a cookie (option 'cookie' or FOUNDATION_COOKIE); only development derives one`);
  }
}

/** A target of send/call that names nothing Foundation knows: `given` says what it was. */
export class UnknownTargetError extends taggedError('UnknownTargetError') {
  constructor(
    readonly given: unknown,
    readonly why: string,
  ) {
    super(`Foundation: cannot reach ${describeValue(given)}: ${why}`);
  }
}

/** A service name already used by startService on this node. */
export class ServiceExistsError extends taggedError('ServiceExistsError') {
  constructor(readonly service: string) {
    super(`Foundation: a service named '${service}' is already started on this node`);
  }
}

/** No healthy instance of a registered service could take a call. */
export class NoHealthyInstanceError extends taggedError('NoHealthyInstanceError') {
  constructor(
    readonly service: string,
    readonly registered: number,
  ) {
    super(`Foundation: no healthy instance of service '${service}' (${registered} registered)`);
  }
}

/** A call whose context deadline had passed, or passed while it waited. */
export class DeadlineExceededError extends taggedError('DeadlineExceededError') {
  constructor(readonly deadline: number) {
    super(`Foundation: the context deadline ${new Date(deadline).toISOString()} passed`);
  }
}

/** A mapReduce chunk failed on every node it was tried on. */
export class MapReduceError extends taggedError('MapReduceError') {
  constructor(
    readonly chunkStart: number,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `Foundation: mapReduce chunk at item ${chunkStart} failed ${attempts} times; last: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
  }
}

/** A mapReduce task threw: `error` is its message, `node` where it ran. */
export class MapTaskError extends taggedError('MapTaskError') {
  constructor(
    readonly chunkStart: number,
    readonly node: string,
    readonly error: string,
  ) {
    super(`Foundation: the map task threw on node ${node} (chunk at item ${chunkStart}): ${error}`);
  }
}
