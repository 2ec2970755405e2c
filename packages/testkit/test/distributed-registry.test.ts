import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Actor, isDown, type Inbox, type Node, type Pid } from '@foundation/runtime';
import { DistributedRegistry, isNameConflict } from '@foundation/registry';
import {
  SimulationPropertyError,
  assertSimulation,
  checkEventually,
  faultSchedule,
  simulate,
  timed,
  type Cluster,
} from '@foundation/testkit';

/*
 * The real DistributedRegistry (its owner actors, delta-CRDT replication, HLC timestamps read
 * from the simulated Date.now) running in the simulation: unique names taken on several nodes
 * during faults end with one holder that every node names, and every other claimant exits
 * with { nameConflict } naming another claimant. A bug injected here only — the owner picks the winner of a
 * conflict by arrival order — is found; the registry itself passes.
 */

class Idle extends Actor {}

const NODES = ['a', 'b', 'c'];
const NAMES = ['x', 'y'];
const SYNC_MS = 20;
type Op = { node: string; name: string };

/** The replica's table (internal: the public API does not show timestamps or candidates). */
const tableOf = (reg: DistributedRegistry) =>
  (reg as unknown as { table: { cands: Map<string, Map<string, unknown>>; candidates(k: string): unknown[] } }).table;

/** The seeded bug: the candidates of a key in arrival order, not winner first (the owner settles conflicts by it). */
function injectArrivalOrder(reg: DistributedRegistry): void {
  const table = tableOf(reg);
  table.candidates = (key: string) => [...(table.cands.get(key)?.values() ?? [])];
}

const setupWith = (bug: boolean) => async (node: Node) => {
  const reg = await DistributedRegistry.start(node, { name: 'global', keys: 'unique', syncIntervalMs: SYNC_MS });
  if (bug) injectArrivalOrder(reg);
};

/** Claims the drawn names at their times; after the faults, checks one holder per name, the same everywhere, and why the others died. */
async function oneHolderPerName(cluster: Cluster, drawn: { ops: { at: number; op: Op }[] }): Promise<void> {
  const keepers: { pid: Pid; name: string; watch: Inbox }[] = [];
  const pending: Promise<void>[] = [];
  let at = 0;
  for (const { at: when, op } of drawn.ops) {
    await cluster.advance(when - at);
    at = when;
    const node = cluster.node(op.node);
    const pid = node.spawn(Idle, undefined);
    const watch = node.inbox();
    watch.monitor(pid);
    pending.push(
      DistributedRegistry.of(node, 'global')
        .register(op.name, pid)
        .then(
          () => void keepers.push({ pid, name: op.name, watch }),
          () => undefined, // taken in this node's view: refused, as it should be
        ),
    );
  }
  await Promise.all(pending);
  await cluster.advance(Math.max(0, 600 - at));
  await cluster.recover();
  const regs = () => cluster.nodes.map((n) => DistributedRegistry.of(n, 'global'));
  const agreed = () => NAMES.every((name) => new Set(regs().map((r) => String(r.whereis(name)))).size === 1);
  await checkEventually(cluster, 'every node names the same holders', agreed, { withinMs: 5000 });
  await cluster.advance(10 * SYNC_MS); // conflicts settle on the losers' nodes
  for (const name of NAMES) {
    const holder = regs()[0]!.whereis(name);
    const claimants = keepers.filter((k) => k.name === name);
    expect(holder === undefined, `${name} is held iff it was claimed`).toBe(claimants.length === 0);
    for (const k of claimants) {
      if (k.pid.equals(holder)) {
        expect(k.watch.pending, `the holder ${String(holder)} of ${name} lives`).toBe(0);
        continue;
      }
      expect(k.watch.pending, `${String(k.pid)} lost ${name} to ${String(holder)}, and exited`).toBe(1);
      const down = await k.watch.receive(isDown);
      // It lost to a claimant — not always the final holder: a loser's winner may itself lose
      // later (a holder whose entry the other side removed during a partition re-asserts it
      // after the heal, with a later timestamp).
      expect(isNameConflict(down.reason), `${String(k.pid)} exited of a name conflict`).toBe(true);
      const winner = (down.reason as { nameConflict: { winner: Pid } }).nameConflict.winner;
      expect(claimants.some((c) => c.pid.equals(winner))).toBe(true);
    }
  }
}

