import { FoundationError, describeValue } from '@foundation/runtime';

/** An option given to `nats()` is wrong: `field` says which, `expected` what it should be. */
export class NatsOptionsError extends FoundationError {
  readonly _tag = 'NatsOptionsError' as const;
  override readonly name = 'NatsOptionsError' as const;
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`nats option '${field}' must be ${expected}, got ${describeValue(given)}`);
  }
  /** True when `e` is a NatsOptionsError, also after it crossed a thread or node. */
  static is(e: unknown): e is NatsOptionsError {
    return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'NatsOptionsError';
  }
}

/** `connect(url)` on the NATS transport: the node named in `url` did not show up in time, or the url is not one of this cluster. */
export class NatsConnectError extends FoundationError {
  readonly _tag = 'NatsConnectError' as const;
  override readonly name = 'NatsConnectError' as const;
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`could not connect to ${url}: ${reason}`);
  }
  /** True when `e` is a NatsConnectError, also after it crossed a thread or node. */
  static is(e: unknown): e is NatsConnectError {
    return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'NatsConnectError';
  }
}

/** `Node.start` on the NATS transport: a live node of this cluster already has this name (another incarnation answered). */
export class DuplicateNodeNameError extends FoundationError {
  readonly _tag = 'DuplicateNodeNameError' as const;
  override readonly name = 'DuplicateNodeNameError' as const;
  constructor(
    readonly node: string,
    readonly cluster: string,
    readonly incarnation: number,
  ) {
    super(`a node named '${node}' is already up in cluster '${cluster}' (incarnation ${incarnation}): node names must be unique`);
  }
  /** True when `e` is a DuplicateNodeNameError, also after it crossed a thread or node. */
  static is(e: unknown): e is DuplicateNodeNameError {
    return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'DuplicateNodeNameError';
  }
}
