import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { decode, encode } from '@foundation/runtime';
import { AWLWWMap, AWORSet, ReplicationEngine, type ReplicaMessage, type ReplicatedCrdt } from '@foundation/crdt';
import { ManualClock, canon } from './support.js';

/*
 * N ReplicationEngines over a simulated network that fast-check controls: messages (encoded
 * with the wire codec) wait in flight until the schedule delivers, duplicates, reorders or
 * drops them; links are cut (in-flight messages lost, both sides see nodedown) and healed
 * (nodeup). After the schedule every link heals and the network runs fairly; every replica
 * must then reach the same state, and every delta buffer must drain.
 */

type Step =
  | { t: 'write'; at: number; k: number; v: number; del: boolean }
  | { t: 'tick'; at: number }
  | { t: 'deliver'; i: number }
  | { t: 'duplicate'; i: number }
  | { t: 'drop'; i: number }
  | { t: 'cut'; a: number; b: number }
  | { t: 'heal'; a: number; b: number }
  | { t: 'clock'; at: number; ms: number };

const step = (n: number): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('write' as const), at: fc.nat(n - 1), k: fc.nat(4), v: fc.nat(50), del: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('tick' as const), at: fc.nat(n - 1) }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant('deliver' as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('duplicate' as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('cut' as const), a: fc.nat(n - 1), b: fc.nat(n - 1) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('heal' as const), a: fc.nat(n - 1), b: fc.nat(n - 1) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('clock' as const), at: fc.nat(n - 1), ms: fc.integer({ min: -30, max: 30 }) }) },
  );

interface InFlight {
  from: number;
  to: number;
  bytes: Uint8Array;
}

class SimCluster {
  readonly names: string[];
  readonly clocks: ManualClock[];
  readonly crdts: ReplicatedCrdt[];
  readonly engines: ReplicationEngine[];
  readonly links = new Set<string>();
  inFlight: InFlight[] = [];

  constructor(readonly n: number, kind: 'aworset' | 'awlwwmap') {
    this.names = Array.from({ length: n }, (_, i) => `n${i}`);
    this.clocks = this.names.map((_, i) => new ManualClock(1000 + 13 * i));
    this.crdts = this.names.map((name, i) =>
      kind === 'aworset' ? new AWORSet<number>(name) : new AWLWWMap<number, number>(name, { clock: this.clocks[i]! }),
    );
    this.engines = this.names.map(
      (name, i) =>
        new ReplicationEngine(
          'm',
          name,
          this.crdts[i]!,
          {
            send: (node, msg) => {
              const to = this.names.indexOf(node);
              if (this.linked(i, to)) this.inFlight.push({ from: i, to, bytes: encode(msg) });
            },
            nodes: () => this.names.filter((_, j) => this.linked(i, j)),
          },
          { antiEntropyTicks: 3, retransmitTicks: 4, maxBufferedDeltas: 8, hlc: { clock: this.clocks[i]! } },
        ),
    );
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) this.heal(a, b);
  }

  linked(a: number, b: number): boolean {
    return a !== b && this.links.has(a < b ? `${a}-${b}` : `${b}-${a}`);
  }

  write(at: number, k: number, v: number, del: boolean): void {
    const c = this.crdts[at]!;
    const d = c instanceof AWORSet ? (del ? c.remove(k) : c.add(k)) : del ? (c as AWLWWMap<number, number>).delete(k) : (c as AWLWWMap<number, number>).set(k, v);
    this.engines[at]!.local(d);
  }

  deliver(i: number, keep = false): void {
    if (this.inFlight.length === 0) return;
    const idx = i % this.inFlight.length;
    const m = this.inFlight[idx]!;
    if (!keep) this.inFlight.splice(idx, 1);
    if (this.linked(m.from, m.to)) this.engines[m.to]!.receive(decode(m.bytes) as ReplicaMessage);
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
    }
  }

  /** Heals everything, then runs rounds (every replica ticks, every message is delivered in order) until all agree. */
  settle(maxRounds = 40): number {
    for (let a = 0; a < this.n; a++) for (let b = a + 1; b < this.n; b++) this.heal(a, b);
    for (let round = 1; round <= maxRounds; round++) {
      for (const e of this.engines) e.tick();
      while (this.inFlight.length > 0) this.deliver(0);
      if (this.agree() && this.engines.every((e) => e.stats().buffered === 0)) return round;
    }
    return -1;
  }

  agree(): boolean {
    const first = canon(this.crdts[0]!);
    return this.crdts.every((c) => canon(c) === first);
  }
}

