import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Pid, decode, encode } from '@foundation/runtime';
import { AWORSet, InvalidWireError, KindMismatchError, AWLWWMap } from '@foundation/crdt';
import { InvalidArgumentError } from '@foundation/runtime';
import { canon, playSets, setStep } from './support.js';
import { ObservedRemoveModel } from './model.js';

const threeStates = fc.array(setStep(3), { maxLength: 40, size: 'max' }).map((steps) => playSets(3, steps));
const join = <T>(...xs: AWORSet<T>[]) => {
  const out = new AWORSet<T>('j');
  for (const x of xs) out.join(x);
  return out;
};
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('AWORSet', () => {
  test('add and remove return deltas that bring another replica to the same set', () => {
    const a = new AWORSet<string>('a');
    const b = new AWORSet<string>('b');
    b.join(a.add('x'));
    b.join(a.add('y'));
    expect(b.values().sort()).toEqual(['x', 'y']);
    a.join(b.remove('x'));
    expect(a.values()).toEqual(['y']);
    expect(a.has('x')).toBe(false);
  });

  test('a concurrent add and remove of the same element leaves it present (add wins)', () => {
    const a = new AWORSet<string>('a');
    const b = new AWORSet<string>('b');
    b.join(a.add('x'));
    const rm = a.remove('x');
    const add = b.add('x');
    a.join(add);
    b.join(rm);
    expect(a.has('x')).toBe(true);
    expect(b.has('x')).toBe(true);
    expect(canon(a)).toBe(canon(b));
  });

  test('pids and maps are elements, compared by value', () => {
    const s = new AWORSet<unknown>('a');
    s.add(new Pid('n', 1, 1));
    s.add(new Map([['k', 1]]));
    expect(s.has(new Pid('n', 1, 1))).toBe(true);
    expect(s.has(new Map([['k', 1]]))).toBe(true);
    expect(s.size).toBe(2);
  });

  test('a delta and a state round-trip through the wire codec', () => {
    const a = new AWORSet<unknown>('a');
    const d = a.add(new Pid('n', 1, 1));
    a.add([1, { x: 2 }]);
    const back = AWORSet.fromWire(decode(encode(a.toWire())), 'b');
    expect(canon(back)).toBe(canon(a));
    const b = new AWORSet<unknown>('b');
    b.join(AWORSet.fromWire(decode(encode(d.toWire())), 'b'));
    expect(b.has(new Pid('n', 1, 1))).toBe(true);
  });

  test('fromWire refuses forms that are not AWORSets', () => {
    expect(() => AWORSet.fromWire({ kind: 'awlwwmap', context: { vv: [], cloud: [] }, entries: [] }, 'a')).toThrow(KindMismatchError);
    expect(() => AWORSet.fromWire({ kind: 'aworset', context: { vv: [], cloud: [] }, entries: [['x', [['a', 1, null]]]] }, 'a')).toThrow(
      /a dot within the context/,
    );
    expect(() => AWORSet.fromWire({ kind: 'aworset', context: { vv: [], cloud: [] }, entries: 5 }, 'a')).toThrow(InvalidWireError);
    expect(() => new AWORSet('a').join(new AWLWWMap('b') as never)).toThrow(KindMismatchError);
  });

  test('a replica id must be a non-empty string', () => {
    for (const id of ['', 5, undefined]) {
      expect(() => new AWORSet<number>(id as string), String(id)).toThrow(InvalidArgumentError);
      expect(() => new AWORSet<number>(id as string), String(id)).toThrow(/^replica must be a non-empty string/);
    }
  });

  test('removing an absent element returns an empty delta and records nothing', () => {
    const a = new AWORSet<number>('a');
    a.add(1);
    const ctx = a.context.toWire();
    const d = a.remove(2);
    expect(d.toWire()).toEqual({ kind: 'aworset', context: { vv: [], cloud: [] }, entries: [] });
    expect(a.context.toWire()).toEqual(ctx);
  });

  test('join returns exactly the keys whose dots changed here', () => {
    const a = new AWORSet<number>('a');
    const b = new AWORSet<number>('b');
    a.add(1);
    a.add(2);
    expect(sorted(b.join(a))).toEqual([1, 2]);
    expect(b.join(a)).toEqual([]); // nothing new
    expect(b.join(b)).toEqual([]);
    const rm = a.remove(1);
    expect(b.join(rm)).toEqual([1]);
    expect(b.join(a.add(3))).toEqual([3]);
  });

  test('sameState compares dots and contexts; stateSize counts keys, live dots and the context', () => {
    const a = new AWORSet<number>('a');
    const b = new AWORSet<number>('b');
    expect(a.sameState(b)).toBe(true);
    a.add(1);
    expect(a.sameState(b)).toBe(false);
    b.join(a);
    expect(a.sameState(b)).toBe(true);
    const c = new AWORSet<number>('c');
    c.add(1); // the same key with another dot
    b.join(c);
    expect(a.sameState(b)).toBe(false);
    a.join(c);
    expect(a.sameState(b)).toBe(true);
    expect(a.sameState(new AWLWWMap('x') as never)).toBe(false);
    a.add(2);
    expect(a.stateSize()).toEqual({ keys: 2, dots: 3, contextReplicas: 2, contextCloud: 0 });
    // Same context and sizes, told apart by a dot, or by a key.
    const form = (key: number, n: number) =>
      AWORSet.fromWire({ kind: 'aworset', context: { vv: [['r', 2]], cloud: [] }, entries: [[key, [['r', n, null]]]] }, 'me');
    expect(form(1, 1).sameState(form(1, 1))).toBe(true);
    expect(form(1, 1).sameState(form(1, 2))).toBe(false);
    expect(form(1, 1).sameState(form(2, 1))).toBe(false);
    const forms = (...entries: [number, number[]][]) =>
      AWORSet.fromWire(
        { kind: 'aworset', context: { vv: [['r', 4]], cloud: [] }, entries: entries.map(([k, ns]) => [k, ns.map((n) => ['r', n, null])]) },
        'me',
      );
    expect(forms([1, [1]]).sameState(forms([1, [1]], [2, [2]])), 'fewer keys').toBe(false);
    expect(forms([1, [1]]).sameState(forms([1, [1, 2]])), 'fewer dots').toBe(false);
    expect(forms([1, [1, 2]]).sameState(forms([1, [1, 3]])), 'one dot differs').toBe(false);
    expect(new AWORSet('a').sameState(new AWLWWMap('a') as never), 'another kind').toBe(false);
  });

  test('fromWire names the malformed part of an entry and what it should be', () => {
    const ctx = { vv: [['a', 2]], cloud: [] };
    const err = (entries: unknown, context: unknown = ctx) => {
      try {
        AWORSet.fromWire({ kind: 'aworset', context, entries }, 'me');
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidWireError);
        const { path, expected } = e as InvalidWireError;
        return { path, expected };
      }
      throw new Error(`accepted ${JSON.stringify(entries)}`);
    };
    const ok = ['x', [['a', 1, null]]];
    expect(err(5)).toEqual({ path: 'aworset.entries', expected: 'an array' });
    expect(err([], { vv: 'no', cloud: [] })).toEqual({
      path: 'aworset.context',
      expected: '{ vv: [replica, n][], cloud: [replica, n[]][] }',
    });
    const entry = { path: 'aworset.entries[1]', expected: '[key, [replica, counter, payload][] (not empty)]' };
    for (const e of ['x', ['x'], ['x', [], 1], ['y', [['a', 2, null]], 1], ['x', 'no'], ['x', []]])
      expect(err([ok, e]), JSON.stringify(e)).toEqual(entry);
    expect(err([ok, ['x', [['a', 2, null]]]])).toEqual({ path: 'aworset.entries[1]', expected: 'a key that appears once' });
    const dot = { path: 'aworset.entries[1][1][0]', expected: '[replica: string, counter: integer ≥ 1, payload]' };
    for (const d of ['a', [1, 1, null], ['a', 0, null], ['a', 1.5, null]]) expect(err([ok, ['y', [d]]]), JSON.stringify(d)).toEqual(dot);
    expect(err([ok, ['y', [['a', 1, null]]]])).toEqual({ path: 'aworset.entries[1][1][0]', expected: 'a dot that tags one key only' });
    expect(
      err([
        ok,
        [
          'y',
          [
            ['a', 2, null],
            ['a', 2, null],
          ],
        ],
      ]),
    ).toEqual({ path: 'aworset.entries[1][1][1]', expected: 'a dot that tags one key only' });
    expect(err([ok, ['y', [['a', 3, null]]]])).toEqual({ path: 'aworset.entries[1][1][0]', expected: 'a dot within the context' });
    expect(err([ok, ['y', [['a', 2, 7]]]])).toEqual({ path: 'aworset.entries[1][1][0][2]', expected: 'null' });
    expect(err(null, null)).toEqual({ path: 'aworset.context', expected: '{ vv: [replica, n][], cloud: [replica, n[]][] }' });
    for (const w of [null, 5]) expect(() => AWORSet.fromWire(w, 'me'), String(w)).toThrow(/^aworset must be a aworset wire form/);
  });

  test('property: join is commutative', () => {
    fc.assert(fc.property(threeStates, ([a, b]) => canon(join(a!, b!)) === canon(join(b!, a!))));
  });

  test('property: join is associative', () => {
    fc.assert(fc.property(threeStates, ([a, b, c]) => canon(join(join(a!, b!), c!)) === canon(join(a!, join(b!, c!)))));
  });

  test('property: join is idempotent', () => {
    fc.assert(
      fc.property(threeStates, ([a]) => {
        const before = canon(a!);
        a!.join(a!.clone());
        return canon(a!) === before && canon(join(a!, a!)) === before;
      }),
    );
  });

  test('property: delta-state equivalence (joining the deltas, in any order and repeated, = joining the state)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(5)), { maxLength: 40, size: 'max' }), fc.func(fc.integer()), ([...ops], order) => {
        const a = new AWORSet<number>('a');
        const deltas = ops.map(([add, v]) => (add ? a.add(v) : a.remove(v)));
        const inOrder = new AWORSet<number>('b');
        for (const d of deltas) inOrder.join(d);
        const shuffled = new AWORSet<number>('c');
        const perm = deltas.map((d, i) => [order(i), d] as const).sort((x, y) => x[0] - y[0]);
        for (const [, d] of perm) shuffled.join(d);
        for (const [, d] of perm.slice(0, 3)) shuffled.join(d);
        const grouped = new AWORSet<number>('g');
        for (const d of deltas) grouped.join(d);
        const viaState = new AWORSet<number>('d');
        viaState.join(a);
        return canon(inOrder) === canon(a) && canon(shuffled) === canon(a) && canon(viaState) === canon(a) && canon(grouped) === canon(a);
      }),
    );
  });

  test('property: add-wins (an add concurrent with a remove of the element survives it)', () => {
    fc.assert(
      fc.property(threeStates, fc.nat(5), ([a, b], v) => {
        a!.join(b!);
        b!.join(a!);
        const rm = a!.remove(v);
        const add = b!.add(v);
        a!.join(add);
        b!.join(rm);
        return a!.has(v) && b!.has(v);
      }),
    );
  });

  test('property: a remove takes out only the adds it had seen — an add it missed survives, also on a replica that held both adds when the remove came', () => {
    fc.assert(
      fc.property(fc.array(setStep(3), { maxLength: 40, size: 'max' }), fc.nat(5), (steps, v) => {
        const model = new ObservedRemoveModel();
        const [a, b, c] = playSets(3, steps, model) as [AWORSet<number>, AWORSet<number>, AWORSet<number>];
        const fromA = model.apply(a, v, false, () => a.add(v));
        const fromC = model.apply(c, v, false, () => c.add(v));
        b.join(fromA);
        const rm = model.apply(b, v, true, () => b.remove(v)); // b saw a's add, not c's
        a.join(fromC);
        a.join(rm);
        for (const x of [a, b, c]) for (const y of [a, b, c]) x.join(y);
        expect(
          model.live(v).some((w) => w.dot.startsWith(`${c.replica}:`)),
          "the model keeps c's add",
        ).toBe(true);
        for (const x of [a, b, c])
          expect(sorted(x.values()), `${x.replica}'s elements`).toEqual(model.keys().filter((k) => model.winner(k) !== undefined));
      }),
    );
  });

  test('property: the value is what was added and not removed since, per replica', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(5)), { maxLength: 50, size: 'max' }), (ops) => {
        const a = new AWORSet<number>('a');
        const model = new Set<number>();
        for (const [add, v] of ops) {
          if (add) {
            a.add(v);
            model.add(v);
          } else {
            a.remove(v);
            model.delete(v);
          }
        }
        return JSON.stringify(sorted(a.values())) === JSON.stringify(sorted([...model]));
      }),
    );
  });

  test('property: across replicas, an element is present iff some add of it was seen by no remove (the observed-remove model), on every replica once synced', () => {
    fc.assert(
      fc.property(fc.array(setStep(3), { maxLength: 60, size: 'max' }), (steps) => {
        const model = new ObservedRemoveModel();
        const rs = playSets(3, steps, model);
        for (const x of rs) for (const y of rs) x.join(y);
        const present = model.keys().filter((v) => model.winner(v) !== undefined);
        for (const x of rs) expect(sorted(x.values()), `${x.replica}'s elements`).toEqual(present);
      }),
    );
  });

  test('property: removal leaves no residue beyond the causal context (state size bounded by live elements and replicas)', () => {
    fc.assert(
      fc.property(fc.array(setStep(3, 4), { minLength: 50, maxLength: 300 }), (steps) => {
        const rs = playSets(3, steps);
        // Bring everyone up to date, then empty the set.
        for (const x of rs) for (const y of rs) x.join(y);
        const d = rs[0]!.clear();
        for (const x of rs) x.join(d);
        return rs.every((x) => {
          const s = x.stateSize();
          return s.keys === 0 && s.dots === 0 && s.contextCloud === 0 && s.contextReplicas <= 3 && encode(x.toWire()).length < 80;
        });
      }),
    );
  });
});
