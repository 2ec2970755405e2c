import { describe, expect, test } from 'vitest';
import { CallExitError, Pid, Ref, decode, encode } from '@foundation/runtime';
import { checkEncodable, isEncodable, shortReason } from '../src/encodable.js';
import { UnencodableError } from '../src/errors.js';

const roundTrip = <T>(value: T): T => decode(encode(value)) as T;

/** The UnencodableError that `checkEncodable(value, what)` throws, or a failure if none. */
function rejection(value: unknown, what?: string): UnencodableError {
  try {
    checkEncodable(value, what);
  } catch (e) {
    expect(e).toBeInstanceOf(UnencodableError);
    return e as UnencodableError;
  }
  throw new Error('expected checkEncodable to throw');
}

describe('what the codec carries passes, and survives a round trip equal', () => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const shared = { s: 1 };
  const nullProto = Object.assign(Object.create(null) as object, { a: 1, b: [2] });
  const accepted: Record<string, unknown> = {
    primitives: [1, 'two', true, null, undefined, 2n ** 70n, NaN, -Infinity],
    'a plain object': { type: 'add', id: 42, nested: { list: [1, { deep: 'yes' }] } },
    'a null-prototype object': nullProto,
    'a Date': new Date(1_700_000_000_000),
    'a RegExp': /a+b/gi,
    'a Map with object keys': new Map<unknown, unknown>([
      ['k', 1],
      [{ o: 1 }, new Set([2])],
    ]),
    'a Set': new Set([1, 'x', { y: 2 }]),
    'an ArrayBuffer': new Uint8Array([1, 2, 3]).buffer,
    'typed arrays': [new Uint8Array([1]), new Int16Array([-2]), new Float64Array([1.5]), new BigInt64Array([3n])],
    'a DataView': new DataView(new ArrayBuffer(4)),
    'a Buffer': Buffer.from('hello'),
    'a Pid and a Ref': { pid: new Pid('a', 1, 2), ref: new Ref('a', 3, 2) },
    'a TypeError with a cause': new TypeError('bad', { cause: new Error('root') }),
    'shared references': { x: shared, y: shared },
    'a cycle': cyclic,
  };

  for (const [name, value] of Object.entries(accepted)) {
    test(name, () => {
      expect(() => checkEncodable(value)).not.toThrow();
      expect(isEncodable(value)).toBe(true);
      expect(roundTrip(value)).toEqual(value);
    });
  }

  test('an error with fields and a cause passes and keeps its name, message and fields', () => {
    const e = new CallExitError('<a.1.2>', { why: 'gone' });
    e.cause = new RangeError('root');
    checkEncodable(e);
    const back = roundTrip(e);
    expect(back.name).toBe('CallExitError');
    expect(back.message).toBe(e.message);
    expect(back.reason).toEqual({ why: 'gone' });
    expect((back.cause as Error).name).toBe('RangeError');
  });

  test('a long array of objects (the visited-set path) passes', () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => ({ i, tags: ['a', 'b'] }));
    expect(() => checkEncodable({ rows })).not.toThrow();
  });

  test('a deep chain of shared subtrees finishes (no exponential re-walk)', () => {
    let node: unknown = { leaf: true };
    for (let i = 0; i < 200; i++) node = { left: node, right: node };
    expect(() => checkEncodable(node)).not.toThrow();
  });
});

