import { Node, checkDuration } from '@foundation/runtime';
import { SimulatedNodeError } from './errors.js';
import type { Engine, SimNode } from './internal/engine.js';
import { checkFaults, type Fault } from './faults.js';

/**
 * A simulated cluster, handed to the body of `simulate`: its nodes, the faults it can suffer,
 * and the ways to let it run. Every fault is one the real mesh can show: within a live
 * connection frames are never lost, duplicated or reordered; frames are lost only with the
 * connection (a partition, a disconnect, a crash), and both ends see nodedown.
 */
export class Cluster {
  /** @internal */
  constructor(
    private readonly engine: Engine,
    private readonly setup: ((node: Node, cluster: Cluster) => void | Promise<void>) | undefined,
  ) {}

  /** @internal The engine, for the property helpers. */
  get $engine(): Engine {
    return this.engine;
  }

  /** The seed this run replays from. */
  get seed(): number {
    return this.engine.seed;
  }

  /** Simulated milliseconds since the run began. */
  get now(): number {
    return this.engine.timeline.now;
  }

  /** One line per step and per fault: the same seed (and body) gives the same trace, byte for byte. */
  get trace(): readonly string[] {
    return this.engine.trace;
  }

  /** The names of the nodes, in order (crashed ones included). */
  get names(): readonly string[] {
    return [...this.engine.nodes.keys()];
  }

  /** The nodes that are up, in name order. */
  get nodes(): readonly Node[] {
    const out: Node[] = [];
    for (const n of this.engine.nodes.values()) if (n.up && n.node) out.push(n.node);
    return out;
  }

  /** The current incarnation of the node `name` (the last one, if it is crashed). */
  node(name: string): Node {
    const n = this.simNode('node', name);
    if (!n.node) throw new SimulatedNodeError('node', name, 'a node that has started');
    return n.node;
  }

  /** True while the node `name` is up (neither crashed nor stopped). */
  isUp(name: string): boolean {
    return this.simNode('isUp', name).up;
  }

