import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Node, SimulatedClock, type DownMessage } from '@foundation/runtime';
import { Supervisor, isReachedMaxRestartIntensity, type RestartType, type Strategy } from '../src/index.js';
import { Worker, until, watch } from './helpers.js';

type Reason = 'normal' | 'shutdown' | 'crash';
/** One step: time passes, then one child (or two at once) exits; `failRestart` makes that child's next start fail once. */
interface Step {
  dt: number;
  child: number;
  reason: Reason;
  also: { child: number; reason: Reason } | null;
  failRestart: boolean;
}
interface Setup {
  strategy: Strategy;
  maxRestarts: number;
  maxSeconds: number;
  restarts: RestartType[];
  backoff: { minMs: number; maxMs: number } | null;
}

interface ModelChild {
  id: string;
  restart: RestartType;
  /** The supervisor's view: it holds a pid for this child. */
  running: boolean;
  /** The process really is alive (a child that crashed is dead before its supervisor knows). */
  alive: boolean;
  /** Bumped whenever the supervisor replaces or drops this child's pid: an EXIT from an older one is ignored. */
  gen: number;
  failNext: boolean;
  /** A restart waiting for its backoff delay: when it is due, and in which order it was scheduled. */
  pending: { at: number; seq: number } | null;
  backoff: { attempt: number; lastAt: number | null };
}

/**
 * A pure model of OTP's supervisor, written from the documented rules, not from the code:
 * restart by type; restart intensity as the restart times inside the window; the strategy's
 * group stopped one at a time, last started first (temporary members forgotten), then started
 * in order, a start that fails retried through the mailbox (each try counting against the
 * intensity); an EXIT from a pid the supervisor no longer holds ignored; with backoff, a restart
 * waits min(maxMs, minMs·2^attempt), the attempt count reset after a quiet window. It predicts
 * the exact log of terminate (`stop:id` … `end:id`) and init (`start:id`) calls.
 */
class Model {
  children: ModelChild[];
  restarts: number[] = [];
  log: string[] = [];
  gaveUp = false;
  private seq = 0;
  constructor(readonly s: Setup) {
    this.children = s.restarts.map((restart, i) => ({
      id: `c${i}`,
      restart,
      running: true,
      alive: true,
      gen: 0,
      failNext: false,
      pending: null,
      backoff: { attempt: 0, lastAt: null },
    }));
  }

  /** Time moves to `now`: due backoff restarts reach the mailbox, in deadline order, and are handled. */
  advance(now: number): void {
    const due = this.children.filter((c) => c.pending !== null && c.pending.at <= now);
    due.sort((a, b) => a.pending!.at - b.pending!.at || a.pending!.seq - b.pending!.seq);
    for (const c of due) this.retry(c, c.pending!.seq, now);
    this.drain();
  }

  /** The supervisor's mailbox: EXITs and retries, handled in arrival order. */
  private readonly mailbox: (() => void)[] = [];

  private drain(): void {
    while (this.mailbox.length > 0 && !this.gaveUp) this.mailbox.shift()!();
  }

  /** A retry message for `c`'s restart `token`: ignored if that restart was cancelled meanwhile (a group restart started it). */
  private retry(c: ModelChild, token: number, now: number): void {
    this.mailbox.push(() => {
      if (c.pending === null || c.pending.seq !== token || !this.children.includes(c)) return;
      c.pending = null;
      this.restartNow(c, now);
    });
  }

  /** Children that exit at the same moment; returns their generations, to tell stale EXITs later. */
  crash(ids: string[]): number[] {
    return ids.map((id) => {
      const c = this.find(id)!;
      c.alive = false;
      return c.gen;
    });
  }

  /** EXITs of `id`s (of generations `gens`) reach the supervisor at `now`, in this order, and it handles its mailbox. */
  exits(hits: { id: string; reason: Reason }[], gens: number[], now: number): void {
    hits.forEach((h, i) => this.mailbox.push(() => this.exit(h.id, gens[i]!, h.reason, now)));
    this.drain();
  }

  private exit(id: string, gen: number, reason: Reason, now: number): void {
    const c = this.find(id);
    if (this.gaveUp || c === undefined || c.gen !== gen || !c.running) return;
    c.running = false;
    c.gen++;
    if (c.restart === 'temporary') this.remove(c);
    if (c.restart === 'permanent' || (c.restart === 'transient' && reason === 'crash')) this.scheduleRestart(c, now);
  }

