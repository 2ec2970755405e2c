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

/** A settled promise: `then` on it queues a microtask. */
const RESOLVED = Promise.resolve();

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
 * share one slice with the drains before them until the event loop turns (a `setImmediate`
 * marker tells): once the slice is used up, what comes next waits for `setImmediate`, as the
 * rest of a drain that used up its slice always has.
 */
export class Dispatcher {
  private ring: (Runnable | undefined)[] = new Array<Runnable | undefined>(1024);
  private head = 0;
  private len = 0;
  private scheduled = false;
  private readonly drainFn = () => this.drain(false);
  private readonly microDrainFn = () => this.drain(true);
  /** True while a drain runs process turns (read by outgoing.ts). */
  draining = false;
  /** A slice is open: drains since its start ran without the event loop turning (its marker immediate has not run). */
  private sliceOpen = false;
  /** When the open slice began. */
  private sliceStart = 0;
  /** Work done in the open slice since the clock was last read. */
  private work = 0;
  private readonly endSliceFn = () => {
    this.sliceOpen = false;
  };
  /** Number of drains that stopped on the time slice (fairness diagnostics). */
  yields = 0;
  /** Runs after each drain (outgoing.ts sends the frames the drain queued). */
  afterDrain: (() => void) | null = null;
  /**
   * While set, runs before each turn of a drain: outgoing.ts sets it while frames wait to be
   * sent, so that they leave between two turns instead of after the whole drain.
   */
  beforeTurn: (() => void) | null = null;

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
      // A native promise job: queueMicrotask costs more (argument checks, async-hooks wrapping).
      void RESOLVED.then(this.microDrainFn);
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

  /**
   * Runs turns until the ring is empty or the slice is used up. A drain from the event loop
   * (`micro` false) has a slice of its own; microtask drains open one (with its marker) or
   * continue the open one, carrying its work count, so the clock is read every WORK_PER_CHECK
   * messages of the slice, not per drain.
   */
  private drain(micro: boolean): void {
    if (micro) {
      if (!this.scheduled) return; // a drainNow() got there first
      if (!this.sliceOpen) this.openSlice();
    } else {
      // From the event loop: a fresh slice. (No marker: the microtask drains after it open their own.)
      this.sliceStart = performance.now();
      this.work = 0;
    }
    this.scheduled = false;
    this.draining = true;
    let work = this.work;
    let mask = this.ring.length - 1;
    const budget = this.scheduling?.workPerDrain ?? 0;
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
      if (budget > 0) {
        // Under a simulator: bounded by work, and what is left waits for it to call again.
        if (work >= budget) {
          if (this.len > 0) {
            this.scheduled = true;
            this.scheduling!.schedule(this.drainFn);
          }
          break;
        }
        continue;
      }
      // The clock is read every WORK_PER_CHECK messages, not per message: it costs more than one.
      if (work >= WORK_PER_CHECK) {
        work = 0;
        if (performance.now() - this.sliceStart >= this.sliceMs) {
          if (this.len > 0) this.yields++;
          // The slice is over: whatever comes next waits for the event loop to turn.
          this.scheduled = true;
          setImmediate(this.drainFn);
          break;
        }
      }
    }
    this.work = work;
    this.draining = false;
    if (this.afterDrain !== null) this.afterDrain();
  }

  private openSlice(): void {
    this.sliceStart = performance.now();
    this.work = 0;
    this.sliceOpen = true;
    setImmediate(this.endSliceFn);
  }

  private grow(cap: number): void {
    const ring = new Array<Runnable | undefined>(cap * 2);
    for (let n = 0; n < this.len; n++) ring[n] = this.ring[(this.head + n) & (cap - 1)];
    this.ring = ring;
    this.head = 0;
  }
}
