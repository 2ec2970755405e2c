import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Actor, MemoryNetwork, Node, type Inbox, type Pid, type Target } from '@foundation/runtime';

/*
 * Per-pair order: whatever the interleaving of many senders, the receiver sees each sender's
 * messages in the order that sender sent them. Senders are actors, inboxes and the node
 * itself; they mix sends and casts, address the receiver by pid or by name, and yield at
 * random points (a microtask, an event-loop turn inside an async handler, or a message to
 * themselves). The receiver sometimes suspends in an async handler and may have an async init.
 */

/** One step of a sender's script. */
type Op = { t: 'send' | 'cast'; byName: boolean } | { t: 'yield'; how: 'micro' | 'macro' | 'turn' };
type SenderKind = 'actor' | 'inbox' | 'node';
interface SenderSpec {
  kind: SenderKind;
  ops: Op[];
}

/** A numbered message: sender `s`, its `n`-th. */
interface Msg {
  s: number;
  n: number;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constantFrom('send' as const, 'cast' as const), byName: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('yield' as const), how: fc.constantFrom('micro' as const, 'macro' as const, 'turn' as const) }),
  },
);
const senderArb: fc.Arbitrary<SenderSpec> = fc.record({
  kind: fc.constantFrom<SenderKind>('actor', 'actor', 'inbox', 'node'),
  ops: fc.array(opArb, { maxLength: 40 }),
});
const receiverArb = fc.record({
  asyncInit: fc.boolean(),
  /** Every k-th message handled suspends the receiver (0: never). */
  suspendEvery: fc.nat(5),
  suspendHow: fc.constantFrom('micro' as const, 'macro' as const),
});
type ReceiverSpec = { asyncInit: boolean; suspendEvery: number; suspendHow: 'micro' | 'macro' };

const pause = (how: 'micro' | 'macro'): Promise<void> => (how === 'micro' ? Promise.resolve() : new Promise<void>((r) => setImmediate(r)));

interface ReceiverArgs {
  spec: ReceiverSpec;
  log: Msg[];
  total: number;
  observer: Pid;
}

/** Logs every message; sends `'complete'` to the observer once it has `total`. */
class Receiver extends Actor<Msg, never, ReceiverArgs> {
  private a!: ReceiverArgs;

  override init(a: ReceiverArgs): void | Promise<void> {
    this.a = a;
    if (a.total === 0) this.send(a.observer, 'complete');
    if (a.spec.asyncInit) return pause('macro');
  }

  private record(msg: Msg): void | Promise<void> {
    const { log, total, observer, spec } = this.a;
    log.push(msg);
    if (log.length === total) this.send(observer, 'complete');
    if (spec.suspendEvery > 0 && log.length % spec.suspendEvery === 0) return pause(spec.suspendHow);
  }

  override handleCast(msg: Msg): void | Promise<void> {
    return this.record(msg);
  }

  override handleInfo(msg: unknown): void | Promise<void> {
    return this.record(msg as Msg);
  }
}

interface SenderArgs {
  id: number;
  ops: Op[];
  to: Target;
  toName: Target;
}

/** Runs its script on `'go'`; a `'turn'` yield continues in a later handleInfo. */
class Sender extends Actor<unknown, never, SenderArgs> {
  private a!: SenderArgs;
  private i = 0;
  private seq = 0;

  override init(a: SenderArgs): void {
    this.a = a;
  }

  override handleInfo(msg: unknown): void | Promise<void> {
    if (msg === 'go' || msg === 'continue') return this.run();
  }

  private run(): void | Promise<void> {
    const { ops, id, to, toName } = this.a;
    while (this.i < ops.length) {
      const op = ops[this.i++]!;
      if (op.t === 'yield') {
        if (op.how === 'turn') {
          this.send(this.self, 'continue');
          return;
        }
        return pause(op.how).then(() => this.run());
      }
      const msg: Msg = { s: id, n: this.seq++ };
      if (op.t === 'send') this.send(op.byName ? toName : to, msg);
      else this.cast(op.byName ? toName : to, msg);
    }
  }
}

/** Runs a script from outside actors: an inbox's or the node's own sends. */
async function runScript(p: Inbox | Node, id: number, ops: Op[], to: Target, toName: Target): Promise<void> {
  let seq = 0;
  for (const op of ops) {
    if (op.t === 'yield') {
      await pause(op.how === 'micro' ? 'micro' : 'macro');
      continue;
    }
    const msg: Msg = { s: id, n: seq++ };
    if (op.t === 'send') p.send(op.byName ? toName : to, msg);
    else p.cast(op.byName ? toName : to, msg);
  }
}

const count = (ops: Op[]): number => ops.filter((o) => o.t !== 'yield').length;

/**
 * Starts every sender in `startOrder`, waits until the receiver has all messages, and checks
 * that each sender's messages arrived complete and in order.
 */
async function runOrder(
  senderNode: Node,
  receiverNode: Node,
  senders: SenderSpec[],
  receiver: ReceiverSpec,
  startOrder: number[],
): Promise<void> {
  const total = senders.reduce((t, s) => t + count(s.ops), 0);
  const log: Msg[] = [];
  const observer = receiverNode.inbox();
  const rpid = receiverNode.spawn(Receiver, { spec: receiver, log, total, observer: observer.self }, { name: 'recv' });
  const toName: Target = senderNode === receiverNode ? 'recv' : { name: 'recv', node: receiverNode.name };

  const actorPids = senders.map((s, id) =>
    s.kind === 'actor' ? senderNode.spawn(Sender, { id, ops: s.ops, to: rpid, toName }) : undefined,
  );
  const scripts: Promise<void>[] = [];
  for (const id of startOrder) {
    const s = senders[id]!;
    if (s.kind === 'actor') senderNode.send(actorPids[id]!, 'go');
    else scripts.push(runScript(s.kind === 'inbox' ? senderNode.inbox() : senderNode, id, s.ops, rpid, toName));
  }
  await Promise.all(scripts);
  try {
    await observer.receive((m) => m === 'complete', 5000);
  } catch (e) {
    throw new Error(`the receiver got ${log.length} of ${total} messages`, { cause: e });
  }
  senders.forEach((s, id) => {
    const got = log.filter((m) => m.s === id).map((m) => m.n);
    expect(got, `messages of sender ${id} (${s.kind})`).toEqual([...Array(count(s.ops)).keys()]);
  });
  expect(log).toHaveLength(total);
}

const caseArb = fc
  .record({ senders: fc.array(senderArb, { minLength: 1, maxLength: 8 }), receiver: receiverArb })
  .chain(({ senders, receiver }) =>
    fc.record({
      senders: fc.constant(senders),
      receiver: fc.constant(receiver),
      startOrder: fc.shuffledSubarray([...senders.keys()], { minLength: senders.length }),
    }),
  );

describe('message order between a pair of processes', () => {
  it("each sender's messages arrive in the order sent, on one node", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ senders, receiver, startOrder }) => {
        const node = await Node.start({ name: 'local' });
        try {
          await runOrder(node, node, senders, receiver, startOrder);
        } finally {
          await node.stop();
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });

  it("each sender's messages arrive in the order sent, from node a to node b over a MemoryNetwork", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ senders, receiver, startOrder }) => {
        const net = new MemoryNetwork();
        const a = await Node.start({ name: 'a', transport: net.transport() });
        const b = await Node.start({ name: 'b', transport: net.transport() });
        try {
          expect(a.nodes()).toEqual(['b']);
          await runOrder(a, b, senders, receiver, startOrder);
        } finally {
          await a.stop();
          await b.stop();
        }
      }),
      { numRuns: 200, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
