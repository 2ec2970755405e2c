import { afterEach, expect, test } from 'vitest';
import { Actor, Node, type Pid } from '@foundation/runtime';

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
