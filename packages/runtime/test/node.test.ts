import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import {
  Actor,
  AlreadyRegisteredError,
  CallAbortedError,
  CallExitError,
  CallTimeoutError,
  InvalidArgumentError,
  MAX_DURATION_MS,
  MemoryNetwork,
  NoProcessError,
  Node,
  NotAnActorError,
  SimulatedClock,
  StoppedError,
  UnknownNameError,
  UnknownOptionError,
  DirtyPool,
  isDown,
  noReply,
  type ActorClass,
  type DownMessage,
  type NodeOptions,
  Pid,
} from '@foundation/runtime';
import { failure } from './support.js';

const nodes: Node[] = [];
async function start(opts: NodeOptions = {}): Promise<Node> {
  const node = await Node.start({ name: 'node', ...opts });
  nodes.push(node);
  return node;
}
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

async function downOf(node: Node, pid: Pid): Promise<DownMessage> {
  const inbox = node.inbox();
  const ref = inbox.monitor(pid);
  return inbox.receive((m): m is DownMessage => isDown(m) && m.ref.equals(ref), 2000);
}

/** Answers 'ping'; holds 'hold' forever (noReply); throws what it is called with otherwise. */
class Server extends Actor<unknown, unknown> {
  override handleCall(msg: unknown) {
    if (msg === 'ping') return 'pong';
    if (msg === 'hold') return noReply;
    throw msg;
  }
}

/** Traps exits; logs [name, what, value] into a shared array. */
class Logger extends Actor<unknown, unknown, { name: string; log: unknown[]; hang?: boolean }> {
  name = '';
  log: unknown[] = [];
  hang = false;
  override init(args: { name: string; log: unknown[]; hang?: boolean }) {
    Object.assign(this, args);
    this.trapExit = true;
  }
  override handleCall(msg: unknown) {
    if (typeof msg === 'object' && msg !== null && 'link' in msg) this.link((msg as { link: Pid }).link);
    return 'ok';
  }
  override handleInfo(msg: unknown) {
    this.log.push([this.name, 'info', msg]);
  }
  override terminate(reason: unknown) {
    this.log.push([this.name, 'terminate', reason]);
    if (this.hang) return new Promise<void>(() => {});
  }
}

describe('Node.start', () => {
  test.each([
    [{ name: 'has space' }, 'has space'],
    [{ name: 42 }, '42'],
    [{ sliceMs: 0 }, 'sliceMs'],
    [{ shutdownTimeoutMs: -5 }, '-5'],
    [{ shutdownTimeoutMs: 'soon' }, 'soon'],
    [{ shutdownTimeoutMs: 2 ** 31 }, '2147483648'],
    [{ sliceMs: 2 ** 31 }, 'sliceMs'],
    [{ schedulers: 0 }, '0'],
    [{ modules: 'actors.ts' }, 'actors.ts'],
    [{ scheduling: { schedule: 'soon', workPerDrain: 1 } }, 'soon'],
    [{ scheduling: { schedule: () => {}, workPerDrain: 0 } }, 'workPerDrain'],
    [{ scheduling: { schedule: () => {}, workPerDrain: 1, incarnation: 2 ** 48 } }, 'incarnation'],
    [{ scheduling: { schedule: () => {}, workPerDrain: 1 }, schedulers: 2 }, 'schedulers'],
    [null, 'null'],
  ])('rejects bad options %j with InvalidArgumentError saying what was given', async (opts, given) => {
    const e = await failure(() => Node.start(opts as NodeOptions));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain(given);
  });

  test.each([
    [
      "Node.start: unknown option 'shedulers' (known: name, transport, clock, sliceMs, schedulers, modules, dirtyPool, shutdownTimeoutMs, scheduling)",
      () => Node.start({ shedulers: 2 } as NodeOptions),
    ],
    [
      "spawn: unknown option 'bogus' (known: name, link, trapExit, mailbox, node, scheduler)",
      async () => (await start()).spawn(Server, undefined, { bogus: true } as never),
    ],
    [
      "spawn option mailbox: unknown option 'size' (known: capacity, overflow)",
      async () => (await start()).spawn(Server, undefined, { mailbox: { capacity: 1, size: 2 } } as never),
    ],
    ["Node.inbox: unknown option 'trap' (known: trapExit)", async () => (await start()).inbox({ trap: true } as never)],
    ["DirtyPool: unknown option 'maxThreads' (known: threads, idleTimeoutMs)", () => new DirtyPool({ maxThreads: 2 } as never)],
    ["MemoryNetwork: unknown option 'autoconnect' (known: autoConnect)", () => new MemoryNetwork({ autoconnect: false } as never)],
  ])('%s', async (message, make) => {
    const e = await failure(make);
    expect(e).toBeInstanceOf(UnknownOptionError);
    expect(e.message).toBe(message);
  });

  test('starts with a name, an incarnation and no processes', async () => {
    const node = await start({ name: 'a_1@host' });
    expect(node.name).toBe('a_1@host');
    expect(node.incarnation).toBeGreaterThan(0);
    expect(await node.processes()).toEqual([]);
    expect(node.self.id).toBe(0);
  });
});