describe('what the codec would lose or alter is refused with its path', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  class MyMap extends Map<string, number> {}
  const ring: Record<string, unknown>[] = Array.from({ length: 500 }, (_, i) => ({ i }));
  for (let i = 0; i < ring.length; i++) ring[i]!.next = ring[(i + 1) % ring.length];
  ring[499]!.handler = () => 0;
  let tooDeep: unknown = { leaf: true };
  for (let i = 0; i < 5_000; i++) tooDeep = { next: tooDeep };

  const cases: [string, unknown, string, RegExp][] = [
    ['a function field', { handler: function onMsg() {} }, 'message.handler', /function \(onMsg\)/],
    ['an arrow function in an array', { items: [1, 2, 3, () => 0] }, 'message.items[3]', /function/],
    ['a symbol value', { s: Symbol('tag') }, 'message.s', /symbol \(Symbol\(tag\)\)/],
    ['a symbol-keyed property', { a: 1, [Symbol('meta')]: 1 }, 'message', /symbol-keyed property/],
    ['an own __proto__ key, which the codec renames', { a: JSON.parse('{"__proto__": 1}') }, 'message.a', /'__proto__' key/],
    ['a class instance', { at: new Point(1) }, 'message.at', /instance of Point/],
    ['a Map subclass', { m: new MyMap() }, 'message.m', /subclass of Map/],
    ['a WeakMap', { w: new WeakMap() }, 'message.w', /WeakMap/],
    ['a WeakSet', [new WeakSet()], 'message[0]', /WeakSet/],
    ['a Promise', { p: Promise.resolve(1) }, 'message.p', /Promise/],
    ['a SharedArrayBuffer', { sab: new SharedArrayBuffer(8) }, 'message.sab', /SharedArrayBuffer/],
    ['a boxed string', { s: new String('x') }, 'message.s', /boxed String/],
    ['a URL', { u: new URL('http://example.com/') }, 'message.u', /instance of URL/],
    ['a function as a Map value', { m: new Map([['k', () => 0]]) }, 'message.m.get("k")', /function/],
    ['a function as a Map key', new Map([[() => 0, 1]]), 'message.keys()[0]', /function/],
    ['a function in a Set', { s: new Set([1, () => 0]) }, 'message.s.values()[1]', /function/],
    ['an odd key', { 'two words': { f: () => 0 } }, 'message["two words"].f', /function/],
    ['a function in an error field', { e: Object.assign(new Error('x'), { fn: () => 0 }) }, 'message.e.fn', /function/],
    ['a WeakMap as an error cause', new Error('x', { cause: new WeakMap() }), 'message.cause', /WeakMap/],
    ['a function at the top', () => 0, 'message', /function/],
    ['a function deep inside a long cycle', { ring: ring[0] }, 'message.ring' + '.next'.repeat(499) + '.handler', /function/],
    ['a value nested deeper than the codec can go', tooDeep, 'message' + '.next'.repeat(1_001), /nested more than 1000 levels/],
  ];

  for (const [name, value, path, given] of cases) {
    test(name, () => {
      const e = rejection(value);
      expect(e.name).toBe('UnencodableError');
      expect(UnencodableError.is(e)).toBe(true);
      expect(e.path).toBe(path);
      expect(e.given).toMatch(given);
      expect(e.message).toContain(path);
      expect(isEncodable(value)).toBe(false);
    });
  }

  test('the path starts with the name given for the value', () => {
    expect(rejection({ f: () => 0 }, 'input').path).toBe('input.f');
  });

  test('a refused value would indeed have been altered by the codec', () => {
    const back = roundTrip({ handler: () => 0, at: new Point(1) }) as Record<string, unknown>;
    expect(back.handler).toBeUndefined();
    expect(back.at).not.toBeInstanceOf(Point);
    expect(Object.keys(roundTrip(JSON.parse('{"__proto__": 1}')) as object)).not.toContain('__proto__');
  });
});

describe('shortReason', () => {
  test('an error keeps its name and the start of its message, without stack, cause or fields; it stays short once encoded', () => {
    const e = new CallExitError('x', 'y'.repeat(100_000));
    const s = shortReason(e, 50) as Error;
    expect(s).toBeInstanceOf(Error);
    expect(s.name).toBe('CallExitError');
    expect(s.message.startsWith(e.message.slice(0, 50))).toBe(true);
    expect(s.message).toMatch(/more characters cut: too large to send\)$/);
    expect(Object.keys(s)).toEqual([]);
    expect(encode(s).length).toBeLessThan(400);
    const back = decode(encode(s)) as Error;
    expect([back.name, back.message]).toEqual([s.name, s.message]);
  });

  test('anything else becomes a short string describing it', () => {
    const s = shortReason({ rows: new Array(1_000_000).fill('z'.repeat(100)) }, 60) as string;
    expect(s).toMatch(/^reason too large to send: \{ rows: \[/);
    expect(s.length).toBeLessThan(100);
    expect(shortReason('a'.repeat(10), 100)).toMatch(/'aaaaaaaaaa'/);
  });
});