const schedule = (n: number) => fc.array(step(n), { minLength: 1, maxLength: 120 });

describe('replication under random delivery schedules', () => {
  test('property: convergence — N AWLWWMap replicas under delays, duplicates, reordering, drops, partitions and heals reach one state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }).chain((n) => fc.tuple(fc.constant(n), schedule(n))), ([n, steps]) => {
        const sim = new SimCluster(n, 'awlwwmap');
        for (const s of steps) sim.play(s);
        const rounds = sim.settle();
        expect(rounds, 'rounds to converge').toBeGreaterThan(0);
        // And they agree on what each key reads, not just on the state.
        const reads = sim.crdts.map((c) => JSON.stringify((c as AWLWWMap<number, number>).toArray().sort((a, b) => a[0] - b[0])));
        expect(new Set(reads).size).toBe(1);
      }),
      { numRuns: 150 },
    );
  });

  test('property: convergence — N AWORSet replicas under the same schedules reach one state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 5 }).chain((n) => fc.tuple(fc.constant(n), schedule(n))), ([n, steps]) => {
        const sim = new SimCluster(n, 'aworset');
        for (const s of steps) sim.play(s);
        expect(sim.settle()).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  test('property: every write acknowledged by all is on every replica (nothing lost with 3+ nodes)', () => {
    fc.assert(
      fc.property(schedule(4), (steps) => {
        const sim = new SimCluster(4, 'aworset');
        // Each replica adds values of its own that it never removes: all must survive.
        const own: number[][] = [[], [], [], []];
        let next = 100;
        for (const s of steps) {
          if (s.t === 'write' && !s.del) {
            const v = next++;
            own[s.at]!.push(v);
            sim.engines[s.at]!.local((sim.crdts[s.at] as AWORSet<number>).add(v));
          } else if (s.t !== 'write') sim.play(s);
        }
        expect(sim.settle()).toBeGreaterThan(0);
        for (const c of sim.crdts) for (const v of own.flat()) expect((c as AWORSet<number>).has(v)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('a replica cut off while others write catches up on heal with one state message per peer', () => {
    const sim = new SimCluster(3, 'awlwwmap');
    while (sim.inFlight.length > 0) sim.deliver(0);
    sim.cut(0, 2);
    sim.cut(1, 2);
    for (let k = 0; k < 20; k++) sim.write(k % 2, k, k, false);
    for (const e of sim.engines) e.tick();
    while (sim.inFlight.length > 0) sim.deliver(0);
    const before = sim.engines[0]!.stats().sent.state;
    expect(sim.settle()).toBeGreaterThan(0);
    expect(sim.engines[0]!.stats().sent.state - before).toBe(1);
    expect((sim.crdts[2] as AWLWWMap<number, number>).size).toBe(20);
  });

  test('a replica that missed a removal is told apart by its digest, and repaired', () => {
    const sim = new SimCluster(2, 'aworset');
    while (sim.inFlight.length > 0) sim.deliver(0);
    sim.write(0, 1, 0, false);
    sim.settle();
    sim.write(0, 1, 0, true); // the removal...
    sim.engines[0]!.tick();
    sim.inFlight = []; // ...is lost on the way, and its ack never comes
    expect((sim.crdts[0] as AWORSet<number>).context.includes(sim.crdts[1]!.context)).toBe(true);
    expect(sim.crdts[1]!.context.includes(sim.crdts[0]!.context)).toBe(false);
    expect(sim.settle()).toBeGreaterThan(0);
    expect((sim.crdts[1] as AWORSet<number>).has(1)).toBe(false);
  });

  test('delta buffers stay bounded when a peer never acknowledges, and it gets the full state instead', () => {
    const sim = new SimCluster(2, 'aworset');
    sim.engines[1]!.receive = () => {}; // a peer that swallows everything
    sim.engines[0]!.nodeUp('n1');
    sim.engines[0]!.receive({ $crdt: 'ack', name: 'm', from: 'n1', replica: 'n1', seq: 0 });
    for (let i = 0; i < 100; i++) {
      sim.write(0, i, 0, false);
      sim.engines[0]!.tick();
    }
    expect(sim.engines[0]!.stats().buffered).toBeLessThanOrEqual(8);
    expect(sim.engines[0]!.stats().sent.state).toBeGreaterThan(1);
  });
});
