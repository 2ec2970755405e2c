import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  Actor,
  CallExitError,
  MemoryNetwork,
  Node,
  isDown,
  noReply,
  isNodeDown,
  isNodeUp,
  ReceiveTimeoutError,
  UnencodableError,
  type From,
  type Inbox,
  type Pid,
} from '@foundation/runtime';
import { downFor, exitFrom, failure } from './support.js';

const nodes: Node[] = [];
async function start(net: MemoryNetwork, name: string): Promise<Node> {
  const node = await Node.start({ name, transport: net.transport() });
  nodes.push(node);
  return node;
}
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

const until = (fn: () => unknown) => vi.waitFor(fn, { interval: 1, timeout: 2000 });

type Cmd = 'self' | 'hold' | { link: Pid } | { call: Pid | { name: string; node: string }; msg: unknown } | unknown;

/**
 * Answers calls with `{ echo, self }`, reports casts and sends to `reportTo`, links on
 * `{ link }`, calls on `{ call, msg }`, holds `'hold'` calls forever, crashes on a cast Error.
 */
class Echo extends Actor<Cmd, unknown, Pid | undefined> {
  reportTo: Pid | undefined;
  override init(reportTo?: Pid) {
    this.reportTo = reportTo;
  }
  override handleCall(msg: Cmd) {
    if (msg === 'hold') return noReply;
    if (typeof msg === 'object' && msg !== null && 'link' in msg) return this.link((msg as { link: Pid }).link);
    if (typeof msg === 'object' && msg !== null && 'call' in msg) {
      const c = msg as { call: Pid; msg: unknown };
      return this.call(c.call, c.msg, 1000);
    }
    return { echo: msg, self: this.self };
  }
  override handleCast(msg: unknown) {
    if (msg instanceof Error) throw msg;
    if (this.reportTo) this.send(this.reportTo, ['cast', msg]);
  }
  override handleInfo(msg: unknown) {
    if (this.reportTo) this.send(this.reportTo, ['info', msg]);
  }
}

/** Answers every call through ReplyHelper: it hands `from` on and returns noReply. */
class Delegator extends Actor<unknown, string, Pid> {
  helper!: Pid;
  override init(helper: Pid) {
    this.helper = helper;
  }
  override handleCall(_msg: unknown, from: From) {
    this.send(this.helper, from);
    return noReply;
  }
}

class ReplyHelper extends Actor<From, never, undefined> {
  override handleInfo(from: From) {
    this.reply(from, 'answered by the helper');
  }
}

async function pair(): Promise<{ net: MemoryNetwork; a: Node; b: Node; inbox: Inbox; echo: Pid }> {
  const net = new MemoryNetwork();
  const a = await start(net, 'a');
  const b = await start(net, 'b');
  const inbox = a.inbox();
  const echo = b.spawn(Echo, inbox.self, { name: 'echo' });
  return { net, a, b, inbox, echo };
}

