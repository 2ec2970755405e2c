import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Actor, isNodeUp, type Node } from '@foundation/runtime';
import { SimulationPropertyError, assertSimulation, faultSchedule, timed, type Cluster } from '@foundation/testkit';

/*
 * The acceptance test of issue #13: a copy of the DistributedRegistry's conflict resolution for
 * unique names, once as the registry does it (the greatest timestamp wins, ties by node — the
 * same everywhere) and once with a bug seeded on purpose (the claim a node heard of first
 * wins: arrival order, which differs from node to node). The same property — after the faults
 * end, every node names the same holder, and it is the one the rule picks among all accepted
 * claims (a sequential model, not only agreement) — passes for the first and is broken for the
 * second by a drawn schedule, which then replays from its seed.
 */

/** A node's claim of a name: when (its clock, a counter for the same ms) and where. */
interface Claim {
  readonly name: string;
  readonly node: string;
  readonly ms: number;
  readonly c: number;
}

type Rule = 'timestamp' | 'first-arrival';

/** The rule: which of two claims of one name keeps it. */
const later = (x: Claim, y: Claim) => x.ms - y.ms || x.c - y.c || (x.node < y.node ? -1 : x.node > y.node ? 1 : 0);
function resolve(rule: Rule, held: Claim | undefined, incoming: Claim): Claim {
  if (held === undefined) return incoming;
  if (rule === 'first-arrival') return held; // the seeded bug: whoever arrived first stays
  return later(incoming, held) > 0 ? incoming : held;
}

type NamesCall = { claim: string } | 'table';
type NamesInfo = { claims: Claim[] };

/**
 * One node's replica of the name table (registered as 'names' on every node): a claim of a
 * name free here is accepted, stamped with this node's clock, and shipped to every connected
 * node; claims from peers are merged by the rule; a node that comes up gets the whole table.
 */
class Names extends Actor<NamesCall | NamesInfo, Claim | null | Record<string, string>, Rule> {
  private rule: Rule = 'timestamp';
  private readonly table = new Map<string, Claim>();
  private counter = 0;
  private lastMs = -1;

  override init(rule: Rule): void {
    this.rule = rule;
    this.monitorNodes();
  }

  override handleCall(msg: NamesCall): Claim | null | Record<string, string> {
    if (msg === 'table') return Object.fromEntries([...this.table].map(([name, c]) => [name, `${c.node}@${c.ms}.${c.c}`]));
    if (this.table.has(msg.claim)) return null;
    const ms = Date.now();
    this.counter = ms === this.lastMs ? this.counter + 1 : 0;
    this.lastMs = ms;
    const claim: Claim = { name: msg.claim, node: this.node.name, ms, c: this.counter };
    this.table.set(claim.name, claim);
    for (const peer of this.node.nodes()) this.send({ name: 'names', node: peer }, { claims: [claim] });
    return claim;
  }

  override handleInfo(msg: unknown): void {
    if (isNodeUp(msg)) {
      this.send({ name: 'names', node: msg.nodeup }, { claims: [...this.table.values()] });
    } else if (typeof msg === 'object' && msg !== null && 'claims' in msg) {
      for (const claim of (msg as NamesInfo).claims) this.table.set(claim.name, resolve(this.rule, this.table.get(claim.name), claim));
    }
  }
}

const NODES = ['a', 'b', 'c'];
const ops = timed(fc.record({ node: fc.constantFrom(...NODES), name: fc.constantFrom('x', 'y') }), { withinMs: 500, maxLength: 6 });
// Faults that lose no accepted claim (crashes would: that is a different property).
const faults = faultSchedule({ nodes: NODES, withinMs: 500, maxFaults: 4, kinds: ['partition', 'heal', 'disconnect', 'delay', 'skew'] });

/** Runs the drawn claims at their times, then ends every fault and checks every node against the model. */
async function everyNodeNamesTheModelsHolder(cluster: Cluster, drawn: { ops: { at: number; op: { node: string; name: string } }[] }) {
  const accepted: Promise<Claim | null>[] = [];
  let at = 0;
  for (const { at: when, op } of drawn.ops) {
    await cluster.advance(when - at);
    at = when;
    const node = cluster.node(op.node);
    accepted.push(node.call(node.whereis('names')!, { claim: op.name }, 10_000) as Promise<Claim | null>);
  }
  const claims = (await Promise.all(accepted)).filter((c): c is Claim => c !== null);
  await cluster.advance(Math.max(0, 600 - at)); // past the last fault
  await cluster.recover();
  await cluster.runUntilQuiet();
  const model: Record<string, string> = {};
  for (const c of claims) {
    const best = claims.filter((d) => d.name === c.name).reduce((x, y) => (later(x, y) >= 0 ? x : y));
    model[c.name] = `${best.node}@${best.ms}.${best.c}`;
  }
  for (const node of cluster.nodes) {
    expect(await node.call(node.whereis('names')!, 'table', 10_000), `the table of ${node.name}`).toEqual(model);
  }
}

const setupWith = (rule: Rule) => (node: Node) => void node.spawn(Names, rule, { name: 'names' });

describe('conflict resolution of unique names under faults (issue #13 acceptance)', () => {
  test('the registry rule (greatest timestamp, ties by node) passes: every node names the holder the model picks', async () => {
    await assertSimulation({
      nodes: NODES,
      setup: setupWith('timestamp'),
      faults,
      ops,
      property: everyNodeNamesTheModelsHolder,
      numRuns: 60,
    });
  });

  test('a seeded bug (the first claim to arrive wins) is found by a schedule within a minute, and replays from its seed', async () => {
    const started = performance.now();
    const e = await assertSimulation({
      nodes: NODES,
      setup: setupWith('first-arrival'),
      faults,
      ops,
      property: everyNodeNamesTheModelsHolder,
      numRuns: 500,
      timeLimitMs: 60_000,
    }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(e).toBeInstanceOf(SimulationPropertyError);
    const failure = e as SimulationPropertyError;
    expect(failure.message).toContain(`seed:   ${failure.seed}`);
    expect(failure.message).toContain('faults: ');
    // The printed case fails again, the same way, when replayed.
    const replayed = await assertSimulation({
      nodes: NODES,
      setup: setupWith('first-arrival'),
      property: everyNodeNamesTheModelsHolder,
      replay: { seed: failure.seed, faults: failure.faults as never, ops: failure.ops as never },
    }).catch((e: unknown) => e);
    expect(replayed).toBeInstanceOf(SimulationPropertyError);
    expect(((replayed as SimulationPropertyError).cause as Error).message).toBe((failure.cause as Error).message);
  }, 120_000);
});
