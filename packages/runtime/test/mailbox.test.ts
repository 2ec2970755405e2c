import { afterEach, describe, expect, test } from 'vitest';
import {
  Actor,
  CallExitError,
  MailboxFullError,
  MemoryNetwork,
  isMailboxFull,
  Node,
  isDown,
  isExit,
  type DownMessage,
  type Overflow,
  type Pid,
  type Ref,
} from '@foundation/runtime';
import { Kind, Mailbox } from '../src/internal/mailbox.js';

const nodes: Node[] = [];
async function start(): Promise<Node> {
  const node = await Node.start({ name: 'mailbox' });
  nodes.push(node);
  return node;
}
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

/**
 * Logs what it handles. `{ hold: promise }` suspends it until the promise settles, so that
 * its mailbox fills; `{ monitor: pid }` monitors a process.
 */
class Sink extends Actor<unknown, unknown, { trap?: boolean } | undefined> {
  log: unknown[] = [];
  override init(args?: { trap?: boolean }) {
    if (args?.trap) this.trapExit = true;
  }
  override handleCall(msg: unknown) {
    if (msg === 'log') return this.log;
    if (typeof msg === 'object' && msg !== null && 'monitor' in msg) return this.monitor((msg as { monitor: Pid }).monitor);
    return null;
  }
  override handleCast(msg: { hold: Promise<void> }) {
    return msg.hold;
  }
  override handleInfo(msg: unknown) {
    this.log.push(msg);
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** The reason of the CallExitError `call` rejects with (anything else fails the test). */
async function refusal(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (e) {
    if (!CallExitError.is(e)) throw e;
    return (e as CallExitError).reason;
  }
  throw new Error('expected the call to fail');
}

async function bounded(node: Node, overflow: Overflow, capacity: number): Promise<Pid> {
  const pid = node.spawn(Sink, undefined, { mailbox: { capacity, overflow } });
  await node.call(pid, 'ready');
  return pid;
}

describe('bounded mailboxes', () => {
  test("a call into a full 'drop_newest' mailbox rejects at once with CallExitError 'mailbox_full'", async () => {
    const node = await start();
    const pid = await bounded(node, 'drop_newest', 1);
    const g = gate();
    node.cast(pid, { hold: g.promise });
    await expect.poll(async () => (await node.processInfo(pid))!.status, { interval: 1 }).toBe('suspended');
    node.send(pid, 'fills the mailbox');
    expect(await refusal(node.call(pid, 'log', 60_000))).toBe('mailbox_full');
    expect((await node.processInfo(pid))!.monitoredBy).toEqual([]);
    g.open();
    await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(0);
    expect(await node.call(pid, 'log', 1000)).toEqual(['fills the mailbox']);
  });

  test("'drop_newest' keeps the first messages and counts the dropped ones", async () => {
    const node = await start();
    const pid = await bounded(node, 'drop_newest', 3);
    for (let i = 1; i <= 5; i++) node.send(pid, i);
    expect(await node.processInfo(pid)).toMatchObject({ mailboxLength: 3, messagesDropped: 2 });
    // A call would take a slot too (and be dropped while full): wait for the queue to drain.
    await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(0);
    expect(await node.call(pid, 'log')).toEqual([1, 2, 3]);
    expect((await node.processInfo(pid))!.messagesDropped).toBe(2);
  });

  test("'drop_oldest' keeps the latest messages and counts the dropped ones", async () => {
    const node = await start();
    const pid = await bounded(node, 'drop_oldest', 3);
    for (let i = 1; i <= 5; i++) node.send(pid, i);
    expect(await node.processInfo(pid)).toMatchObject({ mailboxLength: 3, messagesDropped: 2 });
    await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(0);
    expect(await node.call(pid, 'log')).toEqual([3, 4, 5]);
  });

  test("'reject' makes a send to a full mailbox throw MailboxFullError", async () => {
    const node = await start();
    const pid = await bounded(node, 'reject', 2);
    node.send(pid, 1);
    node.cast(pid, { hold: Promise.resolve() });
    let error: unknown;
    try {
      node.send(pid, 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MailboxFullError);
    expect((error as MailboxFullError).capacity).toBe(2);
    expect((error as Error).message).toContain(pid.toString());
    expect((await node.processInfo(pid))!.mailboxLength).toBe(2);
    await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(0);
    node.send(pid, 4);
    expect(await node.call(pid, 'log')).toEqual([1, 4]);
  });

  test.each(['drop_newest', 'drop_oldest', 'reject'] as const)("DOWN and EXIT messages are never dropped ('%s')", async (overflow) => {
    const node = await start();
    const pid = node.spawn(Sink, { trap: true }, { mailbox: { capacity: 1, overflow } });
    const watched = node.spawn(Sink, undefined);
    const ref = await node.call<Ref>(pid, { monitor: watched });
    const g = gate();
    node.cast(pid, { hold: g.promise });
    await expect.poll(async () => (await node.processInfo(pid))!.status, { interval: 1 }).toBe('suspended');
    node.send(pid, 'fills the mailbox');
    node.exit(watched, 'kill');
    const inbox = node.inbox();
    inbox.exit(pid, 'trapped');
    await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(3);
    g.open();
    await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(0);
    const log = (await node.call(pid, 'log')) as unknown[];
    expect(log[0]).toBe('fills the mailbox');
    // The DOWN and the EXIT come from different senders: OTP orders neither before the other.
    const down = log.slice(1).find(isDown);
    const exit = log.slice(1).find(isExit);
    expect(log).toHaveLength(3);
    expect(down).toEqual({ ref, pid: watched, reason: 'killed' } satisfies DownMessage);
    expect(exit).toEqual({ from: inbox.self, reason: 'trapped' });
    expect((await node.processInfo(pid))!.messagesDropped).toBe(0);
  });
});

describe('calls a bounded mailbox refuses or evicts', () => {
  /** Starts nodes a and b on one MemoryNetwork (stopped after the test). */
  async function pair(): Promise<[Node, Node]> {
    const net = new MemoryNetwork();
    const a = await Node.start({ name: 'a', transport: net.transport() });
    nodes.push(a);
    const b = await Node.start({ name: 'b', transport: net.transport() });
    nodes.push(b);
    return [a, b];
  }

  /** A Sink on `host` with a full mailbox of one message, suspended until `open()`. */
  async function full(host: Node, overflow: Overflow): Promise<{ pid: Pid; open: () => void }> {
    const pid = await bounded(host, overflow, 1);
    const g = gate();
    host.cast(pid, { hold: g.promise });
    await expect.poll(async () => (await host.processInfo(pid))!.status, { interval: 1 }).toBe('suspended');
    host.send(pid, 'fills the mailbox');
    return { pid, open: g.open };
  }

  test("a queued call evicted by 'drop_oldest' fails at once with CallExitError 'mailbox_full'", async () => {
    const node = await start();
    const pid = await bounded(node, 'drop_oldest', 1);
    const g = gate();
    node.cast(pid, { hold: g.promise });
    await expect.poll(async () => (await node.processInfo(pid))!.status, { interval: 1 }).toBe('suspended');
    const call = refusal(node.call(pid, 'log', 60_000));
    node.send(pid, 'evicts the queued call');
    const reason = await call;
    expect(isMailboxFull(reason)).toBe(true);
    expect(await node.processInfo(pid)).toMatchObject({ mailboxLength: 1, messagesDropped: 1, monitoredBy: [] });
    g.open();
    await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(0);
    expect(await node.call(pid, 'log', 1000)).toEqual(['evicts the queued call']);
  });

  test("a call into a full 'reject' mailbox fails at once with CallExitError 'mailbox_full'", async () => {
    const node = await start();
    const { pid, open } = await full(node, 'reject');
    expect(await refusal(node.call(pid, 'log', 60_000))).toBe('mailbox_full');
    expect((await node.processInfo(pid))!.monitoredBy).toEqual([]);
    open();
  });

  test("a remote call into a full 'reject' mailbox fails at once with CallExitError 'mailbox_full'", async () => {
    const [a, b] = await pair();
    const { pid, open } = await full(b, 'reject');
    const e = await refusal(a.call(pid, 'log', 60_000));
    expect(e).toBe('mailbox_full');
    expect((await b.processInfo(pid))!.monitoredBy).toEqual([]);
    open();
    await expect.poll(async () => (await b.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(0);
    expect(await a.call(pid, 'log', 1000)).toEqual(['fills the mailbox']);
  });

  test("a remote call evicted by 'drop_oldest' fails at once with CallExitError 'mailbox_full'", async () => {
    const [a, b] = await pair();
    const pid = await bounded(b, 'drop_oldest', 1);
    const g = gate();
    b.cast(pid, { hold: g.promise });
    await expect.poll(async () => (await b.processInfo(pid))!.status, { interval: 1 }).toBe('suspended');
    const call = refusal(a.call(pid, 'log', 60_000));
    await expect.poll(async () => (await b.processInfo(pid))!.mailboxLength, { interval: 1 }).toBe(1);
    b.send(pid, 'evicts the queued call');
    expect(await call).toBe('mailbox_full');
    expect((await b.processInfo(pid))!.monitoredBy).toEqual([]);
    g.open();
  });
});

describe('Mailbox ring buffer', () => {
  test('keeps FIFO order and kinds across growth and wrap-around', () => {
    const mb = new Mailbox(4);
    const expected: [number, number][] = [];
    const taken: [number, number][] = [];
    let next = 0;
    // Interleave pushes and shifts so that the head wraps before each growth.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 3 + round * 2; i++) {
        const kind = next % 5;
        mb.push(kind, next);
        expected.push([kind, next++]);
      }
      for (let i = 0; i < 2; i++) {
        const kind = mb.peekKind();
        taken.push([kind, mb.shift() as number]);
      }
    }
    const seen: [number, number][] = [];
    mb.forEach((kind, payload) => seen.push([kind, payload as number]));
    expect(seen).toEqual(expected.slice(taken.length));
    expect(mb.length).toBe(expected.length - taken.length);
    while (mb.length > 0) {
      const kind = mb.peekKind();
      taken.push([kind, mb.shift() as number]);
    }
    expect(taken).toEqual(expected);
  });

  test('grows past its initial capacity without losing messages', () => {
    const mb = new Mailbox(1);
    for (let i = 0; i < 1000; i++) mb.push(Kind.Cast, i);
    expect(mb.length).toBe(1000);
    const out: unknown[] = [];
    while (mb.length > 0) {
      expect(mb.peekKind()).toBe(Kind.Cast);
      out.push(mb.shift());
    }
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  test('releases the payload of a shifted message', () => {
    const mb = new Mailbox(2);
    const payload = { big: true };
    mb.push(Kind.Info, payload);
    expect(mb.shift()).toBe(payload);
    const seen: unknown[] = [];
    mb.forEach((_k, p) => seen.push(p));
    expect(seen).toEqual([]);
    expect((mb as unknown as { buf: unknown[] }).buf.includes(payload)).toBe(false);
  });
});
