/*
 * A producer node far faster than a consumer on another node. With the receiving node reading:
 * the consumer's bounded mailbox holds, its drops are counted, both nodes keep answering. With
 * the receiving socket stalled: the producer's queue for that peer never passes
 * maxBufferedBytes — the connection is dropped (CloseCode.slowPeer, logged), never a frame from
 * the middle, and the mesh reconnects.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { Actor, defineActor } from '@foundation/runtime';
import { CloseCode } from '../src/index.js';
import { connectionTo, meshOf, startNode, stopAll, until } from './mesh-helpers.js';

afterEach(async () => {
  await stopAll();
});

/** Handles messages slowly (a timer's wait every 10), answers 'count' and 'ping'. */
class Slow extends Actor<'count' | 'ping', number | 'pong'> {
  handled = 0;
  override async handleInfo(): Promise<void> {
    this.handled++;
    if (this.handled % 10 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  override handleCall(msg: 'count' | 'ping'): number | 'pong' {
    return msg === 'ping' ? 'pong' : this.handled;
  }
}
defineActor('mesh-overload.Slow', Slow);

class Pong extends Actor<'ping', 'pong'> {
  override handleCall(): 'pong' {
    return 'pong';
  }
}

const CAPACITY = 100;

describe('a producer node far faster than a consumer on another node', () => {
  test("the consumer's bounded mailbox holds, its drops are counted, and both nodes answer throughout", async () => {
    const { node: a } = await startNode('a');
    const { node: b } = await startNode('b');
    await b.connect(a.url!);
    const slow = a.spawn(Slow, undefined, { mailbox: { capacity: CAPACITY, overflow: 'drop_oldest' } });
    a.spawn(Pong, undefined, { name: 'pong' });
    b.spawn(Pong, undefined, { name: 'pong' });
    const sent = 60_000;
    let maxQueued = 0;
    for (let seq = 0; seq < sent;) {
      for (let i = 0; i < 2000 && seq < sent; i++, seq++) b.send(slow, [seq, new Uint8Array(512)] as never);
      maxQueued = Math.max(maxQueued, (await a.processInfo(slow))!.mailboxLength);
      expect(await b.call({ name: 'pong', node: 'a' }, 'ping', 10_000)).toBe('pong');
      expect(await a.call({ name: 'pong', node: 'b' }, 'ping', 10_000)).toBe('pong');
    }
    expect(maxQueued).toBeLessThanOrEqual(CAPACITY);
    // Everything sent arrives (the connection is never dropped here) and is handled or counted as dropped.
    await until(async () => {
      const info = (await a.processInfo(slow))!;
      expect(info.mailboxLength).toBe(0);
      expect(info.messagesHandled + info.messagesDropped).toBe(sent);
    }, 20_000);
    expect((await a.processInfo(slow))!.messagesDropped).toBeGreaterThan(0);
    expect(a.nodes()).toEqual(['b']);
  }, 60_000);

  test("a stalled receiver: the producer's queue for it stays under maxBufferedBytes, then the connection drops as a slow peer and comes back", async () => {
    const bound = 1024 * 1024;
    const { node: b, log } = await startNode('b', { maxBufferedBytes: bound });
    const { node: a } = await startNode('a');
    await b.connect(a.url!);
    const slow = a.spawn(Slow, undefined, { mailbox: { capacity: CAPACITY, overflow: 'drop_oldest' } });
    b.spawn(Pong, undefined, { name: 'pong' });
    connectionTo(a, 'b').ws.pause();
    const conn = connectionTo(b, 'a');
    let maxPending = 0;
    let sent = 0;
    while (conn.stage === 'up' && sent < 200_000) {
      for (let i = 0; i < 200; i++, sent++) b.send(slow, [sent, new Uint8Array(512)] as never);
      maxPending = Math.max(maxPending, conn.pendingBytes());
      await new Promise((r) => setImmediate(r));
    }
    expect(conn.stage).toBe('closed');
    // The bound counts queued frames before the end-of-turn batch: a turn's worth more at most.
    expect(maxPending).toBeLessThanOrEqual(bound + 200 * 600);
    expect(log.count(new RegExp(`closing \\(${CloseCode.slowPeer}\\)`))).toBe(1);
    // The nodes go on: they reconnect (a finds its stalled socket dead by the heartbeat), and calls work again.
    await until(() => expect(meshOf(b).peers.up.has('a')).toBe(true), 10_000);
    await until(async () => expect(await a.call({ name: 'pong', node: 'b' }, 'ping', 2000)).toBe('pong'), 15_000);
  }, 60_000);
});
