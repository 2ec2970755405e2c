import { afterEach, describe, expect, test } from 'vitest';
import { Actor, Node, Pid, ReceiveTimeoutError, UnknownNameError, isDown, isExit, type DownMessage, type Inbox } from '@foundation/runtime';
import { downFor, exitFrom } from './support.js';

const nodes: Node[] = [];
async function start(): Promise<Node> {
  const node = await Node.start({ name: 'signals' });
  nodes.push(node);
  return node;
}
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

/** Monitors `pid` from `inbox` and resolves with its DOWN. */
function watch(inbox: Inbox, pid: Pid): Promise<DownMessage> {
  return inbox.receive(downFor(inbox.monitor(pid)), 2000);
}

type Cmd =
  { link: Pid } | { unlink: Pid } | { spawnChild: { trap: boolean; link: boolean } } | { exit: Pid; reason: unknown } | 'log' | 'ping';

/**
 * A test actor driven by calls. It records what reaches handleInfo and terminate in `log`
 * (shared with the test through its init argument) and crashes on a cast of an Error.
 */
class Probe extends Actor<Cmd, unknown, { log?: unknown[]; trap?: boolean } | undefined> {
  log: unknown[] = [];
  override init(args?: { log?: unknown[]; trap?: boolean }) {
    if (args?.log) this.log = args.log;
    if (args?.trap) this.trapExit = true;
  }
  override handleCall(cmd: Cmd) {
    if (cmd === 'log') return this.log;
    if (cmd === 'ping') return 'pong';
    if ('link' in cmd) return this.link(cmd.link);
    if ('unlink' in cmd) return this.unlink(cmd.unlink);
    if ('exit' in cmd) return this.exit(cmd.exit, cmd.reason);
    const opts = { trapExit: cmd.spawnChild.trap };
    return cmd.spawnChild.link ? this.spawnLink(Probe, { log: this.log }, opts) : this.spawn(Probe, { log: this.log }, opts);
  }
  override handleCast(err: unknown) {
    throw err;
  }
  override handleInfo(msg: unknown) {
    this.log.push(msg);
  }
  override terminate(reason: unknown) {
    this.log.push(['terminate', this.self, reason]);
  }
}

