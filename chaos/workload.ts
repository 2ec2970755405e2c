/**
 * The steady workload: calls between nodes, pubsub broadcasts, cache writes and registry churn,
 * a few requests in flight at a time, each one's outcome tallied. Nothing is left pending: a
 * request ends answered, failed with a named error, or with its caller killed.
 */
import { Prng } from '@foundation/testkit';
import type { ChaosCluster, Outcome } from './cluster.js';

/** Outcomes of one kind of request. */
export class Tally {
  made = 0;
  ok = 0;
  callerKilled = 0;
  readonly failed = new Map<string, number>();
  count(o: Outcome): void {
    if (o.ok) this.ok++;
    else if (o.error === 'CallerKilled') this.callerKilled++;
    else this.failed.set(o.error, (this.failed.get(o.error) ?? 0) + 1);
  }
  get failures(): number {
    return [...this.failed.values()].reduce((a, b) => a + b, 0);
  }
  toJSON() {
    return { made: this.made, ok: this.ok, callerKilled: this.callerKilled, failed: Object.fromEntries(this.failed) };
  }
}

/** Registry names the churn draws from. */
export const NAMES = Array.from({ length: 16 }, (_, i) => `name-${i}`);

/** Runs requests against the cluster until `stop()`; `stop` resolves once none is in flight. */
export class Workload {
  readonly calls = new Tally();
  readonly publishes = new Tally();
  readonly writes = new Tally();
  readonly registers = new Tally();
  /** Cache writes acknowledged: key -> value. */
  readonly acked = new Map<string, number>();
  /** Where and during what each acknowledged write was made (for a failure's report). */
  readonly ackedWhere = new Map<string, string>();
  /** The fault in progress, as the test describes it. */
  during = 'none';
  /** Set while a partition is in effect or healing: the writes made then are checked apart. */
  partitioned = false;
  /** Acknowledged writes started or acknowledged while `partitioned`. */
  readonly ackedInPartition = new Set<string>();
  private running = true;
  private seq = 0;
  private readonly lanes: Promise<void>[] = [];

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly r: Prng,
    lanes = 4,
  ) {
    for (let i = 0; i < lanes; i++) this.lanes.push(this.lane());
  }

  private async lane(): Promise<void> {
    const names = this.cluster.nodes.map((n) => n.name);
    while (this.running) {
      const live = this.cluster.live();
      if (live.length === 0) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const from = live[this.r.int(live.length)]!;
      const n = ++this.seq;
      const k = this.r.int(10);
      if (k < 4) {
        this.calls.made++;
        this.calls.count(await from.request({ op: 'call', to: names[this.r.int(names.length)]!, n }));
      } else if (k < 5) {
        this.publishes.made++;
        this.publishes.count(await from.request({ op: 'publish', topic: `work.${n % 7}`, n }));
      } else if (k < 8) {
        const key = `k${n}`;
        this.writes.made++;
        const started = this.during;
        const wasPartitioned = this.partitioned;
        const o = await from.request({ op: 'write', key, value: n });
        this.writes.count(o);
        if (o.ok) {
          this.acked.set(key, n);
          if (wasPartitioned || this.partitioned) this.ackedInPartition.add(key);
          this.ackedWhere.set(key, `by ${from.name}, started during ${started}, acked during ${this.during}`);
        }
      } else {
        const key = NAMES[this.r.int(NAMES.length)]!;
        if (this.r.int(2) === 0) {
          this.registers.made++;
          this.registers.count(await from.request({ op: 'register', key }));
        } else await from.request({ op: 'unregister', key });
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanes);
  }
}
