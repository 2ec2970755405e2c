/**
 * The dashboard, live: two nodes on this machine's loopback (a mesh in one process), each with
 * an observer; on `b` a supervisor whose flaky worker crashes every 3 s and is restarted, and a
 * slow consumer whose mailbox grows. Open the printed URL and watch the crash and the restart
 * happen; click a process for its info, or kill it. Also serves `/metrics`.
 *
 *   pnpm tsx examples/dashboard.ts            (runs until Ctrl-C; DEMO_MS=5000 stops after 5 s)
 */
import { Actor, Node } from '@foundation/runtime';
import { mesh, staticPeers } from '@foundation/cluster';
import { Supervisor } from '@foundation/supervisor';
import { Observer } from '@foundation/observe';

const COOKIE = 'dashboard-demo';

/** Crashes 3 s after it starts: its supervisor restarts it. */
class Flaky extends Actor<never, never, void> {
  override init(): void {
    this.sendAfter('crash' as never, 3000);
  }
  override handleInfo(): void {
    throw new Error('flaky worker crashed (as it does every 3 s)');
  }
}

/** Takes 20 ms per message while a producer sends it 100 a second: its mailbox grows. */
class SlowConsumer extends Actor<never, never, void> {
  override init(): void {
    this.node.register('slow', this.self);
  }
  override async handleInfo(): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
  }
}

class Producer extends Actor<never, never, void> {
  override init(): void {
    this.sendAfter('tick' as never, 10);
  }
  override handleInfo(): void {
    const slow = this.node.whereis('slow');
    if (slow !== undefined) this.send(slow, 'work' as never);
    this.sendAfter('tick' as never, 10);
  }
}

class Idle extends Actor<never, never, void> {}

const a = await Node.start({ name: 'a', transport: mesh({ cookie: COOKIE }) });
const b = await Node.start({ name: 'b', transport: mesh({ cookie: COOKIE, discovery: [staticPeers([a.url])] }) });
const obsA = await Observer.start(a, { http: {} });
const obsB = await Observer.start(b);
await Supervisor.start(b, {
  children: [
    { id: 'flaky', start: [Flaky] },
    { id: 'slow', start: [SlowConsumer] },
    { id: 'producer', start: [Producer] },
  ],
});
await Supervisor.start(a, {
  children: [
    { id: 'idle-1', start: [Idle] },
    { id: 'idle-2', start: [Idle] },
  ],
});
console.log(`dashboard: ${obsA.url}   metrics: ${obsA.url}/metrics   (Ctrl-C to stop)`);

const ms = Number(process.env.DEMO_MS ?? 0);
await new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  if (ms > 0) setTimeout(resolve, ms);
});
await obsB.stop();
await obsA.stop();
await b.stop();
await a.stop();
