import { afterEach, describe, expect, test, vi } from 'vitest';
import { BroadcastChannel } from 'node:worker_threads';
import {
  CallExitError,
  MemoryNetwork,
  Node,
  Pid,
  ReceiveTimeoutError,
  StoppedError,
  UnencodableError,
  isDown,
  isExit,
  type DownMessage,
  type Inbox,
  type ExitMessage,
  type Ref,
} from '@foundation/runtime';
import { ThreadProbe, type ProbeArgs, type ProbeReport } from './fixtures/thread-actors.js';
import { MODULES, ask, schedulerNode, schedulerOf } from './fixtures/scheduler-node.js';
import { downFor, exitFrom } from './support.js';

/*
 * Links, monitors and exit signals between actors on different schedulers of one node (the
 * main thread and a worker thread), in both placements; a worker thread that dies; and stop.
 * Mirrors signals.test.ts, which shows the same rules on one scheduler.
 */

const isReport = (m: unknown): m is ProbeReport => typeof m === 'object' && m !== null && (m as ProbeReport).probe instanceof Pid;
/** A report from `probe` of a message that reached its handleInfo, matching `what`. */
const infoFrom =
  (probe: Pid, what: (info: unknown) => boolean = () => true) =>
  (m: unknown): m is { probe: Pid; info: unknown } =>
    isReport(m) && m.probe.equals(probe) && 'info' in m && what(m.info);
const terminateOf =
  (probe: Pid) =>
  (m: unknown): m is { probe: Pid; terminate: unknown } =>
    isReport(m) && m.probe.equals(probe) && 'terminate' in m;

/** Monitors `pid` from `box` and resolves with its DOWN. */
function watch(box: Inbox, pid: Pid): Promise<DownMessage> {
  return box.receive(downFor(box.monitor(pid)), 3000);
}

/** Which scheduler each of the two actors of a test runs on. */
const placements = [
  { a: 0, b: 1, where: 'a on the main thread, b on the worker' },
  { a: 1, b: 0, where: 'a on the worker, b on the main thread' },
];

describe('links across schedulers', () => {
  const node = schedulerNode('links');
  const probe = (scheduler: number, args?: ProbeArgs) => node().spawn('ThreadProbe', args, { scheduler });

  test.each(placements)('an abnormal exit kills the linked actor with the same reason ($where)', async ({ a, b }) => {
    const box = node().inbox();
    const pa = probe(a);
    const pb = probe(b);
    await ask(node(), pa, { link: pb });
    expect((await node().processInfo(pb))!.links).toEqual([pa]);
    const downs = [watch(box, pa), watch(box, pb)];
    node().cast(pb, new Error('b crashed'));
    const [da, db] = await Promise.all(downs);
    expect((db!.reason as Error).message).toBe('b crashed');
    expect(da!.reason).toBeInstanceOf(Error);
    expect((da!.reason as Error).message).toBe('b crashed');
  });

  test.each(placements)("'normal' does not kill the linked actor, and the link is gone ($where)", async ({ a, b }) => {
    const box = node().inbox();
    const pa = probe(a);
    const pb = probe(b);
    await ask(node(), pa, { link: pb });
    const down = watch(box, pb);
    await ask(node(), pb, { stop: 'normal' });
    expect((await down).reason).toBe('normal');
    expect(await ask(node(), pa, 'ping')).toBe('pong');
    expect((await node().processInfo(pa))!.links).toEqual([]);
  });

  test.each(placements)('a trapping actor gets EXIT from its link on the other scheduler and lives ($where)', async ({ a, b }) => {
    const box = node().inbox();
    const t = probe(a, { reportTo: box.self, trap: true });
    const pb = probe(b);
    await ask(node(), t, { link: pb });
    node().cast(pb, new Error('b crashed'));
    const { info } = await box.receive(infoFrom(t, isExit), 3000);
    expect((info as ExitMessage).from).toEqual(pb);
    expect(((info as ExitMessage).reason as Error).message).toBe('b crashed');
    expect(await ask(node(), t, 'ping')).toBe('pong');
    expect((await node().processInfo(t))!.links).toEqual([]);
  });

  test.each(placements)("'kill' cannot be trapped, skips terminate, and links see 'killed' ($where)", async ({ a, b }) => {
    const box = node().inbox();
    const t = probe(b, { reportTo: box.self, trap: true });
    await ask(node(), t, 'ping'); // init has set trapExit
    const plain = probe(a);
    await ask(node(), plain, { link: t });
    box.link(t);
    const downT = watch(box, t);
    const downPlain = watch(box, plain);
    await ask(node(), probe(a), { exit: t, reason: 'kill' });
    expect((await downT).reason).toBe('killed');
    expect(await box.receive(exitFrom(t), 3000)).toEqual({ from: t, reason: 'killed' });
    expect((await downPlain).reason).toBe('killed');
    expect(box.pending).toBe(0); // no terminate report
  });

  test.each(placements)('after unlink no exit signal crosses ($where)', async ({ a, b }) => {
    const box = node().inbox({ trapExit: false });
    const pa = probe(a);
    const pb = probe(b);
    await ask(node(), pa, { link: pb });
    await ask(node(), pa, { unlink: pb });
    box.link(pb);
    box.unlink(pb);
    expect((await node().processInfo(pb))!.links).toEqual([]);
    expect((await node().processInfo(pa))!.links).toEqual([]);
    const down = watch(box, pb);
    node().exit(pb, 'boom');
    expect((await down).reason).toBe('boom');
    expect(box.closed).toBe(false);
    expect(await ask(node(), pa, 'ping')).toBe('pong');
  });

  test.each(placements)("a link to a dead pid on the other scheduler gives 'noproc' ($where)", async ({ a, b }) => {
    const box = node().inbox();
    const dead = probe(b);
    const gone = watch(box, dead);
    node().exit(dead, 'kill');
    await gone;
    const t = probe(a, { reportTo: box.self, trap: true });
    await ask(node(), t, { link: dead });
    expect((await box.receive(infoFrom(t, isExit), 3000)).info).toEqual({ from: dead, reason: 'noproc' });
    const pa = probe(a);
    const down = watch(box, pa);
    await ask(node(), pa, { link: dead });
    expect((await down).reason).toBe('noproc');
  });
});

