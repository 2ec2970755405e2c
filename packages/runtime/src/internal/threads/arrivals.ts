import { allocatorOf, seqOf } from '../kernel.js';
import type { Board } from './board.js';

/**
 * Which pids other schedulers allocated for this one have arrived, and what waits for the
 * others.
 *
 * A scheduler that spawns on another allocates the pid itself and posts a spawn frame on its
 * link to the target; the pid is in use at once. Messages, links and monitors for it can then
 * reach the target from a third scheduler before the spawn frame does: MessagePorts are each
 * in order, but not with each other. Frames from one allocator arrive in the order it
 * allocated, one counter per target, so the target knows a pid is "allocated, not yet
 * arrived" when its seq is above the last spawn it got from that allocator and below the
 * allocator's published next seq (the board). What is sent to such a pid is parked here and
 * run when its spawn arrives — or, when the allocator's thread died first (its spawn frame
 * died with it), run then, finding no process: noproc, as for any dead pid.
 */
export class Arrivals {
  /** Last spawn seq settled, by allocator: arrived, or lost with a thread that died. */
  private readonly last: number[];
  /** What waits for a pid to arrive, by pid id. */
  private readonly parked = new Map<number, (() => void)[]>();

  constructor(
    private readonly me: number,
    private readonly n: number,
    private readonly board: Board,
  ) {
    this.last = new Array<number>(n).fill(0);
  }

  /** True for a pid id of this scheduler whose spawn has not arrived yet. */
  pending(id: number): boolean {
    const a = allocatorOf(id);
    if (a === this.me || a >= this.n) return false;
    const seq = seqOf(id);
    return seq > this.last[a]! && seq < this.board.next(a, this.me);
  }

  /** Runs `fn` once the pid `id` (pending) has arrived or is known lost. */
  park(id: number, fn: () => void): void {
    const waiting = this.parked.get(id);
    if (waiting) waiting.push(fn);
    else this.parked.set(id, [fn]);
  }

  /**
   * A spawn frame from `allocator` for `id`: false when it is stale (from a thread that died,
   * whose pids were settled lost). Otherwise settles it; `run` then runs what was parked for it.
   */
  arrive(allocator: number, id: number): boolean {
    const seq = seqOf(id);
    if (seq <= this.last[allocator]!) return false;
    this.last[allocator] = seq;
    return true;
  }

  /**
   * Runs what was parked for `id` (after its process was created), and for the pids its
   * allocator skipped before it (a spawn refused at the call: its pid never escaped, but a
   * made-up one may name it): they will never arrive.
   */
  run(id: number): void {
    this.runOne(id);
    if (this.parked.size === 0) return;
    const a = allocatorOf(id);
    const seq = seqOf(id);
    for (const other of [...this.parked.keys()]) if (allocatorOf(other) === a && seqOf(other) < seq) this.runOne(other);
  }

  private runOne(id: number): void {
    const waiting = this.parked.get(id);
    if (waiting === undefined) return;
    this.parked.delete(id);
    for (const fn of waiting) fn();
  }

  /**
   * `allocator`'s pids for this scheduler up to `seq` are settled: those that did not arrive
   * went with a thread that died (the allocator's, or this scheduler's previous one). What was
   * parked for them runs now and finds no process.
   */
  settle(allocator: number, seq: number): void {
    if (seq <= this.last[allocator]!) return;
    this.last[allocator] = seq;
    for (const id of [...this.parked.keys()]) {
      if (allocatorOf(id) === allocator && seqOf(id) <= seq) this.runOne(id);
    }
  }
}
