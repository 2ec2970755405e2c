/**
 * The "peer" floor: the four workloads on a bare JavaScript message loop with no actor
 * semantics at all — objects holding a queue array and a handler, and one global, synchronous
 * run loop. No pids, no mailbox kinds, no links/monitors/exit signals, no turn budget, no
 * yielding to the event loop, no error isolation. Whatever the runtime costs on top of this is
 * the price of its semantics.
 *
 * Messages have the same shapes as in the Foundation and Erlang versions (`{ from, n }` for
 * pingpong, a bare integer for ring, `{ from }` requests and a constant reply for fanout).
 */
import { now, rate, type Sample } from './harness.js';

/** A bare "process": a queue of messages and what to do with each. */
export class BareProc {
  /** Pending messages; drained in order by the run loop. */
  queue: unknown[] = [];
  /** True while in the run queue. */
  queued = false;
  /** Free slot for the handler's state. */
  state: unknown;
  constructor(
    readonly loop: BareLoop,
    public handler: (self: BareProc, msg: unknown) => void,
    state?: unknown,
  ) {
    this.state = state;
  }
}

/**
 * One global run loop: a FIFO of processes with pending work, drained synchronously. The run
 * queue is a growable power-of-two ring over a plain array (an array used with `shift()` would
 * be O(n) per shift once it holds more than ~16k entries, as in `spawn`); each process's queue
 * is a plain array used with `push`/`shift`.
 */
export class BareLoop {
  /** Every process ever spawned (the process table, keeping them alive like a runtime would). */
  readonly procs: BareProc[] = [];
  private ring: (BareProc | undefined)[] = new Array(1024);
  private head = 0;
  private len = 0;

  spawn(handler: (self: BareProc, msg: unknown) => void, state?: unknown): BareProc {
    const p = new BareProc(this, handler, state);
    this.procs.push(p);
    // Its first turn stands in for init (there is nothing to run: the queue is empty).
    this.schedule(p);
    return p;
  }

  send(to: BareProc, msg: unknown): void {
    to.queue.push(msg);
    if (!to.queued) this.schedule(to);
  }

  private schedule(p: BareProc): void {
    p.queued = true;
    let ring = this.ring;
    if (this.len === ring.length) {
      const bigger = new Array<BareProc | undefined>(ring.length * 2);
      for (let n = 0; n < this.len; n++) bigger[n] = ring[(this.head + n) & (ring.length - 1)];
      this.ring = ring = bigger;
      this.head = 0;
    }
    ring[(this.head + this.len) & (ring.length - 1)] = p;
    this.len++;
  }

  /** Runs until no process has pending messages; each turn drains the process's whole queue. */
  run(): void {
    while (this.len > 0) {
      const ring = this.ring;
      const p = ring[this.head]!;
      ring[this.head] = undefined;
      this.head = (this.head + 1) & (ring.length - 1);
      this.len--;
      p.queued = false;
      const q = p.queue;
      while (q.length > 0) p.handler(p, q.shift());
    }
  }
}

// ------------------------------------------------------------------ workloads

/** Two processes bounce `{ from, n }` until n reaches 0; `total` one-way messages. */
export function barePingpong(total: number): Sample {
  const loop = new BareLoop();
  let done = false;
  const handler = (self: BareProc, m: unknown): void => {
    const msg = m as { from: BareProc; n: number };
    if (msg.n === 0) done = true;
    else loop.send(msg.from, { from: self, n: msg.n - 1 });
  };
  const ping = loop.spawn(handler);
  const pong = loop.spawn(handler);
  loop.run();
  const t0 = now();
  loop.send(ping, { from: pong, n: total - 1 });
  loop.run();
  const t1 = now();
  if (!done) throw new Error('bare pingpong did not finish');
  return { rate: rate(total, t1 - t0) };
}

/** `size` processes in a ring; an integer token counts down `size * laps` hops. */
export function bareRing(size: number, laps: number): Sample {
  const loop = new BareLoop();
  let done = false;
  const handler = (self: BareProc, m: unknown): void => {
    const n = m as number;
    if (n === 0) done = true;
    else loop.send(self.state as BareProc, n - 1);
  };
  const head = loop.spawn(handler);
  let prev = head;
  for (let i = 1; i < size; i++) prev = loop.spawn(handler, prev);
  head.state = prev;
  loop.run();
  const total = size * laps;
  const t0 = now();
  loop.send(head, total - 1);
  loop.run();
  const t1 = now();
  if (!done) throw new Error('bare ring did not finish');
  return { rate: rate(total, t1 - t0) };
}

/**
 * Spawns `count` idle processes, each getting its first turn, then a sentinel; timed until the
 * sentinel ran. Bytes per process: heap growth after a full GC, divided by `count`.
 */
export function bareSpawn(count: number): Sample {
  const idle = (): void => {};
  const gc = globalThis.gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const loop: BareLoop | null = new BareLoop();
  let done = false;
  const t0 = now();
  for (let i = 0; i < count; i++) loop.spawn(idle);
  const sentinel = loop.spawn(() => {
    done = true;
  });
  loop.send(sentinel, 'go');
  loop.run();
  const t1 = now();
  if (!done) throw new Error('bare spawn did not finish');
  const sample: Sample = { rate: rate(count, t1 - t0) };
  if (gc) {
    gc();
    gc();
    sample.bytesPerItem = Math.round((process.memoryUsage().heapUsed - heap0) / count);
  }
  if (loop.procs.length !== count + 1) throw new Error('bare spawn lost processes');
  return sample;
}

/**
 * A coordinator sends `{ from }` to each of `workers` processes and waits for all replies,
 * `rounds` times; requests + replies are counted.
 */
export function bareFanout(workers: number, rounds: number): Sample {
  const loop = new BareLoop();
  let done = false;
  const worker = (_self: BareProc, m: unknown): void => {
    loop.send((m as { from: BareProc }).from, 'reply');
  };
  const pids: BareProc[] = [];
  for (let i = 0; i < workers; i++) pids.push(loop.spawn(worker));
  let pending = 0;
  let roundsLeft = rounds;
  const sendRound = (self: BareProc): void => {
    for (let i = 0; i < pids.length; i++) loop.send(pids[i]!, { from: self });
    pending = pids.length;
  };
  const coordinator = loop.spawn((self, m) => {
    if (m === 'go') sendRound(self);
    else if (--pending === 0) {
      if (--roundsLeft === 0) done = true;
      else sendRound(self);
    }
  });
  loop.run();
  const t0 = now();
  loop.send(coordinator, 'go');
  loop.run();
  const t1 = now();
  if (!done) throw new Error('bare fanout did not finish');
  return { rate: rate(2 * workers * rounds, t1 - t0) };
}