describe('exit reasons the codec cannot carry', () => {
  const node = schedulerNode('reasons');

  test('cross as an UnencodableError naming what they held, and both schedulers live on', async () => {
    const box = node().inbox();
    const p1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const thread = (await ask<{ threadId: number }>(node(), p1, 'where')).threadId;
    const t0 = node().spawn('ThreadProbe', { reportTo: box.self, trap: true }, { scheduler: 0 });
    await ask(node(), t0, { link: p1 });
    const down = watch(box, p1);
    node().cast(p1, 'crash with a symbol');
    const reason = (await down).reason;
    expect(UnencodableError.is(reason)).toBe(true);
    expect((reason as UnencodableError).path).toBe('exit reason.why');
    expect((await box.receive(infoFrom(t0, isExit), 3000)).info).toEqual({ from: p1, reason });
    // the other way: the main thread's exit signal with a symbol for reason
    const q1 = node().spawn('ThreadProbe', undefined, { scheduler: 1 });
    const qDown = watch(box, q1);
    node().exit(q1, Symbol('why'));
    expect(UnencodableError.is((await qDown).reason)).toBe(true);
    expect(await ask(node(), node().spawn('ThreadProbe', undefined, { scheduler: 1 }), 'where')).toMatchObject({ threadId: thread });
  });
});

