import { MessageChannel, type Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { InvalidArgumentError, decode, isPid } from '@foundation/runtime';
import { hasCondition, runningFromSource, siblingModule, startWorker, workerExecArgv } from '../src/internal/worker-bootstrap.js';

const echoWorker = new URL('./fixtures/echo-worker.ts', import.meta.url);

interface Ready {
  kind: 'ready';
  workerData: unknown;
  runtime: string;
  env: string | undefined;
  pid: Uint8Array;
}

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function start(...args: Parameters<typeof startWorker>): Worker {
  const w = startWorker(...args);
  workers.push(w);
  return w;
}

function nextMessage<T>(from: { once(event: 'message', f: (m: T) => void): unknown }): Promise<T> {
  return new Promise((resolve) => from.once('message', resolve));
}

describe('startWorker', () => {
  test('a TypeScript worker starts, gets its workerData and resolves the runtime to its source', async () => {
    const w = start(echoWorker, { hello: 'worker', n: [1, 2] });
    const ready = await nextMessage<Ready>(w);
    expect(ready.kind).toBe('ready');
    expect(ready.workerData).toEqual({ hello: 'worker', n: [1, 2] });
    expect(ready.runtime).toMatch(/\/packages\/runtime\/src\/index\.ts$/);
    const pid = decode(ready.pid);
    expect(isPid(pid)).toBe(true);
    expect(String(pid)).toBe(`<echo.${w.threadId}.1>`);
  });

  test('the worker echoes what it is sent', async () => {
    const w = start(echoWorker, null);
    await nextMessage(w);
    w.postMessage({ ping: 1, at: new Date(5) });
    expect(await nextMessage(w)).toEqual({ kind: 'echo', message: { ping: 1, at: new Date(5) } });
  });

  test('transferList, env and name reach the worker', async () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const w = start(
        echoWorker,
        { port: port2 },
        {
          transferList: [port2],
          env: { ECHO_WORKER_ENV: 'from the test' },
          name: 'echo',
        },
      );
      const ready = await nextMessage<Ready>(port1);
      expect(ready.workerData).toBe('a port');
      expect(ready.env).toBe('from the test');
      w.postMessage('through the port');
      expect(await nextMessage(port1)).toEqual({ kind: 'echo', message: 'through the port' });
    } finally {
      port1.close();
    }
  });

  test("an entry that throws while loading surfaces as the worker's error event", async () => {
    const w = start(echoWorker, { throwAtLoad: true });
    const [error, code] = await Promise.all([
      new Promise<Error>((resolve) => w.once('error', resolve)),
      new Promise<number>((resolve) => w.once('exit', resolve)),
    ]);
    expect(error.name).toBe('RangeError');
    expect(error.message).toBe('echo-worker was asked to fail at load');
    expect(code).toBe(1);
  });

  test('an entry that is not a file: URL is refused', () => {
    expect(() => startWorker(new URL('http://example.com/w.js'), null)).toThrow(InvalidArgumentError);
    expect(() => startWorker('./w.ts' as unknown as URL, null)).toThrow(InvalidArgumentError);
  });
});

describe('siblingModule', () => {
  test('picks .ts next to a caller that runs from source and .js next to one from dist', () => {
    expect(siblingModule('file:///p/src/node.ts', 'scheduler-worker').href).toBe('file:///p/src/scheduler-worker.ts');
    expect(siblingModule('file:///p/dist/node.js', 'scheduler-worker').href).toBe('file:///p/dist/scheduler-worker.js');
    expect(siblingModule('file:///p/src/node.ts', 'internal/w').href).toBe('file:///p/src/internal/w.ts');
  });

  test('refuses a base name with an extension', () => {
    expect(() => siblingModule(import.meta.url, 'w.js')).toThrow(InvalidArgumentError);
  });
});

describe('the source condition', () => {
  test('is recognised in each of node spellings', () => {
    expect(hasCondition(['--conditions=@foundation/source'], '@foundation/source')).toBe(true);
    expect(hasCondition(['--conditions', '@foundation/source'], '@foundation/source')).toBe(true);
    expect(hasCondition(['-C', '@foundation/source'], '@foundation/source')).toBe(true);
    expect(hasCondition(['--conditions=other'], '@foundation/source')).toBe(false);
  });

  test('is passed to workers that run from source, never to those from dist', () => {
    expect(runningFromSource).toBe(true);
    const argv = workerExecArgv(true) ?? process.execArgv;
    expect(hasCondition(argv, '@foundation/source')).toBe(true);
    expect(workerExecArgv(false)).toBeUndefined();
  });
});
