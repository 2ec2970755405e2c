import { afterEach, describe, expect, test } from 'vitest';
import { InvalidArgumentError, StoppedError } from '@foundation/runtime';
import { DirtyPool } from '../src/dirty-pool.js';

const tasks = new URL('./fixtures/tasks.ts', import.meta.url).href;

const pools: DirtyPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

function pool(opts?: ConstructorParameters<typeof DirtyPool>[0]): DirtyPool {
  const p = new DirtyPool(opts);
  pools.push(p);
  return p;
}

/** The rejection of `p`, or a failure if it resolves. */
async function rejectionOf(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${String(v)}`);
    },
    (e: unknown) => e as Error & Record<string, unknown>,
  );
}

describe('results', () => {
  test('a CPU-bound task returns its result', async () => {
    expect(await pool({ threads: 1 }).run(tasks, 'fib', 20)).toBe(6765);
  });

  test('an async task resolves with structured data (Set, Date) intact', async () => {
    const result = await pool({ threads: 1 }).run(tasks, 'later', { ms: 5, tags: ['a', 'b'] });
    expect(result).toEqual({ tags: new Set(['a', 'b']), at: new Date(0) });
  });

  test('the module URL may be given as a URL', async () => {
    expect(await pool({ threads: 1 }).run(new URL(tasks), 'fib', 10)).toBe(55);
  });

  test('several tasks run at once, on different threads', async () => {
    const p = pool({ threads: 2 });
    // Each task waits at a barrier until both have arrived: run one after the other, they would not meet.
    const sab = new SharedArrayBuffer(4);
    const input = { sab, parties: 2, timeoutMs: 10_000 };
    type Met = { threadId: number; met: boolean };
    const [a, b] = (await Promise.all([p.run(tasks, 'barrier', input), p.run(tasks, 'barrier', input)])) as Met[];
    expect(a!.met && b!.met).toBe(true);
    expect(a!.threadId).not.toBe(b!.threadId);
  });

  test('many more tasks than threads all complete', async () => {
    const p = pool({ threads: 2 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => p.run(tasks, 'fib', i)));
    expect(results).toEqual(
      Array.from({ length: 20 }, (_, i) => [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181][i]),
    );
  });
});

describe('errors come back as the task threw them', () => {
  test("a thrown error keeps its class's name, message, stack, fields and cause", async () => {
    const e = await rejectionOf(pool({ threads: 1 }).run(tasks, 'fail', 3));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('TaskFailure');
    expect(e.message).toBe('failed at step 3');
    expect(e.stack).toMatch(/fixtures\/tasks\.ts/);
    expect(e.code).toBe('E_STEP');
    expect(e.detail).toEqual({ step: 3 });
    expect((e.cause as Error).name).toBe('RangeError');
    expect((e.cause as Error).message).toBe('the root cause');
  });

  test("one of the runtime's named errors is recognised by its guard", async () => {
    const e = await rejectionOf(pool({ threads: 1 }).run(tasks, 'failAsync', null));
    expect(InvalidArgumentError.is(e)).toBe(true);
    expect(e.field).toBe('size');
    expect(e.message).toBe('size must be a positive number, got -1');
  });

  test('something thrown that is not an Error comes back as it was', async () => {
    await expect(pool({ threads: 1 }).run(tasks, 'throwString', null)).rejects.toBe('just a string');
  });

  test('an export that is not a function is an InvalidArgumentError', async () => {
    const p = pool({ threads: 1 });
    for (const name of ['notAFunction', 'noSuchExport']) {
      const e = await rejectionOf(p.run(tasks, name, null));
      expect(InvalidArgumentError.is(e)).toBe(true);
      expect(e.field).toBe('exportName');
    }
  });

  test('a module that does not exist rejects with the loader error', async () => {
    const missing = new URL('./fixtures/no-such-module.ts', import.meta.url).href;
    const e = await rejectionOf(pool({ threads: 1 }).run(missing, 'f', null));
    expect(e.code).toBe('ERR_MODULE_NOT_FOUND');
  });

  test('an input that cannot be cloned rejects, and the pool still works', async () => {
    const p = pool({ threads: 1 });
    const e = await rejectionOf(p.run(tasks, 'fib', { f: () => 1 }));
    expect(e.name).toBe('DataCloneError');
    expect(await p.run(tasks, 'fib', 5)).toBe(5);
  });
});

describe('arguments and lifecycle', () => {
  test('bad options are refused by name', () => {
    expect(() => new DirtyPool({ threads: 0 })).toThrow(InvalidArgumentError);
    expect(() => new DirtyPool({ threads: 1.5 })).toThrow(/threads must be a positive integer/);
    expect(() => new DirtyPool({ idleTimeoutMs: -1 })).toThrow(/idleTimeoutMs/);
  });

  test('an idle timeout longer than a timer can wait (2^31-1 ms) is refused; Infinity keeps threads', async () => {
    expect(() => new DirtyPool({ idleTimeoutMs: 2 ** 31 })).toThrow(InvalidArgumentError);
    expect(() => new DirtyPool({ idleTimeoutMs: 2 ** 31 })).toThrow(/idleTimeoutMs .*2147483647/);
    expect(pool({ threads: 1, idleTimeoutMs: Infinity }).threads).toBe(1);
  });

  test('bad task arguments are refused by name', async () => {
    const p = pool({ threads: 1 });
    await expect(p.run('http://example.com/t.js', 'fib', 1)).rejects.toThrow(/moduleUrl must be a file: URL/);
    await expect(p.run('not a url', 'fib', 1)).rejects.toThrow(InvalidArgumentError);
    await expect(p.run(tasks, '', 1)).rejects.toThrow(/exportName/);
  });

  test('after destroy, run rejects with StoppedError; destroy is idempotent', async () => {
    const p = pool({ threads: 1 });
    expect(await p.run(tasks, 'fib', 3)).toBe(2);
    await p.destroy();
    await p.destroy();
    await expect(p.run(tasks, 'fib', 3)).rejects.toThrow(StoppedError);
  });

  test('destroy rejects the tasks still queued or running', async () => {
    const p = pool({ threads: 1 });
    const running = rejectionOf(p.run(tasks, 'later', { ms: 10_000, tags: [] }));
    const queued = rejectionOf(p.run(tasks, 'fib', 3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await p.destroy();
    expect(await running).toBeInstanceOf(StoppedError);
    expect(await queued).toBeInstanceOf(StoppedError);
  });

  test('threads defaults to the number of cores', () => {
    expect(pool().threads).toBeGreaterThanOrEqual(1);
  });
});