describe('links', () => {
  test("exit(pid, 'normal') from another process is ignored by a non-trapping actor", async () => {
    const node = await start();
    const a = node.spawn(Probe, undefined);
    const b = node.spawn(Probe, undefined);
    await node.call(b, { exit: a, reason: 'normal' });
    node.inbox().exit(a, 'normal');
    expect(await node.call(a, 'ping')).toBe('pong');
  });

  test("a linked actor that stops with 'normal' leaves its non-trapping link alive", async () => {
    class Quitter extends Actor {
      override handleCast() {
        this.stop('normal');
      }
    }
    const node = await start();
    const inbox = node.inbox();
    const a = node.spawn(Probe, undefined);
    const q = node.spawn(Quitter, undefined);
    await node.call(a, { link: q });
    const down = watch(inbox, q);
    node.cast(q, 'stop');
    expect((await down).reason).toBe('normal');
    expect(await node.call(a, 'ping')).toBe('pong');
    expect((await node.processInfo(a))!.links).toEqual([]);
  });

  test('an abnormal exit kills linked actors with the same reason, along the chain', async () => {
    const node = await start();
    const inbox = node.inbox();
    const a = node.spawn(Probe, undefined);
    const b = node.spawn(Probe, undefined);
    const c = node.spawn(Probe, undefined);
    await node.call(a, { link: b });
    await node.call(b, { link: c });
    const downs = [watch(inbox, a), watch(inbox, b), watch(inbox, c)];
    const err = new Error('c crashed');
    node.cast(c, err);
    const reasons = (await Promise.all(downs)).map((d) => d.reason);
    expect(reasons).toEqual([err, err, err]);
    expect(reasons[0]).toBe(err);
  });

  test('a trapping actor receives EXIT instead of dying', async () => {
    const node = await start();
    const log: unknown[] = [];
    const t = node.spawn(Probe, { log, trap: true });
    const b = node.spawn(Probe, undefined);
    await node.call(t, { link: b });
    const err = new Error('b crashed');
    const down = watch(node.inbox(), b);
    node.cast(b, err);
    await down;
    expect(await node.call(t, 'ping')).toBe('pong');
    expect(log).toHaveLength(1);
    expect(isExit(log[0])).toBe(true);
    expect(log[0]).toEqual({ from: b, reason: err });
  });

  test("exit(pid, 'kill') cannot be trapped, skips terminate, and links see 'killed'", async () => {
    const node = await start();
    const inbox = node.inbox();
    const log: unknown[] = [];
    const t = node.spawn(Probe, { log, trap: true });
    expect(await node.call(t, 'ping')).toBe('pong'); // init has set trapExit
    expect((await node.processInfo(t))!.trapExit).toBe(true);
    const plain = node.spawn(Probe, undefined);
    await node.call(plain, { link: t });
    inbox.link(t);
    const downT = watch(inbox, t);
    const downPlain = watch(inbox, plain);
    inbox.exit(t, 'kill');
    expect((await downT).reason).toBe('killed');
    expect(await inbox.receive(exitFrom(t), 2000)).toEqual({ from: t, reason: 'killed' });
    expect((await downPlain).reason).toBe('killed');
    expect(log).toEqual([]);
  });

  test('unlink means no exit signal', async () => {
    const node = await start();
    const inbox = node.inbox({ trapExit: false });
    const a = node.spawn(Probe, undefined);
    const b = node.spawn(Probe, undefined);
    await node.call(a, { link: b });
    await node.call(a, { unlink: b });
    inbox.link(b);
    inbox.unlink(b);
    expect((await node.processInfo(b))!.links).toEqual([]);
    const down = watch(inbox, b);
    node.exit(b, 'boom');
    expect((await down).reason).toBe('boom');
    expect(inbox.closed).toBe(false);
    expect(await node.call(a, 'ping')).toBe('pong');
  });

  test("link to a dead pid gives 'noproc': an EXIT when trapping, death otherwise", async () => {
    const node = await start();
    const inbox = node.inbox();
    const dead = node.spawn(Probe, undefined);
    const down = watch(inbox, dead);
    node.exit(dead, 'kill');
    await down;
    inbox.link(dead);
    expect(await inbox.receive(exitFrom(dead), 2000)).toEqual({ from: dead, reason: 'noproc' });

    const a = node.spawn(Probe, undefined);
    const aDown = watch(inbox, a);
    await node.call(a, { link: dead });
    expect((await aDown).reason).toBe('noproc');
  });
});

describe('monitors', () => {
  test('a monitor fires exactly once with { ref, pid, reason }', async () => {
    const node = await start();
    const inbox = node.inbox();
    const pid = node.spawn(Probe, undefined);
    const ref1 = inbox.monitor(pid);
    const ref2 = inbox.monitor(pid);
    expect(ref1.equals(ref2)).toBe(false);
    node.exit(pid, { shutdown: 'bye' });
    const d1 = await inbox.receive(downFor(ref1), 2000);
    const d2 = await inbox.receive(downFor(ref2), 2000);
    expect(d1).toEqual({ ref: ref1, pid, reason: { shutdown: 'bye' } });
    expect(d2.pid).toEqual(pid);
    await expect(inbox.receive(isDown, 20)).rejects.toSatisfy(ReceiveTimeoutError.is);
    expect((await node.processInfo(inbox.self))!.monitors).toEqual([]);
  });

  test("a monitor on a dead or unknown pid gives DOWN 'noproc' at once", async () => {
    const node = await start();
    const inbox = node.inbox();
    const dead = node.spawn(Probe, undefined);
    const down = watch(inbox, dead);
    node.exit(dead, 'kill');
    await down;
    const ref = inbox.monitor(dead);
    expect(inbox.pending).toBe(1); // delivered during monitor(), not later
    expect(await inbox.receive(isDown, 0)).toEqual({ ref, pid: dead, reason: 'noproc' });

    const unknown = new Pid(node.name, 999_999, node.incarnation);
    const ref2 = inbox.monitor(unknown);
    expect(await inbox.receive(isDown, 0)).toEqual({ ref: ref2, pid: unknown, reason: 'noproc' });
  });

  test('after demonitor no DOWN arrives', async () => {
    const node = await start();
    const inbox = node.inbox();
    const pid = node.spawn(Probe, undefined);
    const ref = inbox.monitor(pid);
    expect(inbox.demonitor(ref)).toBe(true);
    expect(inbox.demonitor(ref)).toBe(false);
    expect((await node.processInfo(pid))!.monitoredBy).toEqual([]);
    const later = watch(inbox, pid);
    node.exit(pid, 'boom');
    expect((await later).reason).toBe('boom');
    await expect(inbox.receive(downFor(ref), 20)).rejects.toSatisfy(ReceiveTimeoutError.is);
  });

  test('monitoring an unknown name throws UnknownNameError', async () => {
    const node = await start();
    expect(() => node.inbox().monitor('nobody')).toThrow(UnknownNameError);
  });
});

