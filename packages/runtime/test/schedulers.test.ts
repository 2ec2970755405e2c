import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { threadId } from 'node:worker_threads';
import {
  AlreadyRegisteredError,
  CallExitError,
  CallTimeoutError,
  InvalidArgumentError,
  Node,
  NotAnActorError,
  Pid,
  UnencodableError,
  isDown,
  type DownMessage,
  type Inbox,
  type ProcessInfo,
  type Ref,
} from '@foundation/runtime';
import { ThreadProbe, Where, type ProbeReport } from './fixtures/thread-actors.js';
import { ask, schedulerNode, schedulerOf } from './fixtures/scheduler-node.js';
import { failure } from './support.js';

/*
 * A node with two schedulers (the main thread and one worker thread): pids, names, messages,
 * calls, per-pair order, the codec's refusals and the dirty pool, with the two ends on
 * different schedulers. Links, monitors, a crashed worker thread and stop are in
 * schedulers-signals.test.ts.
 */

const downOf =
  (pid: Pid) =>
  (m: unknown): m is DownMessage =>
    isDown(m) && m.pid.equals(pid);
const reportFrom =
  (probe: Pid) =>
  (m: unknown): m is ProbeReport & { info: unknown } =>
    typeof m === 'object' && m !== null && (m as ProbeReport).probe instanceof Pid && (m as ProbeReport).probe.equals(probe) && 'info' in m;

/** Exits `pid` with `reason` and waits for its DOWN. */
async function exitAndWait(node: Node, box: Inbox, pid: Pid, reason: unknown = 'kill'): Promise<DownMessage> {
  const ref: Ref = box.monitor(pid);
  node.exit(pid, reason);
  return box.receive((m): m is DownMessage => isDown(m) && m.ref.equals(ref), 2000);
}

describe('spawning on a scheduler', () => {
  const node = schedulerNode('spawning', { dirtyPool: { threads: 1 } });

  test('node.spawn with scheduler 1 starts the actor on the worker thread, and its pid says which', async () => {
    const byName = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const byClass = node().spawn(ThreadProbe, undefined, { scheduler: 1 });
    const here = node().spawn(ThreadProbe, undefined, { scheduler: 0 });
    expect([byName, byClass, here].map(schedulerOf)).toEqual([1, 1, 0]);
    const [w1, w2, w0] = await Promise.all([byName, byClass, here].map((p) => ask<{ threadId: number; self: Pid }>(node(), p, 'where')));
    expect(w1!.threadId).not.toBe(threadId);
    expect(w2!.threadId).toBe(w1!.threadId);
    expect(w0!.threadId).toBe(threadId);
    expect(w1!.self).toEqual(byName);
  });

  test('spawning on another scheduler needs a class defined by name and a scheduler the node has', async () => {
    class Anonymous extends ThreadProbe {}
    expect(() => node().spawn(Anonymous, undefined, { scheduler: 1 })).toThrow(NotAnActorError);
    expect(() => node().spawn(ThreadProbe, undefined, { scheduler: 2 })).toThrow(InvalidArgumentError);
    const e = await failure(() => node().spawn('NoSuchActor', undefined, { scheduler: 1 }));
    expect(NotAnActorError.is(e)).toBe(true);
  });

  test('an actor spawns on the other scheduler, both ways, and is the parent of what it spawns', async () => {
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const c01 = await ask<Pid>(node(), p0, { spawn: 'ThreadProbe', args: undefined, opts: { scheduler: 1 } });
    const c10 = await ask<Pid>(node(), p1, { spawn: 'Where', args: 7, opts: { scheduler: 0 } });
    const c11 = await ask<Pid>(node(), p1, { spawn: 'ThreadProbe', args: undefined });
    expect([c01, c10, c11].map(schedulerOf)).toEqual([1, 0, 1]);
    expect((await node().processInfo(c01))!.parent).toEqual(p0);
    expect((await node().processInfo(c10))!.parent).toEqual(p1);
    expect((await node().processInfo(c11))!.parent).toEqual(p1);
    expect(await node().call(c10, 'where')).toEqual({ threadId, n: 7 });
    // the parent on the other thread sees its child's info too
    expect((await ask<ProcessInfo>(node(), p1, { processInfo: c10 })).className).toBe('Where');
  });

  test('a spawn with link: true across schedulers links both halves before it returns', async () => {
    const box = node().inbox();
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const child = await ask<Pid>(node(), p0, { spawn: 'ThreadProbe', args: undefined, opts: { scheduler: 1, link: true } });
    expect((await node().processInfo(child))!.links).toEqual([p0]);
    expect((await node().processInfo(p0))!.links).toEqual([child]);
    box.monitor(child);
    const childDown = box.receive(downOf(child), 2000);
    expect((await exitAndWait(node(), box, p0, 'boom')).reason).toBe('boom');
    expect((await childDown).reason).toBe('boom');
  });

  test("'auto' puts a new actor on the least loaded scheduler, from the node and from an actor", async () => {
    const load = async (s: number) => (await node().processes()).filter((p) => schedulerOf(p) === s).length;
    const extra: Pid[] = [];
    const loadUp = async (s: number, other: number) => {
      while ((await load(s)) <= (await load(other))) extra.push(node().spawn('ThreadProbe', undefined, { scheduler: s }));
    };
    await loadUp(0, 1);
    const onOne = node().spawn('ThreadProbe', undefined, { scheduler: 'auto' });
    expect(schedulerOf(onOne)).toBe(1);
    await loadUp(1, 0);
    const onZero = node().spawn('ThreadProbe', undefined, { scheduler: 'auto' });
    expect(schedulerOf(onZero)).toBe(0);
    const fromActor = await ask<Pid>(node(), onOne, { spawn: 'ThreadProbe', args: undefined, opts: { scheduler: 'auto' } });
    expect(schedulerOf(fromActor)).toBe(0);
    const box = node().inbox();
    for (const p of [...extra, onOne, onZero, fromActor]) await exitAndWait(node(), box, p);
  });
});

