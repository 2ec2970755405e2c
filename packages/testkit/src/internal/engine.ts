import { describeValue, type Node } from '@foundation/runtime';
import { Prng } from '../prng.js';
import { EventuallyError, InvariantError, SimulationStalledError } from '../errors.js';
import { Timeline, type SimTimer } from './timeline.js';
import { SimNetwork, type Link } from './network.js';

/** One node of the simulation: its current incarnation and the drain it asked for. */
export interface SimNode {
  readonly name: string;
  node: Node | null;
  up: boolean;
  /** The dispatcher's pending drain (it asks once until it has run). */
  drain: (() => void) | null;
  skew: number;
  /** How much less often its drains are picked than others' (1: as often). */
  slowness: number;
  /** Counts starts: hooks of an earlier incarnation see a different number and stay silent. */
  epoch: number;
}

type Choice = { k: 'drain'; n: SimNode } | { k: 'deliver'; l: Link } | { k: 'timer'; t: SimTimer };

interface Waiter {
  readonly kind: 'quiet' | 'advance' | 'until';
  readonly target: number;
  readonly pred?: () => boolean;
  readonly name?: string;
  readonly withinMs?: number;
  resolve(): void;
  reject(e: unknown): void;
}

/** Limits of one run: where a run that never settles is stopped. */
export interface EngineLimits {
  readonly workPerDrain: number;
  readonly maxSteps: number;
  readonly maxTimeMs: number;
}

/** How many trace lines an error message shows. */
const TAIL = 30;

/** A wall-clock epoch for `Date.now()` inside a simulation: fixed, so timestamps replay. */
export const SIM_EPOCH_MS = Date.UTC(2030, 0, 1);

/**
 * The deterministic core of a simulation: the nodes, the timeline and the network, and the
 * loop that picks — with the seeded generator, among everything that can happen now — which
 * node drains, which link delivers its head frame or which due timer fires, one step at a
 * time. Between steps the microtasks settle (they are deterministic given the step order), so
 * the test body, which only ever awaits the cluster, runs at the same points in every replay.
 */
export class Engine {
  readonly prng: Prng;
  readonly timeline = new Timeline();
  readonly net: SimNetwork;
  readonly nodes = new Map<string, SimNode>();
  readonly trace: string[] = [];
  steps = 0;
  /** The node whose step runs now (its skewed time is what `Date.now()` reads). */
  current = '';
  private readonly waiters: Waiter[] = [];
  private readonly invariants: { name: string; check: () => boolean | void }[] = [];
  private failure: InvariantError | undefined = undefined;

  constructor(
    readonly seed: number,
    readonly limits: EngineLimits,
  ) {
    this.prng = new Prng(seed);
    this.net = new SimNetwork(this.timeline);
    this.net.onEvent = (line) => this.log(line);
    // A node stopped by the test is down, as a crashed one is: it may be restarted.
    this.net.onLeave = (name) => {
      const n = this.nodes.get(name);
      if (!n) return;
      this.log(`stopped ${name}`);
      n.up = false;
      n.drain = null;
      this.timeline.dropOwner(name);
    };
  }

  /** Adds a line to the trace: step number, simulated time, what happened. */
  log(what: string): void {
    this.trace.push(`${this.steps} @${this.timeline.now} ${what}`);
  }

  tail(): string[] {
    return this.trace.slice(-TAIL);
  }

  /** The simulated wall clock of the node running now. */
  dateNow(): number {
    return SIM_EPOCH_MS + this.timeline.now + (this.nodes.get(this.current)?.skew ?? 0);
  }

  addInvariant(name: string, check: () => boolean | void): void {
    this.invariants.push({ name, check });
  }

  /**
   * Resolves once every frame in flight has arrived (time moves for delayed ones) and nothing
   * more can happen without time passing.
   */
  quiet(): Promise<void> {
    return this.wait('quiet', this.timeline.now);
  }

  /** Resolves once simulated time reached now + `ms` and nothing more can happen at that time. */
  advance(ms: number): Promise<void> {
    return this.wait('advance', this.timeline.now + ms);
  }

  /** Resolves once `pred` holds (checked after every step); rejects with EventuallyError after `withinMs`. */
  until(name: string, pred: () => boolean, withinMs: number): Promise<void> {
    return this.wait('until', this.timeline.now + withinMs, pred, name, withinMs);
  }