describe('messages', () => {
  test('send, cast and call reach a process on another node by pid and by { name, node }', async () => {
    const { a, inbox, echo } = await pair();
    const byName = { name: 'echo', node: 'b' };
    a.send(echo, 'i1');
    a.cast(echo, 'c1');
    a.send(byName, 'i2');
    a.cast(byName, 'c2');
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await inbox.receive(undefined, 1000));
    expect(got).toEqual([
      ['info', 'i1'],
      ['cast', 'c1'],
      ['info', 'i2'],
      ['cast', 'c2'],
    ]);
    const r1 = await a.call<{ echo: unknown; self: Pid }>(echo, { x: [1, new Map([[1, 2]])] }, 1000);
    expect(r1.echo).toEqual({ x: [1, new Map([[1, 2]])] });
    expect(r1.self.equals(echo)).toBe(true);
    const r2 = await a.call<{ self: Pid }>(byName, 'q', 1000);
    expect(r2.self.equals(echo)).toBe(true);
    // The pid that came back over the wire works as well.
    expect(await a.call(r2.self, 'again', 1000)).toMatchObject({ echo: 'again' });
  });

  test('messages from one process to another node arrive in the order sent', async () => {
    const { a, inbox, echo } = await pair();
    for (let i = 0; i < 200; i++) a.send(echo, i);
    const got = [];
    for (let i = 0; i < 200; i++) got.push(await inbox.receive(undefined, 1000));
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => ['info', i]));
  });

  test('an actor calls an actor on another node, which calls a third node', async () => {
    const net = new MemoryNetwork();
    const a = await start(net, 'a');
    const b = await start(net, 'b');
    const c = await start(net, 'c');
    const onA = a.spawn(Echo, undefined);
    const onB = b.spawn(Echo, undefined);
    c.spawn(Echo, undefined, { name: 'far' });
    const reply = await a.call<{ echo: unknown; self: Pid }>(
      onA,
      { call: onB, msg: { call: { name: 'far', node: 'c' }, msg: 'hop' } },
      2000,
    );
    expect(reply.echo).toBe('hop');
    expect(reply.self.equals(c.whereis('far'))).toBe(true);
  });

  test("a call is one frame each way: it carries its caller's monitor, which holds until the callee's reply drops it", async () => {
    const { net, a, b, echo } = await pair();
    const monitors = async () => (await b.processInfo(echo))!.monitoredBy.map((p) => p.node);
    const before = net.framesCarried;
    await a.call(echo, 'q', 1000);
    expect(await monitors()).toEqual([]); // dropped as the callee replied: no demonitor frame follows
    const pending = a.call(echo, 'hold', 5000);
    await until(async () => expect(await monitors()).toEqual(['a']));
    expect(net.framesCarried - before).toBe(3); // the first call and its reply, the second call
    b.exit(echo, 'gone');
    expect(((await failure(pending)) as CallExitError).reason).toBe('gone');
  });

  test('a reply given by another process than the callee leaves no monitor behind either', async () => {
    const { a, b } = await pair();
    const helper = b.spawn(ReplyHelper, undefined);
    const delegator = b.spawn(Delegator, helper);
    expect(await a.call(delegator, 'q', 1000)).toBe('answered by the helper');
    // The caller's demonitor removes the callee's record (its reply did not).
    await until(async () => expect((await b.processInfo(delegator))!.monitoredBy).toEqual([]));
  });

  test("a call to an unknown remote name or a dead remote pid rejects with 'noproc'", async () => {
    const { a, b } = await pair();
    const e = await failure(a.call({ name: 'nobody', node: 'b' }, 'q', 1000));
    expect(CallExitError.is(e) && (e as CallExitError).reason).toBe('noproc');
    const gone = b.spawn(Echo, undefined);
    b.exit(gone, 'kill');
    await until(async () => expect(await b.processInfo(gone)).toBeUndefined());
    expect(((await failure(a.call(gone, 'q', 1000))) as CallExitError).reason).toBe('noproc');
  });
});

describe('MemoryNetwork', () => {
  test('a frame the receiving node fails on is dropped there, and the frames after it still arrive', async () => {
    const net = new MemoryNetwork();
    const b = await start(net, 'b');
    const inbox = b.inbox();
    // A peer that speaks the frame protocol badly: a bare transport, with no node behind it.
    const hostile = net.transport();
    await hostile.start({ name: 'hostile', incarnation: 1, receive() {}, nodeUp() {}, nodeDown() {}, batchDone() {} });
    expect(hostile.send('b', { t: 'link', to: inbox.self, from: undefined } as never)).toBe(true);
    hostile.send('b', { t: 'msg', to: inbox.self, kind: 0, msg: 'after the bad frame' });
    expect(await inbox.receive(undefined, 2000)).toBe('after the bad frame');
    await hostile.stop();
  });
});

