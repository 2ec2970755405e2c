import { afterEach, describe, expect, it } from 'vitest';
import { Actor, MemoryNetwork, Node, UnknownOptionError, defineActor } from '@foundation/runtime';
import { NoObserverError, Observer, trace, type TraceRecord } from '../src/index.js';

/** Passes a request down a chain of nodes: 'svc' on each calls 'svc' on the next, the last answers. */
class Relay extends Actor<string, string, string | null> {
  private next: string | null = null;
  override init(next: string | null): void {
    this.next = next;
  }
  override async handleCall(msg: string): Promise<string> {
    if (this.next === null) return `${msg}@${this.node.name}`;
    const r = await this.call<string>({ name: 'svc', node: this.next }, msg);
    return `${r}<-${this.node.name}`;
  }
  override handleInfo(msg: unknown): void {
    if (this.next !== null) this.send({ name: 'svc', node: this.next }, msg as never);
  }
}
defineActor('observe-test.Relay', Relay);

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function cluster(names: string[], observe = true): Promise<Node[]> {
  const net = new MemoryNetwork();
  const nodes: Node[] = [];
  for (const n of names) {
    const node = await Node.start({ name: n, transport: net.transport() });
    stops.push(() => node.stop());
    if (observe) {
      const obs = await Observer.start(node);
      stops.push(() => obs.stop());
    }
    nodes.push(node);
  }
  return nodes;
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const brief = (r: TraceRecord) => `${r.node} ${r.type} ${r.kind} ${r.msg}`;

describe('trace', () => {
  it('follows a request through the process named svc on three nodes and collects every node s records at the caller', async () => {
    const [a, b, c] = await cluster(['a', 'b', 'c']);
    a!.register('svc', a!.spawn(Relay, 'b'));
    b!.register('svc', b!.spawn(Relay, 'c'));
    c!.register('svc', c!.spawn(Relay, null));
    const t = await trace(a!, 'svc');
    stops.push(() => t.stop());
    expect([...t.nodes].sort()).toEqual(['a', 'b', 'c']);
    expect(await a!.call('svc', 'req')).toBe('req@c<-b<-a');
    await until(() => t.records().length >= 5, 'five records');
    // Records of one node come in their order; across nodes, time order can tie within a millisecond.
    const byNode = [...t.records()].sort((x, y) => (x.node < y.node ? -1 : x.node > y.node ? 1 : 0));
    for (let i = 1; i < byNode.length; i++)
      if (byNode[i]!.node !== byNode[i - 1]!.node) expect(byNode[i]!.at).toBeGreaterThanOrEqual(byNode[i - 1]!.at);
    expect(byNode.map(brief)).toEqual([
      "a receive call 'req'",
      "a send call 'req'",
      "b receive call 'req'",
      "b send call 'req'",
      "c receive call 'req'",
    ]);
    const [first] = byNode;
    expect(first!.peer).toBe(a!.self.toString()); // the caller of a received call
  });

  it('reports only what its flags ask for, and nothing once stopped', async () => {
    const [a, b] = await cluster(['a', 'b']);
    const relay = a!.spawn(Relay, 'b');
    a!.register('svc', relay);
    b!.register('svc', b!.spawn(Relay, null));
    const t = await trace(a!, relay, { send: true, receive: false, calls: false });
    expect(t.nodes).toEqual(['a']);
    await a!.call(relay, 'a-call');
    a!.send(relay, 'info-1' as never);
    await until(() => t.records().length >= 1, 'the send');
    expect(t.records().map(brief)).toEqual(["a send info 'info-1'"]);
    await t.stop();
    a!.send(relay, 'info-2' as never);
    await a!.call(relay, 'sync');
    await new Promise((r) => setTimeout(r, 20));
    expect(t.records().map(brief)).toEqual(["a send info 'info-1'"]);
  });

  it('fails with NoObserverError when a node runs no observer, and refuses unknown options', async () => {
    const [a] = await cluster(['a', 'b'], false);
    await expect(trace(a!, 'svc')).rejects.toThrow(NoObserverError);
    await expect(trace(a!, 'svc', { recieve: true } as never)).rejects.toThrow(UnknownOptionError);
  });
});
