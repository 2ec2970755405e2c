import fc from 'fast-check';
import { decode, encode } from '@foundation/runtime';
import { AWLWWMap, AWORSet, ReplicationEngine, replicaId, type ReplicatedCrdt, type ReplicationOptions } from '@foundation/crdt';
import { ManualClock, canon } from './support.js';
import { ObservedRemoveModel } from './model.js';

/*
 * N ReplicationEngines over a simulated network that fast-check controls: messages (encoded
 * with the wire codec) wait in flight until the schedule delivers, duplicates, reorders or
 * drops them; links are cut (in-flight messages lost, both sides see nodedown) and healed
 * (nodeup); a node restarts (its replica says farewell, then a new replica with a new id takes
 * its place). An oracle joins every delta ever made: the state one replica that saw every
 * event would have — the state the cluster must end at — and `model` (./model.ts) says, apart
 * from the code's own join and compare, which writes that state must hold and what each key reads.
 */

export type Step =
  | { t: 'write'; at: number; k: number; v: number; del: boolean }
  | { t: 'tick'; at: number }
  | { t: 'deliver'; i: number }
  | { t: 'duplicate'; i: number }
  | { t: 'drop'; i: number }
  | { t: 'cut'; a: number; b: number }
  | { t: 'heal'; a: number; b: number }
  | { t: 'clock'; at: number; ms: number }
  | { t: 'restart'; at: number }
  | { t: 'round' };

export const step = (n: number, restarts = false): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ t: fc.constant('write' as const), at: fc.nat(n - 1), k: fc.nat(4), v: fc.nat(50), del: fc.boolean() }),
    },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('tick' as const), at: fc.nat(n - 1) }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant('deliver' as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('duplicate' as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('cut' as const), a: fc.nat(n - 1), b: fc.nat(n - 1) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('heal' as const), a: fc.nat(n - 1), b: fc.nat(n - 1) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('clock' as const), at: fc.nat(n - 1), ms: fc.integer({ min: -30, max: 30 }) }) },
    // With restarts, also whole rounds: enough anti-entropy for pruning to complete while some links are still cut.
    { weight: restarts ? 2 : 0, arbitrary: fc.record({ t: fc.constant('restart' as const), at: fc.nat(n - 1) }) },
    { weight: restarts ? 2 : 0, arbitrary: fc.record({ t: fc.constant('round' as const) }) },
  );

/**
 * A schedule of up to 120 steps. fast-check's default size keeps arrays short (a handful of
 * steps, whatever maxLength says): `size: 'max'` draws lengths up to 120, where partitions,
 * concurrent writes and removals that missed some of them meet.
 */
export const schedule = (n: number, restarts = false, size: fc.SizeForArbitrary = 'small') =>
  fc.array(step(n, restarts), { minLength: 1, maxLength: 120, size });

/**
 * A schedule with a laggard: some steps, then one node cut off from all the others while they
 * go on (writing, removing, restarting, pruning), then every link healed, then more steps.
 * What pruning has to get right happens when the laggard's old state comes back.
 */
export const laggardSchedule = (n: number): fc.Arbitrary<Step[]> =>
  fc
    .tuple(
      fc.array(step(n, true), { maxLength: 40 }),
      fc.nat(n - 1),
      fc.array(
        step(n, true).filter((s) => s.t !== 'cut' && s.t !== 'heal'),
        { minLength: 1, maxLength: 80 },
      ),
      fc.array(step(n, true), { maxLength: 40 }),
    )
    .map(([before, lag, during, after]) => {
      const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== lag);
      return [
        ...before,
        ...others.map((j): Step => ({ t: 'cut', a: lag, b: j })),
        ...during.filter((s) => !('at' in s) || s.at !== lag),
        ...others.map((j): Step => ({ t: 'heal', a: lag, b: j })),
        ...after,
      ];
    });

interface InFlight {
  from: number;
  to: number;
  bytes: Uint8Array;
}

/** Options of a SimCluster: replica ids of the `node.incarnation.id` form (so restarts retire), and engine tuning. */
export interface SimOptions {
  /** Replica ids `n<i>.<start>.1` (pruning reads the node out of them); default: the node name. */
  nodeFormIds?: boolean;
  engine?: ReplicationOptions;
}

export class SimCluster {
  readonly names: string[];
  readonly clocks: ManualClock[];
  readonly crdts: ReplicatedCrdt[];
  readonly engines: ReplicationEngine[];
  readonly links = new Set<string>();
  readonly starts: number[];
  /** The join of every delta made anywhere. */
  readonly oracle: ReplicatedCrdt;
  /** Every write and removal, with what its replica had seen: the sequential model of the reads. */
  readonly model = new ObservedRemoveModel();
  /** Warnings the engines logged. */
  readonly warnings: string[] = [];
  inFlight: InFlight[] = [];

