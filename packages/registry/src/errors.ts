import { describeValue, taggedError, type Pid } from '@foundation/runtime';

/**
 * A unique key is already held: by another process, or by the same one (a key is registered
 * once per process in a unique registry). Its tag equals the runtime's `AlreadyRegisteredError`,
 * so either class's `is()` recognises it; `key` and `holder` say what is taken and by whom.
 */
export class AlreadyRegisteredError extends taggedError('AlreadyRegisteredError') {
  /** The key as text (the field the runtime's error of the same name has). */
  readonly registeredName: string;

  constructor(
    readonly registry: string,
    readonly key: unknown,
    readonly holder: Pid,
  ) {
    super(`the key ${describeValue(key)} of registry '${registry}' is already registered to ${holder}`);
    this.registeredName = String(key);
  }
}
