import { afterEach, describe, expect, test } from 'vitest';
import * as v from 'valibot';
import {
  Actor,
  InvalidMessageError,
  MemoryNetwork,
  Node,
  defineActor,
  stopProcess,
  type Pid,
  type StandardSchemaV1,
} from '@foundation/runtime';
import { failure } from './support.js';

const nodes: Node[] = [];
async function pair(): Promise<{ a: Node; b: Node }> {
  const net = new MemoryNetwork();
  const a = await Node.start({ name: 'a', transport: net.transport() });
  const b = await Node.start({ name: 'b', transport: net.transport() });
  nodes.push(a, b);
  return { a, b };
}
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

const CounterMsg = v.union([v.object({ inc: v.number() }), v.literal('get'), v.literal('seen')]);
type CounterMsg = v.InferOutput<typeof CounterMsg>;

/** Counts; records every message its handlers saw, for the tests to ask with 'seen'. */
class CheckedCounter extends Actor<CounterMsg, unknown, void> {
  static override schema = CounterMsg;
  n = 0;
  seen: unknown[] = [];
  override handleCall(msg: CounterMsg) {
    if (msg === 'seen') return this.seen;
    this.seen.push(msg);
    return this.n;
  }
  override handleCast(msg: CounterMsg) {
    this.seen.push(msg);
    if (typeof msg === 'object') this.n += msg.inc;
  }
  override handleInfo(msg: unknown) {
    this.seen.push(msg);
  }
}
defineActor('CheckedCounter', CheckedCounter);

/** A schema that throws, and one that is asynchronous: neither can check a message. */
const throwing: StandardSchemaV1 = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: () => {
      throw new Error('schema bug');
    },
  },
};
const asynchronous: StandardSchemaV1 = {
  '~standard': { version: 1, vendor: 'test', validate: (value) => Promise.resolve({ value }) },
};
class ThrowingSchema extends Actor {
  static override schema = throwing;
  override handleCall() {
    return 'handled';
  }
}
class AsyncSchema extends Actor {
  static override schema = asynchronous;
  override handleCall() {
    return 'handled';
  }
}

describe('message schemas', () => {
  test('a call from another node whose message fails the schema rejects with InvalidMessageError; the callee lives and never sees it', async () => {
    const { a, b } = await pair();
    const pid = b.spawn(CheckedCounter, undefined);
    const untyped: Pid = pid;
    const e = await failure(a.call(untyped, { inc: 'one' }));
    expect(e).toBeInstanceOf(InvalidMessageError);
    expect(InvalidMessageError.is(e)).toBe(true);
    expect((e as InvalidMessageError).issues.length).toBeGreaterThan(0);
    expect(e.message).toContain(pid.toString());
    expect((await b.processInfo(pid))!.monitoredBy).toEqual([]); // the call's monitor went with it
    expect(await a.call(pid, 'get')).toBe(0);
    expect(await a.call(pid, 'seen')).toEqual(['get']);
  });

  test('a send or cast from another node that fails the schema is a counted dead letter; later messages arrive', async () => {
    const { a, b } = await pair();
    const pid = b.spawn(CheckedCounter, undefined);
    const untyped: Pid = pid;
    const before = b.stats().deadLetters;
    a.send(untyped, 42);
    a.cast(untyped, { inc: 'x' });
    a.cast(pid, { inc: 2 });
    expect(await a.call(pid, 'get')).toBe(2);
    expect(b.stats().deadLetters - before).toBe(2);
    expect(await a.call(pid, 'seen')).toEqual([{ inc: 2 }, 'get']);
  });

  test("the handler gets the schema's output (valibot's object drops unknown keys)", async () => {
    const { a, b } = await pair();
    const pid = b.spawn(CheckedCounter, undefined);
    a.cast(pid, { inc: 3, junk: true } as { inc: number });
    expect(await a.call(pid, 'get')).toBe(3);
    expect(await a.call(pid, 'seen')).toEqual([{ inc: 3 }, 'get']);
  });

  test('messages on the same node are typed by the compiler and not checked again', async () => {
    const { b } = await pair();
    const pid: Pid = b.spawn(CheckedCounter, undefined);
    b.send(pid, 'not in the schema');
    expect(await b.call(pid, 'seen')).toEqual(['not in the schema']);
  });

  test("the runtime's own requests pass a schema: spawnAndWait on another node and stopProcess from it", async () => {
    const { a, b } = await pair();
    const pid = await a.spawnAndWait(CheckedCounter, undefined, { node: 'b' });
    expect(pid.node).toBe('b');
    await stopProcess(a, pid, 2000);
    expect(b.isAlive(pid)).toBe(false);
  });

  test('a schema that throws or is asynchronous refuses the call with InvalidMessageError; the actor lives', async () => {
    const { a, b } = await pair();
    const t = b.spawn(ThrowingSchema, undefined);
    const e1 = await failure(a.call(t, 'x'));
    expect(e1).toBeInstanceOf(InvalidMessageError);
    expect(e1.message).toContain('schema bug');
    const s = b.spawn(AsyncSchema, undefined);
    const e2 = await failure(a.call(s, 'x'));
    expect(e2.message).toContain('asynchronous');
    expect(b.isAlive(t)).toBe(true);
    expect(b.isAlive(s)).toBe(true);
  });
});