describe('names', () => {
  test('register, whereis and unregister; a name works wherever a pid does', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    node.register('srv', pid);
    expect(node.whereis('srv')).toEqual(pid);
    expect(node.registered()).toEqual(['srv']);
    expect((await node.processInfo(pid))!.registeredName).toBe('srv');
    expect(await node.call('srv', 'ping')).toBe('pong');
    expect(await node.call({ name: 'srv', node: node.name }, 'ping')).toBe('pong');
    expect(node.unregister('srv')).toBe(true);
    expect(node.unregister('srv')).toBe(false);
    expect(node.whereis('srv')).toBeUndefined();
    expect((await node.processInfo(pid))!.registeredName).toBeNull();
  });

  test('a name is freed when its process exits', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined, { name: 'srv' });
    const down = downOf(node, pid);
    node.exit(pid, 'kill');
    await down;
    expect(node.whereis('srv')).toBeUndefined();
    node.register('srv', node.spawn(Server, undefined));
  });

  test('AlreadyRegisteredError for a taken name or a second name for one pid', async () => {
    const node = await start();
    const a = node.spawn(Server, undefined, { name: 'taken' });
    const b = node.spawn(Server, undefined);
    const taken = await failure(() => node.register('taken', b));
    expect(taken).toBeInstanceOf(AlreadyRegisteredError);
    expect(taken.message).toContain(a.toString());
    expect(() => node.spawn(Server, undefined, { name: 'taken' })).toThrow(AlreadyRegisteredError);
    expect(() => node.register('second', a)).toThrow(AlreadyRegisteredError);
    expect(node.whereis('second')).toBeUndefined();
  });

  test('registering a dead pid throws NoProcessError', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    const down = downOf(node, pid);
    node.exit(pid, 'kill');
    await down;
    expect(() => node.register('late', pid)).toThrow(NoProcessError);
  });

  test('send and cast to an unknown name throw UnknownNameError naming it', async () => {
    const node = await start();
    const e = await failure(() => node.send('ghost', 1));
    expect(e).toBeInstanceOf(UnknownNameError);
    expect(e.message).toContain('ghost');
    expect(() => node.cast('ghost', 1)).toThrow(UnknownNameError);
  });
});

