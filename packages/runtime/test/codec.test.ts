import { afterEach, describe, expect, test } from 'vitest';
import { Actor, CallExitError, CallTimeoutError, Node, Pid, Ref, decode, encode, isPid, isRef } from '@foundation/runtime';

const roundTrip = <T>(value: T): T => decode(encode(value)) as T;

const nodes: Node[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
});

describe('pids and refs', () => {
  test('a Pid survives encoding as an equal Pid', () => {
    const pid = new Pid('a', 7, 123);
    const back = roundTrip(pid);
    expect(isPid(back)).toBe(true);
    expect(back).not.toBe(pid);
    expect(back.equals(pid)).toBe(true);
    expect(back.key).toBe(pid.key);
    expect(back.toString()).toBe('<a.7.123>');
  });

  test('a Ref survives encoding as an equal Ref', () => {
    const ref = new Ref('b', 99, 4);
    const back = roundTrip(ref);
    expect(isRef(back)).toBe(true);
    expect(back.equals(ref)).toBe(true);
    expect(back.toString()).toBe('#Ref<b.99.4>');
  });

  test('pids and refs nested in arrays, objects and map keys survive', () => {
    const pid = new Pid('n', 1, 2);
    const ref = new Ref('n', 3, 2);
    const back = roundTrip({ list: [pid, ref], from: { pid, ref }, m: new Map([[pid.key, ref]]) });
    expect(back.list[0]!.equals(pid)).toBe(true);
    expect((back.list[1] as Ref).equals(ref)).toBe(true);
    expect(back.from.pid.equals(pid)).toBe(true);
    expect(back.m.get(pid.key)!.equals(ref)).toBe(true);
  });

  test('a decoded pid of a live local process still reaches it', async () => {
    class Echo extends Actor<unknown, unknown> {
      override handleCall(m: unknown) {
        return m;
      }
    }
    const node = await Node.start({ name: 'codec' });
    nodes.push(node);
    const pid = node.spawn(Echo, undefined);
    const back = roundTrip(pid);
    expect(back.proc).toBeNull();
    expect(await node.call(back, 'through the wire')).toBe('through the wire');
    expect((await node.processInfo(back))!.className).toBe('Echo');
  });
});

describe('errors', () => {
  test('an Error keeps name, message, stack, cause and its own fields', () => {
    const cause = new TypeError('inner');
    const e = Object.assign(new RangeError('outer', { cause }), { code: 'E_OUT', detail: { n: 1 } });
    const back = roundTrip(e);
    expect(back).toBeInstanceOf(Error);
    expect(back.name).toBe('RangeError');
    expect(back.message).toBe('outer');
    expect(back.stack).toBe(e.stack);
    expect(back.code).toBe('E_OUT');
    expect(back.detail).toEqual({ n: 1 });
    const c = back.cause as Error;
    expect(c).toBeInstanceOf(Error);
    expect(c.name).toBe('TypeError');
    expect(c.message).toBe('inner');
    expect(Object.keys(back)).not.toContain('name');
  });

  test('a CallExitError keeps its reason and target, and CallExitError.is holds after decoding', () => {
    const reason = new Error('callee crashed');
    const e = new CallExitError('<a.1.1>', reason);
    const back = roundTrip(e) as CallExitError;
    expect(CallExitError.is(back)).toBe(true);
    expect(CallTimeoutError.is(back)).toBe(false);
    expect(back._tag).toBe('CallExitError');
    expect(back.target).toBe('<a.1.1>');
    expect(back.message).toBe(e.message);
    expect(back.reason).toBeInstanceOf(Error);
    expect((back.reason as Error).message).toBe('callee crashed');
  });

  test('a CallTimeoutError keeps its timeout and a non-Error reason survives as is', () => {
    const back = roundTrip(new CallTimeoutError('x', 250)) as CallTimeoutError;
    expect(CallTimeoutError.is(back)).toBe(true);
    expect(back.timeoutMs).toBe(250);
    const exit = roundTrip(new CallExitError('y', { shutdown: 'bye' })) as CallExitError;
    expect(exit.reason).toEqual({ shutdown: 'bye' });
  });
});

describe('structured values', () => {
  test('Map, Set and Date survive', () => {
    const value = {
      m: new Map<unknown, unknown>([
        ['a', 1],
        [2, { b: [3] }],
      ]),
      s: new Set(['x', 'y']),
      d: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)),
    };
    const back = roundTrip(value);
    expect(back.m).toBeInstanceOf(Map);
    expect(back.m).toEqual(value.m);
    expect(back.s).toBeInstanceOf(Set);
    expect([...back.s]).toEqual(['x', 'y']);
    expect(back.d).toBeInstanceOf(Date);
    expect(back.d.getTime()).toBe(value.d.getTime());
  });

  test('BigInt survives, small and beyond 64 bits', () => {
    const values = [0n, -5n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 100n + 7n];
    expect(roundTrip(values)).toEqual(values);
    for (const v of roundTrip(values)) expect(typeof v).toBe('bigint');
  });

  test.each([
    new Uint8Array([0, 1, 255]),
    new Int8Array([-128, 127]),
    new Uint16Array([65535, 1]),
    new Int32Array([-1, 2 ** 31 - 1]),
    new Float32Array([1.5, -0.25]),
    new Float64Array([Math.PI, -Infinity]),
    new BigInt64Array([-(2n ** 63n), 42n]),
  ])('typed array %o survives with its type', (arr) => {
    const back = roundTrip(arr);
    expect(back.constructor).toBe(arr.constructor);
    expect([...back]).toEqual([...arr]);
  });

  test('shared references stay shared', () => {
    const shared = { n: 1 };
    const back = roundTrip({ a: shared, b: shared });
    expect(back.a).toEqual({ n: 1 });
    expect(back.a).toBe(back.b);
  });
});
