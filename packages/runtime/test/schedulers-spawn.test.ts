import { afterEach, describe, expect, test, vi } from 'vitest';
import { BroadcastChannel, MessagePort } from 'node:worker_threads';
import {
  Actor,
  NotAnActorError,
  Pid,
  defineActor,
  isDown,
  isExit,
  type DownMessage,
  type ExitMessage,
  type Ref,
} from '@foundation/runtime';
import { encode } from '../src/codec.js';
import type { ProbeReport } from './fixtures/thread-actors.js';
import { ask, schedulerNode, schedulerOf } from './fixtures/scheduler-node.js';

/*
 * Spawning on another scheduler without a round trip (the spawner allocates the pid, the
 * process starts when its spawn frame arrives), what happens to signals that overtake that
 * frame, and a main thread that never waits for a busy worker. See internal/threads/arrivals.ts.
 */

const downFor =
  (ref: Ref) =>
  (m: unknown): m is DownMessage =>
    isDown(m) && m.ref.equals(ref);
const infoFrom =
  (probe: Pid, what: (info: unknown) => boolean = () => true) =>
  (m: unknown): m is { probe: Pid; info: unknown } =>
    typeof m === 'object' &&
    m !== null &&
    (m as ProbeReport).probe instanceof Pid &&
    (m as ProbeReport).probe.equals(probe) &&
    'info' in m &&
    what(m.info);

/** A class defined on the main thread only: the worker threads' modules do not have it. */
class MainOnly extends Actor<never, never, void> {}
defineActor('MainOnly', MainOnly);

describe('signals that overtake a spawn on another scheduler', () => {
  const node = schedulerNode('overtake', { schedulers: 3 });

  test('a message, link, monitor and processInfo from a third scheduler wait for the spawn, then apply', async () => {
    const box = node().inbox();
    const spawner = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    // Scheduler 1's frames to scheduler 2 are held back: its spawn arrives after the main thread's frames.
    await ask(node(), spawner, { holdLinkTo: 2 });
    const child = await ask<Pid>(node(), spawner, { spawn: 'ThreadProbe', args: { reportTo: box.self }, opts: { scheduler: 2 } });
    expect(schedulerOf(child)).toBe(2);
    const ref = box.monitor(child);
    node().send(child, 'early');
    const linker = node().spawn('ThreadProbe', { reportTo: box.self, trap: true }, { scheduler: 0 });
    await ask(node(), linker, { link: child });
    const info = node().processInfo(child);
    // Scheduler 2 has handled all of that (it answers in order) and has not got the process yet.
    expect(await node().processes()).not.toContainEqual(child);
    expect(await ask(node(), spawner, { releaseLinkTo: 2 })).toBeGreaterThan(0);

    expect((await box.receive(infoFrom(child), 3000)).info).toBe('early');
    expect((await info)?.pid).toEqual(child);
    const now = (await node().processInfo(child))!;
    expect(now.links).toEqual([linker]);
    expect(now.monitoredBy).toEqual([box.self]);
    node().exit(child, 'bye');
    expect((await box.receive(downFor(ref), 3000)).reason).toBe('bye');
    const { info: exit } = await box.receive(infoFrom(linker, isExit), 3000);
    expect(exit).toEqual({ from: child, reason: 'bye' });
  });

  test("what waits for a spawn whose spawner's thread died first sees 'noproc'", async () => {
    const box = node().inbox();
    const spawner = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const killer = node().spawn('ThreadKiller', undefined, { scheduler: 1 });
    await ask(node(), spawner, { holdLinkTo: 2 });
    const child = await ask<Pid>(node(), spawner, { spawn: 'ThreadProbe', args: undefined, opts: { scheduler: 2 } });
    const ref = box.monitor(child);
    const asked = node().processInfo(child);
    expect(await node().processes()).not.toContainEqual(child); // the monitor waits at scheduler 2
    node().cast(killer, 'die'); // the held spawn frame dies with the thread
    expect((await box.receive(downFor(ref), 5000)).reason).toBe('noproc');
    expect(await asked).toBeUndefined();
    // the restarted scheduler 1 spawns on scheduler 2 again
    const again = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const child2 = await ask<Pid>(node(), again, { spawn: 'ThreadProbe', args: undefined, opts: { scheduler: 2 } });
    expect(await ask(node(), child2, 'ping')).toBe('pong');
  });

  test('a class the target scheduler does not have: the pid exits at once, and its link, monitors and name see it', async () => {
    const box = node().inbox();
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const watcher = node().spawn('ThreadProbe', { reportTo: box.self }, { scheduler: 2 });
    const on1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    await ask(node(), on1, 'ping');
    // The main thread's spawn reaches scheduler 1 after scheduler 2's monitor.
    await ask(node(), p0, { holdLinkTo: 1 });
    const pid = box.spawn('MainOnly', undefined, { scheduler: 1, link: true, name: 'main-only' });
    expect(schedulerOf(pid)).toBe(1);
    const ref = await ask<Ref>(node(), watcher, { monitor: pid });
    // A call from scheduler 2 to scheduler 1 goes after that monitor: once answered, the monitor waits there.
    expect(await ask(node(), watcher, { call: on1, msg: 'ping' })).toEqual({ ok: 'pong' });
    expect(await ask(node(), p0, { releaseLinkTo: 1 })).toBeGreaterThan(0);
    const { info } = await box.receive(infoFrom(watcher, isDown), 3000);
    const down = info as DownMessage;
    expect(down.ref).toEqual(ref);
    expect(NotAnActorError.is(down.reason)).toBe(true);
    expect((down.reason as Error).message).toContain("'MainOnly' (not defined on scheduler 1");
    const exit = await box.receive((m): m is ExitMessage => isExit(m) && m.from.equals(pid), 3000);
    expect(NotAnActorError.is(exit.reason)).toBe(true);
    await expect.poll(() => node().whereis('main-only'), { interval: 1 }).toBeUndefined();
    expect(await node().processInfo(pid)).toBeUndefined();
    // a monitor set afterwards sees what any dead pid gives
    expect((await box.receive(downFor(box.monitor(pid)), 3000)).reason).toBe('noproc');
  });
});