describe("'auto' in a burst", () => {
  const node = schedulerNode('burst', { dirtyPool: { threads: 1 } });

  test("a burst of 'auto' spawns from the main thread spreads over the schedulers, though none has arrived yet", async () => {
    const pids = Array.from({ length: 40 }, () => node().spawn('ThreadProbe', undefined, { scheduler: 'auto' }));
    expect(pids.filter((p) => schedulerOf(p) === 1).length).toBeGreaterThanOrEqual(19);
    const all = await node().processes();
    const count = (s: number) => all.filter((p) => schedulerOf(p) === s).length;
    expect(Math.abs(count(0) - count(1))).toBeLessThanOrEqual(1);
    for (const p of pids) node().exit(p, 'kill');
  });
});

describe('processInfo, processes and names across schedulers', () => {
  const node = schedulerNode('names', { dirtyPool: { threads: 1 } });

  test('processInfo and processes cover the actors of both schedulers, and forget the dead', async () => {
    const box = node().inbox();
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const p1 = node().spawn('ThreadProbe', { trap: true }, { scheduler: 1 });
    await ask(node(), p1, 'ping');
    const info = (await node().processInfo(p1))!;
    expect(info).toMatchObject({ className: 'ThreadProbe', trapExit: true, registeredName: null, status: 'waiting' });
    expect(info.pid).toEqual(p1);
    expect(info.parent).toEqual(node().self);
    expect(info.messagesHandled).toBe(1);
    const all = await node().processes();
    expect(all).toContainEqual(p0);
    expect(all).toContainEqual(p1);
    expect(all).toContainEqual(box.self);
    // seen from the worker thread
    const there = await ask<Pid[]>(node(), p1, 'processes');
    expect(new Set(there.map(String))).toEqual(new Set((await node().processes()).map(String)));
    expect((await ask<ProcessInfo>(node(), p1, { processInfo: p0 })).pid).toEqual(p0);
    await exitAndWait(node(), box, p1);
    expect(await node().processInfo(p1)).toBeUndefined();
    expect(await node().processes()).not.toContainEqual(p1);
    expect(await ask(node(), p0, { processInfo: p1 })).toBeNull();
  });

  test('a name held on either scheduler resolves from both, and sends and calls by name cross', async () => {
    const box = node().inbox();
    const p0 = node().spawn('ThreadProbe', { reportTo: box.self }, { scheduler: 0, name: 'zero' });
    const p1 = node().spawn('ThreadProbe', { reportTo: box.self }, { scheduler: 1 });
    await ask(node(), p1, { register: 'one' });
    expect(node().whereis('one')).toEqual(p1);
    expect(node().registered()).toEqual(expect.arrayContaining(['zero', 'one']));
    expect((await node().processInfo(p1))!.registeredName).toBe('one');
    expect(await ask(node(), p1, { whereis: 'zero' })).toEqual(p0);
    expect(await ask(node(), p0, { whereis: 'one' })).toEqual(p1);
    node().send('one', 'to one');
    expect((await box.receive(reportFrom(p1), 2000)).info).toBe('to one');
    await ask(node(), p1, { send: 'zero', msg: 'to zero' });
    expect((await box.receive(reportFrom(p0), 2000)).info).toBe('to zero');
    expect(await ask(node(), 'one', 'ping')).toBe('pong');
    expect(await ask(node(), p1, { call: 'zero', msg: 'ping' })).toEqual({ ok: 'pong' });
  });

  test('register names a process of the other scheduler, from either side', async () => {
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    node().register('named-from-main', p1);
    expect(node().whereis('named-from-main')).toEqual(p1);
    expect((await node().processInfo(p1))!.registeredName).toBe('named-from-main');
    expect(await ask(node(), p1, { whereis: 'named-from-main' })).toEqual(p1);
    await ask(node(), p1, { register: 'named-from-worker', pid: p0 });
    expect(node().whereis('named-from-worker')).toEqual(p0);
    expect((await node().processInfo(p0))!.registeredName).toBe('named-from-worker');
    // a process has one name, wherever it is asked for
    expect(AlreadyRegisteredError.is(await failure(() => node().register('second-name', p1)))).toBe(true);
    const box = node().inbox();
    await exitAndWait(node(), box, p1);
    // The main thread decides at once, without asking the worker: a name given to a process that
    // has died is released when its scheduler learns of it.
    node().register('too-late', p1);
    await expect.poll(() => node().whereis('too-late'), { interval: 1 }).toBeUndefined();
    expect(await ask(node(), p0, { whereis: 'too-late' })).toBeNull();
    const q0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    node().register('too-late', q0);
    expect(node().whereis('too-late')).toEqual(q0);
  });

  test('a name taken on one scheduler is taken for the other: AlreadyRegisteredError', async () => {
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const q1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    await ask(node(), p1, { register: 'taken-on-1' });
    node().register('taken-on-0', p0);
    expect(() => node().register('taken-on-1', node().spawn(ThreadProbe, undefined))).toThrow(AlreadyRegisteredError);
    expect(() => node().spawn(ThreadProbe, undefined, { name: 'taken-on-1' })).toThrow(AlreadyRegisteredError);
    expect(
      AlreadyRegisteredError.is(await failure(() => node().spawn('ThreadProbe', undefined, { scheduler: 1, name: 'taken-on-0' }))),
    ).toBe(true);
    expect(AlreadyRegisteredError.is(await failure(() => ask(node(), q1, { register: 'taken-on-0' })))).toBe(true);
    expect(AlreadyRegisteredError.is(await failure(() => ask(node(), q1, { register: 'taken-on-1' })))).toBe(true);
    expect(node().whereis('taken-on-0')).toEqual(p0);
    expect(node().whereis('taken-on-1')).toEqual(p1);
  });

  test('unregister frees a name for both schedulers, whichever side asks', async () => {
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0, name: 'held-by-0' });
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1, name: 'held-by-1' });
    const q0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    // the main thread frees a name held on the worker: gone at once, everywhere
    expect(node().unregister('held-by-1')).toBe(true);
    expect(node().whereis('held-by-1')).toBeUndefined();
    expect(await ask(node(), p1, { whereis: 'held-by-1' })).toBeNull();
    expect((await node().processInfo(p1))!.registeredName).toBeNull();
    node().register('held-by-1', q0);
    expect(node().whereis('held-by-1')).toEqual(q0);
    // the worker frees a name held on the main thread
    expect(await ask(node(), p1, { unregister: 'held-by-0' })).toBe(true);
    expect(node().whereis('held-by-0')).toBeUndefined();
    expect((await node().processInfo(p0))!.registeredName).toBeNull();
    expect(await ask(node(), p1, { whereis: 'held-by-0' })).toBeNull();
    await ask(node(), p1, { register: 'held-by-0' });
    expect(node().whereis('held-by-0')).toEqual(p1);
    expect(node().unregister('nobody-has-this')).toBe(false);
    expect(await ask(node(), p1, { unregister: 'nobody-has-this' })).toBe(false);
  });

  test('a name goes away with the process that held it, on both schedulers', async () => {
    const box = node().inbox();
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1, name: 'short-lived-1' });
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0, name: 'short-lived-0' });
    const w1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    await exitAndWait(node(), box, p1, 'boom');
    expect(node().whereis('short-lived-1')).toBeUndefined();
    expect(node().registered()).not.toContain('short-lived-1');
    expect(await ask(node(), w1, { whereis: 'short-lived-1' })).toBeNull();
    await exitAndWait(node(), box, p0, 'boom');
    expect(await ask(node(), w1, { whereis: 'short-lived-0' })).toBeNull();
    // both names can be taken again
    await ask(node(), w1, { register: 'short-lived-0' });
    node().register('short-lived-1', box.self);
  });
});

