import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { decodeValuesLatin1, encodeValuesLatin1 } from '../src/frame-codec.js';
import {
  BadBatchError,
  FRAME_FIELDS,
  Pid,
  Ref,
  decode,
  decodeValues,
  encode,
  encodeValues,
  flattenFrame,
  isEncodable,
  unflattenFrame,
  type Frame,
} from '@foundation/runtime';

const roundTrip = (values: unknown[]): unknown[] => decodeValues(encodeValues(values));

// Leaves as fc.anything's defaults, but -0 as 0 (the codec normalises it: see encodable.ts) and
// strings of whole code points (UTF-8 cannot carry a lone surrogate, in either codec).
const leaves = [
  fc.boolean(),
  fc.integer(),
  fc.double().map((d) => (d === 0 ? 0 : d)),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(null, undefined),
];
const payload = fc
  .anything({
    values: leaves,
    key: fc.string({ unit: 'grapheme' }),
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    maxDepth: 4,
  })
  .filter((v) => isEncodable(v));

const nodeName = fc.constantFrom('a@h', 'b@h', 'node-ü-1');
const count = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const pid = fc.tuple(nodeName, count, count).map(([n, i, inc]) => new Pid(n, i, inc));
const ref = fc.tuple(nodeName, count, count).map(([n, i, inc]) => new Ref(n, i, inc));
const kind = fc.constantFrom(0, 1, 2);

const frame: fc.Arbitrary<Frame> = fc
  .oneof(
    fc.record({ t: fc.constant('msg'), to: pid, kind, msg: payload }),
    fc.record({ t: fc.constant('named'), name: fc.string({ minLength: 1 }), kind, msg: payload }),
    fc.record({ t: fc.constant('reply'), to: pid, ref, value: payload, released: fc.boolean() }),
    fc.record({ t: fc.constant('link'), from: pid, to: pid }),
    fc.record({ t: fc.constant('unlink'), from: pid, to: pid }),
    fc.record({ t: fc.constant('exit'), from: pid, to: pid, reason: payload, link: fc.boolean() }),
    fc.record({ t: fc.constant('monitor'), from: pid, to: fc.oneof(pid, fc.string({ minLength: 1 })), ref }),
    fc.record({ t: fc.constant('demonitor'), to: fc.oneof(pid, fc.string({ minLength: 1 })), ref }),
    fc.record({ t: fc.constant('down'), to: pid, ref, pid, reason: payload }),
  )
  // fast-check's records have no prototype; the runtime's frames are plain objects.
  .map((f) => ({ ...f }) as Frame);

