import type { Clock } from '@foundation/runtime';

/** A timer of the simulation: whose it is (a node, or the simulator itself) and when it is due. */
export interface SimTimer {
  readonly at: number;
  readonly seq: number;
  /** The node whose clock set it, or `''` for the simulator's own (faults, reconnects). */
  readonly owner: string;
  /** What it is for, in the trace (the simulator's own: a fault, a reconnect; a node's: empty). */
  readonly label: string;
  readonly fn: () => void;
  keepAlive: boolean;
}

/**
 * Simulated time for the whole cluster: one timeline, every node's timers on it. Each node
 * reads it through its own Clock, offset by its skew. Time moves only when the simulator says.
 */
export class Timeline {
  /** Milliseconds since the simulation began. */
  now = 0;
  private seq = 0;
  private readonly timers = new Set<SimTimer>();

  /** Adds a timer due `ms` from now. */
  add(owner: string, label: string, ms: number, fn: () => void): SimTimer {
    const t: SimTimer = { at: this.now + Math.max(0, ms), seq: this.seq++, owner, label, fn, keepAlive: true };
    this.timers.add(t);
    return t;
  }

  remove(t: SimTimer): void {
    this.timers.delete(t);
  }

  /** Drops every timer of `owner` (its node crashed: nothing of it runs any more). */
  dropOwner(owner: string): void {
    for (const t of this.timers) if (t.owner === owner) this.timers.delete(t);
  }

  /** Timers due now, in deadline order (then creation order). */
  due(): SimTimer[] {
    const out: SimTimer[] = [];
    for (const t of this.timers) if (t.at <= this.now) out.push(t);
    return out.sort(byDeadline);
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextAt(): number | undefined {
    let at: number | undefined;
    for (const t of this.timers) if (at === undefined || t.at < at) at = t.at;
    return at;
  }

  /** Number of pending timers. */
  get size(): number {
    return this.timers.size;
  }

  /**
   * A node's Clock on this timeline: `now()` is the timeline's plus the node's skew, never
   * going back (a Clock is monotonic: a skew made smaller holds the clock still until time
   * catches up). Timers of a node that is no longer `alive()` are not armed.
   */
  clockFor(owner: string, skew: () => number, alive: () => boolean): Clock {
    let last = -Infinity;
    return {
      now: () => (last = Math.max(last, this.now + skew())),
      setTimeout: (fn, ms) => (alive() ? this.add(owner, '', ms, fn) : DEAD_TIMER),
      clearTimeout: (handle) => this.remove(handle as SimTimer),
      refTimer: (handle, keepAlive) => {
        if (handle !== DEAD_TIMER) (handle as SimTimer).keepAlive = keepAlive;
      },
    };
  }
}

const DEAD_TIMER: SimTimer = { at: Infinity, seq: -1, owner: '', label: 'dead', fn: () => {}, keepAlive: false };

const byDeadline = (a: SimTimer, b: SimTimer) => a.at - b.at || a.seq - b.seq;