  private wait(kind: Waiter['kind'], target: number, pred?: () => boolean, name?: string, withinMs?: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ kind, target, pred, name, withinMs, resolve, reject });
    });
  }

  /** True when something can happen at the current time. */
  hasReady(): boolean {
    for (const n of this.nodes.values()) if (n.drain) return true;
    return this.net.readyLinks().length > 0 || this.timeline.due().length > 0;
  }

  /**
   * Runs the simulation until `done()` (the test body finished): steps, settles, checks the
   * invariants, answers waiters, and moves time when nothing else can happen. Throws an
   * invariant's failure, or SimulationStalledError when the body waits for what cannot come.
   */
  async drive(done: () => boolean): Promise<void> {
    for (;;) {
      await settle();
      if (this.failure !== undefined) throw this.failure;
      if (done()) return;
      if (this.answerWaiters()) continue;
      if (this.steps >= this.limits.maxSteps) this.stall(`more than ${this.limits.maxSteps} steps`);
      if (this.step()) {
        this.checkInvariants();
        continue;
      }
      // Nothing can happen now: move time to the next event, or to what a waiter waits for.
      let to = minOf(this.timeline.nextAt(), this.net.nextReadyAt());
      for (const w of this.waiters) if (w.kind !== 'quiet') to = minOf(to, w.target);
      if (to === undefined)
        this.stall('the test waits, but nothing in the cluster can happen (no process to run, frame in flight or timer)');
      if (to > this.limits.maxTimeMs) this.stall(`simulated time would pass ${this.limits.maxTimeMs} ms`);
      this.timeline.now = Math.max(this.timeline.now, to);
    }
  }

  private stall(why: string): never {
    throw new SimulationStalledError(this.seed, why, this.tail());
  }

  /** Settles every waiter whose moment has come; true when one was. */
  private answerWaiters(): boolean {
    if (this.waiters.length === 0) return false;
    const ready = this.hasReady();
    let answered = false;
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      let outcome: 'resolve' | 'reject' | null = null;
      let error: unknown;
      if (w.kind === 'quiet') outcome = ready || this.net.inFlight > 0 ? null : 'resolve';
      else if (w.kind === 'advance') outcome = !ready && this.timeline.now >= w.target ? 'resolve' : null;
      else {
        try {
          if (w.pred!()) outcome = 'resolve';
          else if (!ready && this.timeline.now >= w.target) {
            outcome = 'reject';
            error = new EventuallyError(this.seed, w.name!, w.withinMs!, this.tail());
          }
        } catch (e) {
          outcome = 'reject';
          error = e;
        }
      }
      if (outcome === null) continue;
      this.waiters.splice(i--, 1);
      answered = true;
      if (outcome === 'resolve') w.resolve();
      else w.reject(error);
    }
    return answered;
  }

  private checkInvariants(): void {
    for (const inv of this.invariants) {
      let ok: boolean | void;
      try {
        ok = inv.check();
      } catch (e) {
        this.failure = new InvariantError(this.seed, inv.name, this.steps, this.tail(), e);
        return;
      }
      if (ok === false) {
        this.failure = new InvariantError(this.seed, inv.name, this.steps, this.tail());
        return;
      }
    }
  }

  /** Takes one step chosen by the generator; false when nothing can happen now. */
  step(): boolean {
    const choices: Choice[] = [];
    for (const n of this.nodes.values()) if (n.drain) choices.push({ k: 'drain', n });
    for (const l of this.net.readyLinks()) choices.push({ k: 'deliver', l });
    for (const t of this.timeline.due()) choices.push({ k: 'timer', t });
    if (choices.length === 0) return false;
    const c = this.choose(choices);
    this.steps++;
    switch (c.k) {
      case 'drain': {
        const drain = c.n.drain!;
        c.n.drain = null;
        this.current = c.n.name;
        this.log(`drain ${c.n.name}`);
        this.guard(`the drain of ${c.n.name}`, drain);
        break;
      }
      case 'deliver':
        this.current = c.l.to;
        this.log(`deliver ${this.net.deliver(c.l)}`);
        break;
      case 'timer':
        this.timeline.remove(c.t);
        this.current = c.t.owner;
        this.log(c.t.owner === '' ? c.t.label : `timer ${c.t.owner}`);
        this.guard(`a timer of ${c.t.owner || 'the simulation'}`, c.t.fn);
        break;
    }
    return true;
  }

  /**
   * Picks a step. A slow node's drain, when picked, runs only with probability 1/slowness;
   * otherwise another step is picked (it runs anyway when it is the only one): that node lags
   * behind the others, as an overloaded machine does, without time being spent on it.
   */
  private choose(choices: Choice[]): Choice {
    for (;;) {
      const i = this.prng.int(choices.length);
      const c = choices[i]!;
      if (c.k !== 'drain' || c.n.slowness <= 1 || choices.length === 1 || this.prng.int(c.n.slowness) === 0) return c;
      choices.splice(i, 1);
    }
  }

  /** Runs a callback of a step: a throw ends that callback, is traced, and the run goes on. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log(`${what} threw: ${describeValue(e)}`);
    }
  }
}

/** Lets every queued microtask run: an immediate runs only once the microtask queue is empty. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const minOf = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);
