import { FoundationError, describeValue } from '@foundation/runtime';

/** An option given to `Federation.start` is wrong: `field` says which, `expected` what it should be. */
export class FederationOptionsError extends FoundationError {
  readonly _tag = 'FederationOptionsError' as const;
  override readonly name = 'FederationOptionsError' as const;
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`federation option '${field}' must be ${expected}, got ${describeValue(given)}`);
  }
  /** True when `e` is a FederationOptionsError, also after it crossed a thread or node. */
  static is(e: unknown): e is FederationOptionsError {
    return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'FederationOptionsError';
  }
}
