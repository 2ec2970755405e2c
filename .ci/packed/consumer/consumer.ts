// A TypeScript user of the published .d.ts: compiles with strict settings, or CI fails.
import { Actor, Node, UnknownOptionError, isDown, type From, type Pid } from '@foundation/runtime';
import { Supervisor, type ChildSpec, type SupervisorHandle } from '@foundation/supervisor';
import { HashRing, mesh, staticPeers } from '@foundation/cluster';
import { AWORSet, Replicator, type MapReplicator } from '@foundation/crdt';
import { Registry } from '@foundation/registry';
import { faultSchedule, simulate, type Cluster, type Fault } from '@foundation/testkit';

class Counter extends Actor<{ inc: number } | 'get', number, number> {
  n = 0;
  override init(start: number): void {
    this.n = start;
  }
  override handleCall(_msg: 'get', _from: From): number {
    return this.n;
  }
  override handleCast(msg: { inc: number }): void {
    this.n += msg.inc;
  }
}

export async function main(): Promise<number> {
  const node = await Node.start({ name: 'a', transport: mesh({ port: 0, cookie: 'c', discovery: [staticPeers([])] }) });
  const pid: Pid = node.spawn(Counter, 1);
  const spec: ChildSpec = { id: 'counter', start: [Counter, 0], restart: 'permanent' };
  const sup: SupervisorHandle = await Supervisor.start(node, { strategy: 'one_for_one', children: [spec] });
  const counts = await sup.countChildren();
  void counts.active;
  const sessions: MapReplicator<string, number> = await Replicator.start<string, number>(node, { name: 's', kind: 'awlwwmap', syncIntervalMs: 50 });
  await sessions.set('u1', 1);
  const entries: [string, number][] = await sessions.read();
  void entries;
  void UnknownOptionError;
  const reg = await Registry.start(node, { name: 'r', keys: 'unique' });
  await reg.register('c', pid);
  const inbox = node.inbox();
  inbox.monitor(pid);
  const down = await inbox.receive(isDown, 100);
  const set = new AWORSet<string>('r1');
  void set;
  void down.reason;
  new HashRing(['a', 'b']).owner('k');
  const faults: Fault[] = [{ at: 0, kind: 'partition', groups: [['a'], ['b']] }];
  void faultSchedule({ nodes: ['a', 'b'] });
  const steps: number = await simulate({ nodes: 2, seed: 1 }, async (cluster: Cluster) => {
    cluster.inject(faults);
    await cluster.runUntilQuiet();
    return cluster.trace.length;
  });
  void steps;
  return node.call<number>(pid, 'get');
}
