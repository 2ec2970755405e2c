import { promises as fs } from 'node:fs';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Actor, Node, type Pid } from '@foundation/runtime';
import { until } from './support.js';

/*
 * Fairness: a hot actor that sends itself a message from every handleInfo, forever — or one
 * that calls another in a loop, each reply resuming it from a microtask — must not starve
 * other actors, timers or I/O. Nothing here asserts a latency: each check waits for
 * its event to happen at all within a generous bound (2 s) and then checks the hot actor was
 * still running and busy. The hot actor ends itself after HOT_LIMIT_MS, so a scheduler that
 * never yields ends up failing these checks instead of hanging the test run.
 */

const BOUND_MS = 2000;
const HOT_LIMIT_MS = 10_000;

/** Sends itself a message from every handleInfo; stops itself once `stopAt` (Date.now()) has passed. */
class Hot extends Actor<unknown, never, { stopAt: number }> {
  private stopAt = 0;
  private n = 0;

  override init({ stopAt }: { stopAt: number }): void {
    this.stopAt = stopAt;
    this.send(this.self, 'tick');
  }

  override handleInfo(): void {
    if ((++this.n & 1023) === 0 && Date.now() > this.stopAt) {
      this.stop();
      return;
    }
    this.send(this.self, 'tick');
  }
}

/** Calls `server` in a loop (each call awaited) until `stopAt` (Date.now()) has passed. */
class CallLoop extends Actor<never, never, { server: Pid; stopAt: number }> {
  override init(args: { server: Pid; stopAt: number }): void {
    this.send(this.self, args);
  }

  override async handleInfo({ server, stopAt }: { server: Pid; stopAt: number }): Promise<void> {
    for (let n = 1; (n & 1023) !== 0 || Date.now() <= stopAt; n++) await this.call(server, 'loop');
    this.exit(server, 'normal');
  }
}

/**
 * The process whose messagesHandled shows the hot work going on: the self-messaging actor, or
 * the server a CallLoop calls.
 */
const HOT_KINDS: [string, (node: Node, stopAt: number) => Pid][] = [
  ['a self-messaging hot actor', (node, stopAt) => node.spawn(Hot, { stopAt })],
  [
    'an actor calling another in a loop',
    (node, stopAt) => {
      const server = node.spawn(Echo, undefined);
      node.spawn(CallLoop, { server, stopAt });
      return server;
    },
  ],
];

class Echo extends Actor<string, string> {
  override handleCall(msg: string): string {
    return msg;
  }
}

/** Answers a call by calling `echo` itself: an actor-to-actor call. */
class Relay extends Actor<string, string, Pid> {
  private echo!: Pid;

  override init(echo: Pid): void {
    this.echo = echo;
  }

  override handleCall(msg: string): Promise<string> {
    return this.call<string>(this.echo, msg, BOUND_MS);
  }
}

/** Rejects if `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

describe.each(HOT_KINDS)('scheduler fairness with %s', (_kind, spawnHot) => {
  let node: Node;
  let hot: Pid;
  const handled = async (): Promise<number> => (await node.processInfo(hot))?.messagesHandled ?? -1;
  const hotRunning = async (): Promise<boolean> => (await node.processInfo(hot)) !== undefined;

  /** messagesHandled when the test body began; null once a test has ended the hot actor itself. */
  let atStart: number | null = 0;

  beforeEach(async () => {
    node = await Node.start({ name: 'fair' });
    hot = spawnHot(node, Date.now() + HOT_LIMIT_MS);
    await until(async () => (await handled()) > 10_000, 'the hot actor to get going', BOUND_MS);
    atStart = await handled();
  });

  afterEach(async () => {
    try {
      // Checked over the whole test, not per step: some steps complete without an event-loop turn.
      if (atStart !== null) expect(await handled(), 'the hot actor kept going during the test').toBeGreaterThan(atStart);
    } finally {
      await node.stop();
    }
  });

  /** Runs `work` within the bound and checks the hot actor was still running when it completed. */
  async function whileHot<T>(work: () => Promise<T>, what: string): Promise<T> {
    const result = await within(work(), BOUND_MS, what);
    expect(await hotRunning(), `the hot actor still runs after ${what}`).toBe(true);
    return result;
  }

  it("another actor's call completes while the hot actor runs", async () => {
    const echo = node.spawn(Echo, undefined);
    for (let i = 0; i < 5; i++) {
      expect(await whileHot(() => node.call<string>(echo, `ping ${i}`, BOUND_MS), `call ${i}`)).toBe(`ping ${i}`);
    }
    const relay = node.spawn(Relay, echo);
    expect(await whileHot(() => node.call<string>(relay, 'relayed', BOUND_MS), 'an actor-to-actor call')).toBe('relayed');
    const caller = node.inbox();
    expect(await whileHot(() => caller.call<string>(echo, 'from an inbox', BOUND_MS), 'a call from an inbox')).toBe('from an inbox');
  });

  it('a setTimeout timer fires while the hot actor runs', async () => {
    for (const ms of [0, 1, 10]) {
      await whileHot(() => new Promise<void>((r) => setTimeout(r, ms)), `a ${ms} ms timer`);
    }
  });

  it('I/O callbacks complete while the hot actor runs: fs.stat and a TCP loopback echo', async () => {
    const stat = await whileHot(() => fs.stat(new URL(import.meta.url)), 'fs.promises.stat');
    expect(stat.isFile()).toBe(true);

    const server = net.createServer((s) => s.pipe(s));
    try {
      await whileHot(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)), 'listen');
      const { port } = server.address() as net.AddressInfo;
      const echoed = await whileHot(
        () =>
          new Promise<string>((resolve, reject) => {
            const c = net.connect(port, '127.0.0.1', () => c.write('hello over loopback'));
            let got = '';
            c.on('data', (d) => {
              got += d.toString();
              if (got.length >= 'hello over loopback'.length) {
                c.end();
                resolve(got);
              }
            });
            c.on('error', reject);
          }),
        'a TCP echo',
      );
      expect(echoed).toBe('hello over loopback');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('runs many messages per event-loop turn, not one setImmediate per message', async () => {
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    const h0 = await handled();
    setImmediate(tick);
    await until(() => turns >= 50, '50 event-loop turns', BOUND_MS);
    counting = false;
    const messages = (await handled()) - h0;
    expect(await hotRunning()).toBe(true);
    // One setImmediate per message would give about one message per turn.
    expect(messages, `${messages} messages in ${turns} turns`).toBeGreaterThan(turns * 20);
  });

  it('stops the hot actor when asked', async () => {
    const before = await handled();
    await until(async () => (await handled()) > before, 'the hot actor to handle more', BOUND_MS);
    atStart = null;
    const watcher = node.inbox();
    const ref = watcher.monitor(hot);
    node.exit(hot, 'kill');
    const down = await watcher.receive((m) => (m as { ref?: unknown }).ref === ref, BOUND_MS);
    expect(down).toMatchObject({ reason: 'killed' });
    expect(await hotRunning()).toBe(false);
  });
});