describe('isAlive', () => {
  test('answers at once for pids of this scheduler (true, then false once dead), false for an earlier incarnation, undefined for another node', async () => {
    const node = await start({ name: 'alive' });
    const pid = node.spawn(Server, undefined);
    expect(node.isAlive(pid)).toBe(true);
    const down = downOf(node, pid);
    node.exit(pid, 'kill');
    await down;
    expect(node.isAlive(pid)).toBe(false);
    expect(node.isAlive(new Pid('alive', 1, node.incarnation + 1))).toBe(false);
    expect(node.isAlive(new Pid('elsewhere', 1, 1))).toBeUndefined();
    expect(() => node.isAlive('nope' as never)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});

describe('calls', () => {
  test("a call to an unknown name or a dead pid rejects with CallExitError 'noproc'", async () => {
    const node = await start();
    const byName = await failure(() => node.call('ghost', 'ping'));
    expect(CallExitError.is(byName)).toBe(true);
    expect((byName as CallExitError).reason).toBe('noproc');

    const pid = node.spawn(Server, undefined);
    const down = downOf(node, pid);
    node.exit(pid, 'kill');
    await down;
    const byPid = await failure(() => node.call(pid, 'ping'));
    expect(byPid).toBeInstanceOf(CallExitError);
    expect((byPid as CallExitError).reason).toBe('noproc');
  });

  test('a call with no reply in time rejects with CallTimeoutError, and its monitor is gone', async () => {
    const clock = new SimulatedClock();
    const node = await start({ clock });
    const pid = node.spawn(Server, undefined);
    const pending = failure(() => node.call(pid, 'hold', 100));
    await node.call(pid, 'ping', Infinity);
    clock.advance(99);
    expect((await node.processInfo(pid))!.monitoredBy).toHaveLength(1);
    clock.advance(1);
    const e = await pending;
    expect(e).toBeInstanceOf(CallTimeoutError);
    expect((e as CallTimeoutError).timeoutMs).toBe(100);
    expect(e.message).toContain(pid.toString());
    expect((await node.processInfo(pid))!.monitoredBy).toEqual([]);
  });

  test("a call rejects with CallExitError carrying the callee's crash reason", async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    const err = new Error('callee crashed');
    const e = await failure(() => node.call(pid, err));
    expect(e).toBeInstanceOf(CallExitError);
    expect((e as CallExitError).reason).toBe(err);
    expect(await node.processInfo(pid)).toBeUndefined();
  });

  test('a call pending when the callee is killed rejects with the exit reason', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    const pending = failure(() => node.call(pid, 'hold'));
    await node.call(pid, 'ping');
    node.exit(pid, { shutdown: 'gone' });
    expect(((await pending) as CallExitError).reason).toEqual({ shutdown: 'gone' });
  });
});

/** Calls `to` with 'hold' and a signal it aborts at once: resolves with what the call rejected with. */
class AbortingCaller extends Actor<{ to: Pid }, unknown> {
  override async handleCall(msg: { to: Pid }) {
    const c = new AbortController();
    const pending = this.call(msg.to, 'hold', { signal: c.signal });
    c.abort('changed my mind');
    try {
      return await pending;
    } catch (e) {
      return { name: (e as Error).name, reason: (e as CallAbortedError).reason };
    }
  }
}

/** On 'go', calls `to` with 'hold' and `signal`, and waits. */
class SignalledCaller extends Actor<'go', unknown, { to: Pid; signal: AbortSignal }> {
  args!: { to: Pid; signal: AbortSignal };
  override init(args: { to: Pid; signal: AbortSignal }) {
    this.args = args;
  }
  override async handleCast() {
    await this.call(this.args.to, 'hold', { signal: this.args.signal });
  }
}

describe('call options', () => {
  test("aborting a call's signal rejects it at once with CallAbortedError carrying the reason, and ends its monitor, timer and listener", async () => {
    const clock = new SimulatedClock();
    const node = await start({ clock });
    const pid = node.spawn(Server, undefined);
    const c = new AbortController();
    const pending = failure(() => node.call(pid, 'hold', { timeoutMs: 100, signal: c.signal }));
    await node.call(pid, 'ping', Infinity);
    expect((await node.processInfo(pid))!.monitoredBy).toHaveLength(1);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(1);
    const why = new Error('user went away');
    c.abort(why);
    const e = await pending;
    expect(e).toBeInstanceOf(CallAbortedError);
    expect(e.name).toBe('CallAbortedError');
    expect((e as CallAbortedError).reason).toBe(why);
    expect(e.message).toContain(pid.toString());
    expect((await node.processInfo(pid))!.monitoredBy).toEqual([]);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
    clock.advance(100); // the timer is gone: nothing fires
    expect(await node.call(pid, 'ping', Infinity)).toBe('pong');
  });

  test('a call given an already aborted signal rejects at once with its reason (an AbortError by default)', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    const e = await failure(() => node.call(pid, 'ping', { signal: AbortSignal.abort() }));
    expect(CallAbortedError.is(e)).toBe(true);
    expect(((e as CallAbortedError).reason as Error).name).toBe('AbortError');
    expect((await node.processInfo(pid))!.monitoredBy).toEqual([]);
  });

  test('a call that ends otherwise (reply, timeout) removes its abort listener; aborting later changes nothing', async () => {
    const clock = new SimulatedClock();
    const node = await start({ clock });
    const pid = node.spawn(Server, undefined);
    const c = new AbortController();
    expect(await node.call(pid, 'ping', { signal: c.signal })).toBe('pong');
    const timedOut = failure(() => node.call(pid, 'hold', { timeoutMs: 10, signal: c.signal }));
    await node.call(pid, 'ping', Infinity);
    clock.advance(10);
    expect(await timedOut).toBeInstanceOf(CallTimeoutError);
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
    c.abort();
  });

  test('a caller that dies with a call pending removes its abort listener', async () => {
    const node = await start();
    const server = node.spawn(Server, undefined);
    const c = new AbortController();
    const caller = node.spawn(SignalledCaller, { to: server, signal: c.signal });
    node.cast(caller, 'go');
    await node.call(server, 'ping'); // the caller's call is queued before this one
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(1);
    const down = downOf(node, caller);
    node.exit(caller, 'kill');
    await down;
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
    c.abort(); // changes nothing: the dead caller's handler does not resume
    expect(await node.call(server, 'ping')).toBe('pong');
  });

  test("an actor's and an inbox's call abort the same way", async () => {
    const node = await start();
    const server = node.spawn(Server, undefined);
    const caller = node.spawn(AbortingCaller, undefined);
    expect(await node.call(caller, { to: server })).toEqual({ name: 'CallAbortedError', reason: 'changed my mind' });
    const inbox = node.inbox();
    const c = new AbortController();
    const pending = failure(() => inbox.call(server, 'hold', { signal: c.signal }));
    c.abort('later');
    expect(((await pending) as CallAbortedError).reason).toBe('later');
    expect((await node.processInfo(server))!.monitoredBy).toEqual([]);
  });

  test('call options: an unknown key throws UnknownOptionError, a signal that is not an AbortSignal InvalidArgumentError', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    expect(await failure(() => node.call(pid, 'ping', { timeotMs: 5 } as never))).toBeInstanceOf(UnknownOptionError);
    expect(await failure(() => node.call(pid, 'ping', { signal: 'stop' } as never))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(() => node.call(pid, 'ping', { timeoutMs: -1 }))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(() => node.call(pid, 'ping', null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(await node.call(pid, 'ping', {})).toBe('pong');
  });
});

describe('bad input', () => {
  class NotAnActor {}
  test.each([
    [NotAnActor, 'NotAnActor'],
    [42, '42'],
    [() => {}, 'function'],
  ])('spawn of %s throws NotAnActorError saying what was given', async (cls, given) => {
    const node = await start();
    const e = await failure(() => node.spawn(cls as unknown as ActorClass<void>, undefined));
    expect(e).toBeInstanceOf(NotAnActorError);
    expect(e.message).toContain(given);
  });

  test.each([
    [{ name: '' }, "''"],
    [{ link: 'yes' }, 'yes'],
    [{ mailbox: { capacity: 0 } }, '0'],
    [{ mailbox: { capacity: 2, overflow: 'spill' } }, 'spill'],
  ])('spawn option %j throws InvalidArgumentError saying what was given', async (opts, given) => {
    const node = await start();
    const e = await failure(() => node.spawn(Server, undefined, opts as never));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain(given);
    expect(await node.processes()).toEqual([]);
  });

  test('a negative or non-numeric timeout rejects with InvalidArgumentError', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    const e = await failure(() => node.call(pid, 'ping', -1));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('timeoutMs');
    expect(e.message).toContain('-1');
    expect(await failure(() => node.call(pid, 'ping', 'soon' as never))).toBeInstanceOf(InvalidArgumentError);
    expect(await failure(() => node.inbox().receive(undefined, -3))).toBeInstanceOf(InvalidArgumentError);
  });

  test('a call or receive timeout longer than a timer can wait (2^31-1 ms) is refused with InvalidArgumentError', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    const inbox = node.inbox();
    for (const ms of [MAX_DURATION_MS + 1, Date.now() + 5000]) {
      const e = await failure(() => node.call(pid, 'hold', ms));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toContain(String(MAX_DURATION_MS));
      expect(await failure(() => inbox.call(pid, 'hold', ms))).toBeInstanceOf(InvalidArgumentError);
      expect(await failure(() => inbox.receive(undefined, ms))).toBeInstanceOf(InvalidArgumentError);
    }
    expect((await node.processInfo(pid))!.monitoredBy).toEqual([]);
    // The longest one is a real timer, and Infinity is none.
    node.send(inbox.self, 'here');
    expect(await inbox.receive(undefined, MAX_DURATION_MS)).toBe('here');
    expect(await node.call(pid, 'ping', Infinity)).toBe('pong');
  });

  test('a target that is not a pid or a name throws InvalidArgumentError', async () => {
    const node = await start();
    const e = await failure(() => node.send(42 as never, 'x'));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message).toContain('42');
  });
});