describe("a worker's name miss", () => {
  const node = schedulerNode('misses', { schedulers: 3 });
  let channel: BroadcastChannel | null = null;
  afterEach(() => channel?.close());

  test('is answered on the worker when its replica has seen every change: it does not wait for a busy main thread', async () => {
    const w = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const name = `miss-${process.pid}-${Date.now()}`;
    channel = new BroadcastChannel(name);
    const asking = new Promise((r) => (channel!.onmessage = r));
    const answer = ask<{ pid: Pid | null; ms: number }>(node(), w, { timedWhereis: 'nobody-has-this', channel: name, afterMs: 100 });
    await asking;
    const end = Date.now() + 500; // the main thread is busy while the worker looks the name up
    while (Date.now() < end);
    const { pid, ms } = await answer;
    expect(pid).toBeNull();
    expect(ms).toBeLessThan(150);
  });

  test('asks the main thread when it may have missed a change a third scheduler already knows of', async () => {
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const x = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const w = node().spawn('ThreadProbe', undefined, { scheduler: 2 });
    await ask(node(), w, 'ping');
    // The main thread's news reaches scheduler 2 late; scheduler 1 has it and tells scheduler 2's actor.
    await ask(node(), p0, { holdLinkTo: 2 });
    node().register('fresh', p0);
    try {
      expect(await ask(node(), x, { whereis: 'fresh' })).toEqual(p0);
      expect(await ask(node(), x, { call: w, msg: { whereis: 'fresh' } })).toEqual({ ok: p0 });
    } finally {
      await ask(node(), p0, { releaseLinkTo: 2 });
    }
    expect(await ask(node(), w, { whereis: 'fresh' })).toEqual(p0);
  });
});

