import { checkKnownOptions, durationExpected, isDuration, systemClock, type Clock } from '@foundation/runtime';
import { checkChildSpecs, type ChildSpec, type NormalizedChildSpec, type TypedChildSpec } from './child-spec.js';
import type { BackoffOptions } from './backoff.js';
import type { ReportHandler } from './reports.js';
import { SupervisorOptionError } from './errors.js';

/** Which children restart when one exits: that one, all of them, or it and those started after it. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/** What both kinds of supervisor take. */
export interface CommonOptions {
  /** At most this many restarts within `maxSeconds` (default 3); one more and the supervisor gives up. */
  maxRestarts?: number;
  /** The intensity window, in seconds (default 5). */
  maxSeconds?: number;
  /** Time source for the intensity window and backoff timers (default: the runtime's systemClock). */
  clock?: Clock;
  /** Delay restarts exponentially (beyond OTP); none by default. */
  backoff?: BackoffOptions;
  /** Gets the supervisor's reports (starts, crashes, give-ups). */
  onReport?: ReportHandler;
}

/** The argument of a Supervisor. */
export interface SupervisorOptions extends CommonOptions {
  /** Default `'one_for_one'`. */
  strategy?: Strategy;
  /** Started in order, each once the previous one's init succeeded; stopped in reverse. */
  children?: readonly ChildSpec[];
}

/**
 * SupervisorOptions whose child specs are checked one by one against their classes: in
 * `children: [{ id, start: [Counter, 0] }]` the `0` must be what Counter's init takes.
 */
export type TypedSupervisorOptions<Cs extends readonly unknown[]> = Omit<SupervisorOptions, 'children'> & {
  /** Started in order, each once the previous one's init succeeded; stopped in reverse. */
  children?: { readonly [I in keyof Cs]: TypedChildSpec<Cs[I]> };
};

/** The argument of a DynamicSupervisor. */
export interface DynamicSupervisorOptions extends CommonOptions {
  /** `'one_for_one'`, its only strategy (the default; anything else is refused). */
  strategy?: 'one_for_one';
  /** At most this many children at once (default Infinity). */
  maxChildren?: number;
}

/** Common options with their defaults applied. */
export interface CheckedCommon {
  readonly maxRestarts: number;
  readonly maxSeconds: number;
  readonly clock: Clock;
  readonly backoff: (BackoffOptions & { readonly resetMs: number }) | null;
  readonly onReport: ReportHandler | null;
}

const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
const COMMON_KEYS = ['maxRestarts', 'maxSeconds', 'clock', 'backoff', 'onReport'];

function checkObject(where: string, opts: unknown, keys: readonly string[]): Record<string, unknown> {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new SupervisorOptionError('options', 'an object', opts);
  }
  checkKnownOptions(where, opts, keys);
  return opts;
}

function isClock(c: unknown): c is Clock {
  const x = c as Clock;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof x.now === 'function' &&
    typeof x.setTimeout === 'function' &&
    typeof x.clearTimeout === 'function'
  );
}

const DELAY = { positive: true } as const;

function checkBackoff(b: unknown, periodMs: number): CheckedCommon['backoff'] {
  if (b === undefined) return null;
  if (typeof b !== 'object' || b === null) throw new SupervisorOptionError('backoff', '{ minMs, maxMs, resetMs? }', b);
  checkKnownOptions('supervisor option backoff', b, ['minMs', 'maxMs', 'resetMs']);
  const { minMs, maxMs, resetMs } = b;
  // Both bound the delay of a restart timer: longer than MAX_DURATION_MS would fire at once.
  if (!isDuration(minMs, DELAY)) throw new SupervisorOptionError('backoff.minMs', durationExpected(DELAY), minMs);
  if (!isDuration(maxMs, DELAY) || maxMs < minMs) {
    throw new SupervisorOptionError('backoff.maxMs', `${durationExpected(DELAY)}, and ≥ minMs (${minMs})`, maxMs);
  }
  if (resetMs !== undefined && (typeof resetMs !== 'number' || !(resetMs >= 0))) {
    throw new SupervisorOptionError('backoff.resetMs', 'a number of ms ≥ 0', resetMs);
  }
  return { minMs, maxMs, resetMs: resetMs ?? periodMs };
}

function checkCommon(o: Record<string, unknown>): CheckedCommon {
  const maxRestarts = o.maxRestarts ?? 3;
  if (typeof maxRestarts !== 'number' || !Number.isInteger(maxRestarts) || maxRestarts < 0) {
    throw new SupervisorOptionError('maxRestarts', 'an integer ≥ 0', maxRestarts);
  }
  const maxSeconds = o.maxSeconds ?? 5;
  if (typeof maxSeconds !== 'number' || !Number.isFinite(maxSeconds) || maxSeconds <= 0) {
    throw new SupervisorOptionError('maxSeconds', 'a number of seconds > 0', maxSeconds);
  }
  const clock = o.clock ?? systemClock;
  if (!isClock(clock)) throw new SupervisorOptionError('clock', 'a Clock { now, setTimeout, clearTimeout }', clock);
  const onReport = o.onReport ?? null;
  if (onReport !== null && typeof onReport !== 'function') {
    throw new SupervisorOptionError('onReport', 'a function', onReport);
  }
  return {
    maxRestarts,
    maxSeconds,
    clock,
    backoff: checkBackoff(o.backoff, maxSeconds * 1000),
    onReport: onReport as ReportHandler | null,
  };
}

/** Checks a Supervisor's options field by field and applies the defaults. */
export function checkSupervisorOptions(
  opts: unknown,
): CheckedCommon & { readonly strategy: Strategy; readonly children: NormalizedChildSpec[] } {
  const o = checkObject('Supervisor', opts, [...COMMON_KEYS, 'strategy', 'children']);
  const strategy = o.strategy ?? 'one_for_one';
  if (!STRATEGIES.includes(strategy as Strategy)) {
    throw new SupervisorOptionError('strategy', "'one_for_one', 'one_for_all' or 'rest_for_one'", strategy);
  }
  const children = o.children ?? [];
  if (!Array.isArray(children)) throw new SupervisorOptionError('children', 'an array of child specs', children);
  return { ...checkCommon(o), strategy: strategy as Strategy, children: checkChildSpecs(children) };
}

/** Checks a DynamicSupervisor's options field by field and applies the defaults. */
export function checkDynamicOptions(opts: unknown): CheckedCommon & { readonly maxChildren: number } {
  const o = checkObject('DynamicSupervisor', opts, [...COMMON_KEYS, 'strategy', 'maxChildren']);
  // The only strategy a DynamicSupervisor has; accepted so that Elixir's `strategy: :one_for_one` carries over.
  if (o.strategy !== undefined && o.strategy !== 'one_for_one') {
    throw new SupervisorOptionError('strategy', "'one_for_one' (the only strategy of a DynamicSupervisor)", o.strategy);
  }
  const maxChildren = o.maxChildren ?? Infinity;
  if (typeof maxChildren !== 'number' || !(maxChildren === Infinity || (Number.isInteger(maxChildren) && maxChildren >= 0))) {
    throw new SupervisorOptionError('maxChildren', 'an integer ≥ 0 or Infinity', maxChildren);
  }
  return { ...checkCommon(o), maxChildren };
}
