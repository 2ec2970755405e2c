import { afterEach, describe, expect, test } from 'vitest';
import { Actor, InvalidArgumentError, MemoryNetwork, Node, UnencodableError, isDown, type From } from '@foundation/runtime';

const TASKS = new URL('./fixtures/tasks.ts', import.meta.url);
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});
async function start(opts: Parameters<typeof Node.start>[0] = {}) {
  const node = await Node.start({ dirtyPool: { threads: 2 }, ...opts });
  nodes.push(node);
  return node;
}

/** Computes fib on the dirty pool (suspended meanwhile: exit signals still reach it), or answers 'ping'. */
class Cruncher extends Actor<{ fib: number } | 'ping', unknown, void> {
  override async handleCall(msg: { fib: number } | 'ping', _from: From) {
    if (msg === 'ping') return 'pong';
    return this.runTask(TASKS, 'fib', msg.fib);
  }
}

describe('runTask', () => {
  test('node.runTask resolves with the task result and rejects with the task error', async () => {
    const node = await start();
    expect(await node.runTask(TASKS, 'fib', 20)).toBe(6765);
    const err = await node.runTask(TASKS, 'fail', 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/3/);
    await expect(node.runTask(TASKS, 'notAFunction', 1)).rejects.toSatisfy((e) => InvalidArgumentError.is(e));
  });

  test('an actor awaiting a task replies with its result, and other actors keep running', async () => {
    const node = await start();
    const a = node.spawn(Cruncher, undefined);
    const b = node.spawn(Cruncher, undefined);
    const slow = node.call(a, { fib: 30 }, 20_000);
    expect(await node.call(b, 'ping', 5000)).toBe('pong');
    expect(await slow).toBe(832040);
  });

  test('an actor waiting on a task still dies of a kill at once', async () => {
    const node = await start();
    const a = node.spawn(Cruncher, undefined);
    const box = node.inbox();
    box.monitor(a);
    const pending = node.call(a, { fib: 34 }, 20_000).catch((e: unknown) => e);
    await expect.poll(async () => (await node.processInfo(a))?.status, { interval: 1 }).toBe('suspended');
    node.exit(a, 'kill');
    const down = await box.receive(isDown, 2000);
    expect(down.reason).toBe('killed');
    expect(((await pending) as { reason?: unknown }).reason).toBe('killed');
  });
});

describe('unencodable messages', () => {
  test('a message the wire cannot carry is refused at send to another node, naming the value', async () => {
    const net = new MemoryNetwork();
    const a = await start({ name: 'a', transport: net.transport() });
    const b = await start({ name: 'b', transport: net.transport() });
    const box = a.inbox();
    expect(() => b.send(box.self, { handler: () => 1 })).toThrow(UnencodableError);
    expect(() => b.send(box.self, { handler: () => 1 })).toThrow(/message\.handler/);
    await expect(b.call(box.self, { when: new (class Custom {})() })).rejects.toBeInstanceOf(UnencodableError);
    b.send(box.self, { fine: new Map([[1, 2]]) });
    expect(await box.receive(undefined, 2000)).toEqual({ fine: new Map([[1, 2]]) });
  });

  test('a local send passes the object itself, functions included', async () => {
    const node = await start();
    const box = node.inbox();
    const fn = () => 1;
    node.send(box.self, { fn });
    expect(((await box.receive(undefined, 1000)) as { fn: unknown }).fn).toBe(fn);
  });
});
