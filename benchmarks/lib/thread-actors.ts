/**
 * Actor classes of `benchmarks/threads.ts`, defined by name: the benchmark passes this module in
 * `Node.start({ modules })`, so every scheduler thread loads it and can spawn them by name. It is
 * also the dirty pool's task module (`fibTask`).
 *
 * Messages are plain data (numbers, small objects, pids): whatever crosses threads goes through
 * the wire codec.
 */
import { threadId } from 'node:worker_threads';
import { Actor, defineActor, type Pid } from '@foundation/runtime';

/** This module, for `runTask` (the dirty pool imports it by URL) and `Node.start({ modules })`. */
export const THREAD_ACTORS_URL = import.meta.url;

/** The CPU-bound unit of work of the scaling benchmark: naive doubly recursive Fibonacci. */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** The dirty pool's task: `fib(n)`. */
export function fibTask(n: number): number {
  return fib(n);
}

// ---------------------------------------------------------------------------------------------
// One-way throughput

/** What `BenchSink` reports when it has counted all it expected. */
export interface SinkDone {
  sinkDone: number;
  /** Sum of the sequence numbers received: checks nothing was lost or duplicated. */
  sum: number;
  threadId: number;
}

/** Counts `{ i }` messages; at `expect`, tells `report`. */
export class BenchSink extends Actor<never, never, { report: Pid; expect: number }> {
  private report!: Pid;
  private expect = 0;
  private count = 0;
  private sum = 0;

  override init(a: { report: Pid; expect: number }): void {
    this.report = a.report;
    this.expect = a.expect;
  }

  override handleInfo(msg: unknown): void {
    this.sum += (msg as { i: number }).i;
    if (++this.count === this.expect) this.send(this.report, { sinkDone: this.count, sum: this.sum, threadId } satisfies SinkDone);
  }
}
defineActor('BenchSink', BenchSink);

interface SourceArgs {
  to: Pid;
  total: number;
  burst: number;
  /** After each burst, wait for the next event-loop turn (`setImmediate`) before the next one. */
  yieldBetween: boolean;
}

/**
 * Sends `total` fresh `{ i }` messages to `to` once told `'go'`: `burst` per handler call, then
 * a `'more'` to itself for the next burst. With `yieldBetween`, the handler also awaits the next
 * event-loop turn, so its scheduler flushes what it has sent (one batch per burst) before it
 * goes on; without, when the thread's event loop turns is the dispatcher's choice.
 */
export class BenchSource extends Actor<never, never, SourceArgs> {
  private a!: SourceArgs;
  private next = 0;

  override init(a: SourceArgs): void {
    this.a = a;
  }

  override handleInfo(_msg: unknown): void | Promise<void> {
    const { to, total, burst, yieldBetween } = this.a;
    const end = Math.min(this.next + burst, total);
    for (let i = this.next; i < end; i++) this.send(to, { i });
    this.next = end;
    if (end < total) this.send(this.self, 'more');
    if (yieldBetween) return new Promise((resolve) => setImmediate(resolve));
  }
}
defineActor('BenchSource', BenchSource);

// ---------------------------------------------------------------------------------------------
// Round trip

/** Answers every `{ from, n }` with `{ from: self, n }`. */
export class BenchPonger extends Actor<never, never, void> {
  override handleInfo(msg: unknown): void {
    const m = msg as { from: Pid; n: number };
    this.send(m.from, { from: this.self, n: m.n });
  }
}
defineActor('BenchPonger', BenchPonger);

/** What `BenchPinger` reports: round-trip times in µs, warm-up rounds left out. */
export interface PingerDone {
  rttUs: number[];
}

/**
 * Once told `'go'`, bounces `{ from, n }` off `peer` `warmup + rounds` times, one message in
 * flight, timing each round trip (send to reply handled) with `performance.now()`.
 */
export class BenchPinger extends Actor<never, never, { peer: Pid; report: Pid; rounds: number; warmup: number }> {
  private a!: { peer: Pid; report: Pid; rounds: number; warmup: number };
  private n = 0;
  private t0 = 0;
  private readonly rtt: number[] = [];

