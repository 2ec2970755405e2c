import { afterEach, describe, expect, it } from 'vitest';
import {
  Actor,
  InvalidArgumentError,
  MemoryNetwork,
  Node,
  UnknownOptionError,
  inspect,
  isInspected,
  publishInspectEvent,
  type InspectEvent,
  type Pid,
} from '@foundation/runtime';
import { until } from './support.js';

class Echo extends Actor<string, string, void> {
  override handleCall(msg: string): string {
    return msg;
  }
  override handleCast(msg: string): void {
    if (msg === 'crash') throw new Error('asked to crash');
  }
}

class Forwarder extends Actor<{ to: Pid; msg: string }, never, void> {
  override handleInfo(m: { to: Pid; msg: string }): void {
    this.cast(m.to, m.msg);
  }
}

/** Links itself to a process and traps its exit. */
class Trapper extends Actor<'ready', string, Pid> {
  override init(other: Pid): void {
    this.trapExit = true;
    this.link(other);
  }
  override handleCall(): string {
    return 'ok';
  }
}

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function start(opts: Parameters<typeof Node.start>[0] = {}): Promise<Node> {
  const n = await Node.start(opts);
  nodes.push(n);
  return n;
}

describe('inspect', () => {
  it('reports spawn, send, receive and exit of a process, in the order they happen', async () => {
    const node = await start();
    const events: InspectEvent[] = [];
    inspect(node, (e) => events.push(e), { types: ['spawn', 'exit', 'send', 'receive'] });
    const echo = node.spawn(Echo, undefined);
    const fwd = node.spawn(Forwarder, undefined);
    node.send(fwd, { to: echo, msg: 'hello' });
    expect(await node.call(echo, 'ping')).toBe('ping');
    node.cast(echo, 'crash');
    await until(() => events.some((e) => e.type === 'exit' && e.pid.equals(echo)), 'the exit of echo');
    const about = (e: InspectEvent) =>
      e.type === 'spawn'
        ? `spawn ${e.className}`
        : e.type === 'send'
          ? `send ${e.kind} ${JSON.stringify(e.msg)}`
          : e.type === 'receive'
            ? `receive ${e.kind} ${JSON.stringify(e.msg)}${e.from ? ' from' : ''}`
            : e.type === 'exit'
              ? `exit ${e.reason instanceof Error ? e.reason.message : String(e.reason)} after ${e.handled}`
              : e.type;
    expect(events.map(about)).toEqual([
      'spawn Echo',
      'spawn Forwarder',
      'send info {"to":' + JSON.stringify(echo) + ',"msg":"hello"}',
      'send call "ping"',
      // echo was spawned first, so it handles the call before the forwarder's turn.
      'receive call "ping" from',
      'receive info {"to":' + JSON.stringify(echo) + ',"msg":"hello"}',
      'send cast "hello"',
      'receive cast "hello"',
      'send cast "crash"',
      'receive cast "crash"',
      'exit asked to crash after 3',
    ]);
    const spawn = events[0]!;
    expect(spawn.type === 'spawn' && spawn.parent?.equals(node.self)).toBe(true);
  });

  it('under a link chain crash: one exit event per process with the reason it died of, and the trapped EXIT as a receive of kind exit', async () => {
    const node = await start();
    const events: InspectEvent[] = [];
    inspect(node, (e) => events.push(e), { types: ['spawn', 'exit', 'receive'] });
    const box = node.inbox({ trapExit: true });
    const first = box.spawn(Echo, undefined, { link: true });
    const second = node.spawn(Trapper, first);
    await box.call(second, 'ready');
    node.cast(first, 'crash');
    await until(() => events.some((e) => e.type === 'receive' && e.kind === 'exit'), 'the trapped EXIT');
    const exits = events.filter((e) => e.type === 'exit');
    expect(exits.map((e) => e.pid.toString())).toEqual([first.toString()]);
    const trapped = events.find((e) => e.type === 'receive' && e.kind === 'exit');
    expect(trapped?.type === 'receive' && trapped.pid.equals(second)).toBe(true);
    const spawned = events.filter((e) => e.type === 'spawn').map((e) => e.pid.toString());
    expect(spawned).toEqual([box.self, first, second].map(String));
    node.exit(second, 'kill');
    await until(() => events.filter((e) => e.type === 'exit').length === 2, 'the second exit');
    const last = events.filter((e) => e.type === 'exit')[1]!;
    expect(last.type === 'exit' && last.pid.equals(second) && last.reason).toBe('killed');
  });

  it('gives a subscriber only the types it asked for, and nothing once it unsubscribed', async () => {
    const node = await start();
    const got: string[] = [];
    const off = inspect(node, (e) => got.push(e.type), { types: ['spawn', 'exit'] });
    expect(isInspected(node, 'spawn')).toBe(true);
    expect(isInspected(node, 'send')).toBe(false);
    const echo = node.spawn(Echo, undefined);
    await node.call(echo, 'x');
    node.exit(echo, 'kill');
    await until(() => got.length === 2, 'spawn and exit');
    expect(got).toEqual(['spawn', 'exit']);
    off();
    expect(isInspected(node, 'spawn')).toBe(false);
    node.spawn(Echo, undefined);
    await node.call(node.spawn(Echo, undefined), 'y');
    expect(got).toEqual(['spawn', 'exit']);
  });

  it('removes a listener that throws and keeps delivering to the others', async () => {
    const node = await start();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      let good = 0;
      let bad = 0;
      inspect(node, () => {
        bad++;
        throw new Error('listener bug');
      });
      inspect(node, () => good++);
      node.spawn(Echo, undefined);
      node.spawn(Echo, undefined);
      expect(bad).toBe(1);
      expect(good).toBe(2);
      await until(() => warnings.length > 0, 'the warning');
      expect(warnings[0]).toContain('listener bug');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('pairs a handled call with its reply by the call s reference', async () => {
    const node = await start();
    const events: InspectEvent[] = [];
    inspect(node, (e) => events.push(e), { types: ['receive', 'reply'] });
    const echo = node.spawn(Echo, undefined);
    expect(await node.call(echo, 'marco')).toBe('marco');
    const [rec, rep] = events;
    expect(rec?.type).toBe('receive');
    expect(rep?.type).toBe('reply');
    if (rec?.type !== 'receive' || rep?.type !== 'reply') return;
    expect(rec.ref).not.toBeNull();
    expect(rep.ref.equals(rec.ref)).toBe(true);
    expect(rep.replier?.equals(echo)).toBe(true);
    expect(rep.to.equals(node.self)).toBe(true);
    expect(rep.value).toBe('marco');
  });

  it('reports nodeup and nodedown of a peer', async () => {
    const net = new MemoryNetwork({ autoConnect: false });
    const a = await start({ name: 'a', transport: net.transport() });
    const b = await start({ name: 'b', transport: net.transport() });
    const events: InspectEvent[] = [];
    inspect(a, (e) => events.push(e), { types: ['nodeup', 'nodedown'] });
    await a.connect(b.url);
    await until(() => events.length === 1, 'nodeup');
    a.disconnect('b');
    await until(() => events.length === 2, 'nodedown');
    expect(events.map((e) => (e.type === 'nodeup' || e.type === 'nodedown' ? `${e.type} ${e.node}->${e.peer}` : e.type))).toEqual([
      'nodeup a->b',
      'nodedown a->b',
    ]);
  });

  it('carries events published by the packages above the runtime to who listens for them', async () => {
    const node = await start();
    const events: InspectEvent[] = [];
    inspect(node, (e) => events.push(e), { types: ['restart'] });
    publishInspectEvent(node, { type: 'registry', node: node.name, registry: 'r', change: 'registered', name: 'x', pid: node.self, at: 0 });
    publishInspectEvent(node, { type: 'restart', node: node.name, supervisor: node.self, childId: 'c', pid: null, reason: 'boom', at: 0 });
    expect(events.map((e) => e.type)).toEqual(['restart']);
  });

  it('refuses a listener that is not a function, an unknown option and an unknown type', async () => {
    const node = await start();
    expect(() => inspect(node, 'x' as never)).toThrow(InvalidArgumentError);
    expect(() => inspect(node, () => {}, { typo: true } as never)).toThrow(UnknownOptionError);
    expect(() => inspect(node, () => {}, { types: ['spawn', 'sned'] as never })).toThrow(/sned/);
  });
});