  /**
   * Cuts every link between nodes of different groups (`partition(['a', 'b'], ['c'])`): frames
   * in flight on them are lost and both ends see nodedown. Nodes named in no group keep their links.
   */
  partition(...groups: readonly (readonly string[])[]): void {
    const seen = new Set<string>();
    for (const g of groups) {
      if (!Array.isArray(g)) throw new SimulatedNodeError('partition', g, 'arrays of node names');
      for (const name of g as readonly string[]) {
        this.simNode('partition', name);
        if (seen.has(name)) throw new SimulatedNodeError('partition', name, 'each node in one group only');
        seen.add(name);
      }
    }
    this.engine.log(`partition ${groups.map((g) => g.join(',')).join(' | ')}`);
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) for (const a of groups[i]!) for (const b of groups[j]!) this.engine.net.cut(a, b);
    }
  }

  /** Heals every cut: the nodes that are up connect again (nodeup on both sides). */
  heal(): void {
    this.engine.log('heal');
    this.engine.net.healAll();
  }

  /**
   * Drops the connection between `a` and `b` (frames in flight lost, nodedown on both sides);
   * they reconnect `afterMs` later (default 0: at a step the generator picks), as the mesh redials.
   */
  disconnect(a: string, b: string, afterMs = 0): void {
    this.simNode('disconnect', a);
    this.simNode('disconnect', b);
    checkDuration('disconnect afterMs', afterMs);
    this.engine.log(`disconnect ${a}-${b}`);
    this.engine.net.unlinkPair(a, b, 'noconnection');
    // Not a cut: a partition between them meanwhile stays until healed.
    this.engine.timeline.add('', `reconnect ${a}-${b}`, afterMs, () => this.engine.net.linkPair(a, b));
  }

  /** Frames sent between `a` and `b` from now on arrive `ms` later (still in order); 0 ends the delay. */
  delay(a: string, b: string, ms: number): void {
    this.simNode('delay', a);
    this.simNode('delay', b);
    checkDuration('delay ms', ms);
    this.engine.log(`delay ${a}-${b} ${ms}ms`);
    this.engine.net.delay(a, b, ms);
  }

  /** Sets how far the node's clock is ahead (or, negative, behind) simulated time. */
  skew(name: string, ms: number): void {
    const n = this.simNode('skew', name);
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new SimulatedNodeError('skew', ms, 'a finite number of ms');
    this.engine.log(`skew ${name} ${ms}ms`);
    n.skew = ms;
  }

  /**
   * Makes the node `factor` times slower than the others (1: back to normal): when it and others
   * could run, its process turns are picked 1/factor as often, so it lags behind — its replies,
   * acks and timers' effects come late relative to the rest of the cluster.
   */
  slow(name: string, factor: number): void {
    const n = this.simNode('slow', name);
    if (typeof factor !== 'number' || !Number.isSafeInteger(factor) || factor < 1) {
      throw new SimulatedNodeError('slow', factor, 'an integer factor ≥ 1');
    }
    this.engine.log(`slow ${name} x${factor}`);
    n.slowness = factor;
  }

  /** The node's machine dies: nothing of it runs any more, its peers see it go ('noconnection'). */
  crash(name: string): void {
    const n = this.simNode('crash', name);
    if (!n.up) throw new SimulatedNodeError('crash', name, 'a node that is up');
    this.engine.log(`crash ${name}`);
    n.up = false;
    n.drain = null;
    this.engine.timeline.dropOwner(name);
    this.engine.net.crash(name);
  }

  /** Starts a new incarnation of a crashed (or stopped) node, and runs the `setup` given to `simulate` on it. */
  async restart(name: string): Promise<Node> {
    const n = this.simNode('restart', name);
    if (n.up) throw new SimulatedNodeError('restart', name, 'a crashed or stopped node');
    this.engine.log(`restart ${name}`);
    return this.start(n);
  }

  /**
   * Heals every cut, ends every delay, restarts every crashed node and reconnects every pair a
   * disconnect left down (without waiting for its `afterMs`): the cluster whole again.
   */
  async recover(): Promise<void> {
    this.heal();
    this.engine.net.clearDelays();
    for (const n of this.engine.nodes.values()) if (!n.up) await this.restart(n.name);
    this.engine.net.linkAll();
  }

  /**
   * Lets the cluster run until every frame in flight has arrived (time moves for delayed ones)
   * and nothing more can happen without time passing (timers due later do not fire).
   */
  runUntilQuiet(): Promise<void> {
    return this.engine.quiet();
  }

  /** Lets the cluster run for `ms` of simulated time (timers fire as they fall due). */
  advance(ms: number): Promise<void> {
    checkDuration('advance ms', ms);
    return this.engine.advance(ms);
  }

  /**
   * Applies `faults` at their times (`at`, ms from now) while the body and the cluster go on:
   * each one is a step of the simulation like any other. A fault that cannot apply (a crash
   * of a crashed node, a restart of one that is up) is skipped and traced. A malformed schedule
   * is refused at once with InvalidArgumentError naming the field.
   */
  inject(faults: readonly Fault[]): void {
    for (const f of checkFaults(faults, this.names)) {
      this.engine.timeline.add('', `fault ${f.kind}`, f.at, () => {
        this.apply(f);
      });
    }
  }

  private apply(f: Fault): void {
    const skip = (why: string) => this.engine.log(`skip ${f.kind}: ${why}`);
    switch (f.kind) {
      case 'partition':
        return this.partition(...f.groups);
      case 'heal':
        return this.heal();
      case 'disconnect':
        return this.disconnect(f.a, f.b, f.afterMs);
      case 'delay':
        return this.delay(f.a, f.b, f.ms);
      case 'skew':
        return this.skew(f.node, f.ms);
      case 'slow':
        return this.slow(f.node, f.factor);
      case 'crash':
        return this.isUp(f.node) ? this.crash(f.node) : skip(`${f.node} is down`);
      case 'restart':
        if (this.isUp(f.node)) return skip(`${f.node} is up`);
        this.restart(f.node).catch((e: unknown) => this.engine.log(`restart ${f.node} failed: ${String(e)}`));
        return;
    }
  }

  /** @internal Starts the node `n` (first start or restart) with the simulator's hooks. */
  async start(n: SimNode): Promise<Node> {
    const engine = this.engine;
    const epoch = ++n.epoch;
    // Only this incarnation, while it is up, may arm timers or ask for drains: a crashed one never runs again.
    const live = () => n.up && n.epoch === epoch;
    n.up = true;
    n.drain = null;
    const node = await Node.start({
      name: n.name,
      transport: engine.net.transport(),
      clock: engine.timeline.clockFor(n.name, () => n.skew, live),
      scheduling: {
        workPerDrain: engine.limits.workPerDrain,
        incarnation: engine.prng.int(2 ** 32) * 2 ** 16 + engine.prng.int(2 ** 16) || 1,
        schedule: (drain) => {
          if (live()) n.drain = drain;
        },
      },
    });
    n.node = node;
    if (this.setup) await this.setup(node, this);
    return node;
  }

  private simNode(op: string, name: unknown): SimNode {
    const n = typeof name === 'string' ? this.engine.nodes.get(name) : undefined;
    if (!n) throw new SimulatedNodeError(op, name, `one of the nodes ${this.names.join(', ')}`);
    return n;
  }
}