describe('send, cast and call across schedulers', () => {
  const node = schedulerNode('messages', { dirtyPool: { threads: 1 } });

  test('sends and casts reach an actor on the other scheduler, both ways', async () => {
    const box = node().inbox();
    const p1 = node().spawn('ThreadProbe', { reportTo: box.self }, { scheduler: 1 });
    node().send(p1, { hello: 'worker' });
    expect((await box.receive(reportFrom(p1), 2000)).info).toEqual({ hello: 'worker' });
    const counter0 = node().spawn(Where, 0, { scheduler: 0 });
    const counter1 = node().spawn(Where, 0, { scheduler: 1 });
    node().cast(counter1, 5);
    node().cast(counter1, 2);
    expect(await node().call(counter1, 'where')).toMatchObject({ n: 7 });
    await ask(node(), p1, { cast: counter0, msg: 3 });
    await ask(node(), p1, { send: box.self, msg: { hello: 'main' } });
    expect(await box.receive((m) => (m as { hello?: string }).hello === 'main', 2000)).toEqual({ hello: 'main' });
    expect(await node().call(counter0, 'where')).toEqual({ threadId, n: 3 });
  });

  test('a message is copied at send: mutating it afterwards, before the batch leaves, changes nothing that arrives', async () => {
    const box = node().inbox();
    const p1 = node().spawn('ThreadProbe', { reportTo: box.self }, { scheduler: 1 });
    await ask(node(), p1, 'ping');
    // A plain tree (copied at send) and one with a Map (encoded at send); both queued, then changed in the same turn.
    const plain = { n: 1, list: [1], nested: { tag: 'before' } };
    const rich = { map: new Map([['k', 1]]), list: [1] };
    node().send(p1, { plain });
    node().send(p1, { rich });
    plain.n = 2;
    plain.list.push(2);
    plain.nested.tag = 'after';
    rich.map.set('k', 2);
    rich.list.push(2);
    expect((await box.receive(reportFrom(p1), 2000)).info).toEqual({ plain: { n: 1, list: [1], nested: { tag: 'before' } } });
    expect((await box.receive(reportFrom(p1), 2000)).info).toEqual({ rich: { map: new Map([['k', 1]]), list: [1] } });
  });

  test('calls cross both ways, nested ones too', async () => {
    const w0 = node().spawn(Where, 10, { scheduler: 0 });
    const w1 = node().spawn('Where', 11, { scheduler: 1 });
    const worker = (await node().call<{ threadId: number }>(w1, 'where')).threadId;
    expect(worker).not.toBe(threadId);
    // w1 calls w0 while the main thread's call to w1 waits
    expect(await node().call(w1, { callOther: w0 })).toEqual({ threadId, n: 10 });
    expect(await node().call(w0, { callOther: w1 })).toEqual({ threadId: worker, n: 11 });
    const box = node().inbox();
    expect(await box.call(w1, 'where')).toEqual({ threadId: worker, n: 11 });
  });

  test("a call to a dead or unknown pid on the other scheduler fails with 'noproc'", async () => {
    const box = node().inbox();
    const dead1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const dead0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    await exitAndWait(node(), box, dead1);
    await exitAndWait(node(), box, dead0);
    const e = await failure(() => node().call(dead1, 'ping', 2000));
    expect(e).toBeInstanceOf(CallExitError);
    expect((e as CallExitError).reason).toBe('noproc');
    const never = new Pid(node().name, 999_999 * 64 + 1, node().incarnation);
    expect(((await failure(() => box.call(never, 'ping', 2000))) as CallExitError).reason).toBe('noproc');
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const back = await failure(() => ask(node(), p1, { call: dead0, msg: 'ping', timeoutMs: 2000 }));
    expect(CallExitError.is(back)).toBe(true);
    expect((back as CallExitError).reason).toBe('noproc');
  });

  test('a call the other scheduler does not answer in time fails with CallTimeoutError, both ways', async () => {
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const e = await failure(() => node().call(p1, 'hold', 30));
    expect(e).toBeInstanceOf(CallTimeoutError);
    const back = await failure(() => ask(node(), p1, { call: p0, msg: 'hold', timeoutMs: 30 }));
    expect(CallTimeoutError.is(back)).toBe(true);
    expect(back.message).toContain(String(p0));
    // both are still there and answer
    expect(await ask(node(), p1, { call: p0, msg: 'ping' })).toEqual({ ok: 'pong' });
  });

  test("CallExitError carries the callee's crash reason across threads", async () => {
    const w0 = node().spawn(Where, 0, { scheduler: 0 });
    const w1 = node().spawn('Where', 0, { scheduler: 1 });
    const e = await failure(() => node().call(w1, 'crash'));
    expect(e).toBeInstanceOf(CallExitError);
    const reason = (e as CallExitError).reason as Error;
    expect(reason).toBeInstanceOf(Error);
    expect(reason.message).toBe('asked to crash');
    expect(reason.stack).toContain('handleCall');
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const back = (await failure(() => ask(node(), p1, { call: w0, msg: 'crash' }))) as CallExitError;
    expect(CallExitError.is(back)).toBe(true);
    expect((back.reason as Error).message).toBe('asked to crash');
  });
});

