import { expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { MemoryNetwork, Node, isDown, type Pid } from '@foundation/runtime';
import { DistributedRegistry, _, isNameConflict } from '@foundation/registry';
import { Idle } from './support.js';

const NODES = ['a', 'b', 'c'] as const;
const ACTORS = 3;
const NAMES = ['n1', 'n2', 'n3'] as const;
const SYNC = 5;

type Op =
  | { t: 'register'; node: number; actor: number; name: (typeof NAMES)[number] }
  | { t: 'unregister'; node: number; actor: number; name: (typeof NAMES)[number] }
  | { t: 'exit'; node: number; actor: number }
  | { t: 'cut'; a: number; b: number }
  | { t: 'heal'; a: number; b: number }
  | { t: 'tick' };

const nodeIx = fc.integer({ min: 0, max: NODES.length - 1 });
const actorIx = fc.integer({ min: 0, max: ACTORS - 1 });
const nameArb = fc.constantFrom(...NAMES);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('register' as const), node: nodeIx, actor: actorIx, name: nameArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('unregister' as const), node: nodeIx, actor: actorIx, name: nameArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('exit' as const), node: nodeIx, actor: actorIx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cut' as const), a: nodeIx, b: nodeIx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('heal' as const), a: nodeIx, b: nodeIx }) },
  { weight: 3, arbitrary: fc.constant({ t: 'tick' as const }) },
);

/** Lets timers and frames run: a few event-loop turns, with a sync interval's timer among them. */
const turn = () => new Promise<void>((r) => setTimeout(r, 1));

/** An HLC timestamp as the model reads it. */
interface Stamp {
  readonly ms: number;
  readonly c: number;
  readonly r: string;
}

/** a after b in the documented order (physical ms, then counter, then replica): compared here, not with the code's HLC.compare. */
const later = (a: Stamp, b: Stamp): boolean => (a.ms !== b.ms ? a.ms > b.ms : a.c !== b.c ? a.c > b.c : a.r > b.r);

/**
 * The timestamp the registry gave `pid`'s registration of `key` on its node, read right after
 * `register` resolved (the one internal read: the public API does not show timestamps).
 */
function stampOf(reg: DistributedRegistry<string, number>, key: string, pid: Pid): Stamp {
  const t = currentStamp(reg, key, pid);
  if (!t) throw new Error(`no candidate of ${String(pid)} under ${key} right after its registration`);
  return t;
}

/** The timestamp `pid`'s entry under `key` has now in `reg`'s replica, if it has one. */
function currentStamp(reg: DistributedRegistry<string, number>, key: string, pid: Pid): Stamp | undefined {
  const table = (reg as unknown as { table: { candidates(k: string): { pid: Pid; t: Stamp }[] } }).table;
  return table.candidates(key).find((x) => x.pid.equals(pid))?.t;
}

/** A node's whole view, one string per entry, in lookup order per key. */
const view = (reg: DistributedRegistry<string, number>) => NAMES.flatMap((n) => reg.lookup(n).map((e) => `${n}|${e.pid}|${e.value}`));

