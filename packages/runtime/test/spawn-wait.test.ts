import { afterEach, describe, expect, test } from 'vitest';
import { InitError, MemoryNetwork, Node } from '@foundation/runtime';
import { SlowInit } from './fixtures/thread-actors.js';

const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0).reverse()) await n.stop();
});
async function start(opts: Parameters<typeof Node.start>[0]): Promise<Node> {
  const node = await Node.start(opts);
  nodes.push(node);
  return node;
}

async function initError(p: Promise<unknown>): Promise<InitError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(InitError.is(e)).toBe(true);
  return e as InitError;
}

describe('spawnAndWait', () => {
  test('here: resolves once an async init has ended, rejects with InitError carrying what init threw', async () => {
    const node = await start({ name: 'a' });
    const pid = await node.spawnAndWait(SlowInit, { ms: 20 });
    expect((await node.processInfo(pid))?.status).toBe('waiting');
    const e = await initError(node.spawnAndWait(SlowInit, { ms: 5, fail: true }));
    expect((e.reason as Error).message).toBe('init gave up');
  });

  test('on another node: the same, through a call that queues behind init', async () => {
    const net = new MemoryNetwork();
    const a = await start({ name: 'a', transport: net.transport() });
    const b = await start({ name: 'b', transport: net.transport() });
    const pid = await b.spawnAndWait('SlowInit', { ms: 20 }, { node: 'a' });
    expect(pid.node).toBe('a');
    expect((await a.processInfo(pid))?.status).toBe('waiting');
    expect(await b.call(pid, 'x', 1000)).toBe('ready');
    const e = await initError(b.spawnAndWait('SlowInit', { ms: 5, fail: true }, { node: 'a' }));
    expect((e.reason as Error).message).toBe('init gave up');
  });

  test('on another scheduler: the same', async () => {
    const node = await start({ name: 's', schedulers: 2, modules: [new URL('./fixtures/thread-actors.ts', import.meta.url)] });
    const pid = await node.spawnAndWait('SlowInit', { ms: 20 }, { scheduler: 1 });
    expect((await node.processInfo(pid))?.status).toBe('waiting');
    const e = await initError(node.spawnAndWait('SlowInit', { ms: 5, fail: true }, { scheduler: 1 }));
    expect((e.reason as Error).message).toBe('init gave up');
  });
});