  override init(a: { peer: Pid; report: Pid; rounds: number; warmup: number }): void {
    this.a = a;
  }

  override handleInfo(msg: unknown): void {
    const now = performance.now();
    if (msg !== 'go') {
      if (this.n > this.a.warmup) this.rtt.push((now - this.t0) * 1000);
      if (this.n === this.a.warmup + this.a.rounds) {
        this.send(this.a.report, { rttUs: this.rtt } satisfies PingerDone);
        return;
      }
    }
    this.n++;
    this.t0 = performance.now();
    this.send(this.a.peer, { from: this.self, n: this.n });
  }
}
defineActor('BenchPinger', BenchPinger);

// ---------------------------------------------------------------------------------------------
// Scaling

/** What a cruncher reports when its work is done. */
export interface CruncherDone {
  crunched: number;
  /** Sum of the results (keeps the work from being optimised away; checked by the benchmark). */
  acc: number;
  threadId: number;
}

interface CrunchArgs {
  report: Pid;
  /** Units of work: each one fib(n), in its own handler call. */
  k: number;
  n: number;
}

/** Once told `'go'`, computes fib(n) k times, one per message (a `'step'` to itself between), then reports. */
export class BenchCruncher extends Actor<never, never, CrunchArgs> {
  private a!: CrunchArgs;
  private done = 0;
  private acc = 0;

  override init(a: CrunchArgs): void {
    this.a = a;
  }

  override handleInfo(_msg: unknown): void {
    this.acc += fib(this.a.n);
    if (++this.done < this.a.k) this.send(this.self, 'step');
    else this.send(this.a.report, { crunched: this.done, acc: this.acc, threadId } satisfies CruncherDone);
  }
}
defineActor('BenchCruncher', BenchCruncher);

/** Like `BenchCruncher`, but each fib(n) runs on the dirty pool: `await this.runTask(...)`. */
export class BenchDirtyCruncher extends Actor<never, never, CrunchArgs> {
  private a!: CrunchArgs;

  override init(a: CrunchArgs): void {
    this.a = a;
  }

  override async handleInfo(_msg: unknown): Promise<void> {
    let acc = 0;
    for (let i = 0; i < this.a.k; i++) acc += (await this.runTask(THREAD_ACTORS_URL, 'fibTask', this.a.n)) as number;
    this.send(this.a.report, { crunched: this.a.k, acc, threadId } satisfies CruncherDone);
  }
}
defineActor('BenchDirtyCruncher', BenchDirtyCruncher);

// ---------------------------------------------------------------------------------------------
// Frame wait

/** A point in time comparable across the threads of one process (ms since the epoch, sub-ms). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** When a `BenchSpinner` handler started and ended (`wallNow`). */
export interface Spun {
  start: number;
  end: number;
}

/** A request to a `BenchSpinner`: spin for `ms`; as an info message, report to `report`. */
export interface SpinRequest {
  ms: number;
  report?: Pid;
}

/** Burns `ms` of CPU without yielding: a handler that holds its scheduler. */
export function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * Spins for the asked time in its handler and says when the handler started and ended: by
 * reply to a call, or by a message to `report` when sent.
 */
export class BenchSpinner extends Actor<SpinRequest, Spun, void> {
  override handleCall(req: SpinRequest): Spun {
    const start = wallNow();
    burn(req.ms);
    return { start, end: wallNow() };
  }

  override handleInfo(req: SpinRequest): void {
    const start = wallNow();
    burn(req.ms);
    if (req.report) this.send(req.report, { start, end: wallNow() } satisfies Spun);
  }
}
defineActor('BenchSpinner', BenchSpinner);

/** What a `BenchRelay` is told: send `req` to `to` (from its handler, on its scheduler), then spin `thenMs`. */
export interface RelayRequest {
  to: Pid;
  req: SpinRequest;
  thenMs: number;
}

/** Sends a spin request to another actor from inside its own handler, then spins `thenMs` itself. */
export class BenchRelay extends Actor<never, never, void> {
  override handleInfo(m: RelayRequest): void {
    this.send(m.to, m.req);
    burn(m.thenMs);
  }
}
defineActor('BenchRelay', BenchRelay);
