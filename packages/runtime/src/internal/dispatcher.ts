import type { Scheduling } from '../scheduling.js';

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
 * Schedules process turns. A ring of runnable processes, drained in FIFO order (never one
 * task per message). Each process turn is bounded by the invoker's message budget, and the
 * drain stops after `sliceMs`, yielding to I/O and timers, so one hot actor cannot starve the
 * others or the event loop.
 *
 * Work that arrives outside a drain — a call's reply resuming its caller, which then calls
 * again; a send from plain code — is drained from a microtask, not after a whole event-loop
 * turn: `setImmediate` per call round trip cost more than the call itself. Microtask drains
 * chain only within one slice: a chain starts with a `setImmediate` marker, and once it has run
 * `sliceMs` without the event loop turning (the marker not yet run), the next drain waits for
 * `setImmediate` like a drain that used up its slice.
 */
export class Dispatcher {
  private ring: (Runnable | undefined)[] = new Array<Runnable | undefined>(1024);
  private head = 0;
  private len = 0;
  private scheduled = false;
  private readonly drainFn = () => this.drain(false);
  private readonly microDrainFn = () => this.drain(true);
  private draining = false;
  /** A chain of microtask drains is open: its marker immediate has not run yet. */
  private chainOpen = false;
  /** When the open chain's first drain started (-1: not yet). */
  private chainStart = -1;
  private readonly endChainFn = () => {
    this.chainOpen = false;
  };
  /** Number of drains that stopped on the time slice (fairness diagnostics). */
  yields = 0;
  /** Runs after each drain (the threads layer sends the frames the drain queued). */
  afterDrain: (() => void) | null = null;

  /**
   * @param scheduling a simulator's hooks: it is asked to run each drain (no microtask or
   * immediate is used), and a drain is bounded by work instead of `sliceMs`.
   */
  constructor(
    private readonly sliceMs = DEFAULT_SLICE_MS,
    private readonly scheduling: Scheduling | null = null,
  ) {}

  /** Queues a process for a turn (no-op if already queued). */
  enqueue(r: Runnable): void {
    if (r.$queued) return;
    r.$queued = true;
    const cap = this.ring.length;
    if (this.len === cap) this.grow(cap);
    this.ring[(this.head + this.len) & (this.ring.length - 1)] = r;
    this.len++;
    if (!this.scheduled && !this.draining) {
      // (During a drain the loop takes it, and the drain schedules what it leaves.)
      this.scheduled = true;
      if (this.scheduling !== null) {
        this.scheduling.schedule(this.drainFn);
        return;
      }
      if (!this.chainOpen) {
        this.chainOpen = true;
        this.chainStart = -1;
        setImmediate(this.endChainFn);
      }
      queueMicrotask(this.microDrainFn);
    }
  }

  /** Number of processes waiting for a turn. */
  get runnable(): number {
    return this.len;
  }

  /**
   * Drains now, if there is work and no drain is running (after a batch from another thread
   * arrived). Not under a simulator's scheduling: it alone decides when the node runs.
   */
  drainNow(): void {
    if (this.len > 0 && !this.draining && this.scheduling === null) this.drain(false);
  }

  private drain(micro: boolean): void {
    const start = performance.now();
    if (micro && this.chainOpen) {
      if (this.chainStart < 0) this.chainStart = start;
      else if (start - this.chainStart >= this.sliceMs) {
        // This chain has held the event loop for a slice: wait for it to turn.
        setImmediate(this.drainFn);
        return;
      }
    }
    this.scheduled = false;
    if (this.draining) return; // a drainNow() got there first
    this.draining = true;
    let work = 0;
    let mask = this.ring.length - 1;
    const budget = this.scheduling?.workPerDrain ?? 0;
    while (this.len > 0) {
      const i = this.head;
      const r = this.ring[i]!;
      this.ring[i] = undefined;
      this.head = (i + 1) & mask;
      this.len--;
      r.$queued = false;
      work += r.$runTurn();
      mask = this.ring.length - 1;
      if (budget > 0) {
        if (work >= budget) break;
        continue;
      }
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
      if (this.scheduling !== null) this.scheduling.schedule(this.drainFn);
      else setImmediate(this.drainFn);
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
