import { describe, expect, test } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { Pid } from '@foundation/runtime';
import { encode } from '../src/codec.js';
import { ThreadLink, type Control, type LinkHandlers, type ThreadFrame } from '../src/internal/threads/thread-link.js';

const handlers = (frame: (f: ThreadFrame) => void = () => {}, control: (c: Control) => void = () => {}): LinkHandlers => ({
  frame,
  control,
  afterBatch: () => {},
});

/** What a post carried: [bytes of the batch, bytes copied to the other thread] (a small batch goes as a latin1 string). */
const posted = (data: Uint8Array | string): [number, number] =>
  typeof data === 'string' ? [data.length, data.length] : [data.byteLength, data.buffer.byteLength];

describe('ThreadLink', () => {
  test('frames arrive in order, in batches, each batch posted as its own bytes (not the codec buffer behind it)', async () => {
    const { port1, port2 } = new MessageChannel();
    const sizes: [number, number][] = [];
    port2.on('message', (data: Uint8Array | string) => sizes.push(posted(data)));
    const got: number[] = [];
    const sender = new ThreadLink(port1, 1, handlers(), false);
    const to = new Pid('n', 1, 1);
    const receiver = new ThreadLink(
      port2,
      0,
      handlers((f) => got.push((f as { msg: number }).msg)),
      false,
    );
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

  test('a small batch, posted as a latin1 string of its bytes, carries every byte value and any text', async () => {
    const { port1, port2 } = new MessageChannel();
    const kinds: string[] = [];
    port2.on('message', (data: unknown) => kinds.push(typeof data));
    const got: unknown[] = [];
    const sender = new ThreadLink(port1, 1, handlers(), false);
    const receiver = new ThreadLink(
      port2,
      0,
      handlers((f) => got.push((f as { msg: unknown }).msg)),
      false,
    );
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const msg = { bytes, text: 'ÿ€😀\u0000é', n: -0.5 };
    sender.send({ t: 'msg', to: new Pid('n', 1, 1), kind: 0, msg });
    sender.flush();
    await expect.poll(() => got.length, { interval: 1 }).toBe(1);
    expect(kinds).toEqual(['string']);
    expect(got[0]).toEqual(msg);
    sender.close();
    receiver.close();
  });

  test('a frame whose handling throws is dropped and warned; the rest of its batch still arrives, and nothing escapes the port callback', async () => {
    const { port1, port2 } = new MessageChannel();
    const got: number[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const sender = new ThreadLink(port1, 1, handlers(), false);
    const receiver = new ThreadLink(
      port2,
      0,
      handlers((f) => {
        const n = (f as { msg: number }).msg;
        if (n === 2) throw new Error('a bug in a handler');
        got.push(n);
      }),
      false,
    );
    const to = new Pid('n', 1, 1);
    for (let i = 0; i < 5; i++) sender.send({ t: 'msg', to, kind: 0, msg: i });
    sender.flush();
    try {
      await expect.poll(() => got.length, { interval: 1 }).toBe(4);
      expect(got).toEqual([0, 1, 3, 4]);
      await expect
        .poll(() => warnings.some((w) => /'msg' frame from scheduler 0 threw; the frame was dropped: .*a bug in a handler/.test(w)))
        .toBe(true);
    } finally {
      process.off('warning', onWarning);
      sender.close();
      receiver.close();
    }
  });

  test('a control message posted after a 10 MB encode is posted as its own few bytes, in order with the frames', async () => {
    encode({ big: new Uint8Array(10 * 1024 * 1024) }); // grows the codec's shared buffer
    const { port1, port2 } = new MessageChannel();
    const buffers: number[] = [];
    port2.on('message', (data: Uint8Array | string) => buffers.push(posted(data)[1]));
    const got: unknown[] = [];
    const sender = new ThreadLink(port1, 1, handlers(), false);
    const receiver = new ThreadLink(
      port2,
      0,
      handlers(
        (f) => got.push(f.t),
        (c) => got.push(c),
      ),
      false,
    );
    const pid = new Pid('n', 65, 1);
    sender.send({ t: 'msg', to: pid, kind: 0, msg: 'first' });
    sender.control({ ctl: 'name', name: 'svc', pid });
    await expect.poll(() => got.length, { interval: 1 }).toBe(2);
    expect(got).toEqual(['msg', { ctl: 'name', name: 'svc', pid }]);
    expect(buffers).toHaveLength(1);
    expect(buffers[0]).toBeLessThan(200);
    sender.close();
    receiver.close();
  });

  test('while held, a link keeps what is sent and posts it on the new port, after the first control', async () => {
    const old = new MessageChannel();
    const sender = new ThreadLink(old.port1, 1, handlers(), false);
    sender.hold();
    const to = new Pid('n', 1, 1);
    sender.send({ t: 'msg', to, kind: 0, msg: 'kept' });
    sender.flush();
    const fresh = new MessageChannel();
    const got: unknown[] = [];
    const receiver = new ThreadLink(
      fresh.port2,
      0,
      handlers(
        (f) => got.push((f as { msg: unknown }).msg),
        (c) => got.push(c),
      ),
      false,
    );
    sender.rebind(fresh.port1, { ctl: 'since', seq: 7 });
    await expect.poll(() => got.length, { interval: 1 }).toBe(2);
    expect(got).toEqual([{ ctl: 'since', seq: 7 }, 'kept']);
    sender.close();
    receiver.close();
    old.port2.close();
  });
});
