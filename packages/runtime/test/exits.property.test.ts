import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Actor, Node, isDown, isExit, type Inbox, type Pid, type Ref } from '@foundation/runtime';
import { until } from './support.js';

/*
 * Links, monitors and exit signals over random process trees, checked against a small pure
 * model of OTP's rules.
 *
 * Schedule: one crash at a time, each followed by quiescence (nothing runnable, nothing
 * suspended or terminating) before the next, so the outcome is deterministic. Within one
 * crash's cascade the order of signals does not matter: links only join a child and its
 * parent, so the links form a forest and every process is reached by at most one signal of
 * a cascade (a dead process's signal back to the one that killed it finds it dead).
 */

/** One actor of the forest. `parent` is an earlier actor's index, or -1 for the node. */
interface Spec {
  parent: number;
  linked: boolean;
  trap: boolean;
  asyncTerminate: boolean;
}

interface Ctl {
  specs: Spec[];
  children: number[][];
  pids: (Pid | undefined)[];
  observer: Pid;
}

/** The EXIT a trapping member forwards to the observer. */
interface Forward {
  fwd: number;
  from: Pid;
  reason: unknown;
}

/** A member of the forest: spawns its children in init, forwards trapped EXITs, crashes on command. */
class Member extends Actor<unknown, string, { id: number; ctl: Ctl }> {
  private id = -1;
  private ctl!: Ctl;

  override init({ id, ctl }: { id: number; ctl: Ctl }): void {
    this.id = id;
    this.ctl = ctl;
    ctl.pids[id] = this.self;
    for (const c of ctl.children[id]!) {
      const s = ctl.specs[c]!;
      this.spawn(Member, { id: c, ctl }, { link: s.linked, trapExit: s.trap });
    }
  }

  override handleCall(): string {
    return 'pong';
  }

  override handleInfo(msg: unknown): void {
    if (isExit(msg)) {
      const fwd: Forward = { fwd: this.id, from: msg.from, reason: msg.reason };
      this.send(this.ctl.observer, fwd);
      return;
    }
    if (typeof msg === 'object' && msg !== null && 'crash' in msg) {
      const reason = msg.crash;
      if (reason instanceof Error) throw reason;
      this.stop(reason);
    }
  }

  override terminate(): void | Promise<void> {
    if (this.ctl.specs[this.id]!.asyncTerminate) return new Promise<void>((r) => setImmediate(r));
  }
}

type Sender = { t: 'actor'; id: number } | { t: 'observer' } | { t: 'node' };

/** OTP's rules on a forest of processes: who dies with which reason, who gets an EXIT instead. */
class Model {
  readonly alive: boolean[];
  readonly reason: unknown[];
  /** Link partners; 'node' for a top-level actor linked to the node. */
  readonly links: Set<number | 'node'>[];
  /** Deaths and forwarded EXITs of the current step. */
  deaths: number[] = [];
  forwards: { at: number; from: Sender; reason: unknown }[] = [];
  private queue: [to: number, from: number, reason: unknown][] = [];

  constructor(private readonly specs: Spec[]) {
    this.alive = specs.map(() => true);
    this.reason = specs.map(() => undefined);
    this.links = specs.map(() => new Set());
    specs.forEach((s, i) => {
      if (!s.linked) return;
      if (s.parent < 0) this.links[i]!.add('node');
      else {
        this.links[i]!.add(s.parent);
        this.links[s.parent]!.add(i);
      }
    });
  }

  beginStep(): void {
    this.deaths = [];
    this.forwards = [];
  }

  /** The actor ends itself: `stop(reason)` or a throw. */
  selfExit(i: number, reason: unknown): void {
    this.die(i, reason);
    this.cascade();
  }

  /** `exit(pid, reason)` sent by the observer inbox or by the node (the parent of top-level actors). */
  exitSignal(i: number, by: 'observer' | 'node', reason: unknown): void {
    if (!this.alive[i]) return;
    if (reason === 'kill') this.die(i, 'killed');
    else if (this.specs[i]!.trap) {
      if (by === 'node' && this.specs[i]!.parent < 0)
        this.die(i, reason); // from its parent: terminate
      else this.forwards.push({ at: i, from: { t: by }, reason });
    } else if (reason !== 'normal') this.die(i, reason);
    this.cascade();
  }