describe('introspection', () => {
  test('processes() lists live actors and inboxes; stats() counts them and dead letters', async () => {
    const node = await start();
    const a = node.spawn(Server, undefined);
    const inbox = node.inbox();
    expect(await node.processes()).toHaveLength(2);
    expect(await node.processes()).toEqual(expect.arrayContaining([a, inbox.self]));
    expect(node.stats()).toMatchObject({ processes: 2, deadLetters: 0 });
    const ref = inbox.monitor(a);
    node.exit(a, 'kill');
    await inbox.receive((m) => isDown(m) && m.ref.equals(ref), 2000);
    expect(await node.processes()).toEqual([inbox.self]);
    node.send(a, 'to the dead');
    expect(node.stats()).toMatchObject({ processes: 1, deadLetters: 1 });
    expect(typeof node.stats().runQueue).toBe('number');
  });
});

describe("the node's own process", () => {
  test("ignores node.exit(node.self, 'kill') and other exit signals, counts them, and keeps calling and spawning", async () => {
    const node = await start();
    node.exit(node.self, 'kill');
    node.exit(node.self, 'boom');
    node.exit(node.self, 'normal');
    const pid = node.spawn(Server, undefined);
    expect(await node.call(pid, 'ping', 1000)).toBe('pong');
    expect(node.stats().exitSignalsIgnored).toBe(2);
    const linked = node.spawn(Server, undefined, { link: true });
    const down = downOf(node, linked);
    node.exit(linked, 'kill');
    expect((await down).reason).toBe('killed');
    expect(await node.call(pid, 'ping', 1000)).toBe('pong');
  });

  test('an actor that kills its parent, the node, leaves the node working', async () => {
    class Parricide extends Actor {
      override init() {
        this.exit(this.node.self, 'kill');
      }
    }
    const node = await start();
    await node.spawnAndWait(Parricide, undefined);
    expect(await node.call(node.spawn(Server, undefined), 'ping', 1000)).toBe('pong');
    expect(node.stats().exitSignalsIgnored).toBe(1);
  });

  test("a linked actor's crash reaching the node's process leaves the node working, uncounted", async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined, { link: true });
    const crash = new Error('linked crash');
    expect((await failure(() => node.call(pid, crash, 1000))) as CallExitError).toMatchObject({ reason: crash });
    expect(node.stats().exitSignalsIgnored).toBe(0);
    expect(await node.call(node.spawn(Server, undefined), 'ping', 1000)).toBe('pong');
  });
});

