import { describe, expect, test } from 'vitest';
import { SimulatedClock } from '@foundation/runtime';
import { Supervisor, initialBackoff, nextDelay, type BackoffState, type SupervisorReport } from '../src/index.js';
import { Worker, startNode, until, watch } from './helpers.js';

describe('backoff', () => {
  test('delays double from minMs up to maxMs and reset after a quiet window', () => {
    const opts = { minMs: 100, maxMs: 1000 };
    let s: BackoffState = initialBackoff;
    const delays: number[] = [];
    for (const now of [0, 10, 20, 30, 40, 50]) {
      const r = nextDelay(opts, 5000, s, now);
      delays.push(r.delayMs);
      s = r.next;
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(nextDelay(opts, 5000, s, 5050).delayMs).toBe(100);
  });

  test('a crashing child waits its delay with pid null, then restarts on the supervisor clock', async () => {
    const node = await startNode();
    const clock = new SimulatedClock();
    const reports: SupervisorReport[] = [];
    let starts = 0;
    const sup = await Supervisor.start(node, {
      clock,
      backoff: { minMs: 100, maxMs: 1000 },
      onReport: (r) => reports.push(r),
      children: [{ id: 'db', start: [Worker, { id: 'db', failInit: () => (++starts === 2 ? 'down' : undefined) }] }],
    });
    const [child] = await sup.whichChildren();
    const inbox = node.inbox();
    const down = watch(inbox, child!.pid!);
    node.cast(child!.pid!, { crash: 'lost connection' });
    await down;
    await until(() => (reports.some((r) => r.kind === 'backoff') ? true : undefined));
    expect((await sup.whichChildren())[0]!.pid).toBeNull();
    clock.advance(99);
    expect((await sup.whichChildren())[0]!.pid).toBeNull();
    clock.advance(1); // first retry: init fails once more, next delay 200
    await until(() => (reports.filter((r) => r.kind === 'backoff').length === 2 ? true : undefined));
    expect(reports.filter((r) => r.kind === 'backoff').map((r) => (r as { delayMs: number }).delayMs)).toEqual([100, 200]);
    clock.advance(200);
    const pid = await until(async () => (await sup.whichChildren())[0]!.pid ?? undefined);
    expect(await node.call(pid, 'ping')).toBe('db');
  });
});
