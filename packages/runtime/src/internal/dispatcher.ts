/** Anything the dispatcher can run: one turn of one process. */
export interface Runnable {
  /** Dispatcher-owned bit: set while the runnable sits in the run queue. */
  $queued: boolean;
  /** Runs one turn; returns the work done (about 1 + messages handled). */
  $runTurn(): number;
}

/** Messages (turns count one more) between two readings of the clock in a drain. */
const WORK_PER_CHECK = 64;

/** How long one drain may run before yielding to timers and I/O. */
export const DEFAULT_SLICE_MS = 4;

/**
 * Schedules process turns. A ring of runnable processes, drained in FIFO order from one
 * `setImmediate` per event-loop turn (never one per message). Each process turn is bounded by
 * the invoker's message budget, and the drain stops after `sliceMs`, yielding to I/O and
 * timers, so one hot actor cannot starve the others or the event loop.
 */
export class Dispatcher {
  private ring: (Runnable | undefined)[] = new Array<Runnable | undefined>(1024);
  private head = 0;
  private len = 0;
  private scheduled = false;
  private readonly drainFn = () => this.drain();
  /** True while a drain runs process turns (read by outgoing.ts). */
  draining = false;
  /** Number of drains that stopped on the time slice (fairness diagnostics). */
  yields = 0;
  /** Runs after each drain (outgoing.ts sends the frames the drain queued). */
  afterDrain: (() => void) | null = null;
  /**
   * While set, runs before each turn of a drain: outgoing.ts sets it while frames wait to be
   * sent, so that they leave between two turns instead of after the whole drain.
   */
  beforeTurn: (() => void) | null = null;

  constructor(private readonly sliceMs = DEFAULT_SLICE_MS) {}

  /** Queues a process for a turn (no-op if already queued). */
  enqueue(r: Runnable): void {
    if (r.$queued) return;
    r.$queued = true;
    const cap = this.ring.length;
    if (this.len === cap) this.grow(cap);
    this.ring[(this.head + this.len) & (this.ring.length - 1)] = r;
    this.len++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drainFn);
    }
  }

  /** Number of processes waiting for a turn. */
  get runnable(): number {
    return this.len;
  }

  /** Drains now, if there is work and no drain is running (after a batch from another thread arrived). */
  drainNow(): void {
    if (this.len > 0 && !this.draining) this.drain();
  }

  private drain(): void {
    this.scheduled = false;
    this.draining = true;
    const start = performance.now();
    let work = 0;
    let mask = this.ring.length - 1;
    while (this.len > 0) {
      const i = this.head;
      const r = this.ring[i]!;
      this.ring[i] = undefined;
      this.head = (i + 1) & mask;
      this.len--;
      r.$queued = false;
      if (this.beforeTurn !== null) this.beforeTurn();
      work += r.$runTurn();
      mask = this.ring.length - 1;
      // The clock is read every WORK_PER_CHECK messages, not per message: it costs more than one.
      if (work >= WORK_PER_CHECK) {
        work = 0;
        if (performance.now() - start >= this.sliceMs) {
          if (this.len > 0) this.yields++;
          break;
        }
      }
    }
    this.draining = false;
    if (this.len > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drainFn);
    }
    if (this.afterDrain !== null) this.afterDrain();
  }

  private grow(cap: number): void {
    const ring = new Array<Runnable | undefined>(cap * 2);
    for (let n = 0; n < this.len; n++) ring[n] = this.ring[(this.head + n) & (cap - 1)];
    this.ring = ring;
    this.head = 0;
  }
}