describe('links and monitors', () => {
  test('an exit reason the wire cannot carry still fires links and monitors, as an UnencodableError naming it', async () => {
    const { b, inbox } = await pair();
    const victim = b.inbox({ trapExit: false });
    inbox.link(victim.self);
    const ref = inbox.monitor(victim.self);
    await until(async () => expect((await b.processInfo(victim.self))?.monitoredBy).toHaveLength(1));
    b.exit(victim.self, { why: Symbol('not for the wire') });
    const exit = await inbox.receive(exitFrom(victim.self), 1000);
    expect(UnencodableError.is(exit.reason)).toBe(true);
    expect((exit.reason as UnencodableError).path).toBe('exit reason.why');
    const down = await inbox.receive(downFor(ref), 1000);
    expect(UnencodableError.is(down.reason)).toBe(true);
  });

  test('a remote crash kills the linked local actor with the same reason', async () => {
    const { a, inbox, echo } = await pair();
    const local = a.spawn(Echo, undefined);
    await a.call(local, { link: echo }, 1000);
    inbox.link(echo);
    const ref = inbox.monitor(local);
    a.cast(echo, new Error('remote boom'));
    const exit = await inbox.receive(exitFrom(echo), 1000);
    expect((exit.reason as Error).message).toBe('remote boom');
    const down = await inbox.receive(downFor(ref), 1000);
    expect(down.reason).toBeInstanceOf(Error);
    expect((down.reason as Error).message).toBe('remote boom');
  });

  test('a remote monitor fires once with the reason; by name too; unknown ones give noproc', async () => {
    const { b, inbox, echo } = await pair();
    const byPid = inbox.monitor(echo);
    const byName = inbox.monitor({ name: 'echo', node: 'b' });
    await until(async () => expect((await b.processInfo(echo))!.monitoredBy).toHaveLength(2));
    b.exit(echo, 'bye');
    const d1 = await inbox.receive(downFor(byPid), 1000);
    expect(d1.pid.equals(echo)).toBe(true);
    expect(d1.reason).toBe('bye');
    expect((await inbox.receive(downFor(byName), 1000)).reason).toBe('bye');
    expect(inbox.pending).toBe(0);
    const again = inbox.monitor(echo);
    expect((await inbox.receive(downFor(again), 1000)).reason).toBe('noproc');
    const ghost = inbox.monitor({ name: 'ghost', node: 'b' });
    expect((await inbox.receive(downFor(ghost), 1000)).reason).toBe('noproc');
  });

  test("a link to a dead remote pid gives 'noproc'", async () => {
    const { b, inbox } = await pair();
    const gone = b.spawn(Echo, undefined);
    b.exit(gone, 'kill');
    await until(async () => expect(await b.processInfo(gone)).toBeUndefined());
    inbox.link(gone);
    expect(await inbox.receive(exitFrom(gone), 1000)).toEqual({ from: gone, reason: 'noproc' });
  });

  test('a remote demonitor and unlink mean no DOWN and no EXIT', async () => {
    const { b, inbox, echo } = await pair();
    const ref = inbox.monitor(echo);
    inbox.link(echo);
    await until(async () => expect((await b.processInfo(echo))!.links).toHaveLength(1));
    inbox.demonitor(ref);
    inbox.unlink(echo);
    await until(async () => expect((await b.processInfo(echo))!).toMatchObject({ links: [], monitoredBy: [] }));
    const later = inbox.monitor(echo);
    await until(async () => expect((await b.processInfo(echo))!.monitoredBy).toHaveLength(1));
    b.exit(echo, 'bye');
    await inbox.receive(downFor(later), 1000);
    expect(inbox.pending).toBe(0);
  });

  test('after unlink no EXIT arrives, even from a remote exit already in flight', async () => {
    const { b, inbox, echo } = await pair();
    inbox.link(echo);
    const ref = inbox.monitor(echo);
    await until(async () => expect((await b.processInfo(echo))!.links).toEqual([inbox.self]));
    b.exit(echo, 'boom'); // echo dies on b's next turn and sends its EXIT and DOWN to a ...
    inbox.unlink(echo); // ... while this unlink travels to b
    expect((await inbox.receive(downFor(ref), 1000)).reason).toBe('boom');
    expect(inbox.pending).toBe(0);
  });
});