describe('pids a spawner skipped', () => {
  const node = schedulerNode('skipped', { schedulers: 2 });

  test("a made-up pid in the place of a spawn refused at the call gets 'noproc' once a later spawn arrives", async () => {
    const box = node().inbox();
    node().register('taken', box.self);
    const a = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    expect(() => node().spawn('ThreadProbe', undefined, { scheduler: 1, name: 'taken' })).toThrow(/already registered/);
    // The refused spawn's pid never left the call; one made up from the seq it skipped waits like any other...
    const madeUp = new Pid(a.node, a.id + 64 * 64, a.incarnation);
    const ref = box.monitor(madeUp);
    expect(await node().processes()).toContainEqual(a);
    // ...until a later spawn from the same spawner shows it will never come.
    const b = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    expect(b.id).toBe(a.id + 2 * 64 * 64);
    expect((await box.receive(downFor(ref), 3000)).reason).toBe('noproc');
  });
});

describe('the main thread never waits for a busy scheduler', () => {
  const node = schedulerNode('busy', { schedulers: 2 });
  let channel: BroadcastChannel | null = null;
  afterEach(() => channel?.close());

  test('while scheduler 1 runs a 2 s handler, the main thread spawns, registers and asks there, and its event loop keeps ticking', async () => {
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    await ask(node(), p1, 'ping');
    const name = `busy-${process.pid}-${Date.now()}`;
    channel = new BroadcastChannel(name);
    const spinning = new Promise((r) => (channel!.onmessage = r));
    let maxLag = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 10);
      last = now;
    }, 10);
    try {
      const spun = ask(node(), p1, { spin: 2000, channel: name }, 10_000);
      await spinning;
      const t0 = performance.now();
      const c = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
      node().register('while-busy', c);
      const info = node().processInfo(c);
      const all = node().processes();
      expect(node().whereis('while-busy')).toEqual(c);
      expect(performance.now() - t0).toBeLessThan(100);
      expect(await spun).toBe('spun');
      expect((await info)?.registeredName).toBe('while-busy');
      expect(await all).toEqual(expect.arrayContaining([p1, c]));
    } finally {
      clearInterval(ticker);
    }
    // Before: 2 s of a frozen main thread (the mesh declares peers dead after 4 silent seconds).
    expect(maxLag).toBeLessThan(500);
  });

  test('a name control posted after a 10 MB encode carries its own few bytes, not the codec buffer', async () => {
    const p0 = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    encode({ big: new Uint8Array(10 * 1024 * 1024) }); // grows the codec's shared buffer
    const posted: number[] = [];
    const original = MessagePort.prototype.postMessage;
    const spy = vi.spyOn(MessagePort.prototype, 'postMessage').mockImplementation(function (
      this: MessagePort,
      ...args: Parameters<MessagePort['postMessage']>
    ) {
      posted.push(bufferBytes(args[0]));
      return original.apply(this, args);
    });
    try {
      node().register('after-big-encode', p0); // the main thread tells scheduler 1
      node().register('other-side-big', p1); // and gives scheduler 1's process a name
    } finally {
      spy.mockRestore();
    }
    expect(posted.length).toBeGreaterThan(0);
    for (const bytes of posted) expect(bytes).toBeLessThan(64 * 1024);
    expect(await ask(node(), p1, { whereis: 'after-big-encode' })).toEqual(p0);
    expect((await node().processInfo(p1))?.registeredName).toBe('other-side-big');
  });
});

/** Bytes of every buffer a posted message holds (views count their whole buffer: that is what is cloned). */
function bufferBytes(message: unknown): number {
  if (ArrayBuffer.isView(message)) return message.buffer.byteLength;
  if (message instanceof ArrayBuffer) return message.byteLength;
  if (typeof message === 'object' && message !== null) {
    let n = 0;
    for (const v of Object.values(message)) n += bufferBytes(v);
    return n;
  }
  return 0;
}