async function run(keys: 'unique' | 'duplicate', ops: Op[]): Promise<void> {
  const net = new MemoryNetwork();
  const nodes: Node[] = [];
  try {
    for (const name of NODES) nodes.push(await Node.start({ name, transport: net.transport() }));
    const regs = await Promise.all(
      nodes.map((n) => DistributedRegistry.start<string, number>(n, { name: 'p', keys, syncIntervalMs: SYNC })),
    );
    const pids: Pid[][] = nodes.map((n) => Array.from({ length: ACTORS }, () => n.spawn(Idle, undefined) as Pid));
    // What each live process registered and did not unregister: name -> times.
    const held = new Map<string, Map<string, number>>();
    let seq = 0;
    // The model of unique names: each registration's timestamp (`pid|name` -> the latest), the
    // processes the schedule killed, and why every other process died (a monitor per node).
    const stamps = new Map<string, Stamp>();
    const killed = new Set<string>();
    const downs = new Map<string, unknown>();
    const watches = nodes.map((n) => n.inbox());
    for (const [i, ps] of pids.entries()) for (const p of ps) watches[i]!.monitor(p);

    for (const o of ops) {
      if (o.t === 'tick') await turn();
      else if (o.t === 'cut' || o.t === 'heal') {
        if (o.a !== o.b) net[o.t](NODES[o.a]!, NODES[o.b]!);
      } else {
        const pid = pids[o.node]![o.actor]!;
        const node = nodes[o.node]!;
        if ((await node.processInfo(pid)) === undefined) continue;
        if (o.t === 'exit') {
          node.exit(pid, 'kill');
          killed.add(pid.key);
          // The exit signal is handled on the process's next turn: wait for it, so that a later
          // step on this actor sees it dead (and is skipped) rather than racing it.
          await vi.waitFor(async () => expect(await node.processInfo(pid)).toBeUndefined(), { interval: 1, timeout: 2000 });
          held.delete(pid.key);
          continue;
        }
        let mine = held.get(pid.key);
        if (!mine) held.set(pid.key, (mine = new Map()));
        if (o.t === 'register') {
          try {
            await regs[o.node]!.register(o.name, pid, seq++);
            mine.set(o.name, (mine.get(o.name) ?? 0) + 1);
            stamps.set(`${pid.key}|${o.name}`, stampOf(regs[o.node]!, o.name, pid));
          } catch (e) {
            // Unique: taken in this node's view, or the process lost a conflict and exited meanwhile.
            if (keys === 'duplicate' && (await node.processInfo(pid)) !== undefined) throw e;
          }
        } else {
          const had = await regs[o.node]!.unregister(o.name, pid);
          if (keys === 'duplicate') expect(had).toBe((mine.get(o.name) ?? 0) > 0);
          mine.delete(o.name);
        }
      }
    }

    for (let i = 0; i < NODES.length; i++) for (let j = i + 1; j < NODES.length; j++) net.heal(NODES[i]!, NODES[j]!);
    await vi.waitFor(
      async () => {
        const views = regs.map(view);
        for (const v of views) expect(v).toEqual(views[0]);
        for (const [i, reg] of regs.entries()) {
          for (const e of reg.select(_)) {
            // Every holder is alive, and holds only what it registered.
            expect(
              await nodes[NODES.indexOf(e.pid.node as (typeof NODES)[number])]!.processInfo(e.pid),
              `${e.pid} on ${NODES[i]}`,
            ).toBeDefined();
            expect(held.get(e.pid.key)?.get(e.key as string) ?? 0).toBeGreaterThan(0);
          }
          // Unique: one holder per name in the replicated map itself, losers removed, not just hidden.
          const stats = await reg.stats();
          expect(stats.mapEntries).toBe(keys === 'unique' ? reg.count() : new Set(reg.select(_).map((e) => `${e.key}|${e.pid}`)).size);
        }
        if (keys === 'unique') {
          for (const w of watches) {
            while (w.pending > 0) {
              const d = await w.receive(isDown);
              downs.set(d.pid.key, d.reason);
            }
          }
          for (const [i, ps] of pids.entries()) {
            for (const p of ps) {
              if (killed.has(p.key) || (await nodes[i]!.processInfo(p)) !== undefined) continue;
              // Not killed by the schedule: it lost a name, to the registration with the later timestamp.
              const reason = downs.get(p.key);
              expect(isNameConflict(reason), `${String(p)} died of a name conflict, not of ${JSON.stringify(reason)}`).toBe(true);
              const { name, winner } = (reason as { nameConflict: { name: string; winner: Pid } }).nameConflict;
              // The winner's write is its registration, or the one that put it back after another
              // node's node-down cleanup had removed it: a holder re-asserts on seeing that, with
              // a write made after seeing the other registration, so later than it. That write's
              // timestamp is read off the winner's entry if it still holds the name; if it has
              // died since (of another conflict), a re-asserting node is taken at its word.
              const wi = NODES.indexOf(winner.node as (typeof NODES)[number]);
              const again = currentStamp(regs[wi]!, name, winner);
              const first = stamps.get(`${winner.key}|${name}`);
              const won = again && (!first || later(again, first)) ? again : first;
              const lost = stamps.get(`${p.key}|${name}`);
              const reasserted = !again && (await regs[wi]!.stats()).reasserted > 0;
              expect(
                reasserted || (lost && won && later(won, lost)),
                `${String(winner)} at ${JSON.stringify(won)} won ${name} over ${String(p)} at ${JSON.stringify(lost)}`,
              ).toBe(true);
            }
          }
          // Of the live processes that registered a name and kept it, the holder is the only one left.
          for (const name of NAMES) {
            const keeping: string[] = [];
            for (const [i, ps] of pids.entries()) {
              for (const p of ps) if (held.get(p.key)?.has(name) && (await nodes[i]!.processInfo(p)) !== undefined) keeping.push(String(p));
            }
            expect(keeping, `live processes keeping ${name}`).toEqual(
              regs
                .map((r) => r.whereis(name))
                .filter((x) => x !== undefined)
                .slice(0, 1)
                .map(String),
            );
          }
        }
        if (keys === 'duplicate') {
          // No conflicts in a duplicate registry: exactly what live processes registered.
          let expected = 0;
          for (const [pidKey, names] of held) {
            const [node] = pidKey.split('.');
            const nodeIx = NODES.indexOf(node as (typeof NODES)[number]);
            const pid = pids[nodeIx]!.find((p) => p.key === pidKey)!;
            if ((await nodes[nodeIx]!.processInfo(pid)) !== undefined) for (const n of names.values()) expected += n;
          }
          expect(regs[0]!.count()).toBe(expected);
        }
      },
      { interval: 5, timeout: 5000 },
    );
  } finally {
    for (const n of nodes.reverse()) await n.stop();
  }
}

test('property (convergence, unique): after any schedule of registrations, unregistrations, exits, cuts and heals, healed and quiet nodes have identical views, one live holder per name', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40, size: 'max' }), (ops) => run('unique', ops)),
    { numRuns: 150 },
  );
}, 120_000);

test('property (convergence, duplicate): healed and quiet nodes have identical views holding exactly the live registrations', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40, size: 'max' }), (ops) => run('duplicate', ops)),
    { numRuns: 150 },
  );
}, 120_000);
