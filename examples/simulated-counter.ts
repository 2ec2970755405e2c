/**
 * Property-testing your own distributed actor with @foundation/testkit: a replicated counter
 * (a grow-only counter: each node counts its own increments and gossips its table; a merge
 * keeps the larger count per node) checked under partitions, disconnects, delays, skew and
 * slow nodes against a model — the number of increments that were acknowledged.
 *
 * The first property holds. The second runs a copy with a bug (a merge that adds counts
 * instead of keeping the larger: a table heard twice counts twice) and prints the smallest
 * failing case fast-check finds, with the seed that replays it.
 *
 *   pnpm tsx examples/simulated-counter.ts
 */
import fc from 'fast-check';
import { Actor, isNodeUp } from '@foundation/runtime';
import {
  SimulationPropertyError,
  assertSimulation,
  checkAlways,
  checkEventually,
  faultSchedule,
  timed,
  type Cluster,
} from '@foundation/testkit';

type Merge = 'max' | 'sum';
type TallyInfo = { table: Record<string, number> };
type TallyCall = 'inc' | 'total';

/** What each node's replica shows now (the actors run in this process: the checks read it). */
const shows = new Map<string, number>();

/** One node's replica of the counter, registered as 'tally' on every node. */
class Tally extends Actor<TallyCall, number, Merge> {
  private merge: Merge = 'max';
  private readonly table: Record<string, number> = {};

  override init(merge: Merge): void {
    this.merge = merge;
    this.monitorNodes();
    shows.set(this.node.name, 0);
  }

  private get total(): number {
    return Object.values(this.table).reduce((a, b) => a + b, 0);
  }

  /** 'inc' counts one here and answers the new total; 'total' answers the total. */
  override handleCall(msg: TallyCall): number {
    if (msg === 'inc') {
      this.table[this.node.name] = (this.table[this.node.name] ?? 0) + 1;
      for (const peer of this.node.nodes()) this.send({ name: 'tally', node: peer }, { table: { ...this.table } });
    }
    shows.set(this.node.name, this.total);
    return this.total;
  }

  override handleInfo(msg: unknown): void {
    if (isNodeUp(msg)) this.send({ name: 'tally', node: msg.nodeup }, { table: { ...this.table } });
    else if (typeof msg === 'object' && msg !== null && 'table' in msg) {
      for (const [node, n] of Object.entries((msg as TallyInfo).table)) {
        const mine = this.table[node] ?? 0;
        this.table[node] = this.merge === 'max' ? Math.max(mine, n) : mine + n; // 'sum' is the bug
      }
      shows.set(this.node.name, this.total);
    }
  }
}

const nodes = ['a', 'b', 'c'];

async function counterProperty(merge: Merge, numRuns: number): Promise<void> {
  await assertSimulation({
    nodes,
    setup: (node) => void node.spawn(Tally, merge, { name: 'tally' }),
    faults: faultSchedule({ nodes, withinMs: 300, kinds: ['partition', 'heal', 'disconnect', 'delay', 'skew', 'slow'] }),
    ops: timed(fc.constantFrom(...nodes), { withinMs: 300, maxLength: 8 }),
    numRuns,
    property: async (cluster: Cluster, { ops }) => {
      shows.clear(); // (left from the previous run)
      let made = 0;
      let acknowledged = 0;
      // Safety, checked after every step: no replica shows more increments than were made.
      checkAlways(cluster, 'no replica counts more than the increments made', () => [...shows.values()].every((n) => n <= made));
      let at = 0;
      const calls: Promise<void>[] = [];
      for (const { at: when, op: name } of ops) {
        await cluster.advance(when - at);
        at = when;
        const node = cluster.node(name);
        made++;
        calls.push((node.call(node.whereis('tally')!, 'inc', 10_000) as Promise<number>).then(() => void acknowledged++));
      }
      await Promise.all(calls);
      await cluster.advance(400); // past the last fault
      await cluster.recover();
      // Liveness: once the faults end, every replica shows every acknowledged increment.
      await checkEventually(cluster, 'every replica shows every increment', () => [...shows.values()].every((n) => n === acknowledged), {
        withinMs: 5000,
      });
    },
  });
}

await counterProperty('max', 100);
console.log('max merge: the property held over 100 runs');
try {
  await counterProperty('sum', 200);
  console.log('sum merge: no failure found (unexpected)');
} catch (e) {
  if (!SimulationPropertyError.is(e)) throw e;
  console.log('sum merge: the property fails, as it should:\n' + (e as Error).message.split('\n(simulation seed')[0]);
}
