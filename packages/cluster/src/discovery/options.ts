import { FoundationError, checkKnownOptions, describeValue, systemClock, type Clock } from '@foundation/runtime';

/** A discovery strategy was given a wrong option: names the strategy, the option, what is allowed and what was given. */
export class StrategyOptionError extends FoundationError {
  readonly _tag = 'StrategyOptionError' as const;
  override readonly name = 'StrategyOptionError' as const;
  constructor(
    readonly strategy: string,
    readonly field: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`${strategy}: option ${field} must be ${expected}, got ${describeValue(given)}`);
  }
  /** True when `e` is this kind of error, also after it crossed a thread or node. */
  static is(e: unknown): e is StrategyOptionError {
    return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'StrategyOptionError';
  }
}

// Small field checks shared by the strategies; each throws StrategyOptionError naming the field.

/**
 * The options object itself: undefined means {}, anything else must be a plain object with no
 * key outside `known` (UnknownOptionError, as every options object of Foundation).
 */
export function checkOptions<T extends object>(strategy: string, options: unknown, known: readonly (keyof T & string)[]): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new StrategyOptionError(strategy, 'options', 'an object', options);
  }
  checkKnownOptions(strategy, options, known);
  return options as Partial<T>;
}

export function checkString(strategy: string, field: string, value: unknown, pattern?: RegExp, expected?: string): string {
  if (typeof value !== 'string' || value.length === 0 || (pattern !== undefined && !pattern.test(value))) {
    throw new StrategyOptionError(strategy, field, expected ?? 'a non-empty string', value);
  }
  return value;
}

export function checkInteger(strategy: string, field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StrategyOptionError(strategy, field, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

export function checkOneOf<T extends string>(strategy: string, field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new StrategyOptionError(strategy, field, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

export function checkBoolean(strategy: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new StrategyOptionError(strategy, field, 'true or false', value);
  return value;
}

/** A ws:// or wss:// URL, as the mesh listens on. */
export function checkPeerUrl(strategy: string, field: string, value: unknown): string {
  let ok = false;
  if (typeof value === 'string') {
    try {
      const u = new URL(value);
      ok = (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname.length > 0;
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new StrategyOptionError(strategy, field, 'a ws:// or wss:// URL', value);
  return value as string;
}

/** `scheme://host:port`, with an IPv6 host in brackets. */
export function peerUrl(scheme: 'ws' | 'wss', host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${scheme}://${h}:${port}`;
}

/**
 * Logs a polling strategy's failures without flooding: the first failure, then only when the
 * message changes, and once when polling succeeds again. Polling goes on either way.
 */
export class FailureLog {
  private last: string | undefined;
  constructor(private readonly log: (msg: string) => void) {}

  failed(msg: string): void {
    if (msg !== this.last) this.log(msg);
    this.last = msg;
  }

  succeeded(what: string): void {
    if (this.last !== undefined) this.log(`${what} succeeded again`);
    this.last = undefined;
  }
}

/** The message of a thrown value, with its code when it has one (ETIMEOUT, ECONNREFUSED). */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return describeValue(e);
}

/** An injected Clock (setTimeout and clearTimeout), or the system clock when none is given. */
export function checkClock(strategy: string, value: unknown): Clock {
  if (value === undefined) return systemClock;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed: without it `c.setTimeout` does not type-check after the narrowing below
  const c = value as Partial<Clock> | null;
  if (typeof c !== 'object' || c === null || typeof c.setTimeout !== 'function' || typeof c.clearTimeout !== 'function') {
    throw new StrategyOptionError(strategy, 'clock', 'a Clock (with setTimeout and clearTimeout)', value);
  }
  return c as Clock;
}