describe('monitors across schedulers', () => {
  const node = schedulerNode('monitors');
  const probe = (scheduler: number, args?: ProbeArgs) => node().spawn('ThreadProbe', args, { scheduler });

  test.each(placements)('a monitor fires exactly once with { ref, pid, reason } ($where)', async ({ a, b }) => {
    const box = node().inbox();
    const watcher = probe(a, { reportTo: box.self });
    const pb = probe(b);
    const ref1 = await ask<Ref>(node(), watcher, { monitor: pb });
    const ref2 = await ask<Ref>(node(), watcher, { monitor: pb });
    expect(ref1.equals(ref2)).toBe(false);
    expect((await node().processInfo(pb))!.monitoredBy).toEqual([watcher, watcher]);
    node().exit(pb, { shutdown: 'bye' });
    const isDownOf = (ref: Ref) => (i: unknown) => isDown(i) && i.ref.equals(ref);
    expect((await box.receive(infoFrom(watcher, isDownOf(ref1)), 3000)).info).toEqual({ ref: ref1, pid: pb, reason: { shutdown: 'bye' } });
    expect((await box.receive(infoFrom(watcher, isDownOf(ref2)), 3000)).info).toEqual({ ref: ref2, pid: pb, reason: { shutdown: 'bye' } });
    // the watcher's own call goes after any further DOWN from the same exit
    expect((await node().processInfo(watcher))!.monitors).toEqual([]);
    expect(await ask(node(), watcher, 'ping')).toBe('pong');
    expect(box.pending).toBe(0);
  });

  test.each(placements)("a monitor on a dead pid of the other scheduler gives DOWN 'noproc' ($where)", async ({ a, b }) => {
    const box = node().inbox();
    const dead = probe(b);
    const gone = watch(box, dead);
    node().exit(dead, 'kill');
    await gone;
    const watcher = probe(a, { reportTo: box.self });
    const ref = await ask<Ref>(node(), watcher, { monitor: dead });
    expect((await box.receive(infoFrom(watcher), 3000)).info).toEqual({ ref, pid: dead, reason: 'noproc' });
  });

  test.each(placements)('after demonitor no DOWN arrives ($where)', async ({ a, b }) => {
    const box = node().inbox();
    const watcher = probe(a, { reportTo: box.self });
    const pb = probe(b);
    const dropped = await ask<Ref>(node(), watcher, { monitor: pb });
    const kept = await ask<Ref>(node(), watcher, { monitor: pb });
    expect(await ask(node(), watcher, { demonitor: dropped })).toBe(true);
    expect(await ask(node(), watcher, { demonitor: dropped })).toBe(false);
    expect((await node().processInfo(pb))!.monitoredBy).toEqual([watcher]);
    node().exit(pb, 'boom');
    const down = (await box.receive(infoFrom(watcher), 3000)).info as DownMessage;
    // DOWNs of one exit go out in the order the monitors were set: the dropped one would be first
    expect(down.ref).toEqual(kept);
    expect(down.reason).toBe('boom');
    expect(box.pending).toBe(0);
  });

  test('the inbox on the main thread monitors an actor on the worker, twice, and demonitors', async () => {
    const box = node().inbox();
    const pb = probe(1);
    const ref1 = box.monitor(pb);
    const ref2 = box.monitor(pb);
    const ref3 = box.monitor(pb);
    expect(box.demonitor(ref3)).toBe(true);
    node().exit(pb, 'bye');
    expect(await box.receive(downFor(ref1), 3000)).toEqual({ ref: ref1, pid: pb, reason: 'bye' });
    expect(await box.receive(downFor(ref2), 3000)).toEqual({ ref: ref2, pid: pb, reason: 'bye' });
    await expect(box.receive(isDown, 20)).rejects.toSatisfy(ReceiveTimeoutError.is);
    expect((await node().processInfo(box.self))!.monitors).toEqual([]);
  });
});

