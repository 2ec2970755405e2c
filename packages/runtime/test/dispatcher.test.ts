import { afterEach, describe, expect, test } from 'vitest';
import { Actor, Node, type Pid, type Transport, type TransportHost } from '@foundation/runtime';

/*
 * When the dispatcher runs turns: work that arrives outside a drain runs from a microtask, not
 * after an event-loop turn (fairness.test.ts shows the chain still yields to timers and I/O).
 * A long slice keeps a loaded machine from ending the chain early.
 */

const nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.stop();
});

class Echo extends Actor<string, string> {
  override handleCall(msg: string): string {
    return msg;
  }
}

/** Makes `n` sequential calls to `server`, then tells `report` how many answered. */
class Caller extends Actor<never, never, { server: Pid; n: number; report: Pid }> {
  override init(args: { server: Pid; n: number; report: Pid }): void {
    this.send(this.self, args);
  }

  override async handleInfo({ server, n, report }: { server: Pid; n: number; report: Pid }): Promise<void> {
    let answered = 0;
    for (let i = 0; i < n; i++) if ((await this.call(server, `call ${i}`)) === `call ${i}`) answered++;
    this.send(report, answered);
  }
}

/** Counts event-loop turns (setImmediate callbacks) until stopped. */
function countTurns(): { readonly turns: number; stop(): void } {
  let turns = 0;
  let on = true;
  const tick = (): void => {
    if (!on) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return turns;
    },
    stop: () => (on = false),
  };
}

test("a call's reply resumes its caller without waiting for an event-loop turn", async () => {
  const node = await Node.start({ name: 'disp', sliceMs: 1000 });
  nodes.push(node);
  const server = node.spawn(Echo, undefined);
  const box = node.inbox();
  const loop = countTurns();
  node.spawn(Caller, { server, n: 200, report: box.self });
  const answered = await box.receive(undefined, 5000);
  loop.stop();
  expect(answered).toBe(200);
  // One turn per call round trip would be ~200; the spawn, init and report take a few at most.
  expect(loop.turns).toBeLessThan(10);
});

test('a message sent from plain code is handled before the next event-loop turn', async () => {
  const node = await Node.start({ name: 'disp', sliceMs: 1000 });
  nodes.push(node);
  const echo = node.spawn(Echo, undefined);
  await node.call(echo, 'warm');
  let turned = false;
  setImmediate(() => (turned = true));
  expect(await node.call(echo, 'now')).toBe('now');
  expect(turned).toBe(false);
});

describe('scheduling hooks (a deterministic simulator drives the node)', () => {
  test('the node runs only when the simulator drains it, one budget of work per drain, with the incarnation given', async () => {
    const drains: (() => void)[] = [];
    const node = await Node.start({
      name: 'sim',
      scheduling: { schedule: (drain) => void drains.push(drain), workPerDrain: 1, incarnation: 7 },
    });
    expect(node.incarnation).toBe(7);
    const box = node.inbox();
    node.spawn(Pinger, box.self);
    node.spawn(Pinger, box.self);
    // Several event-loop turns pass: with the hooks, nothing runs until the simulator says so.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    expect(box.pending).toBe(0);
    expect(drains).toHaveLength(1); // one request while a drain is pending
    drains.shift()!(); // one turn: the first pinger's init and its message
    expect(box.pending).toBe(1);
    expect(drains).toHaveLength(1); // the second pinger is left: the node asks again
    drains.shift()!();
    expect(box.pending).toBe(2);
    expect(drains).toHaveLength(0);
    // Stopping needs turns too: the test plays the simulator until the node is down.
    await stopPlaying(node, drains);
  });
});

test("under scheduling hooks a transport's batchDone does not drain the node: the simulator alone runs it", async () => {
  const drains: (() => void)[] = [];
  let host: TransportHost | undefined;
  const transport: Transport = {
    start: async (h) => ((host = h), 'test://sim2'),
    send: () => false,
    connect: async () => {},
    disconnect: () => {},
    nodes: () => [],
    stop: async () => {},
  };
  const node = await Node.start({ name: 'sim2', transport, scheduling: { schedule: (d) => void drains.push(d), workPerDrain: 1 } });
  const box = node.inbox();
  const pinger = node.spawn(Pinger, box.self);
  drains.splice(0).forEach((d) => d()); // its init runs
  expect(box.pending).toBe(1);
  host!.receive('peer', { t: 'msg', to: pinger, kind: 0, msg: 'hello' });
  host!.batchDone();
  expect(box.pending).toBe(1); // not forwarded yet: the drain was asked for, not run
  drains.splice(0).forEach((d) => d());
  expect(box.pending).toBe(2);
  await stopPlaying(node, drains);
});

/** Sends `report` one message from its init, and forwards it what it gets. */
class Pinger extends Actor<unknown, never, Pid> {
  private report!: Pid;
  override init(report: Pid): void {
    this.report = report;
    this.send(report, 'ping');
  }
  override handleInfo(msg: unknown): void {
    this.send(this.report, msg);
  }
}

/** Stops a node under scheduling hooks, running the drains it asks for (as a simulator would) until it is down. */
async function stopPlaying(node: Node, drains: (() => void)[]): Promise<void> {
  let stopped = false;
  const stopping = node.stop().then(() => (stopped = true));
  while (!stopped) {
    drains.splice(0).forEach((drain) => drain());
    await new Promise((r) => setImmediate(r));
  }
  await stopping;
}
