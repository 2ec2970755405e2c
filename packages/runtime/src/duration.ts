import { InvalidArgumentError } from './errors.js';

/**
 * The longest delay a timer can have, in ms (2^31 − 1, about 24.8 days). Node's `setTimeout`
 * fires a longer one after 1 ms instead, so every duration that becomes a timer is checked
 * against this bound where it is given.
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** What a duration option allows beyond a number of ms from 0 to MAX_DURATION_MS. */
export interface DurationRule {
  /** Infinity is allowed and means "no timer" (OTP's `infinity`). Default false. */
  readonly infinity?: boolean;
  /** 0 is refused: the value must be > 0. Default false. */
  readonly positive?: boolean;
  /** Only whole milliseconds. Default false. */
  readonly integer?: boolean;
}

/** What a duration under `rule` must be, in words: the `expected` part of an error message. */
export function durationExpected(rule: DurationRule = {}): string {
  const kind = rule.integer ? 'an integer number of milliseconds' : 'a number of milliseconds';
  const low = rule.positive ? '> 0' : '≥ 0';
  return `${kind} ${low} and ≤ ${MAX_DURATION_MS} (about 24.8 days)${rule.infinity ? ', or Infinity' : ''}`;
}

/** True when `value` is a duration `rule` allows (for packages that throw their own option error). */
export function isDuration(value: unknown, rule: DurationRule = {}): value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if (value === Infinity) return rule.infinity === true;
  if (value < 0 || (rule.positive && value === 0) || value > MAX_DURATION_MS) return false;
  return !rule.integer || Number.isInteger(value);
}

/**
 * Returns `value` when it is a duration `rule` allows; throws InvalidArgumentError naming
 * `field`, the allowed range and what was given otherwise. A longer finite duration is refused
 * rather than split into chained timers: such a value is nearly always a unit mistake (seconds
 * as µs, a timestamp given as a delay), and refusing it says so at the call.
 */
export function checkDuration(field: string, value: unknown, rule: DurationRule = {}): number {
  if (!isDuration(value, rule)) throw new InvalidArgumentError(field, durationExpected(rule), value);
  return value;
}
