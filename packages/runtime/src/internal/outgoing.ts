import { describeValue } from '../errors.js';
import type { Dispatcher } from './dispatcher.js';
import { warn } from './warn.js';

/**
 * When frames queued for other schedulers and nodes leave. The threads layer and the transport
 * queue frames and say so (`queued`); this decides when their flushers run, so that a frame
 * never waits behind other processes' turns:
 *
 * - queued outside a drain (plain code, a timer, a socket callback): before the next turn runs
 *   (each queue also flushes by microtask, which comes first unless a drain does);
 * - queued by a handler: when its turn ends, before the next turn runs — nothing tells a long
 *   turn from a short one before it has run, and a frame must not wait for another process's
 *   turn. What one turn sends still leaves as one batch (a sender of 1,000 messages per turn
 *   posts once); only many turns in a row that each send cost a flush each. (Leaving a batch
 *   open for 50 µs after the last flush saved those flushes, but let a frame wait for a whole
 *   long turn whenever one came within 50 µs of a flush — often, once drains ran from
 *   microtasks.)
 * - at the latest when the drain ends.
 *
 * It owns the dispatcher's afterDrain and beforeTurn hooks; beforeTurn is set only while
 * something waits, so a drain with nothing queued pays nothing per turn.
 */
export class Outgoing {
  private readonly flushers: (() => void)[] = [];
  /** Something was queued since the last flush (beforeTurn is set). */
  private pending = false;
  private readonly beforeTurnFn = () => this.flush();

  constructor(private readonly dispatcher: Dispatcher) {
    dispatcher.afterDrain = () => {
      if (this.pending) this.flush();
    };
  }

  /** Adds what sends one queue's frames (the threads layer's links, the transport). */
  add(flusher: () => void): void {
    this.flushers.push(flusher);
  }

  /** A queue went from empty to not: its frames leave by the rules above. */
  queued(): void {
    if (!this.pending) {
      this.pending = true;
      this.dispatcher.beforeTurn = this.beforeTurnFn;
    }
  }

  /** Runs every flusher now; one that throws (a bug) is reported, and the others still run. */
  flush(): void {
    this.pending = false;
    this.dispatcher.beforeTurn = null;
    for (const f of this.flushers) {
      try {
        f();
      } catch (e) {
        warn('FOUNDATION_FLUSH_THREW', `sending queued frames threw: ${describeValue(e)}`);
      }
    }
  }
}
