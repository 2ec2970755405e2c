import { describe, expect, test } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { Pid } from '@foundation/runtime';
import { ThreadLink, type ThreadFrame } from '../src/internal/threads/thread-link.js';

describe('ThreadLink', () => {
  test('frames arrive in order, in batches, each batch posted as its own bytes (not the codec buffer behind it)', async () => {
    const { port1, port2 } = new MessageChannel();
    const sizes: [number, number][] = [];
    port2.on('message', (data: Uint8Array) => sizes.push([data.byteLength, data.buffer.byteLength]));
    const got: number[] = [];
    const sender = new ThreadLink(port1, () => {}, () => {}, false);
    const to = new Pid('n', 1, 1);
    const receiver = new ThreadLink(port2, (f) => got.push((f as { msg: number }).msg), () => {}, false);
    // A big batch first: it grows the codec's shared buffer to megabytes.
    for (let i = 0; i < 5000; i++) sender.send({ t: 'msg', to, kind: 0, msg: i, pad: 'x'.repeat(200) } as unknown as ThreadFrame);
    sender.flush();
    sender.send({ t: 'msg', to, kind: 0, msg: 5000 });
    sender.flush();
    await expect.poll(() => got.length, { interval: 1 }).toBe(5001);
    expect(got).toEqual(Array.from({ length: 5001 }, (_, i) => i));
    expect(sizes.length).toBeGreaterThan(2); // sent in pieces of at most 1024 frames
    for (const [view, buffer] of sizes) expect(buffer).toBe(view);
    expect(sizes.at(-1)![0]).toBeLessThan(100);
    sender.close();
    receiver.close();
  });
});