const ops = timed(fc.record({ node: fc.constantFrom(...NODES), name: fc.constantFrom(...NAMES) }), { withinMs: 400, maxLength: 5 });
const faults = faultSchedule({ nodes: NODES, withinMs: 400, maxFaults: 3, kinds: ['partition', 'heal', 'disconnect', 'delay', 'skew'] });

describe('the DistributedRegistry in the simulation', () => {
  test('the same seed replays the same run of the real registry, byte for byte (HLC timestamps read the simulated clock)', async () => {
    const run = () =>
      simulate({ nodes: NODES, seed: 99, setup: setupWith(false) }, async (cluster) => {
        cluster.partition(['a'], ['b', 'c']);
        await oneHolderPerName(cluster, {
          ops: [
            { at: 0, op: { node: 'a', name: 'x' } },
            { at: 5, op: { node: 'b', name: 'x' } },
          ],
        });
        // The timestamps the registry gave, as each node holds them: they come from Date.now().
        const stamps = cluster.nodes.map((n) => JSON.stringify(tableOf(DistributedRegistry.of(n, 'global')).candidates('x')));
        return [...cluster.trace, ...stamps].join('\n');
      });
    const first = await run();
    expect(first).toContain('"ms":1893456000');
    expect(first).toContain('partition a | b,c');
    expect(await run()).toBe(first);
  });

  test('unique names under partitions, disconnects, delays and skew: one holder, named everywhere; the others exit with nameConflict', async () => {
    await assertSimulation({ nodes: NODES, setup: setupWith(false), faults, ops, property: oneHolderPerName, numRuns: 25 });
  }, 60_000);

  test('with crashes and restarts too (new incarnations start their replica in setup): every node names the same live holder', async () => {
    await assertSimulation({
      nodes: NODES,
      setup: setupWith(false),
      faults: faultSchedule({ nodes: NODES, withinMs: 400, maxFaults: 4 }),
      ops,
      numRuns: 50,
      property: async (cluster, { ops }) => {
        const pending: Promise<unknown>[] = [];
        let at = 0;
        for (const { at: when, op } of ops) {
          await cluster.advance(when - at);
          at = when;
          if (!cluster.isUp(op.node)) continue;
          const node = cluster.node(op.node);
          pending.push(
            DistributedRegistry.of(node, 'global')
              .register(op.name, node.spawn(Idle, undefined))
              .catch(() => undefined),
          );
        }
        await Promise.all(pending);
        await cluster.advance(Math.max(0, 600 - at));
        await cluster.recover();
        const regs = () => cluster.nodes.map((n) => DistributedRegistry.of(n, 'global'));
        const liveHolderEverywhere = (name: string) => {
          const holders = regs().map((r) => r.whereis(name));
          const h = holders[0];
          return holders.every((x) => String(x) === String(h)) && (h === undefined || cluster.node(h.node).isAlive(h) === true);
        };
        await checkEventually(cluster, 'one live holder per name, named everywhere', () => NAMES.every(liveHolderEverywhere), {
          withinMs: 5000,
        });
      },
    });
  }, 60_000);

  test('an arrival-order bug injected into the owner is found, and its case replays', async () => {
    const e = await assertSimulation({
      nodes: NODES,
      setup: setupWith(true),
      faults,
      ops,
      property: oneHolderPerName,
      numRuns: 200,
      timeLimitMs: 60_000,
    }).catch((e: unknown) => e);
    expect(e).toBeInstanceOf(SimulationPropertyError);
    const failure = e as SimulationPropertyError;
    const again = await assertSimulation({
      nodes: NODES,
      setup: setupWith(true),
      property: oneHolderPerName,
      replay: { seed: failure.seed, faults: failure.faults as never, ops: failure.ops as never },
    }).catch((e: unknown) => e);
    expect((again as SimulationPropertyError).cause).toBeInstanceOf(Error);
    expect(((again as SimulationPropertyError).cause as Error).message).toBe((failure.cause as Error).message);
  }, 120_000);
});