  constructor(
    readonly n: number,
    readonly kind: 'aworset' | 'awlwwmap',
    private readonly opts: SimOptions = {},
  ) {
    this.names = Array.from({ length: n }, (_, i) => `n${i}`);
    this.clocks = this.names.map((_, i) => new ManualClock(1000 + 13 * i));
    this.starts = this.names.map(() => 1);
    this.crdts = this.names.map((_, i) => this.newCrdt(i));
    this.engines = this.names.map((_, i) => this.newEngine(i));
    this.oracle = kind === 'aworset' ? new AWORSet<number>('oracle') : new AWLWWMap<number, number>('oracle', { maxOffsetMs: Infinity });
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) this.heal(a, b);
  }

  replicaOf(i: number): string {
    return this.opts.nodeFormIds ? replicaId(this.names[i]!, this.starts[i]!, 1) : this.names[i]!;
  }

  private newCrdt(i: number): ReplicatedCrdt {
    return this.kind === 'aworset'
      ? new AWORSet<number>(this.replicaOf(i))
      : new AWLWWMap<number, number>(this.replicaOf(i), { clock: this.clocks[i]! });
  }

  private newEngine(i: number): ReplicationEngine {
    return new ReplicationEngine(
      'm',
      this.names[i]!,
      this.crdts[i]!,
      {
        send: (node, msg) => {
          const to = this.names.indexOf(node);
          if (this.linked(i, to)) this.inFlight.push({ from: i, to, bytes: encode(msg) });
        },
        nodes: () => this.names.filter((_, j) => this.linked(i, j)),
      },
      {
        antiEntropyTicks: 3,
        retransmitTicks: 4,
        maxBufferedDeltas: 8,
        hlc: { clock: this.clocks[i]! },
        log: (m) => this.warnings.push(m),
        ...this.opts.engine,
      },
    );
  }

  linked(a: number, b: number): boolean {
    return a !== b && this.links.has(a < b ? `${a}-${b}` : `${b}-${a}`);
  }

  write(at: number, k: number, v: number, del: boolean): void {
    const c = this.crdts[at]!;
    const d = this.model.apply(c, k, del, () =>
      c instanceof AWORSet
        ? del
          ? c.remove(k)
          : c.add(k)
        : del
          ? (c as AWLWWMap<number, number>).delete(k)
          : (c as AWLWWMap<number, number>).set(k, v),
    );
    (this.oracle as { join(o: unknown): unknown }).join(d);
    this.engines[at]!.local(d);
  }

  deliver(i: number, keep = false): void {
    if (this.inFlight.length === 0) return;
    const idx = i % this.inFlight.length;
    const m = this.inFlight[idx]!;
    if (!keep) this.inFlight.splice(idx, 1);
    if (this.linked(m.from, m.to)) this.engines[m.to]!.receive(decode(m.bytes));
  }

  cut(a: number, b: number): void {
    if (!this.linked(a, b)) return;
    this.links.delete(a < b ? `${a}-${b}` : `${b}-${a}`);
    this.inFlight = this.inFlight.filter((m) => !((m.from === a && m.to === b) || (m.from === b && m.to === a)));
    this.engines[a]!.nodeDown(this.names[b]!);
    this.engines[b]!.nodeDown(this.names[a]!);
  }

  heal(a: number, b: number): void {
    if (a === b || this.linked(a, b)) return;
    this.links.add(a < b ? `${a}-${b}` : `${b}-${a}`);
    this.engines[a]!.nodeUp(this.names[b]!);
    this.engines[b]!.nodeUp(this.names[a]!);
  }

  /**
   * Node `at` stops and starts again: its replica ships its state to the connected nodes (so
   * its writes live on if any is connected), its links drop, a new replica with a new id starts
   * empty, and the links come back. A node connected to none loses what it alone had: the
   * oracle then cannot be the model, so such a restart is skipped.
   */
  restart(at: number): void {
    const peers = this.names.map((_, j) => j).filter((j) => this.linked(at, j));
    if (peers.length === 0) return;
    this.engines[at]!.farewell();
    for (const m of this.inFlight.filter((x) => x.from === at)) this.engines[m.to]!.receive(decode(m.bytes));
    this.inFlight = this.inFlight.filter((x) => x.from !== at);
    for (const j of peers) this.cut(at, j);
    this.starts[at]!++;
    this.crdts[at] = this.newCrdt(at);
    this.engines[at] = this.newEngine(at);
    for (const j of peers) this.heal(at, j);
  }

  play(s: Step): void {
    switch (s.t) {
      case 'write':
        return this.write(s.at, s.k, s.v, s.del);
      case 'tick':
        return this.engines[s.at]!.tick();
      case 'deliver':
        return this.deliver(s.i);
      case 'duplicate':
        return this.deliver(s.i, true);
      case 'drop':
        if (this.inFlight.length > 0) this.inFlight.splice(s.i % this.inFlight.length, 1);
        return;
      case 'cut':
        return this.cut(s.a, s.b);
      case 'heal':
        return this.heal(s.a, s.b);
      case 'clock':
        this.clocks[s.at]!.t = Math.max(0, this.clocks[s.at]!.t + s.ms);
        return;
      case 'restart':
        return this.restart(s.at);
      case 'round':
        return this.round();
    }
  }

  /** One fair round: every replica ticks, every message is delivered in order. */
  round(): void {
    for (const e of this.engines) e.tick();
    while (this.inFlight.length > 0) this.deliver(0);
  }

  /** Heals everything, then runs rounds until all agree (and, with `also`, until it holds too); the rounds it took, or -1. */
  settle(maxRounds = 40, also: () => boolean = () => true): number {
    for (let a = 0; a < this.n; a++) for (let b = a + 1; b < this.n; b++) this.heal(a, b);
    for (let round = 1; round <= maxRounds; round++) {
      this.round();
      if (this.agree() && this.engines.every((e) => e.stats().buffered === 0) && also()) return round;
    }
    return -1;
  }

  agree(): boolean {
    const first = canon(this.crdts[0]!);
    return this.crdts.every((c) => canon(c) === first);
  }
}

/** The live dots of a state with their payloads, canonically: what the replicas and the oracle must share. */
export const storeOf = (c: ReplicatedCrdt): string => canon({ toWire: () => c.toWire().entries });

/** The live dots of a state, as `replica:counter` strings. */
export function liveDots(c: ReplicatedCrdt): Set<string> {
  const out = new Set<string>();
  for (const [, dots] of c.toWire().entries) for (const [r, n] of dots) out.add(`${r}:${n}`);
  return out;
}
