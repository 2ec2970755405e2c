import { FoundationError, describeValue } from '@foundation/runtime';

/** An option given to `mesh()` is wrong: `field` says which, `expected` what it should be. */
export class MeshOptionsError extends FoundationError {
  readonly _tag = 'MeshOptionsError' as const;
  override readonly name = 'MeshOptionsError' as const;
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`mesh option '${field}' must be ${expected}, got ${describeValue(given)}`);
  }
  /** True when `e` is a MeshOptionsError, also after it crossed a thread or node. */
  static is(e: unknown): e is MeshOptionsError {
    return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'MeshOptionsError';
  }
}

/** `connect(url)` failed: the peer could not be reached, or refused (or was refused in) the handshake. */
export class MeshConnectError extends FoundationError {
  readonly _tag = 'MeshConnectError' as const;
  override readonly name = 'MeshConnectError' as const;
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`could not connect to ${url}: ${reason}`);
  }
  /** True when `e` is a MeshConnectError, also after it crossed a thread or node. */
  static is(e: unknown): e is MeshConnectError {
    return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'MeshConnectError';
  }
}
