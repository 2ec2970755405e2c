/*
 * A producer far faster than its consumer, on one thread and across threads: the bounded
 * mailbox holds at its capacity whatever is sent, the policy shows in processInfo (messages
 * dropped), memory stays bounded, and the node keeps serving (its event loop ticks, another
 * process answers calls) while the flood lasts. No timing is asserted: only that things happen.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, test } from 'vitest';
import { Actor, Node, type Overflow, type Pid } from '@foundation/runtime';
import { Slow, type SlowCount } from './fixtures/overload-actors.js';

// A full GC on demand, for memory figures that mean retained bytes (vitest runs without --expose-gc).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});

class Pong extends Actor<'ping', 'pong'> {
  override handleCall(): 'pong' {
    return 'pong';
  }
}

/** 1 KiB of its own per message, so that keeping them all would cost ~100 MB. */
const payload = () => new Uint8Array(1024);
const CAPACITY = 100;
const SENT = 100_000; // 100 MB of payload if it were all kept

/**
 * Floods `pid` with `[seq, 1 KiB]` from the main thread in bursts, sampling between bursts
 * the mailbox length, the heap, and whether the node still answers a call and ticks timers.
 */
async function flood(node: Node, pid: Pid) {
  const pong = node.spawn(Pong, undefined);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  // What is retained, not garbage not yet collected: a full GC before each look. Typed arrays'
  // bytes live outside the JS heap: count both.
  const used = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const heapBefore = used();
  let maxQueued = 0;
  let maxHeapGrowth = 0;
  let answered = 0;
  let rejected = 0;
  try {
    for (let seq = 0; seq < SENT;) {
      for (let i = 0; i < 2000 && seq < SENT; i++, seq++) {
        try {
          node.send(pid, [seq, payload()] as never);
        } catch (e) {
          if ((e as Error).name !== 'MailboxFullError') throw e;
          rejected++;
        }
      }
      const info = await node.processInfo(pid);
      maxQueued = Math.max(maxQueued, info!.mailboxLength);
      maxHeapGrowth = Math.max(maxHeapGrowth, used() - heapBefore);
      if ((await node.call(pong, 'ping', 5000)) === 'pong') answered++;
      await new Promise((r) => setTimeout(r, 0));
    }
  } finally {
    clearInterval(ticker);
  }
  return { maxQueued, maxHeapGrowth, answered, ticks, rejected };
}

describe('a producer far faster than its consumer', () => {
  test.each(['drop_oldest', 'drop_newest', 'reject'] as Overflow[])(
    "on one thread ('%s'): the mailbox holds at its capacity, drops are counted, the node answers throughout, the heap stays bounded",
    async (overflow) => {
      const node = await Node.start({ name: 'overload' });
      nodes.push(node);
      const pid = node.spawn(Slow, undefined, { mailbox: { capacity: CAPACITY, overflow } });
      const r = await flood(node, pid);
      expect(r.maxQueued).toBeLessThanOrEqual(CAPACITY);
      expect(r.answered).toBe(SENT / 2000);
      expect(r.ticks).toBeGreaterThan(0);
      // Kept, the messages would be ~100 MB; bounded, 100 of them are 100 KiB.
      expect(r.maxHeapGrowth).toBeLessThan(16 * 2 ** 20);
      await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { timeout: 10_000 }).toBe(0);
      const info = (await node.processInfo(pid))!;
      const count = await node.call<SlowCount>(pid, 'count' as never, 5000);
      if (overflow === 'reject') {
        expect(r.rejected).toBeGreaterThan(0);
        expect(count.handled + r.rejected).toBe(SENT);
      } else {
        expect(info.messagesDropped).toBeGreaterThan(0);
        // Every message sent was handled or counted as dropped: none vanished.
        expect(count.handled + info.messagesDropped).toBe(SENT);
        // drop_oldest keeps the newest: the last one sent is handled; drop_newest drops it.
        if (overflow === 'drop_oldest') expect(count.last).toBe(SENT - 1);
        else expect(count.last).toBeLessThan(SENT - 1);
      }
    },
    60_000,
  );

  test('across threads: a consumer on a worker scheduler, fed from the main thread, holds its capacity and counts its drops', async () => {
    const node = await Node.start({
      name: 'overload-threads',
      schedulers: 2,
      modules: [new URL('./fixtures/overload-actors.ts', import.meta.url)],
    });
    nodes.push(node);
    const pid = node.spawn('overload.Slow', undefined, { scheduler: 1, mailbox: { capacity: CAPACITY, overflow: 'drop_oldest' } });
    const rssBefore = process.memoryUsage().rss;
    const r = await flood(node, pid);
    expect(r.maxQueued).toBeLessThanOrEqual(CAPACITY);
    expect(r.answered).toBe(SENT / 2000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 2 ** 20);
    await expect.poll(async () => (await node.processInfo(pid))!.mailboxLength, { timeout: 10_000 }).toBe(0);
    const info = (await node.processInfo(pid))!;
    const count = await node.call<SlowCount>(pid, 'count' as never, 5000);
    expect(info.messagesDropped).toBeGreaterThan(0);
    expect(count.handled + info.messagesDropped).toBe(SENT);
  }, 60_000);
});