describe('frames to another scheduler do not wait behind other turns', () => {
  const node = schedulerNode('frame-wait');
  // Generous bounds (a 400 ms handler, 200 ms allowed): before frames left on their own they
  // waited for the whole drain, 400 ms and more; a loaded machine does not come near 200.
  const LONG_MS = 400;
  const BOUND_MS = 200;

  test("a call from plain code reaches scheduler 1 while scheduler 0 runs another actor's long handler", async () => {
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    await ask(node(), p1, 'ping');
    // From an event-loop turn of its own, once the ping's demonitor is sent: nothing is queued for scheduler 1 before.
    await new Promise((resolve) => setImmediate(resolve));
    const t0 = Date.now();
    // Issued together, the long one first: its turn is queued on scheduler 0 ahead of everything.
    const long = ask(node(), p0, { spin: LONG_MS, channel: 'frame-wait-plain' }, 5000);
    const arrived = ask<number>(node(), p1, 'now', 5000);
    const [, at] = await Promise.all([long, arrived]);
    expect(at - t0).toBeLessThan(BOUND_MS);
  });

  test("a frame an actor's handler sends leaves when its turn ends, not after the next actor's long turn", async () => {
    const sender = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const spinner = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    await ask(node(), p1, 'ping');
    const t0 = Date.now();
    // One drain on scheduler 0: the sender's turn (it calls p1), then the spinner's long turn.
    const arrived = ask<{ ok: number }>(node(), sender, { call: p1, msg: 'now' }, 5000);
    const long = ask(node(), spinner, { spin: LONG_MS, channel: 'frame-wait-handler' }, 5000);
    const [{ ok: at }] = await Promise.all([arrived, long]);
    expect(at - t0).toBeLessThan(BOUND_MS);
  });
});

