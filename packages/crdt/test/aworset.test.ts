import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Pid, decode, encode } from '@foundation/runtime';
import { AWORSet, InvalidWireError, KindMismatchError, AWLWWMap } from '@foundation/crdt';
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
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat(5)), { maxLength: 40, size: 'max' }),
        fc.func(fc.integer()),
        ([...ops], order) => {
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
        },
      ),
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
        expect(model.live(v).some((w) => w.dot.startsWith(`${c.replica}:`)), "the model keeps c's add").toBe(true);
        for (const x of [a, b, c]) expect(sorted(x.values()), `${x.replica}'s elements`).toEqual(model.keys().filter((k) => model.winner(k) !== undefined));
      }),
    );
  });

  test('property: the value is what was added and not removed since, per replica', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(5)), { maxLength: 50, size: 'max' }), (ops) => {
        const a = new AWORSet<number>('a');
        const model = new Set<number>();
        for (const [add, v] of ops) {
          if (add) (a.add(v), model.add(v));
          else (a.remove(v), model.delete(v));
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