describe('parent rule', () => {
  test('a trapping actor runs terminate(reason) when its parent node sends an exit signal', async () => {
    const node = await start();
    const log: unknown[] = [];
    const t = node.spawn(Probe, { log, trap: true });
    await node.call(t, 'ping');
    const down = watch(node.inbox(), t);
    node.exit(t, 'bye');
    expect((await down).reason).toBe('bye');
    expect(log).toEqual([['terminate', t, 'bye']]);
  });

  test('a trapping child runs terminate(reason) when its spawning actor sends an exit signal', async () => {
    const node = await start();
    const log: unknown[] = [];
    const parent = node.spawn(Probe, { log });
    const child = await node.call<Pid>(parent, { spawnChild: { trap: true, link: false } });
    const down = watch(node.inbox(), child);
    await node.call(parent, { exit: child, reason: { shutdown: 'x' } });
    expect((await down).reason).toEqual({ shutdown: 'x' });
    expect(log).toEqual([['terminate', child, { shutdown: 'x' }]]);
  });

  test('a trapping child linked to its parent terminates with the reason its parent crashed with', async () => {
    const node = await start();
    const log: unknown[] = [];
    const parent = node.spawn(Probe, { log });
    const child = await node.call<Pid>(parent, { spawnChild: { trap: true, link: true } });
    await node.call(child, 'ping');
    const down = watch(node.inbox(), child);
    const err = new Error('parent crashed');
    node.cast(parent, err);
    expect((await down).reason).toBe(err);
    expect(log).toEqual([
      ['terminate', parent, err],
      ['terminate', child, err],
    ]);
  });

  test('exit signals from anyone but the parent arrive in handleInfo as { from, reason }', async () => {
    const node = await start();
    const inbox = node.inbox();
    const log: unknown[] = [];
    const t = node.spawn(Probe, { log, trap: true });
    await node.call(t, 'ping'); // init has set trapExit
    inbox.exit(t, 'boom');
    const other = node.spawn(Probe, undefined);
    await node.call(other, { exit: t, reason: 'kill-me-not' });
    expect(await node.call(t, 'ping')).toBe('pong');
    expect(log).toEqual([
      { from: inbox.self, reason: 'boom' },
      { from: other, reason: 'kill-me-not' },
    ]);
  });
});

test('an exit signal raised during a turn stops the actor before its next queued message', async () => {
  const node = await start();
  const log: unknown[] = [];
  const pid = node.spawn(Probe, { log });
  await node.call(pid, 'ping');
  const down = watch(node.inbox(), pid);
  const reply = node.call(pid, { exit: pid, reason: 'self-inflicted' });
  for (let i = 0; i < 10; i++) node.send(pid, i);
  await reply;
  expect((await down).reason).toBe('self-inflicted');
  expect(log).toEqual([]);
});

test('exit signals overtake queued user messages', async () => {
  const node = await start();
  const log: unknown[] = [];
  const pid = node.spawn(Probe, { log });
  await node.call(pid, 'ping');
  const down = watch(node.inbox(), pid);
  for (let i = 0; i < 10; i++) node.send(pid, i);
  node.inbox().exit(pid, 'boom');
  expect((await down).reason).toBe('boom');
  expect(log).toEqual([]);
});
