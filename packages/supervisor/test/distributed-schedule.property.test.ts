import { expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { MemoryNetwork, Node, type Pid } from '@foundation/runtime';
import { DistributedSupervisor } from '@foundation/supervisor';
import { Keeper, type KeeperState, instances, running } from './distributed-support.js';

const SYNC = 5;

type Step =
  | { t: 'start'; at: number; id: number }
  | { t: 'join' }
  | { t: 'leave'; who: number }
  | { t: 'crash'; who: number }
  | { t: 'isolate'; who: number }
  | { t: 'heal' }
  | { t: 'kill'; id: number }
  | { t: 'inc'; id: number };

const ix = fc.integer({ min: 0, max: 9 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('start' as const), at: ix, id: fc.integer({ min: 0, max: 19 }) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'join' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('leave' as const), who: ix }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('crash' as const), who: ix }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('isolate' as const), who: ix }) },
  { weight: 2, arbitrary: fc.constant({ t: 'heal' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('kill' as const), id: fc.integer({ min: 0, max: 11 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('inc' as const), id: fc.integer({ min: 0, max: 11 }) }) },
);

const waitFor = (check: () => unknown, timeout = 5000) => vi.waitFor(check, { interval: 5, timeout });

interface Member {
  readonly node: Node;
  readonly ds: DistributedSupervisor;
}

/**
 * The model: which ids must run. An id is held by the members that have its spec; it is lost
 * only when every holder crashed before another member learned of it. After the schedule and a
 * heal, every id that is not lost runs exactly once, every member shows the same instance, and
 * — in 'active' mode with no crash, kill or partition on its way — its count survived its moves.
 */
async function run(steps: Step[], redistribution: 'passive' | 'active'): Promise<void> {
  const net = new MemoryNetwork();
  const members: Member[] = [];
  const stopped: Node[] = [];
  let next = 0;
  let isolated: string | null = null;
  const holders = new Map<string, Set<string>>();
  /** Counts a child must still have (dropped for an id once it may have restarted without its state). */
  const counts = new Map<string, number>();
  const join = async () => {
    const node = await Node.start({ name: `n${next++}`, transport: net.transport() });
    const ds = await DistributedSupervisor.start(node, { name: 'ds', syncIntervalMs: SYNC, redistribution });
    members.push({ node, ds });
    await waitFor(() => {
      for (const m of members) expect(m.ds.members()).toHaveLength(members.length);
    });
  };
  const component = (m: Member) =>
    isolated === null ? members : isolated === m.node.name ? [m] : members.filter((x) => x.node.name !== isolated);
  const converge = async () => {
    await waitFor(() => {
      const live = members.map((m) => m.node);
      const r = running(live);
      for (const [id, h] of holders) {
        if (h.size === 0) continue;
        const pids = r.get(id) ?? [];
        if (pids.length !== 1) throw new Error(`${id} runs ${pids.length} times: ${pids.map(String).join(',')}`);
        for (const m of members)
          if (!m.ds.whereis(id)?.equals(pids[0]!)) throw new Error(`${m.node.name} shows ${String(m.ds.whereis(id))} for ${id}`);
      }
    });
    for (const h of holders.values()) if (h.size > 0) for (const m of members) h.add(m.node.name);
  };
  try {
    await join();
    await join();
    await join();
    for (const s of steps) {
      switch (s.t) {
        case 'start': {
          const m = members[s.at % members.length]!;
          const id = `k${s.id}`;
          if (holders.has(id)) break;
          try {
            await m.ds.startChild({ id, start: [Keeper, { id }] }, 1000);
          } catch {
            break; // refused (already known on this side) or its member went away: nothing to require
          }
          const side = component(m);
          await waitFor(() => {
            for (const x of side) expect(x.ds.whereis(id)).toBeDefined();
          });
          holders.set(id, new Set(side.map((x) => x.node.name)));
          // A count of 1 from the start: a move that drops the state shows.
          await m.node.call(m.ds.via(id), 'inc');
          counts.set(id, 1);
          break;
        }
        case 'join':
          if (isolated !== null || members.length >= 5) break;
          await join();
          break;
        case 'leave':
        case 'crash': {
          if (members.length < 3) break;
          const i = s.who % members.length;
          const m = members[i]!;
          if (s.t === 'leave' && isolated !== null) break;
          members.splice(i, 1);
          if (s.t === 'leave') await m.ds.stop();
          else net.crash(m.node.name);
          if (isolated === m.node.name) isolated = null;
          if (s.t === 'crash') {
            for (const [id, h] of holders) {
              h.delete(m.node.name);
              counts.delete(id); // may restart from its spec: its count starts again
            }
          } else {
            for (const h of holders.values()) h.delete(m.node.name);
            // 'passive' restarts a leaving member's children elsewhere; only 'active' hands them over.
            if (redistribution === 'passive') counts.clear();
          }
          await m.node.stop();
          stopped.push(m.node);
          break;
        }
        case 'isolate': {
          if (isolated !== null || members.length < 2) break;
          const m = members[s.who % members.length]!;
          isolated = m.node.name;
          for (const x of members) if (x !== m) net.cut(m.node.name, x.node.name);
          for (const id of holders.keys()) counts.delete(id);
          break;
        }
        case 'heal':
          if (isolated === null) break;
          isolated = null;
          net.heal();
          await converge();
          break;
        case 'kill': {
          const id = `k${s.id}`;
          const pids = running(members.map((m) => m.node)).get(id);
          if (!pids) break;
          for (const p of pids) members.find((m) => m.node.name === p.node)?.node.exit(p, 'kill');
          counts.delete(id);
          break;
        }
        case 'inc': {
          const id = `k${s.id}`;
          if (!counts.has(id) || isolated !== null) break;
          await converge();
          const r = (await members[0]!.node.call(members[0]!.ds.via(id), 'inc')) as KeeperState;
          counts.set(id, counts.get(id)! + 1);
          expect(r.count).toBe(counts.get(id));
          break;
        }
      }
    }
    if (isolated !== null) {
      isolated = null;
      net.heal();
    }
    await converge();
    if (process.env.DS_PROP_DEBUG) console.log(steps.map((x) => x.t).join(' '), '| ids', holders.size, 'members', members.length);
    if (redistribution === 'active') {
      for (const [id, n] of counts) {
        const r = (await members[0]!.node.call(members[0]!.ds.via(id), 'get')) as KeeperState;
        expect(r.count, `count of ${id}`).toBe(n);
      }
    }
  } finally {
    for (const m of members) await m.node.stop();
    instances.clear();
  }
}

const steps = fc.array(step, { minLength: 6, maxLength: 24 });

test("after any schedule of joins, leaves, crashes, partitions and kills, every child runs exactly once when connected ('passive')", async () => {
  await fc.assert(
    fc.asyncProperty(steps, (s) => run(s, 'passive')),
    { numRuns: Number(process.env.DS_PROP_RUNS ?? 15) },
  );
}, 120_000);

test("'active': the same, and a child's state survives every move made by handoff", async () => {
  await fc.assert(
    fc.asyncProperty(steps, (s) => run(s, 'active')),
    { numRuns: Number(process.env.DS_PROP_RUNS ?? 15) },
  );
}, 120_000);

export type { Pid };
