import { describeValue } from '../errors.js';
import type { Dispatcher } from './dispatcher.js';
import { warn } from './warn.js';

/**
 * The least time between two flushes from between the turns of a drain (ms). A flush costs an
 * encode and a postMessage or socket write here and a message event at the other end, a few
 * µs: batches of at least this much work keep that to a few per cent of a busy thread.
 */
export const FLUSH_GAP_MS = 0.05;

/**
 * When frames queued for other schedulers and nodes leave. The threads layer and the transport
 * queue frames and say so (`queued`); this decides when their flushers run, so that a frame
 * never waits behind other processes' turns:
 *
 * - queued outside a drain (plain code, a timer, a socket callback): before the next turn runs
 *   (each queue also flushes by microtask, which comes first unless a drain does);
 * - queued by a handler: between its turn and the next, unless a batch left less than
 *   FLUSH_GAP_MS ago — a long handler after it would otherwise hold it back for as long as it
 *   runs, while a drain of many short turns that each send still goes out in batches;
 * - at the latest when the drain ends.
 *
 * It owns the dispatcher's afterDrain and beforeTurn hooks; beforeTurn is set only while
 * something waits, so a drain with nothing queued pays nothing per turn.
 */
export class Outgoing {
  private readonly flushers: (() => void)[] = [];
  /** Something was queued since the last flush (beforeTurn is set). */
  private pending = false;
  /** Something was queued outside a drain: it leaves before the next turn, whatever else. */
  private urgent = false;
  /** When the last flush ran (performance.now()). */
  private lastFlush = 0;
  private readonly beforeTurnFn = () => this.beforeTurn();

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
    const d = this.dispatcher;
    if (!d.draining) this.urgent = true;
    if (!this.pending) {
      this.pending = true;
      d.beforeTurn = this.beforeTurnFn;
    }
  }

  /** Runs every flusher now; one that throws (a bug) is reported, and the others still run. */
  flush(now = performance.now()): void {
    this.pending = false;
    this.urgent = false;
    this.lastFlush = now;
    this.dispatcher.beforeTurn = null;
    for (const f of this.flushers) {
      try {
        f();
      } catch (e) {
        warn('FOUNDATION_FLUSH_THREW', `sending queued frames threw: ${describeValue(e)}`);
      }
    }
  }

  private beforeTurn(): void {
    if (this.urgent) return this.flush();
    const now = performance.now();
    if (now - this.lastFlush >= FLUSH_GAP_MS) this.flush(now);
  }
}
