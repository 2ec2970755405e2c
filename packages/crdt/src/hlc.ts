import { InvalidArgumentError, checkKnownOptions, type Clock } from '@foundation/runtime';
import { ClockOffsetError, InvalidWireError } from './errors.js';

/**
 * A hybrid-logical-clock reading: physical milliseconds, a logical counter for events within
 * one millisecond (or while the physical clock lags a remote one), and the replica that took
 * it. Readings are totally ordered (`HLC.compare`) the same way on every machine, and a
 * reading taken after seeing another is greater than it.
 */
export interface Timestamp {
  readonly ms: number;
  readonly c: number;
  readonly r: string;
}

/** Options of an HLC. */
export interface HLCOptions {
  /**
   * The physical time source, in milliseconds since the epoch. Default: the wall clock. (The
   * runtime's `Clock.now` is monotonic since process start, not comparable across machines;
   * pass one explicitly only for tests, such as a SimulatedClock.)
   */
  clock?: Pick<Clock, 'now'>;
  /**
   * How far ahead of the local physical clock a remote reading may be (default 60 000 ms;
   * `Infinity` turns the check off). Machines kept by NTP agree within milliseconds, and a VM
   * resumed from a pause or a badly kept clock is seconds off: a minute lets all of those
   * through. A reading further ahead comes from a clock that jumped (set by hand, a wrong time
   * zone, a year typo); taking it in would drag every later timestamp of this replica — and of
   * everyone it writes to — that far forward, where last-writer-wins would let the jumped
   * writer win for as long as the jump lasts.
   */
  maxOffsetMs?: number;
}

const wallClock: Pick<Clock, 'now'> = { now: () => Date.now() };

/** The default of `HLCOptions.maxOffsetMs` (see there for why a minute). */
export const DEFAULT_MAX_OFFSET_MS = 60_000;

/**
 * A hybrid logical clock (Kulkarni et al.): `now()` for a local event, `update(remote)` on
 * receiving a remote reading. Last-writer-wins timestamps come from it, so the winner is the
 * same on every replica (ties broken by replica id, never by which machine's clock is right)
 * and a write that saw another one always wins over it.
 */
export class HLC {
  private ms = 0;
  private c = 0;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly maxOffsetMs: number;

  constructor(
    readonly replica: string,
    opts: HLCOptions = {},
  ) {
    if (typeof replica !== 'string' || replica === '') throw new InvalidArgumentError('replica', 'a non-empty string', replica);
    checkKnownOptions('HLC', opts, ['clock', 'maxOffsetMs']);
    const max = opts.maxOffsetMs ?? DEFAULT_MAX_OFFSET_MS;
    if (!(typeof max === 'number' && max >= 0)) throw new InvalidArgumentError('maxOffsetMs', 'a number ≥ 0', max);
    this.clock = opts.clock ?? wallClock;
    this.maxOffsetMs = max;
  }

  private physical(): number {
    return Math.floor(this.clock.now());
  }

  /** A reading for a local event, greater than every reading this clock gave or saw. */
  now(): Timestamp {
    const pt = this.physical();
    if (pt > this.ms) {
      this.ms = pt;
      this.c = 0;
    } else {
      this.c++;
    }
    return { ms: this.ms, c: this.c, r: this.replica };
  }

  /**
   * Takes in a remote reading and returns a local one greater than both it and every earlier
   * local one. Throws ClockOffsetError (and changes nothing) when the remote reading is more
   * than `maxOffsetMs` ahead of the local physical clock.
   */
  update(remote: Timestamp): Timestamp {
    const pt = this.physical();
    if (remote.ms - pt > this.maxOffsetMs) throw new ClockOffsetError(remote.ms, pt, this.maxOffsetMs, remote.r);
    const ms = Math.max(this.ms, remote.ms, pt);
    if (ms === this.ms && ms === remote.ms) this.c = Math.max(this.c, remote.c) + 1;
    else if (ms === this.ms) this.c++;
    else if (ms === remote.ms) this.c = remote.c + 1;
    else this.c = 0;
    this.ms = ms;
    return { ms: this.ms, c: this.c, r: this.replica };
  }

  /** Throws ClockOffsetError when `remote` is too far ahead for `update` to take it; changes nothing. */
  checkOffset(remote: Timestamp): void {
    const pt = this.physical();
    if (remote.ms - pt > this.maxOffsetMs) throw new ClockOffsetError(remote.ms, pt, this.maxOffsetMs, remote.r);
  }

  /** The last reading given, without taking a new one. */
  peek(): Timestamp {
    return { ms: this.ms, c: this.c, r: this.replica };
  }

  /** Total order on readings: physical time, then counter, then replica id. */
  static compare(a: Timestamp, b: Timestamp): number {
    if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
    if (a.c !== b.c) return a.c < b.c ? -1 : 1;
    if (a.r !== b.r) return a.r < b.r ? -1 : 1;
    return 0;
  }

  /** Checks a reading that arrived as plain data. */
  static check(t: unknown, path = 'timestamp'): Timestamp {
    const o = t as Timestamp;
    if (
      typeof o !== 'object' ||
      o === null ||
      !Number.isSafeInteger(o.ms) ||
      !(Number.isSafeInteger(o.c) && o.c >= 0) ||
      typeof o.r !== 'string'
    ) {
      throw new InvalidWireError(path, '{ ms: integer, c: integer ≥ 0, r: string }', t);
    }
    return o;
  }
}