describe('per-pair order across schedulers', () => {
  const node = schedulerNode('order', { dirtyPool: { threads: 1 } });

  test("each sender's messages arrive in the order sent, senders and receiver on either scheduler", async () => {
    const box = node().inbox();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1),
        fc.array(fc.record({ scheduler: fc.constantFrom(0, 1), count: fc.integer({ min: 0, max: 300 }) }), { minLength: 1, maxLength: 6 }),
        async (at, senders) => {
          const collector = node().spawn('Collector', { senders: senders.length, reportTo: box.self }, { scheduler: at });
          const bursts = senders.map((s, i) =>
            node().spawn('Burst', { to: collector, count: s.count, tag: `s${i}` }, { scheduler: s.scheduler }),
          );
          const { collected } = await box.receive<{ collected: Record<string, number[]> }>(
            (m) => typeof m === 'object' && m !== null && 'collected' in m,
            5000,
          );
          senders.forEach((s, i) => {
            expect(collected[`s${i}`] ?? []).toEqual(Array.from({ length: s.count }, (_, n) => n));
          });
          for (const p of [collector, ...bursts]) node().exit(p, 'kill');
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('unencodable messages', () => {
  const node = schedulerNode('unencodable', { dirtyPool: { threads: 1 } });

  test('a message for the other scheduler that the codec cannot carry is refused at send, naming the value', async () => {
    const box = node().inbox();
    const p1 = node().spawn('ThreadProbe', { reportTo: box.self }, { scheduler: 1 });
    expect(() => node().send(p1, { handler: () => 1 })).toThrow(UnencodableError);
    expect(() => node().cast(p1, { handler: () => 1 })).toThrow(/message\.handler/);
    expect(() => box.send(p1, new (class Custom {})())).toThrow(UnencodableError);
    await expect(node().call(p1, { at: Symbol('s') })).rejects.toBeInstanceOf(UnencodableError);
    expect(() => node().spawn('ThreadProbe', { reportTo: box.self, extra: () => 1 } as never, { scheduler: 1 })).toThrow(UnencodableError);
    // from the worker to the main thread
    const back = await failure(() => ask(node(), p1, { sendUnencodable: box.self }));
    expect(UnencodableError.is(back)).toBe(true);
    expect(back.message).toContain('message.handler');
    // nothing was lost or broken: the next message arrives, and nothing else did
    node().send(p1, { fine: new Map([[1, new Set(['a'])]]) });
    expect((await box.receive(reportFrom(p1), 2000)).info).toEqual({ fine: new Map([[1, new Set(['a'])]]) });
    expect(box.pending).toBe(0);
  });

  test('a reply the codec cannot carry crashes the callee, and the caller learns why', async () => {
    const box = node().inbox();
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const down = box.receive(downOf(p1), 2000);
    box.monitor(p1);
    const e = (await failure(() => node().call(p1, 'replyUnencodable'))) as CallExitError;
    expect(e).toBeInstanceOf(CallExitError);
    expect(UnencodableError.is(e.reason)).toBe(true);
    expect(UnencodableError.is((await down).reason)).toBe(true);
  });
});

describe('the dirty pool from a worker scheduler', () => {
  const node = schedulerNode('dirty', { dirtyPool: { threads: 1 } });

  test("an actor on scheduler 1 runs tasks, and a task's throw comes back as the task's error", async () => {
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    expect(await ask(node(), p1, { runTask: 'fib', input: 20 })).toBe(6765);
    const e = (await failure(() => ask(node(), p1, { runTask: 'fail', input: 3 }))) as Error & { code: string; detail: unknown };
    expect(e.name).toBe('TaskFailure');
    expect(e.message).toBe('failed at step 3');
    expect(e.code).toBe('E_STEP');
    expect(e.detail).toEqual({ step: 3 });
    expect((e.cause as Error).message).toBe('the root cause');
    const notString = await failure(() => ask(node(), p1, { runTask: 'throwString', input: undefined }));
    expect(notString).toBe('just a string');
    // the actor survived its tasks' failures
    expect(await ask(node(), p1, 'ping')).toBe('pong');
  });
});
