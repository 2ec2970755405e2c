/**
 * Figures every scheduler of a node can read without a message, in shared memory: the next pid
 * seq each scheduler will allocate for each other (so a target tells an allocated pid from a
 * made-up one, and a restarted scheduler continues past its old pids) and each one's process
 * count (for `scheduler: 'auto'`), and the version of the node's name table. Each entry has one
 * writer: the scheduler it is about (the main thread for the names).
 */
export class Board {
  private readonly seqs: Float64Array;
  readonly loads: Int32Array;
  /** How many times the main thread's name table changed (a worker whose replica has seen them all answers a miss itself). */
  readonly names: Int32Array;
  constructor(
    readonly sab: SharedArrayBuffer,
    private readonly n: number,
  ) {
    this.seqs = new Float64Array(sab, 0, n * n);
    this.loads = new Int32Array(sab, 8 * n * n, n);
    this.names = new Int32Array(sab, 8 * n * n + 4 * n, 1);
  }

  static memory(n: number): SharedArrayBuffer {
    return new SharedArrayBuffer(8 * n * n + 4 * n + 4);
  }

  /** The next seq `allocator` will give a pid for `target` (0: none allocated yet). */
  next(allocator: number, target: number): number {
    return this.seqs[allocator * this.n + target]!;
  }

  setNext(allocator: number, target: number, seq: number): void {
    this.seqs[allocator * this.n + target] = seq;
  }

  /** Every next seq of `allocator`, by target. */
  nextOf(allocator: number): number[] {
    return Array.from(this.seqs.subarray(allocator * this.n, (allocator + 1) * this.n));
  }
}
