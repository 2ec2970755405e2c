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

  test('add and addRange refuse counters that are not integers ≥ 1 (≥ 0 for a range) and change nothing', () => {
    const c = new CausalContext();
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => c.add(['a', n]), String(n)).toThrow(/^dot counter must be an integer ≥ 1, got/);
    for (const n of [-1, 2.5, Infinity]) expect(() => c.addRange('a', n), String(n)).toThrow(/^dot counter must be an integer ≥ 0, got/);
    c.addRange('a', 0);
    expect(c.isEmpty).toBe(true);
  });

  test('fromWire names the malformed part and what it should be', () => {
    const err = (w: unknown) => {
      try {
        CausalContext.fromWire(w, 'ctx');
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidWireError);
        const { path, expected } = e as InvalidWireError;
        return { path, expected };
      }
      throw new Error(`accepted ${JSON.stringify(w)}`);
    };
    const whole = { path: 'ctx', expected: '{ vv: [replica, n][], cloud: [replica, n[]][] }' };
    for (const w of [null, 7, { cloud: [] }, { vv: [] }, { vv: {}, cloud: [] }]) expect(err(w), JSON.stringify(w)).toEqual(whole);
    const vvEntry = { path: 'ctx.vv[1]', expected: '[replica: string, counter: integer ≥ 0]' };
    for (const e of ['a', [1, 2], ['a', -1], ['a', 1.5]]) expect(err({ vv: [['z', 1], e], cloud: [] }), JSON.stringify(e)).toEqual(vvEntry);
    const cloudEntry = { path: 'ctx.cloud[1]', expected: '[replica: string, counters: integer[]]' };
    for (const e of ['a', [1, [2]], ['a', 2]]) expect(err({ vv: [], cloud: [['z', [2]], e] }), JSON.stringify(e)).toEqual(cloudEntry);
    expect(
      err({
        vv: [],
        cloud: [
          ['z', [2]],
          ['a', [3, 0]],
        ],
      }),
    ).toEqual({ path: 'ctx.cloud[1]', expected: 'counters ≥ 1' });
    // The default path, and a replica listed twice in the vector keeps its highest counter.
    expect(() => CausalContext.fromWire(null)).toThrow(/^context must be/);
    expect(
      CausalContext.fromWire({
        vv: [
          ['a', 3],
          ['a', 1],
        ],
        cloud: [],
      }).toWire(),
    ).toEqual({ vv: [['a', 3]], cloud: [] });
    expect(CausalContext.fromWire({ vv: [['a', 0]], cloud: [] }).isEmpty).toBe(true);
  });

  test('property: has, max, covers, includes, equals, isEmpty, size, replicas and the wire form agree with the set of dots seen', () => {
    type Op = { t: 'add'; dot: Dot } | { t: 'range'; r: string; upTo: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: dotArb.map((dot) => ({ t: 'add' as const, dot })) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('range' as const), r: fc.constantFrom('a', 'b', 'c'), upTo: fc.nat(8) }) },
    );
    const build = (ops: Op[]) => {
      const c = new CausalContext();
      const model = new Set<string>();
      for (const o of ops) {
        if (o.t === 'add') {
          c.add(o.dot);
          model.add(`${o.dot[0]}:${o.dot[1]}`);
        } else {
          c.addRange(o.r, o.upTo);
          for (let n = 1; n <= o.upTo; n++) model.add(`${o.r}:${n}`);
        }
      }
      return { c, model };
    };
    const R = ['a', 'b', 'c'];
    const N = 14;
    /** The one compact wire form of a set of dots: per replica (sorted), the contiguous prefix in vv, the rest in the cloud. */
    const wireOf = (m: Set<string>) => {
      const vv: [string, number][] = [];
      const cloud: [string, number[]][] = [];
      for (const r of R) {
        let v = 0;
        while (m.has(`${r}:${v + 1}`)) v++;
        if (v > 0) vv.push([r, v]);
        const rest = [...m]
          .filter((d) => d.startsWith(`${r}:`))
          .map((d) => Number(d.slice(2)))
          .filter((n) => n > v)
          .sort((x, y) => x - y);
        if (rest.length > 0) cloud.push([r, rest]);
      }
      return { vv, cloud };
    };
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30, size: 'max' }), fc.array(opArb, { maxLength: 30, size: 'max' }), (opsA, opsB) => {
        const { c: a, model: A } = build(opsA);
        const { c: b, model: B } = build(opsB);
        for (const r of R) {
          for (let n = 1; n <= N; n++) expect(a.has([r, n]), `has ${r}:${n}`).toBe(A.has(`${r}:${n}`));
          expect(a.max(r), `max ${r}`).toBe(Math.max(0, ...[...A].filter((d) => d.startsWith(`${r}:`)).map((d) => Number(d.slice(2)))));
          for (let u = 0; u <= N; u++)
            expect(a.covers(r, u), `covers ${r} 1..${u}`).toBe(Array.from({ length: u }, (_, i) => `${r}:${i + 1}`).every((d) => A.has(d)));
        }
        const sub = (x: Set<string>, y: Set<string>) => [...x].every((d) => y.has(d));
        expect(a.includes(b), 'a includes b').toBe(sub(B, A));
        expect(b.includes(a), 'b includes a').toBe(sub(A, B));
        expect(a.equals(b), 'equals').toBe(sub(A, B) && sub(B, A));
        expect(a.isEmpty).toBe(A.size === 0);
        const w = wireOf(A);
        expect(a.toWire(), 'the compact, sorted wire form').toEqual(w);
        expect(a.size).toEqual({ replicas: w.vv.length, cloud: w.cloud.reduce((k, [, ns]) => k + ns.length, 0) });
        const walked = new Set<string>();
        const replicas: string[] = [];
        for (const { replica, upTo, cloud } of a.replicas()) {
          replicas.push(replica);
          for (let n = 1; n <= upTo; n++) walked.add(`${replica}:${n}`);
          for (const n of cloud ?? []) walked.add(`${replica}:${n}`);
        }
        expect([...walked].sort(), 'replicas() walks every dot').toEqual([...A].sort());
        expect(replicas.length, 'replicas() gives each replica once').toBe(new Set(replicas).size);
        const j = joined(a, b);
        expect(j.toWire(), 'join').toEqual(wireOf(new Set([...A, ...B])));
        expect(CausalContext.fromWire(a.toWire()).toWire()).toEqual(w);
      }),
    );
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
