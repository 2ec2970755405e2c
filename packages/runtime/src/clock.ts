/** Time, injected: the runtime asks a Clock for `now` and for timers, never the globals. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Whether a timer keeps the process alive (Node's `ref`/`unref`). Optional: without it the
   * runtime clears a timer it no longer needs instead of keeping it armed for reuse.
   */
  refTimer?(handle: unknown, keepAlive: boolean): void;
}

/**
 * The real clock: `performance.now` and Node's timers. Timers keep the process alive, as a
 * pending `sendAfter` or call timeout should; every one is cleared when its process exits.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  refTimer: (handle, keepAlive) => {
    if (keepAlive) (handle as NodeJS.Timeout).ref();
    else (handle as NodeJS.Timeout).unref();
  },
};

interface SimTimer {
  at: number;
  seq: number;
  fn: () => void;
  keepAlive: boolean;
}

/** A clock that moves only when told to (`advance`): for tests of timers and timeouts. */
export class SimulatedClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers = new Set<SimTimer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: SimTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, keepAlive: true };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as SimTimer);
  }

  refTimer(handle: unknown, keepAlive: boolean): void {
    (handle as SimTimer).keepAlive = keepAlive;
  }

  /** Moves time forward by `ms`, firing due timers in deadline order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: SimTimer | undefined;
      for (const timer of this.timers) {
        if (timer.at <= end && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) {
          next = timer;
        }
      }
      if (!next) break;
      this.timers.delete(next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  /** Number of timers not yet fired or cancelled. */
  get pending(): number {
    return this.timers.size;
  }

  /** Number of pending timers that would keep a real process alive (not unref'd). */
  get keepingAlive(): number {
    let n = 0;
    for (const timer of this.timers) if (timer.keepAlive) n++;
    return n;
  }
}