  private die(i: number, reason: unknown): void {
    if (!this.alive[i]) return;
    this.alive[i] = false;
    this.reason[i] = reason;
    this.deaths.push(i);
    for (const other of this.links[i]!) {
      if (other === 'node') continue;
      this.links[other]!.delete(i);
      this.queue.push([other, i, reason]);
    }
    this.links[i]!.clear();
  }

  /** Delivers the link exit signals of this step's deaths until none are left. */
  private cascade(): void {
    while (this.queue.length > 0) {
      const [to, from, reason] = this.queue.shift()!;
      if (!this.alive[to]) continue;
      const s = this.specs[to]!;
      if (s.trap) {
        if (s.parent === from)
          this.die(to, reason); // gen_server: EXIT from the parent ends it, any reason
        else this.forwards.push({ at: to, from: { t: 'actor', id: from }, reason });
      } else if (reason !== 'normal') {
        this.die(to, reason);
      }
    }
  }
}

type ReasonSpec = 'normal' | 'shutdown' | { shutdown: string } | 'error';
type Step =
  | { t: 'self'; target: number; reason: ReasonSpec }
  | { t: 'exit'; target: number; by: 'observer' | 'node'; reason: ReasonSpec | 'kill' }
  | { t: 'monitor'; target: number; demonitor: boolean };

const reasonArb: fc.Arbitrary<ReasonSpec> = fc.oneof(
  fc.constant<ReasonSpec>('normal'),
  fc.constant<ReasonSpec>('shutdown'),
  fc.string({ maxLength: 3 }).map((x): ReasonSpec => ({ shutdown: x })),
  fc.constant<ReasonSpec>('error'),
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('self' as const), target: fc.nat(), reason: reasonArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('exit' as const),
      target: fc.nat(),
      by: fc.constantFrom('observer' as const, 'node' as const),
      reason: fc.oneof(reasonArb, fc.constant('kill' as const)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('monitor' as const), target: fc.nat(), demonitor: fc.boolean() }) },
);

const forestArb: fc.Arbitrary<Spec[]> = fc
  .array(
    fc.record({
      parentPick: fc.nat(),
      linked: fc.nat(3).map((x) => x > 0),
      trap: fc.nat(2).map((x) => x === 0),
      asyncTerminate: fc.boolean(),
    }),
    { minLength: 1, maxLength: 10 },
  )
  .map((xs) => xs.map(({ parentPick, ...rest }, i) => ({ ...rest, parent: (parentPick % (i + 1)) - 1 })));

/** Nothing runnable, and every process waiting (none running, suspended, terminating or initializing). */
async function quiet(node: Node): Promise<boolean> {
  if (node.stats().runQueue !== 0) return false;
  const infos = await Promise.all((await node.processes()).map((p) => node.processInfo(p)));
  return infos.every((i) => i?.status === 'waiting');
}

/** Everything queued in an inbox now. */
async function drain(inbox: Inbox): Promise<unknown[]> {
  const out: unknown[] = [];
  while (inbox.pending > 0) out.push(await inbox.receive());
  return out;
}

