import { expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { MemoryNetwork, Node, type Pid } from '@foundation/runtime';
import { ProcessGroups } from '@foundation/registry';
import { Idle, ids } from './support.js';

const NODES = ['a', 'b', 'c'] as const;
const ACTORS = 3;
const GROUPS = ['g1', 'g2'] as const;

type Op =
  | { t: 'join'; node: number; actor: number; group: (typeof GROUPS)[number] }
  | { t: 'leave'; node: number; actor: number; group: (typeof GROUPS)[number] }
  | { t: 'exit'; node: number; actor: number }
  | { t: 'cut'; a: number; b: number }
  | { t: 'heal'; a: number; b: number }
  | { t: 'restart'; node: number }
  | { t: 'tick' };

const nodeIx = fc.integer({ min: 0, max: NODES.length - 1 });
const actorIx = fc.integer({ min: 0, max: ACTORS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('join' as const), node: nodeIx, actor: actorIx, group: fc.constantFrom(...GROUPS) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('leave' as const), node: nodeIx, actor: actorIx, group: fc.constantFrom(...GROUPS) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('exit' as const), node: nodeIx, actor: actorIx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cut' as const), a: nodeIx, b: nodeIx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('heal' as const), a: nodeIx, b: nodeIx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const), node: nodeIx }) },
  { weight: 2, arbitrary: fc.constant({ t: 'tick' as const }) },
);

/** What every node should see once the cluster is whole and quiet: live pids, once per join. */
class Model {
  readonly alive = new Set<string>();
  readonly joins = new Map<string, Map<string, number>>();

  expected(group: string, pids: Pid[][]): string[] {
    const out: Pid[] = [];
    for (const pid of pids.flat()) {
      if (!this.alive.has(pid.key)) continue;
      const n = this.joins.get(pid.key)?.get(group) ?? 0;
      for (let i = 0; i < n; i++) out.push(pid);
    }
    return ids(out);
  }
}

test('property: after any schedule of joins, leaves, exits, scope restarts, cuts and heals, healed and quiet nodes all see exactly the live joined members', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const net = new MemoryNetwork();
      const nodes: Node[] = [];
      try {
        for (const name of NODES) nodes.push(await Node.start({ name, transport: net.transport() }));
        const pgs = await Promise.all(nodes.map((n) => ProcessGroups.start(n)));
        const pids = nodes.map((n) => Array.from({ length: ACTORS }, () => n.spawn(Idle, undefined)));
        const model = new Model();
        for (const row of pids) for (const pid of row) model.alive.add(pid.key);

        for (const o of ops) {
          if (o.t === 'tick') await new Promise<void>((r) => setImmediate(r));
          else if (o.t === 'restart') {
            // The scope actor stops (its node's memberships go with it) and starts afresh.
            await pgs[o.node]!.stop();
            pgs[o.node] = await ProcessGroups.start(nodes[o.node]!);
            for (const pid of pids[o.node]!) model.joins.delete(pid.key);
          } else if (o.t === 'cut' || o.t === 'heal') {
            if (o.a !== o.b) net[o.t](NODES[o.a]!, NODES[o.b]!);
          } else {
            const pid = pids[o.node]![o.actor]!;
            if (!model.alive.has(pid.key)) continue;
            if (o.t === 'exit') {
              nodes[o.node]!.exit(pid, 'kill');
              model.alive.delete(pid.key);
              model.joins.delete(pid.key);
              continue;
            }
            let counts = model.joins.get(pid.key);
            if (!counts) model.joins.set(pid.key, (counts = new Map()));
            const n = counts.get(o.group) ?? 0;
            if (o.t === 'join') {
              await pgs[o.node]!.join(o.group, pid);
              counts.set(o.group, n + 1);
            } else {
              expect(await pgs[o.node]!.leave(o.group, pid)).toBe(n > 0);
              if (n > 0) counts.set(o.group, n - 1);
            }
          }
        }

        for (let i = 0; i < NODES.length; i++) for (let j = i + 1; j < NODES.length; j++) net.heal(NODES[i]!, NODES[j]!);
        await vi.waitFor(
          () => {
            for (const [i, pg] of pgs.entries()) {
              for (const group of GROUPS) {
                expect(ids(pg.members(group)), `${group} on ${NODES[i]}`).toEqual(model.expected(group, pids));
                expect(ids(pg.localMembers(group))).toEqual(model.expected(group, [pids[i]!]));
              }
            }
          },
          { interval: 2, timeout: 3000 },
        );
      } finally {
        for (const n of nodes.reverse()) await n.stop();
      }
    }),
    { numRuns: 150 },
  );
}, 60_000);