  /** The supervisor stops (given up, or its node stopping): every running child, last first. */
  stopAll(): void {
    for (const c of [...this.children].reverse()) this.stopOne(c);
  }

  private scheduleRestart(c: ModelChild, now: number): void {
    const b = this.s.backoff;
    if (b === null) return this.restartNow(c, now);
    const resetMs = this.s.maxSeconds * 1000;
    const attempt = c.backoff.lastAt !== null && now - c.backoff.lastAt >= resetMs ? 0 : c.backoff.attempt;
    c.backoff = { attempt: attempt + 1, lastAt: now };
    c.pending = { at: now + Math.min(b.maxMs, b.minMs * 2 ** attempt), seq: this.seq++ };
  }

  private restartNow(c: ModelChild, now: number): void {
    this.restarts = [now, ...this.restarts.filter((t) => t >= now - this.s.maxSeconds * 1000)];
    if (this.restarts.length > this.s.maxRestarts) {
      this.gaveUp = true;
      this.stopAll();
      return;
    }
    const i = this.children.indexOf(c);
    const group = this.s.strategy === 'one_for_one' ? [c] : this.s.strategy === 'one_for_all' ? [...this.children] : this.children.slice(i);
    for (const g of [...group].reverse()) {
      if (!g.running) continue;
      this.stopOne(g);
      if (g.restart === 'temporary') this.remove(g);
    }
    for (const g of group) {
      if (!this.children.includes(g)) continue;
      g.pending = null;
      if (g.failNext) {
        g.failNext = false;
        // OTP's try_again_restart: through the mailbox (behind what is queued), counted again; with backoff, after its delay.
        if (this.s.backoff !== null) this.scheduleRestart(g, now);
        else {
          g.pending = { at: now, seq: this.seq++ };
          this.retry(g, g.pending.seq, now);
        }
        return;
      }
      g.running = true;
      g.alive = true;
      g.gen++;
      this.log.push(`start:${g.id}`);
    }
  }

  private stopOne(c: ModelChild): void {
    if (!c.running) return;
    if (c.alive) this.log.push(`stop:${c.id}`, `end:${c.id}`);
    c.running = false;
    c.alive = false;
    c.gen++;
  }

  find(id: string): ModelChild | undefined {
    return this.children.find((x) => x.id === id);
  }

  private remove(c: ModelChild): void {
    this.children.splice(this.children.indexOf(c), 1);
  }
}

const reasonArb = fc.constantFrom<Reason>('normal', 'shutdown', 'crash');
const setupArb: fc.Arbitrary<Setup> = fc.record({
  strategy: fc.constantFrom<Strategy>('one_for_one', 'one_for_all', 'rest_for_one'),
  maxRestarts: fc.integer({ min: 0, max: 5 }),
  maxSeconds: fc.integer({ min: 1, max: 3 }),
  restarts: fc.array(fc.constantFrom<RestartType>('permanent', 'transient', 'temporary'), { minLength: 1, maxLength: 4 }),
  backoff: fc.option(fc.record({ minMs: fc.integer({ min: 1, max: 400 }), maxMs: fc.integer({ min: 400, max: 2000 }) }), { freq: 3 }),
});
const stepArb: fc.Arbitrary<Step> = fc.record({
  dt: fc.integer({ min: 0, max: 1500 }),
  child: fc.integer({ min: 0, max: 3 }),
  reason: reasonArb,
  also: fc.option(fc.record({ child: fc.integer({ min: 0, max: 3 }), reason: reasonArb }), { freq: 3 }),
  failRestart: fc.boolean(),
});

/** The log lines a step made, without the terminate lines of the children that exited by themselves in it. */
function supervisorLines(lines: string[], exited: string[]): string[] {
  const out = [...lines];
  for (const id of exited) {
    for (const tag of ['stop', 'end']) {
      const i = out.indexOf(`${tag}:${id}`);
      if (i >= 0) out.splice(i, 1);
    }
  }
  return out;
}

