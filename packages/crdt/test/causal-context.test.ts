import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { decode, encode } from '@foundation/runtime';
import { CausalContext, InvalidWireError, type Dot } from '@foundation/crdt';

const dotArb: fc.Arbitrary<Dot> = fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 12 }));
const ctxArb = fc.array(dotArb, { maxLength: 25 }).map((dots) => {
  const c = new CausalContext();
  for (const d of dots) c.add(d);
  return c;
});
const joined = (...cs: CausalContext[]) => {
  const out = new CausalContext();
  for (const c of cs) out.join(c);
  return out;
};

describe('CausalContext', () => {
  test('next gives consecutive dots of a replica and records them', () => {
    const c = new CausalContext();
    expect(c.next('a')).toEqual(['a', 1]);
    expect(c.next('a')).toEqual(['a', 2]);
    expect(c.has(['a', 2])).toBe(true);
    expect(c.has(['a', 3])).toBe(false);
    expect(c.toWire()).toEqual({ vv: [['a', 2]], cloud: [] });
  });

  test('dots seen out of order wait in the cloud until the gap fills, then compact', () => {
    const c = new CausalContext();
    c.add(['b', 3]);
    c.add(['b', 2]);
    expect(c.toWire()).toEqual({ vv: [], cloud: [['b', [2, 3]]] });
    expect(c.has(['b', 1])).toBe(false);
    c.add(['b', 1]);
    expect(c.toWire()).toEqual({ vv: [['b', 3]], cloud: [] });
    expect(c.size).toEqual({ replicas: 1, cloud: 0 });
  });

  test('includes and covers compare what two contexts have seen', () => {
    const a = new CausalContext();
    const b = new CausalContext();
    a.add(['x', 1]);
    a.add(['x', 3]);
    b.add(['x', 3]);
    expect(a.includes(b)).toBe(true);
    expect(b.includes(a)).toBe(false);
    expect(a.covers('x', 1)).toBe(true);
    expect(a.covers('x', 3)).toBe(false);
  });

  test('fromWire refuses malformed contexts with InvalidWireError', () => {
    expect(() => CausalContext.fromWire({ vv: [['a', -1]], cloud: [] })).toThrow(InvalidWireError);
    expect(() => CausalContext.fromWire({ vv: [], cloud: [['a', [0]]] })).toThrow(/counters ≥ 1/);
    expect(() => CausalContext.fromWire('nope')).toThrow(InvalidWireError);
  });

  test('property: join is commutative', () => {
    fc.assert(fc.property(ctxArb, ctxArb, (a, b) => joined(a, b).equals(joined(b, a))));
  });

  test('property: join is associative', () => {
    fc.assert(
      fc.property(ctxArb, ctxArb, ctxArb, (a, b, c) => {
        const left = joined(joined(a, b), c);
        const right = joined(a, joined(b, c));
        return left.equals(right) && JSON.stringify(left.toWire()) === JSON.stringify(right.toWire());
      }),
    );
  });

  test('property: join is idempotent', () => {
    fc.assert(fc.property(ctxArb, (a) => joined(a, a).equals(a)));
  });

  test('property: join is the least upper bound (includes both, has no other dot)', () => {
    fc.assert(
      fc.property(ctxArb, ctxArb, dotArb, (a, b, d) => {
        const j = joined(a, b);
        return j.includes(a) && j.includes(b) && j.has(d) === (a.has(d) || b.has(d));
      }),
    );
  });

  test('property: the context stays compact (no cloud dot at or next to the vector)', () => {
    fc.assert(
      fc.property(ctxArb, ctxArb, (a, b) => {
        const w = joined(a, b).toWire();
        const vv = new Map(w.vv);
        return w.cloud.every(([r, ns]) => ns.every((n) => n > (vv.get(r) ?? 0) + 1));
      }),
    );
  });

  test('property: toWire / fromWire round-trips through the wire codec', () => {
    fc.assert(fc.property(ctxArb, (a) => CausalContext.fromWire(decode(encode(a.toWire()))).equals(a)));
  });
});
