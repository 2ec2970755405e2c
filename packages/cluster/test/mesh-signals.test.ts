import { afterEach, describe, expect, test } from 'vitest';
import { Actor, type Node, type Pid } from '@foundation/runtime';
import { Echo, connectionTo, downFor, exitFrom, startNode, stopAll, until } from './mesh-helpers.js';

afterEach(stopAll);

class HugeError extends Error {
  override name = 'HugeError';
}

async function pair(opts = {}) {
  const { node: a, log } = await startNode('a', opts);
  const { node: b } = await startNode('b', opts);
  await b.connect(a.url);
  return { a, b, log };
}

/** Watches `pid` from `a` (a link from a trapping inbox and a monitor), kills it on `b` with `reason`, returns what arrived. */
async function watchDie(a: Node, b: Node, reason: unknown) {
  const echo = b.spawn(Echo, undefined);
  const inbox = a.inbox();
  inbox.link(echo);
  const ref = inbox.monitor(echo);
  await a.call(echo, 'sync', 2000); // link and monitor are in place on b
  b.exit(echo, reason);
  const exit = await inbox.receive(exitFrom(echo), 5000);
  const down = await inbox.receive(downFor(ref), 5000);
  // Exactly once: a later message from b (ordered after the signals) finds no second DOWN or EXIT before it.
  const marker = b.spawn(Echo, inbox.self);
  b.send(marker, 'marker');
  const rest: unknown[] = [];
  for (;;) {
    const m = await inbox.receive(undefined, 5000);
    if (Array.isArray(m) && m[1] === 'marker') break;
    rest.push(m);
  }
  return { exit: exit.reason, down: down.reason, rest };
}

describe('a signal whose reason does not fit maxFrameBytes is sent with its reason shortened', () => {
  test("a 5 MB error message: link and monitor fire exactly once with the error's name and the start of its message", async () => {
    const { a, b } = await pair({ maxFrameBytes: 1024 * 1024 });
    const { exit, down, rest } = await watchDie(a, b, new HugeError(`start of the story ${'x'.repeat(5 * 1024 * 1024)}`));
    for (const r of [exit, down]) {
      expect(r).toBeInstanceOf(Error);
      expect((r as Error).name).toBe('HugeError');
      expect((r as Error).message).toMatch(/^start of the story x+… \(\d+ more characters cut: too large to send\)$/);
      expect((r as Error).message.length).toBeLessThan(2000);
    }
    expect(rest).toEqual([]);
    expect(a.nodes()).toEqual(['b']);
  });

  test('a huge plain object: link and monitor fire exactly once with a short description of it', async () => {
    const { a, b } = await pair({ maxFrameBytes: 64 * 1024 });
    const huge = { kind: 'huge', rows: Array.from({ length: 100_000 }, (_, i) => ({ i, text: `row ${i}` })) };
    const { exit, down, rest } = await watchDie(a, b, huge);
    for (const r of [exit, down]) {
      expect(typeof r).toBe('string');
      expect(r as string).toMatch(/^reason too large to send: \{ kind: 'huge', rows: \[/);
      expect((r as string).length).toBeLessThan(1100);
    }
    expect(rest).toEqual([]);
    expect(a.nodes()).toEqual(['b']);
  });
});

/** Counts what arrives from the flooder: the sequence numbers, in arrival order. */
class Counter extends Actor<[number, string]> {
  static seen: number[] = [];
  override handleInfo(m: [number, string]) {
    Counter.seen.push(m[0]);
  }
}

describe('over maxBufferedBytes the connection drops, never a frame from the middle', () => {
  test('what a slow peer receives before nodedown is a gap-free prefix of what was sent', async () => {
    const { node: a } = await startNode('a', { maxBufferedBytes: 256 * 1024 });
    const { node: b } = await startNode('b');
    await b.connect(a.url);
    Counter.seen = [];
    const counter: Pid = b.spawn(Counter, undefined);
    let aDown = false;
    let bDown = false;
    a.on('nodedown', () => (aDown = true));
    b.on('nodedown', () => (bDown = true));
    // b stops reading its socket: TCP's buffers fill, then a's socket buffer, then a's bound.
    connectionTo(b, 'a').ws.pause();
    const payload = 'p'.repeat(4096);
    const total = 6000; // 24 MB: more than the kernel's buffers and the bound hold
    let seq = 0;
    while (seq < total && !aDown) {
      for (let i = 0; i < 50 && seq < total; i++) a.send(counter, [seq++, payload]);
      await new Promise((r) => setImmediate(r));
      if (seq === total / 2) connectionTo(b, 'a').ws.resume();
    }
    if (b.nodes().includes('a')) connectionTo(b, 'a').ws.resume();
    // Until b lost a, or (had the connection stayed up) everything sent is through.
    await until(() => expect(bDown || Counter.seen.at(-1) === seq - 1).toBe(true), 10_000);
    const seen = [...Counter.seen];
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    expect(seen.length).toBeLessThan(seq);
    expect(aDown && bDown).toBe(true);
  });
});

describe('a demonitor waits for the next frame to its node', () => {
  test("a finished remote call's monitor goes from the callee once anything else reaches its node, and a DOWN crossing it is dropped", async () => {
    const { a, b } = await pair();
    const inbox = a.inbox();
    const echo = b.spawn(Echo, inbox.self);
    const other = b.spawn(Echo, undefined);
    await a.call(echo, 'one', 2000);
    const ref = inbox.monitor(echo);
    await a.call(other, 'sync', 2000); // the monitor is in place on b
    inbox.demonitor(ref);
    await a.call(other, 'sync', 2000); // carries the call's and the monitor's demonitors
    expect((await b.processInfo(echo))!.monitoredBy).toEqual([]);
    // A DOWN sent by b before a demonitor reached it is dropped at a.
    const late = inbox.monitor(echo);
    await a.call(other, 'sync', 2000);
    inbox.demonitor(late);
    b.exit(echo, 'kill');
    b.send(b.spawn(Echo, inbox.self), 'marker'); // ordered after echo's DOWN, if any
    const m = await inbox.receive(undefined, 5000);
    expect(m).toEqual(['info', 'marker']);
  });
});