async function check(setup: Setup, steps: Step[]): Promise<void> {
  const node = await Node.start({ name: 'prop' });
  const clock = new SimulatedClock();
  const log: string[] = [];
  const failNext = new Set<string>();
  const args = (id: string) => ({
    id,
    log,
    trap: true,
    // Async terminate, but no timer: two children told to stop together exit in one macrotask,
    // so their EXITs reach the supervisor together, as the model has them (with a timer each,
    // the supervisor may run between the two timer callbacks).
    asyncTerminate: true,
    logEnd: true,
    failInit: () => (failNext.delete(id) ? `${id} fails to start once` : undefined),
  });
  const sup = await Supervisor.start(node, {
    strategy: setup.strategy,
    maxRestarts: setup.maxRestarts,
    maxSeconds: setup.maxSeconds,
    clock,
    ...(setup.backoff ? { backoff: setup.backoff } : {}),
    children: setup.restarts.map((restart, i) => ({ id: `c${i}`, restart, start: [Worker, args(`c${i}`)] as const })),
  });
  const model = new Model(setup);
  model.log.push(...log);
  const inbox = node.inbox();
  const supDown = watch(inbox, sup.pid, 60_000);
  let gaveUp: DownMessage | null = null;
  void supDown.then(
    (d) => (gaveUp = d),
    () => {},
  );
  /** Waits until the real log is as long as the model's, then compares what the supervisor did. */
  // Lines of the real log already compared, and of the model's.
  let seen = log.length;
  let seenModel = model.log.length;
  const settle = async (exited: string[]) => {
    const want = seen + model.log.length - seenModel + exited.length * 2;
    await until(() => (log.length >= want && (!model.gaveUp || gaveUp !== null) ? true : undefined), 5000).catch(() => {});
    expect(supervisorLines(log.slice(seen), exited)).toEqual(model.log.slice(seenModel));
    seen = log.length;
    seenModel = model.log.length;
  };
  try {
    for (const step of steps) {
      clock.advance(step.dt);
      model.advance(clock.now());
      await settle([]);
      if (model.gaveUp) break;
      const kids = await sup.whichChildren();
      const pidOf = (n: number) => kids.find((k) => k.id === `c${n}` && k.pid !== null);
      const first = pidOf(step.child);
      if (!first) continue; // not running (or gone): nothing to stop, in the model either
      const second = step.also && step.also.child !== step.child ? pidOf(step.also.child) : undefined;
      const hits = [
        { id: first.id!, pid: first.pid!, reason: step.reason },
        ...(second ? [{ id: second.id!, pid: second.pid!, reason: step.also!.reason }] : []),
      ];
      if (step.failRestart) {
        failNext.add(first.id!);
        model.find(first.id!)!.failNext = true;
      }
      const gens = model.crash(hits.map((h) => h.id));
      const downs = hits.map((h) => watch(inbox, h.pid));
      for (const h of hits) node.cast(h.pid, h.reason === 'crash' ? { crash: 'boom' } : { stop: h.reason });
      await Promise.all(downs);
      model.exits(hits, gens, clock.now());
      await settle(hits.map((h) => h.id));
      if (model.gaveUp) break;
      // What whichChildren shows once the supervisor is quiet (a call queues behind the restarts).
      await sup.countChildren();
      const now = await sup.whichChildren();
      expect(now.map((k) => [k.id, k.pid !== null])).toEqual(model.children.map((c) => [c.id, c.running]));
    }
    if (model.gaveUp) {
      const { reason } = await supDown;
      expect(isReachedMaxRestartIntensity(reason)).toBe(true);
      return;
    }
  } finally {
    await node.stop();
  }
  // Stopping the node stops the supervisor, which stops its children one by one, last started first.
  model.stopAll();
  expect(log.slice(seen)).toEqual(model.log.slice(seenModel));
}

describe('Supervisor against a reference model of OTP', () => {
  test('random exit schedules (with concurrent exits, failing restarts and backoff): the same stops and starts, in the same order, and it gives up at the same exit', async () => {
    await fc.assert(fc.asyncProperty(setupArb, fc.array(stepArb, { maxLength: 16 }), check), {
      numRuns: 200,
      interruptAfterTimeLimit: 40_000,
      markInterruptAsFailure: true,
    });
    // Past the 40 s limit, so a slow machine fails with fast-check's interrupt, not vitest's timeout.
  }, 60_000);
});
