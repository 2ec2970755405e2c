import { afterEach, expect, test } from 'vitest';
import {
  Actor,
  Inbox,
  InvalidArgumentError,
  Node,
  ReceiveTimeoutError,
  SimulatedClock,
  StoppedError,
  isDown,
  isExit,
  type From,
  type NodeOptions,
  type Pid,
} from '@foundation/runtime';

const nodes: Node[] = [];
async function start(opts: NodeOptions = {}): Promise<Node> {
  const node = await Node.start({ name: 'inbox', ...opts });
  nodes.push(node);
  return node;
}
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

/** Calls whatever it is cast, and sends the answer (or the error) to `reportTo`. */
class Caller extends Actor<unknown, unknown, Pid> {
  reportTo!: Pid;
  override init(reportTo: Pid) {
    this.reportTo = reportTo;
  }
  override async handleCast(msg: { to: Pid; msg: unknown }) {
    this.send(this.reportTo, { answer: await this.call(msg.to, msg.msg, 1000) });
  }
}

test('receive with a predicate takes the oldest match and leaves the rest queued in order', async () => {
  const node = await start();
  const inbox = node.inbox();
  for (const m of [1, 2, 3, 4]) node.send(inbox.self, m);
  expect(inbox.pending).toBe(4);
  expect(await inbox.receive((m) => (m as number) % 2 === 0)).toBe(2);
  expect(inbox.pending).toBe(3);
  expect(await inbox.receive()).toBe(1);
  expect(await inbox.receive()).toBe(3);
  expect(await inbox.receive()).toBe(4);
  expect(inbox.pending).toBe(0);
});

test('a waiting receive resolves with the first matching message that arrives later', async () => {
  const node = await start();
  const inbox = node.inbox();
  const waiting = inbox.receive((m) => m === 'wanted', 1000);
  node.send(inbox.self, 'unwanted');
  node.send(inbox.self, 'wanted');
  expect(await waiting).toBe('wanted');
  expect(await inbox.receive(undefined, 0)).toBe('unwanted');
});

test('receive rejects with ReceiveTimeoutError when nothing matching arrives in time', async () => {
  const clock = new SimulatedClock();
  const node = await start({ clock });
  const inbox = node.inbox();
  node.send(inbox.self, 'not it');
  let settled = false;
  const waiting = inbox.receive((m) => m === 'it', 50).finally(() => (settled = true));
  waiting.catch(() => {});
  clock.advance(49);
  await Promise.resolve();
  expect(settled).toBe(false);
  clock.advance(1);
  const e = await waiting.catch((err: unknown) => err);
  expect(e).toBeInstanceOf(ReceiveTimeoutError);
  expect((e as ReceiveTimeoutError).timeoutMs).toBe(50);
  expect(inbox.pending).toBe(1);
  // A timed-out receive takes nothing that arrives afterwards.
  node.send(inbox.self, 'it');
  expect(await inbox.receive(undefined, 0)).toBe('not it');
  expect(await inbox.receive(undefined, 0)).toBe('it');
});

test('an inbox traps exits by default: a linked crash arrives as { from, reason }', async () => {
  const node = await start();
  const inbox = node.inbox();
  const pid = node.spawn(Caller, inbox.self);
  inbox.link(pid);
  node.exit(pid, 'boom');
  const msg = await inbox.receive(isExit, 1000);
  expect(msg).toEqual({ from: pid, reason: 'boom' });
  expect(inbox.closed).toBe(false);
  expect((await node.processInfo(inbox.self))!.trapExit).toBe(true);
});

test("processInfo of an inbox reports what it holds unreceived as its mailbox, and its class as 'Inbox'", async () => {
  const node = await start();
  const inbox = node.inbox();
  node.send(inbox.self, 1);
  node.send(inbox.self, 2);
  expect(await node.processInfo(inbox.self)).toMatchObject({ className: 'Inbox', mailboxLength: 2, messagesHandled: 0 });
  await inbox.receive();
  expect((await node.processInfo(inbox.self))!.mailboxLength).toBe(1);
});

test('an inbox with trapExit false dies with a linked crash and rejects its receives', async () => {
  const node = await start();
  const watcher = node.inbox();
  const inbox = node.inbox({ trapExit: false });
  const pid = node.spawn(Caller, inbox.self);
  inbox.link(pid);
  const ref = watcher.monitor(inbox.self);
  const waiting = inbox.receive();
  node.exit(pid, 'boom');
  await expect(waiting).rejects.toBeInstanceOf(StoppedError);
  expect(inbox.closed).toBe(true);
  expect(inbox.exitReason).toBe('boom');
  expect(await watcher.receive(isDown, 1000)).toEqual({ ref, pid: inbox.self, reason: 'boom' });
});

