import { isPid, type Node, type Pid, type RemoteName } from '@foundation/runtime';
import { _, type DistributedRegistry } from '@foundation/registry';
import { FoundationOptionError, NoHealthyInstanceError } from './errors.js';

/** How a call to `{ service }` picks among instances. */
export type Routing = 'load_balanced' | 'broadcast' | 'closest';

/** Picks the instances whose capabilities fit. */
export type ServiceFilter = (capabilities: Readonly<Record<string, unknown>>) => boolean;

const ROUTINGS: readonly Routing[] = ['load_balanced', 'broadcast', 'closest'];
/** A local instance with more queued messages than this is skipped as unhealthy. */
export const MAILBOX_BOUND = 1000;
/** The newest call's weight in a node's moving average of call times. */
const LATENCY_WEIGHT = 0.3;

/**
 * The service mesh: instances of named services with capabilities, in a cluster-wide
 * duplicate-key registry, and routing over them — least in-flight calls from this node,
 * every instance, or the closest: this node first, then the node whose calls from here have
 * answered fastest (a moving average of the calls this mesh routed; a node not called yet
 * comes before the measured ones, by name, so each is tried once). Unhealthy instances are
 * skipped: on a node not connected, or (on this node) with a mailbox over MAILBOX_BOUND or
 * not alive.
 */
export class ServiceMesh {
  private readonly inFlight = new Map<string, number>();
  /** Node → moving average of the time its calls took from here, in ms (success or failure). */
  private readonly latency = new Map<string, number>();

  constructor(
    private readonly node: Node,
    private readonly table: DistributedRegistry<string, Record<string, unknown>>,
  ) {}

  /** Registers local `pid` under `name` with `capabilities` (replicated to every node). */
  register(name: string, pid: Pid, capabilities: Record<string, unknown>): Promise<void> {
    if (typeof name !== 'string' || name.length === 0) throw new FoundationOptionError('registerService name', 'a non-empty string', name);
    if (!isPid(pid)) throw new FoundationOptionError('registerService pid', 'a Pid', pid);
    if (typeof capabilities !== 'object' || capabilities === null || Array.isArray(capabilities))
      throw new FoundationOptionError('registerService capabilities', 'a plain object', capabilities);
    return this.table.register(name, pid, capabilities);
  }

  has(name: string): boolean {
    return this.table.lookup(name).length > 0;
  }

  /** Names with at least one instance. */
  names(): string[] {
    return [...new Set(this.table.select(_).map((e) => e.key))];
  }

  nodesOf(name: string): string[] {
    return [...new Set(this.table.lookup(name).map((e) => e.pid.node))];
  }

  private async healthy(pid: Pid): Promise<boolean> {
    if (pid.node !== this.node.name) return this.node.nodes().includes(pid.node);
    const info = await this.node.processInfo(pid);
    return info !== undefined && info.mailboxLength <= MAILBOX_BOUND;
  }

  /**
   * The instances a call with `routing` goes to; NoHealthyInstanceError when none fits. A
   * load_balanced pick is counted in flight from the moment it is made: the caller releases it.
   */
  async pick(name: string, routing: Routing, filter: ServiceFilter | undefined): Promise<Pid[]> {
    if (!ROUTINGS.includes(routing)) throw new FoundationOptionError('routing', ROUTINGS.join(', '), routing);
    if (filter !== undefined && typeof filter !== 'function')
      throw new FoundationOptionError('filter', 'a function of the capabilities', filter);
    const all = this.table.lookup(name);
    const fits = all.filter((e) => filter === undefined || filter(e.value));
    const ok = await Promise.all(fits.map((e) => this.healthy(e.pid)));
    const fit = fits.filter((_, i) => ok[i]).map((e) => e.pid);
    if (fit.length === 0) throw new NoHealthyInstanceError(name, all.length);
    if (routing === 'broadcast') return fit;
    const self = this.node.name;
    const here = (a: Pid, b: Pid) => Number(b.node === self) - Number(a.node === self);
    const order = (a: Pid, b: Pid) => here(a, b) || a.node.localeCompare(b.node);
    if (routing === 'closest') {
      const ms = (p: Pid) => this.latency.get(p.node) ?? -1; // not measured yet: tried first
      return [fit.sort((a, b) => here(a, b) || ms(a) - ms(b) || order(a, b))[0]!];
    }
    // Least in-flight; ties go to the closest, then round the ring by pid for spread.
    const load = (p: Pid) => this.inFlight.get(p.toString()) ?? 0;
    const chosen = fit.sort((a, b) => load(a) - load(b) || order(a, b))[0]!;
    // Counted at once, in the same turn as the choice: concurrent picks see it (release() ends it).
    this.acquire(chosen);
    return [chosen];
  }

  /** Counts one more call in flight to `pid`. */
  acquire(pid: Pid): void {
    const k = pid.toString();
    this.inFlight.set(k, (this.inFlight.get(k) ?? 0) + 1);
  }

  /** Ends one call in flight to `pid`. */
  release(pid: Pid): void {
    const k = pid.toString();
    const n = (this.inFlight.get(k) ?? 1) - 1;
    // Removed at zero: the table holds only pids with calls under way.
    if (n <= 0) this.inFlight.delete(k);
    else this.inFlight.set(k, n);
  }

  /** Runs `fn` counting one in-flight call to `pid` (a remote name is not counted); `counted`: pick already counted it. */
  async tracked<T>(pid: Pid | RemoteName, fn: () => Promise<T>, counted = false): Promise<T> {
    if (!isPid(pid)) return fn();
    if (!counted) this.acquire(pid);
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.release(pid);
      this.observe(pid.node, performance.now() - t0);
    }
  }

  /** Adds one call's time to `node`'s moving average (weight 0.3 for the newest). */
  private observe(node: string, ms: number): void {
    const was = this.latency.get(node);
    this.latency.set(node, was === undefined ? ms : was + LATENCY_WEIGHT * (ms - was));
  }
}