describe('stop', () => {
  test('a node.call pending when the node stops rejects with StoppedError at once', async () => {
    const net = new MemoryNetwork();
    const a = await start({ name: 'a', transport: net.transport() });
    const b = await start({ name: 'b', transport: net.transport() });
    const pid = b.spawn(Server, undefined);
    const pending = failure(() => a.call(pid, 'hold', 60_000));
    await expect.poll(async () => (await b.processInfo(pid))!.monitoredBy, { interval: 1 }).toHaveLength(1);
    await a.stop();
    const e = await pending;
    expect(e).toBeInstanceOf(StoppedError);
    expect(e.message).toContain(pid.toString());
  });

  test("stops top-level actors in reverse start order with 'shutdown', running trapping ones' terminate", async () => {
    const node = await start();
    const log: unknown[] = [];
    const obs = node.spawn(Logger, { name: 'obs', log });
    node.spawn(Logger, { name: 't1', log });
    const w = node.spawn(Server, undefined);
    await node.call(obs, { link: w });
    await node.call(node.spawn(Logger, { name: 't2', log }), 'init done?');
    await node.stop();
    expect(log).toEqual([
      ['t2', 'terminate', 'shutdown'],
      ['obs', 'info', { from: w, reason: 'shutdown' }],
      ['t1', 'terminate', 'shutdown'],
      ['obs', 'terminate', 'shutdown'],
    ]);
    expect(await node.processes()).toEqual([]);
  });

  test('a trapping actor whose terminate never ends is killed after shutdownTimeoutMs', async () => {
    const node = await start({ shutdownTimeoutMs: 30 });
    const log: unknown[] = [];
    const obs = node.spawn(Logger, { name: 'obs', log });
    const stuck = node.spawn(Logger, { name: 'stuck', log, hang: true });
    await node.call(obs, { link: stuck });
    const t0 = performance.now();
    await node.stop();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(log).toEqual([
      ['stuck', 'terminate', 'shutdown'],
      ['obs', 'info', { from: stuck, reason: 'killed' }],
      ['obs', 'terminate', 'shutdown'],
    ]);
  });

  test('a stopped node refuses spawn, call and inbox with StoppedError; stop is idempotent', async () => {
    const node = await start();
    const pid = node.spawn(Server, undefined);
    const first = node.stop();
    expect(node.stop()).toBe(first);
    await first;
    expect(() => node.spawn(Server, undefined)).toThrow(StoppedError);
    expect(await failure(() => node.call(pid, 'ping'))).toBeInstanceOf(StoppedError);
    expect(() => node.inbox()).toThrow(StoppedError);
  });
});