test("close() rejects pending receives and links see 'normal'", async () => {
  const node = await start();
  const watcher = node.inbox();
  const inbox = node.inbox();
  watcher.link(inbox.self);
  const ref = watcher.monitor(inbox.self);
  const a = inbox.receive();
  const b = inbox.receive(() => true, 1000);
  inbox.close();
  await expect(a).rejects.toBeInstanceOf(StoppedError);
  await expect(b).rejects.toSatisfy(StoppedError.is);
  await expect(inbox.receive()).rejects.toBeInstanceOf(StoppedError);
  expect(await watcher.receive(isExit, 1000)).toEqual({ from: inbox.self, reason: 'normal' });
  expect(await watcher.receive(isDown, 1000)).toEqual({ ref, pid: inbox.self, reason: 'normal' });
  expect(await node.processInfo(inbox.self)).toBeUndefined();
});

test('a call to an inbox arrives as { msg, from } and is answered with inbox.reply', async () => {
  const node = await start();
  const inbox = node.inbox();
  const answer = node.call(inbox.self, 'question', 1000);
  const req = await inbox.receive<{ msg: unknown; from: From }>(undefined, 1000);
  expect(req.msg).toBe('question');
  expect(req.from.pid).toEqual(node.self);
  inbox.reply(req.from, 'answer');
  expect(await answer).toBe('answer');
});

test('an actor can call an inbox, and casts arrive as their payload', async () => {
  const node = await start();
  const inbox = node.inbox();
  const caller = node.spawn(Caller, inbox.self);
  node.cast(caller, { to: inbox.self, msg: 'from an actor' });
  const req = await inbox.receive<{ msg: unknown; from: From }>((m) => typeof m === 'object' && m !== null && 'from' in m, 1000);
  expect(req.msg).toBe('from an actor');
  expect(req.from.pid).toEqual(caller);
  inbox.reply(req.from, 42);
  expect(await inbox.receive(undefined, 1000)).toEqual({ answer: 42 });
  node.cast(inbox.self, 'a cast');
  expect(await inbox.receive(undefined, 0)).toBe('a cast');
});

test('an inbox calls an actor and monitors it like any process', async () => {
  class Echo extends Actor<unknown, unknown> {
    override handleCall(m: unknown) {
      return m;
    }
  }
  const node = await start();
  const inbox = node.inbox();
  expect(inbox).toBeInstanceOf(Inbox);
  const pid = node.spawn(Echo, undefined);
  expect(await inbox.call(pid, 'hi')).toBe('hi');
  const ref = inbox.monitor(pid);
  inbox.exit(pid, 'kill');
  expect(await inbox.receive(isDown, 1000)).toEqual({ ref, pid, reason: 'killed' });
});

test('calls pending on an inbox reject with StoppedError when it closes or is killed', async () => {
  const node = await start();
  const holder = node.inbox(); // receives the calls and never answers
  const inbox = node.inbox();
  const pending = inbox.call(holder.self, 'never answered', 60_000);
  await holder.receive();
  inbox.close();
  await expect(pending).rejects.toBeInstanceOf(StoppedError);
  await expect(pending).rejects.toThrow(holder.self.toString());

  const linked = node.inbox({ trapExit: false });
  const killed = linked.call(holder.self, 'never answered', Infinity);
  await holder.receive();
  node.exit(linked.self, 'kill');
  await expect(killed).rejects.toBeInstanceOf(StoppedError);
  expect(holder.pending).toBe(0);
});

test('receive refuses a predicate that is not a function with InvalidArgumentError', async () => {
  const node = await start();
  const inbox = node.inbox();
  // A timeout given where the predicate goes (an easy slip from plain JavaScript).
  await expect(inbox.receive(5000 as unknown as undefined)).rejects.toThrow(InvalidArgumentError);
  await expect(inbox.receive(5000 as unknown as undefined)).rejects.toThrow(/predicate.*5000/);
  node.send(inbox.self, 'still delivered');
  expect(await inbox.receive(undefined, 1000)).toBe('still delivered');
});

test('a predicate that throws fails its own receive, not the actor that sent the message', async () => {
  const node = await start();
  const inbox = node.inbox();
  const boom = new Error('predicate boom');
  const failing = inbox.receive(() => {
    throw boom;
  }, 1000);
  const other = inbox.receive((m) => m === 'hello', 1000);
  const sender = node.spawn(Sender, inbox.self);
  await expect(failing).rejects.toBe(boom);
  expect(await other).toBe('hello');
  expect(node.isAlive(sender)).toBe(true);
});

/** Sends 'hello' to the pid it is given, from its init. */
class Sender extends Actor<never, never, Pid> {
  override init(to: Pid) {
    this.send(to, 'hello');
  }
}