const byKey = <T extends { key: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** Spawns the forest (each child by its parent, in the parent's init) and waits until every init ran. */
async function startForest(node: Node, specs: Spec[], observer: Inbox): Promise<Pid[]> {
  const children: number[][] = specs.map(() => []);
  specs.forEach((s, i) => s.parent >= 0 && children[s.parent]!.push(i));
  const ctl: Ctl = { specs, children, pids: [], observer: observer.self };
  specs.forEach((s, i) => {
    if (s.parent < 0) node.spawn(Member, { id: i, ctl }, { link: s.linked, trapExit: s.trap });
  });
  await until(() => quiet(node), 'the forest to start');
  const pids = ctl.pids as Pid[];
  expect(pids.filter(Boolean)).toHaveLength(specs.length);
  return pids;
}

/** The DOWNs queued in `inbox`, as comparable records. */
async function drainDowns(inbox: Inbox): Promise<{ key: string; pid: string; reason: unknown }[]> {
  return (await drain(inbox)).map((d) => {
    if (!isDown(d)) throw new Error(`not a DOWN: ${String(d)}`);
    return { key: d.ref.key, pid: d.pid.key, reason: d.reason };
  });
}

async function runCase(specs: Spec[], initialMonitors: { target: number; demonitor: boolean }[], steps: Step[]): Promise<void> {
  const n = specs.length;
  const node = await Node.start({ name: 'exits', shutdownTimeoutMs: 20 });
  try {
    const observer = node.inbox(); // sends exit signals, receives forwarded EXITs
    const truth = node.inbox(); // one monitor on every actor: who died, with which reason
    const watcher = node.inbox(); // the random monitors
    const pids = await startForest(node, specs, observer);
    const model = new Model(specs);
    const truthRefs = pids.map((p) => truth.monitor(p));
    /** Active random monitors: ref -> actor index. */
    const watches = new Map<string, { ref: Ref; target: number }>();
    /** Places a monitor; `demonitor` cancels it at once (then no DOWN may arrive, unless it already fired). */
    const watch = (target: number, demonitor: boolean): Ref => {
      const ref = watcher.monitor(pids[target]!);
      if (demonitor) watcher.demonitor(ref);
      else watches.set(ref.key, { ref, target });
      return ref;
    };
    for (const m of initialMonitors) watch(m.target % n, m.demonitor);

    const senderKey = (s: Sender): string => (s.t === 'actor' ? pids[s.id]!.key : s.t === 'observer' ? observer.self.key : node.self.key);

    for (const [si, step] of steps.entries()) {
      model.beginStep();
      const i = step.target % n;
      const noprocDowns: { key: string; pid: string; reason: unknown }[] = [];
      const reason = (r: ReasonSpec | 'kill'): unknown => (r === 'error' ? new Error(`crash ${si}`) : typeof r === 'object' ? { ...r } : r);
      if (step.t === 'self') {
        const r = reason(step.reason);
        if (model.alive[i]) model.selfExit(i, r);
        observer.send(pids[i]!, { crash: r });
      } else if (step.t === 'exit') {
        const r = reason(step.reason);
        model.exitSignal(i, step.by, r);
        if (step.by === 'observer') observer.exit(pids[i]!, r);
        else node.exit(pids[i]!, r);
      } else {
        const ref = watch(i, step.demonitor);
        // A monitor on a dead process fires at once with 'noproc' (before a demonitor could cancel it).
        if (!model.alive[i]) {
          noprocDowns.push({ key: ref.key, pid: pids[i]!.key, reason: 'noproc' });
          watches.delete(ref.key);
        }
      }
      await until(() => quiet(node), `quiescence after step ${si}`);

      const ctx = `step ${si} (${JSON.stringify(step)})`;
      // Exactly one DOWN per death, with the model's reason, on the monitor every actor has.
      const downs = await drainDowns(truth);
      const expectedDowns = model.deaths.map((d) => ({ key: truthRefs[d]!.key, pid: pids[d]!.key, reason: model.reason[d] }));
      expect(byKey(downs), `${ctx}: DOWNs`).toEqual(byKey(expectedDowns));

      // The random monitors: one DOWN each for the ones on processes that died now, none for the rest.
      const watchDowns = await drainDowns(watcher);
      const expectedWatchDowns = [...noprocDowns];
      for (const w of [...watches.values()]) {
        if (!model.alive[w.target]) {
          expectedWatchDowns.push({ key: w.ref.key, pid: pids[w.target]!.key, reason: model.reason[w.target] });
          watches.delete(w.ref.key);
        }
      }
      expect(byKey(watchDowns), `${ctx}: monitor DOWNs`).toEqual(byKey(expectedWatchDowns));

      // Trapping survivors got { from, reason } instead of dying.
      const fwds = (await drain(observer)).map((m) => {
        const f = m as Forward;
        return { key: `${f.fwd}|${f.from.key}`, reason: f.reason };
      });
      const expectedFwds = model.forwards.map((f) => ({ key: `${f.at}|${senderKey(f.from)}`, reason: f.reason }));
      expect(byKey(fwds), `${ctx}: forwarded EXITs`).toEqual(byKey(expectedFwds));

      // Who is alive, and the links that are left.
      for (let a = 0; a < n; a++) {
        const info = await node.processInfo(pids[a]!);
        expect(info !== undefined, `${ctx}: actor ${a} alive`).toBe(model.alive[a]);
        if (info) {
          const links = info.links.map((p) => p.key).sort();
          const expected = [...model.links[a]!].map((l) => (l === 'node' ? node.self.key : pids[l]!.key)).sort();
          expect(links, `${ctx}: links of actor ${a}`).toEqual(expected);
        }
      }
    }
    // The survivors still answer.
    for (let a = 0; a < n; a++) if (model.alive[a]) expect(await observer.call(pids[a]!, 'ping', 2000)).toBe('pong');
  } finally {
    await node.stop();
  }
}

/**
 * Many `exit(pid, 'kill')` at once, so their cascades race. Every reason that then travels is
 * `'killed'`, and a process dies exactly when it is killed, linked without trapping to one that
 * dies, or trapping and linked to a parent that dies: a closure that does not depend on the
 * order signals arrive in. A trapping process that survives gets one EXIT per linked
 * neighbour that died; one that dies too may have forwarded some of those before it died.
 */
async function runKillAll(specs: Spec[], targets: { target: number; by: 'observer' | 'node' }[]): Promise<void> {
  const n = specs.length;
  const node = await Node.start({ name: 'kills', shutdownTimeoutMs: 20 });
  try {
    const observer = node.inbox();
    const truth = node.inbox();
    const pids = await startForest(node, specs, observer);
    const model = new Model(specs);
    const linksBefore = model.links.map((l) => new Set(l));
    const truthRefs = pids.map((p) => truth.monitor(p));
    for (const t of targets) model.exitSignal(t.target % n, t.by, 'kill');
    for (const t of targets) (t.by === 'observer' ? observer : node).exit(pids[t.target % n]!, 'kill');
    await until(() => quiet(node), 'quiescence after the kills');

    const expectedDowns = model.deaths.map((d) => ({ key: truthRefs[d]!.key, pid: pids[d]!.key, reason: 'killed' }));
    expect(byKey(await drainDowns(truth)), 'DOWNs').toEqual(byKey(expectedDowns));
    for (let a = 0; a < n; a++) expect((await node.processInfo(pids[a]!)) !== undefined, `actor ${a} alive`).toBe(model.alive[a]);

    const index = new Map(pids.map((p, a) => [p.key, a]));
    const fwds = (await drain(observer)).map((m) => m as Forward);
    for (const f of fwds) expect(f.reason).toBe('killed');
    for (let a = 0; a < n; a++) {
      const got = fwds
        .filter((f) => f.fwd === a)
        .map((f) => index.get(f.from.key)!)
        .sort();
      // Non-parent link partners that died: the EXITs `a` may get.
      const possible = [...linksBefore[a]!].filter((l): l is number => l !== 'node' && l !== specs[a]!.parent && !model.alive[l]).sort();
      if (!specs[a]!.trap) expect(got, `EXITs at non-trapping actor ${a}`).toEqual([]);
      else if (model.alive[a]) expect(got, `EXITs at surviving actor ${a}`).toEqual(possible);
      else {
        expect(new Set(got).size, `EXITs at dying actor ${a} are not repeated`).toBe(got.length);
        for (const g of got) expect(possible, `EXIT at dying actor ${a}`).toContain(g);
      }
    }
  } finally {
    await node.stop();
  }
}

describe('exit signals over random process trees', () => {
  it('deaths, EXIT messages, DOWNs and remaining links follow OTP rules (one crash at a time)', async () => {
    await fc.assert(
      fc.asyncProperty(
        forestArb,
        fc.array(fc.record({ target: fc.nat(), demonitor: fc.nat(3).map((x) => x === 0) }), { maxLength: 8 }),
        fc.array(stepArb, { minLength: 1, maxLength: 8 }),
        runCase,
      ),
      { numRuns: 200, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });

  it("simultaneous kills: the same deaths whatever order the cascades interleave in, all 'killed'", async () => {
    await fc.assert(
      fc.asyncProperty(
        forestArb,
        fc.array(fc.record({ target: fc.nat(), by: fc.constantFrom('observer' as const, 'node' as const) }), {
          minLength: 1,
          maxLength: 4,
        }),
        runKillAll,
      ),
      { numRuns: 200, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
