import { afterEach, vi } from 'vitest';
import { Actor, MemoryNetwork, Node, defineActor, type Pid } from '@foundation/runtime';
import { DistributedSupervisor, type DistributedSupervisorOptions, type HandoffInit, type HandsOff } from '@foundation/supervisor';

const started: Node[] = [];

afterEach(async () => {
  for (const node of started.splice(0).reverse()) await node.stop();
  instances.clear();
});

/** Starts a node that is stopped after the test. */
export async function startNode(name: string, net: MemoryNetwork): Promise<Node> {
  const node = await Node.start({ name, transport: net.transport() });
  started.push(node);
  return node;
}

/** Waits until `check` stops throwing (polling, never a fixed sleep). */
export const until = (check: () => unknown, timeout = 5000) => vi.waitFor(check, { interval: 5, timeout });

/** Rejection of `p` (fails when it resolves). */
export async function failure(p: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

/** Every instance of every Keeper ever started, by child id: liveness is asked of the nodes. */
export const instances = new Map<string, Pid[]>();

/** What a Keeper answers to 'get'. */
export interface KeeperState {
  id: string;
  count: number;
  node: string;
  /** The count it took over with (undefined: started fresh). */
  handedOver: number | undefined;
}

/** A child with a counter: 'inc' (cast) adds one, 'get' (call) answers its state; hands the count over when it moves. */
export class Keeper extends Actor<'inc' | 'get', KeeperState, { id: string }> implements HandsOff<number> {
  id = '';
  count = 0;
  handedOver: number | undefined;
  terminated: unknown[] = [];
  override init(args: { id: string }, moved?: HandoffInit<number>): void {
    this.id = args.id;
    this.handedOver = moved?.handoff;
    this.count = moved?.handoff ?? 0;
    const list = instances.get(args.id) ?? [];
    list.push(this.self);
    instances.set(args.id, list);
  }
  override handleCall(msg: 'inc' | 'get'): KeeperState {
    if (msg === 'inc') this.count++;
    return { id: this.id, count: this.count, node: this.node.name, handedOver: this.handedOver };
  }
  override handleCast(msg: 'inc' | 'get'): void {
    if (msg === 'inc') this.count++;
  }
  handoff(): number {
    return this.count;
  }
}
defineActor('test.Keeper', Keeper);

/** Not named with defineActor on purpose. */
export class Anonymous extends Actor<unknown, unknown, void> {}

/** The ids each live node runs (instances alive on a node of `nodes`). */
export function running(nodes: readonly Node[]): Map<string, Pid[]> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out = new Map<string, Pid[]>();
  for (const [id, pids] of instances) {
    const alive = pids.filter((p) => byName.get(p.node)?.isAlive(p) === true);
    if (alive.length > 0) out.set(id, alive);
  }
  return out;
}

/** Throws unless every id in `ids` runs exactly once on `nodes`. */
export function expectExactlyOnce(nodes: readonly Node[], ids: readonly string[]): void {
  const r = running(nodes);
  const wrong = ids.filter((id) => r.get(id)?.length !== 1).map((id) => `${id}: ${r.get(id)?.map(String).join(',') ?? 'none'}`);
  if (wrong.length > 0)
    throw new Error(`not exactly once: ${wrong.slice(0, 5).join('; ')}${wrong.length > 5 ? ` (+${wrong.length - 5})` : ''}`);
}

export const SYNC = 10;

/** Starts `names` on one MemoryNetwork, each running the supervisor 'ds'. */
export async function cluster(names: string[], opts: Partial<DistributedSupervisorOptions> = {}, net = new MemoryNetwork()) {
  const nodes: Node[] = [];
  for (const n of names) nodes.push(await startNode(n, net));
  const sups = await Promise.all(nodes.map((n) => DistributedSupervisor.start(n, { name: 'ds', syncIntervalMs: SYNC, ...opts })));
  await until(() => {
    for (const s of sups) if (s.members().length !== names.length) throw new Error(`members of ${s.node.name}: ${s.members().join(',')}`);
  });
  return { net, nodes, sups };
}

/** Child ids `prefix0..prefix{n-1}`. */
export const idsOf = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Traps exits, so its terminate runs when its member signals it; reports the reason to the process registered as 'watch' on its node. */
export class Trapper extends Actor<unknown, unknown, { id: string }> {
  override init(args: { id: string }): void {
    this.trapExit = true;
    const list = instances.get(args.id) ?? [];
    list.push(this.self);
    instances.set(args.id, list);
  }
  override terminate(reason: unknown): void {
    if (this.node.whereis('watch')) this.send('watch', { trapped: this.self, reason });
  }
}
defineActor('test.Trapper', Trapper);