describe('frame codec', () => {
  test('decoding an encoded batch gives back its frames, whatever their payloads, for every frame type', () => {
    const tags = new Set<string>();
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), (frames) => {
        const flat: unknown[] = [];
        for (const f of frames) flattenFrame(f, flat);
        const back = roundTrip(flat);
        const got: Frame[] = [];
        for (let i = 0; i < back.length; i += 1 + FRAME_FIELDS[back[i] as string]!.length) got.push(unflattenFrame(back, i)!);
        for (const f of frames) tags.add(f.t);
        expect(got).toStrictEqual(frames);
      }),
      { numRuns: 400 },
    );
    expect([...tags].sort()).toEqual(Object.keys(FRAME_FIELDS).sort());
  });

  test('a payload decodes as msgpackr decodes it alone (same classes, same normalisations)', () => {
    fc.assert(
      fc.property(payload, (v) => {
        expect(roundTrip([v])[0]).toStrictEqual(decode(encode(v)));
      }),
      { numRuns: 300 },
    );
  });

  test('shared and cyclic references inside a payload survive', () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    const [a, b] = roundTrip([{ x: shared, y: [shared] }, cyclic]) as [{ x: object; y: object[] }, Record<string, unknown>];
    expect(a.x).toBe(a.y[0]);
    expect(a.x).toStrictEqual({ n: 1 });
    expect(b.self).toBe(b);
  });

  test('pids, refs and short strings met again in a batch, past the tables that remember them, decode equal', () => {
    const pids = Array.from({ length: 40 }, (_, i) => new Pid(`node-${i % 20}`, i, 1));
    const refs = Array.from({ length: 40 }, (_, i) => new Ref(`node-${i % 25}`, i, 2));
    const words = Array.from({ length: 80 }, (_, i) => `w${i}`);
    const values = [...pids, ...refs, ...words, ...pids, ...refs, ...words, { [words[50]!]: pids[30], [words[1]!]: refs[39] }];
    const back = roundTrip(values);
    expect(back).toStrictEqual(values);
    expect(back[0]).toBe(back[160]); // the same pid object, twice in a batch: one decoded pid
  });

  test('a value that falls back to msgpackr half-way leaves no string reference behind it', () => {
    // The writer interns 'zz' and 'k' before it meets the Map and starts the value over as a blob.
    const values = [{ k: new Pid('zz', 1, 1), m: new Map([[1, 2]]) }, new Pid('zz', 2, 2), { k: 1 }];
    const back = roundTrip(values) as [{ k: Pid; m: Map<number, number> }, Pid, { k: number }];
    expect(back[0].k.equals(new Pid('zz', 1, 1))).toBe(true);
    expect(back[0].m.get(1)).toBe(2);
    expect(back[1].equals(new Pid('zz', 2, 2))).toBe(true);
    expect(back[2]).toStrictEqual({ k: 1 });
  });

  test('values of the same batch are copies of their own: one object sent twice arrives as two', () => {
    const o = { n: 1 };
    const [x, y] = roundTrip([o, o]);
    expect(x).toStrictEqual(o);
    expect(y).toStrictEqual(o);
    expect(x).not.toBe(y);
  });

  test('Map, Set, Date, BigInt, typed arrays, errors and pids inside them keep their types', () => {
    const p = new Pid('n@h', 3, 9);
    const e = Object.assign(new RangeError('bad', { cause: 'why' }), { code: 7 });
    const [m, s, d, big, bytes, err] = roundTrip([new Map([[p, 1]]), new Set(['a']), new Date(5), 2n ** 70n, new Float64Array([1.5]), e]);
    expect([...(m as Map<Pid, number>).keys()][0]!.equals(p)).toBe(true);
    expect(s).toStrictEqual(new Set(['a']));
    expect(d).toStrictEqual(new Date(5));
    expect(big).toBe(2n ** 70n);
    expect(bytes).toStrictEqual(new Float64Array([1.5]));
    expect(err).toBeInstanceOf(Error);
    expect((err as RangeError).name).toBe('RangeError');
    expect((err as { code: number }).code).toBe(7);
  });

  test('numbers of every kind, long and non-ASCII strings, and many distinct keys survive', () => {
    const keys = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i]));
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key-${i}`, { [`inner-${i}`]: i }]));
    const values = [
      0,
      127,
      128,
      -1,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      2 ** 53,
      1.5,
      NaN,
      Infinity,
      -Infinity,
      'ü'.repeat(300),
      'x'.repeat(70_000),
      keys,
      wide,
    ];
    expect(roundTrip(values)).toStrictEqual(values);
    // Enough values to fill several of the writer's chunks, one batch after another.
    for (let i = 0; i < 200; i++) expect(roundTrip([i, 'y'.repeat(i * 50)])).toStrictEqual([i, 'y'.repeat(i * 50)]);
  });

  test('a batch posted as a string decodes through a reused buffer, yet binary values decoded from it stay as they were', () => {
    const first = encodeValuesLatin1([Buffer.from([1, 2, 3]), 'x'], 8192); // msgpackr decodes a Buffer as a view of its input
    expect(typeof first).toBe('string');
    const [bytes] = decodeValuesLatin1(first as string) as [Uint8Array];
    decodeValuesLatin1(
      encodeValuesLatin1([new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9])], 8192) as string,
    );
    expect([...bytes]).toEqual([1, 2, 3]);
    const large = encodeValuesLatin1(['y'.repeat(100)], 50);
    expect(large).toBeInstanceOf(Uint8Array);
    expect(decodeValues(large as Uint8Array)).toEqual(['y'.repeat(100)]);
  });

  test('a batch that is not one is refused with BadBatchError, never decoded as something else', () => {
    const good = encodeValues(['msg', new Pid('a', 1, 1), 0, { k: 'v' }]);
    expect(() => decodeValues(good.subarray(0, good.length - 1))).toThrow(BadBatchError);
    expect(() => decodeValues(Uint8Array.of(1, 0xff))).toThrow(/unknown tag 0xff/);
    expect(() => decodeValues(Uint8Array.of(1, 0x88, 1, 3, 0))).toThrow(/string not yet in the batch/);
    // { "__proto__": 1 }: a key that would set the decoded object's prototype.
    expect(() => decodeValues(Uint8Array.of(1, 0x88, 1, 18, ...Buffer.from('__proto__'), 1))).toThrow(/__proto__/);
    expect(() => decodeValues(Uint8Array.of(200, 1))).toThrow(/claiming 200 values/);
    expect(() => decodeValues(Uint8Array.of(1, 1, 1))).toThrow(/after the last value/);
    // 40 arrays of one, nested: deeper than a writer ever writes.
    const deep = [1, ...Array.from({ length: 40 }, () => [0x87, 1]).flat(), 7];
    expect(() => decodeValues(Uint8Array.from(deep))).toThrow(/deeper/);
  });
});