describe('lost connections', () => {
  test('a process that monitors nodes gets { nodedown, reason } after the DOWNs of that node, then { nodeup }; it stops with monitorNodes(false)', async () => {
    const { net, a, inbox, echo } = await pair();
    const ref = inbox.monitor(echo);
    inbox.monitorNodes();
    net.cut('a', 'b');
    const first = await inbox.receive((m) => isDown(m) || isNodeDown(m), 1000);
    expect(isDown(first) && first.ref.equals(ref)).toBe(true);
    expect(await inbox.receive(isNodeDown, 1000)).toEqual({ nodedown: 'b', reason: 'noconnection' });
    net.heal('a', 'b');
    expect(await inbox.receive(isNodeUp, 1000)).toEqual({ nodeup: 'b' });
    inbox.monitorNodes(false);
    net.cut('a', 'b');
    await until(() => expect(a.nodes()).toEqual([]));
    await expect(inbox.receive(isNodeDown, 50)).rejects.toBeInstanceOf(ReceiveTimeoutError);
  });

  test("a cut gives links 'noconnection', monitors DOWN 'noconnection' and pending calls CallExitError", async () => {
    const net = new MemoryNetwork();
    const a = await start(net, 'a');
    const b = await start(net, 'b');
    const c = await start(net, 'c');
    const inbox = a.inbox();
    const echo = b.spawn(Echo, undefined);
    const onC = c.spawn(Echo, undefined);
    const local = a.spawn(Echo, undefined);
    const downs: unknown[] = [];
    a.on('nodedown', (name, reason) => downs.push([name, reason]));
    await a.call(local, { link: echo }, 1000);
    inbox.link(echo);
    const monB = inbox.monitor(echo);
    const monC = inbox.monitor(onC);
    const monLocal = inbox.monitor(local);
    const pending = failure(a.call(echo, 'hold', Infinity));
    await until(async () => expect((await b.processInfo(echo))!).toMatchObject({ links: [local, inbox.self] }));
    await until(async () => expect((await b.processInfo(echo))!.monitoredBy).toHaveLength(2));

    net.cut('a', 'b');
    const e = await pending;
    expect(e).toBeInstanceOf(CallExitError);
    expect((e as CallExitError).reason).toBe('noconnection');
    expect((await inbox.receive(exitFrom(echo), 1000)).reason).toBe('noconnection');
    expect((await inbox.receive(downFor(monB), 1000)).reason).toBe('noconnection');
    expect((await inbox.receive(downFor(monLocal), 1000)).reason).toBe('noconnection');
    expect(downs).toEqual([['b', 'noconnection']]);
    expect(a.nodes()).toEqual(['c']);
    // b's side lost its links to a the same way: echo did not trap, so it died.
    await until(async () => expect(await b.processInfo(echo)).toBeUndefined());
    // The third node is unaffected.
    expect(await a.call(onC, 'still there', 1000)).toMatchObject({ echo: 'still there' });
    expect(inbox.pending).toBe(0);
    await until(async () => expect((await c.processInfo(onC))!.monitoredBy).toEqual([inbox.self])); // the call's monitor goes
    expect((await a.processInfo(inbox.self))!.monitors).toEqual([{ ref: monC, pid: onC }]);
  });

  test('heal() with no arguments heals every cut (nodeup on both sides of each)', async () => {
    const net = new MemoryNetwork();
    const a = await start(net, 'a');
    const b = await start(net, 'b');
    const c = await start(net, 'c');
    net.cut('a', 'b');
    net.cut('b', 'c');
    expect(b.nodes()).toEqual([]);
    net.heal();
    expect(a.nodes().sort()).toEqual(['b', 'c']);
    expect(b.nodes().sort()).toEqual(['a', 'c']);
    expect(c.nodes().sort()).toEqual(['a', 'b']);
    expect(net.isCut('a', 'b') || net.isCut('b', 'c')).toBe(false);
    expect(() => net.heal('a')).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  test('nodeup and nodedown report peers joining, leaving and being cut off', async () => {
    const net = new MemoryNetwork();
    const a = await start(net, 'a');
    const events: unknown[] = [];
    a.on('nodeup', (name) => events.push(['up', name]));
    a.on('nodedown', (name, reason) => events.push(['down', name, reason]));
    const b = await start(net, 'b');
    await start(net, 'c');
    expect(a.nodes().sort()).toEqual(['b', 'c']);
    expect(b.nodes().sort()).toEqual(['a', 'c']);
    net.cut('a', 'c');
    net.heal('a', 'c');
    await b.stop();
    expect(events).toEqual([
      ['up', 'b'],
      ['up', 'c'],
      ['down', 'c', 'noconnection'],
      ['up', 'c'],
      ['down', 'b', 'shutdown'],
    ]);
    expect(a.nodes()).toEqual(['c']);
  });

  test("a call or send to a node that is not connected fails at once with 'noconnection'", async () => {
    const net = new MemoryNetwork({ autoConnect: false });
    const a = await start(net, 'a');
    const b = await start(net, 'b');
    b.spawn(Echo, undefined, { name: 'echo' });
    expect(a.nodes()).toEqual([]);
    const call = a.call({ name: 'echo', node: 'b' }, 'q', Infinity).catch((e: unknown) => e);
    const first = await Promise.race([call, new Promise((r) => setImmediate(() => r('not at once')))]);
    expect(CallExitError.is(first)).toBe(true);
    expect((first as CallExitError).reason).toBe('noconnection');
    const byPid = await a.call(b.whereis('echo')!, 'q', Infinity).catch((e: unknown) => e);
    expect((byPid as CallExitError).reason).toBe('noconnection');
    const inbox = a.inbox();
    const ref = inbox.monitor({ name: 'echo', node: 'b' });
    expect((await inbox.receive(downFor(ref), 0)).reason).toBe('noconnection');
    const ref2 = inbox.monitor(b.whereis('echo')!);
    expect((await inbox.receive(downFor(ref2), 0)).reason).toBe('noconnection');
    const before = a.stats().deadLetters;
    a.send({ name: 'echo', node: 'b' }, 'dropped');
    expect(a.stats().deadLetters).toBe(before + 1);
    await a.connect(b.url);
    expect(await a.call({ name: 'echo', node: 'b' }, 'q', 1000)).toMatchObject({ echo: 'q' });
  });

  test("a pid from before a node crashed and restarted gets 'noproc', not the new process", async () => {
    const net = new MemoryNetwork();
    const a = await start(net, 'a');
    const b1 = await start(net, 'b');
    const old = b1.spawn(Echo, undefined);
    expect(await a.call(old, 'hi', 1000)).toMatchObject({ echo: 'hi' });
    net.crash('b');
    await until(() => expect(a.nodes()).toEqual([]));
    const b2 = await start(net, 'b');
    expect(b2.incarnation).not.toBe(b1.incarnation);
    const fresh = b2.spawn(Echo, undefined);
    expect(fresh.id).toBe(old.id);
    expect(a.nodes()).toEqual(['b']);
    // The new process's pid has crossed the wire too, so b2 resolves its id when it comes back.
    expect(await a.call(fresh, 'new', 1000)).toMatchObject({ echo: 'new' });
    const e = await failure(a.call(old, 'hi', 1000));
    expect((e as CallExitError).reason).toBe('noproc');
    const inbox = a.inbox();
    const ref = inbox.monitor(old);
    expect((await inbox.receive(downFor(ref), 1000)).reason).toBe('noproc');
    a.send(old, 'stale');
    await until(() => expect(b2.stats().deadLetters).toBe(1));
    expect((await b2.processInfo(fresh))!.messagesHandled).toBe(1);
  });

  test("node.stop() sends 'shutdown' exits and DOWNs to peers before disconnecting", async () => {
    const net = new MemoryNetwork();
    const a = await start(net, 'a');
    const b = await start(net, 'b');
    const inbox = a.inbox();
    const worker = b.spawn(Echo, undefined);
    const trapper = b.spawn(Echo, undefined, { trapExit: true });
    const ref = inbox.monitor(worker);
    inbox.link(trapper);
    await until(async () => expect((await b.processInfo(trapper))!.links).toHaveLength(1));
    await until(async () => expect((await b.processInfo(worker))!.monitoredBy).toHaveLength(1));
    await b.stop();
    expect((await inbox.receive(downFor(ref), 1000)).reason).toBe('shutdown');
    expect((await inbox.receive(exitFrom(trapper), 1000)).reason).toBe('shutdown');
    expect(a.nodes()).toEqual([]);
  });
});