describe('calls from a worker scheduler to other nodes', () => {
  test("reach a process there, and fail at once with 'noconnection' when the node is cut off", async () => {
    const net = new MemoryNetwork();
    const a = await Node.start({ name: 'wa', schedulers: 2, modules: MODULES, transport: net.transport() });
    const b = await Node.start({ name: 'wb', transport: net.transport() });
    try {
      b.spawn(ThreadProbe, undefined, { name: 'far' });
      const probe = a.spawn('ThreadProbe', undefined, { scheduler: 1 });
      const far = { name: 'far', node: 'wb' };
      expect(await ask(a, probe, { call: far, msg: 'now', timeoutMs: 5000 })).toEqual({ ok: expect.any(Number) });
      net.cut('wa', 'wb');
      // The call carries its monitor (no monitor frame goes first): the worker's nodedown fails it, no timeout.
      const err = await ask(a, probe, { call: far, msg: 'now', timeoutMs: 5000 }).catch((e: unknown) => e);
      // (It crossed a thread: a copy of the CallExitError, by its name.)
      expect(err).toMatchObject({ name: 'CallExitError', reason: 'noconnection' });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('the parent rule across schedulers', () => {
  const node = schedulerNode('parents');

  test("a trapping actor the node spawned on scheduler 1 runs terminate on node.exit(pid, 'shutdown')", async () => {
    const box = node().inbox();
    const t = node().spawn('ThreadProbe', { reportTo: box.self, trap: true }, { scheduler: 1 });
    await ask(node(), t, 'ping');
    // from anyone else, the same signal is a message
    box.exit(t, 'shutdown');
    expect((await box.receive(infoFrom(t), 3000)).info).toEqual({ from: box.self, reason: 'shutdown' });
    const down = watch(box, t);
    node().exit(t, 'shutdown');
    expect(await box.receive(terminateOf(t), 3000)).toEqual({ probe: t, terminate: 'shutdown' });
    expect((await down).reason).toBe('shutdown');
  });

  test.each(placements)('a trapping child on the other scheduler runs terminate when its parent exits it ($where)', async ({ a, b }) => {
    const box = node().inbox();
    const parent = node().spawn('ThreadProbe', undefined, { scheduler: a });
    const child = await ask<Pid>(node(), parent, {
      spawn: 'ThreadProbe',
      args: { reportTo: box.self, trap: true },
      opts: { scheduler: b },
    });
    expect(schedulerOf(child)).toBe(b);
    await ask(node(), child, 'ping');
    const down = watch(box, child);
    await ask(node(), parent, { exit: child, reason: { shutdown: 'x' } });
    expect(await box.receive(terminateOf(child), 3000)).toEqual({ probe: child, terminate: { shutdown: 'x' } });
    expect((await down).reason).toEqual({ shutdown: 'x' });
  });

  test.each(placements)(
    "a trapping child linked to its parent on the other scheduler terminates with the parent's crash ($where)",
    async ({ a, b }) => {
      const box = node().inbox();
      const parent = node().spawn('ThreadProbe', undefined, { scheduler: a });
      const child = await ask<Pid>(node(), parent, {
        spawn: 'ThreadProbe',
        args: { reportTo: box.self, trap: true },
        opts: { scheduler: b, link: true },
      });
      await ask(node(), child, 'ping');
      const down = watch(box, child);
      node().cast(parent, new Error('parent crashed'));
      const { terminate } = await box.receive(terminateOf(child), 3000);
      expect((terminate as Error).message).toBe('parent crashed');
      expect(((await down).reason as Error).message).toBe('parent crashed');
    },
  );
});

describe('a worker scheduler thread that dies', () => {
  const node = schedulerNode('crash');

  test('its processes exit with { schedulerDown }, links, monitors and calls see it, names go, and it comes back', async () => {
    const box = node().inbox();
    const killer = node().spawn('ThreadKiller', undefined, { scheduler: 1 });
    const victim = node().spawn('ThreadProbe', undefined, { scheduler: 1, name: 'victim' });
    const oldThread = (await ask<{ threadId: number }>(node(), victim, 'where')).threadId;
    const linked = node().spawn('ThreadProbe', undefined, { scheduler: 0 });
    await ask(node(), linked, { link: victim });
    const trapping = node().spawn('ThreadProbe', { reportTo: box.self, trap: true }, { scheduler: 0 });
    await ask(node(), trapping, { link: victim });
    box.link(victim);
    const downs = [watch(box, victim), watch(box, killer), watch(box, linked)];
    const held = node()
      .call(victim, 'hold', 10_000)
      .then(
        () => null,
        (e: unknown) => e,
      );

    node().cast(killer, 'die');

    const schedulerDown = { schedulerDown: { scheduler: 1, error: expect.stringMatching(/code 3/) } };
    const [dv, dk, dl] = await Promise.all(downs);
    expect(dv!.reason).toEqual(schedulerDown);
    expect(dk!.reason).toEqual(schedulerDown);
    expect(dl!.reason).toEqual(schedulerDown); // a non-trapping link dies of it
    expect(await box.receive(exitFrom(victim), 3000)).toEqual({ from: victim, reason: schedulerDown });
    expect((await box.receive(infoFrom(trapping, isExit), 3000)).info).toEqual({ from: victim, reason: schedulerDown });
    const e = await held;
    expect(e).toBeInstanceOf(CallExitError);
    expect((e as CallExitError).reason).toEqual(schedulerDown);
    expect(node().whereis('victim')).toBeUndefined();
    expect((await node().processes()).filter((p) => schedulerOf(p) === 1)).toEqual([]);
    expect((await node().processInfo(trapping))!.links).toEqual([]);

    // the scheduler is back, on a new thread, with new pids
    const fresh = node().spawn('ThreadProbe', undefined, { scheduler: 1, name: 'victim' });
    const where = await ask<{ threadId: number }>(node(), fresh, 'where');
    expect(where.threadId).not.toBe(oldThread);
    expect(fresh.id).toBeGreaterThan(victim.id);
    expect(node().whereis('victim')).toEqual(fresh);
    // a stale pid of the dead thread names nobody on the new one
    expect(await node().processInfo(victim)).toBeUndefined();
    const stale = (await node()
      .call(victim, 'ping')
      .catch((x: unknown) => x)) as CallExitError;
    expect(stale).toBeInstanceOf(CallExitError);
    expect(stale.reason).toBe('noproc');
    const ref = box.monitor(victim);
    expect((await box.receive(downFor(ref), 3000)).reason).toBe('noproc');
    // and the new scheduler's actors talk to the main thread as before
    expect(await ask(node(), fresh, { call: trapping, msg: 'ping' })).toEqual({ ok: 'pong' });
  });
});

describe('node.stop with actors on both schedulers', () => {
  let channel: BroadcastChannel | null = null;
  afterEach(() => channel?.close());

  test("every actor exits with 'shutdown', trapping ones run terminate, and the worker thread ends", async () => {
    const node = await Node.start({ name: 'stopping', schedulers: 2, modules: MODULES });
    const name = `stop-${process.pid}-${Date.now()}`;
    const seen: Record<string, unknown>[] = [];
    channel = new BroadcastChannel(name);
    channel.onmessage = (e) => seen.push((e as MessageEvent).data as Record<string, unknown>);
    // The witness on the worker is its first actor: it stops last there, after every other one.
    const witness = node.spawn('ThreadProbe', { channel: name, trap: true, watchThread: true }, { scheduler: 1 });
    const plain0 = node.spawn('ThreadProbe', undefined, { scheduler: 0 });
    const trap0 = node.spawn('ThreadProbe', { channel: name, trap: true }, { scheduler: 0 });
    const plain1 = node.spawn('ThreadProbe', undefined, { scheduler: 1 });
    const trap1 = node.spawn('ThreadProbe', { channel: name, trap: true }, { scheduler: 1 });
    const child1 = await ask<Pid>(node, trap0, {
      spawn: 'ThreadProbe',
      args: { channel: name, trap: true },
      opts: { scheduler: 1, link: true },
    });
    await ask(node, plain0, { link: plain1 });
    const others = [plain0, trap0, plain1, trap1, child1];
    for (const p of others) await ask(node, witness, { monitor: p });

    await node.stop();

    const str = (pids: Pid[]) => pids.map(String).sort();
    await vi.waitFor(() => expect(seen.some((m) => 'threadExit' in m)).toBe(true), { timeout: 3000, interval: 5 });
    const downs = seen.filter((m) => 'down' in m);
    expect(downs.map((m) => m.down).sort()).toEqual(str(others));
    expect(downs.every((m) => m.reason === 'shutdown')).toBe(true);
    const terminated = seen.filter((m) => 'terminate' in m);
    expect(terminated.map((m) => m.probe).sort()).toEqual(str([witness, trap0, trap1, child1]));
    expect(terminated.every((m) => m.terminate === 'shutdown')).toBe(true);
    // the thread ended after its last actor, cleanly
    const ended = seen.findIndex((m) => 'threadExit' in m);
    expect(seen[ended]).toMatchObject({ code: 0 });
    expect(seen.findIndex((m) => m.probe === String(witness) && 'terminate' in m)).toBeLessThan(ended);
    expect(await node.processes()).toEqual([]);
    expect(() => node.spawn('ThreadProbe', undefined, { scheduler: 1 })).toThrow(StoppedError);
  });
});
