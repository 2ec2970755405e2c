import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Pid, decode, encode } from '@foundation/runtime';
import { AWLWWMap, ClockOffsetError, HLC, InvalidWireError } from '@foundation/crdt';
import { ManualClock, canon, mapStep, playMaps } from './support.js';
import { ObservedRemoveModel } from './model.js';

const threeStates = fc.array(mapStep(3), { maxLength: 40, size: 'max' }).map((steps) => playMaps(3, steps));
const join = (...xs: AWLWWMap<number, number>[]) => {
  const out = new AWLWWMap<number, number>('j');
  for (const x of xs) out.join(x);
  return out;
};
const read = (m: AWLWWMap<number, number>) => JSON.stringify(m.toArray().sort((a, b) => a[0] - b[0]));

describe('AWLWWMap', () => {
  test('set and delete return deltas that bring another replica to the same map', () => {
    const a = new AWLWWMap<string, number>('a');
    const b = new AWLWWMap<string, number>('b');
    b.join(a.set('x', 1));
    b.join(a.set('x', 2));
    expect(b.get('x')).toBe(2);
    a.join(b.delete('x'));
    expect(a.has('x')).toBe(false);
    expect(a.size).toBe(0);
  });

  test('concurrent sets are both kept, and every replica reads the one with the greater timestamp', () => {
    const a = new AWLWWMap<string, string>('a', { clock: new ManualClock(100) });
    const b = new AWLWWMap<string, string>('b', { clock: new ManualClock(90) });
    const da = a.set('k', 'from a');
    const db = b.set('k', 'from b');
    a.join(db);
    b.join(da);
    expect(a.get('k')).toBe('from a');
    expect(b.get('k')).toBe('from a');
    expect(b.concurrent('k').map((r) => r.v)).toEqual(['from a', 'from b']);
    // A write that has seen both replaces both, even from the replica whose clock lags.
    a.join(b.set('k', 'from b again'));
    expect(a.get('k')).toBe('from b again');
    expect(a.concurrent('k')).toHaveLength(1);
  });

  test('a write after seeing another wins over it though its wall clock is behind (the HLC moved on)', () => {
    const a = new AWLWWMap<string, string>('a', { clock: new ManualClock(10_000) });
    const b = new AWLWWMap<string, string>('b', { clock: new ManualClock(5) });
    const c = new AWLWWMap<string, string>('c', { clock: new ManualClock(5) });
    b.join(a.set('other', 'x'));
    const fromB = b.set('k', 'b saw a');
    const fromC = c.set('k', 'c saw nothing');
    expect(HLC.compare(fromB.getRegister('k')!.t, a.getRegister('other')!.t)).toBe(1);
    for (const m of [a, b, c]) {
      m.join(fromB);
      m.join(fromC);
    }
    expect([a.get('k'), b.get('k'), c.get('k')]).toEqual(['b saw a', 'b saw a', 'b saw a']);
  });

  test('a concurrent set survives a delete of the same key (add wins)', () => {
    const a = new AWLWWMap<string, number>('a');
    const b = new AWLWWMap<string, number>('b');
    b.join(a.set('k', 1));
    const del = a.delete('k');
    const set = b.set('k', 2);
    a.join(set);
    b.join(del);
    expect([a.get('k'), b.get('k')]).toEqual([2, 2]);
  });

  test('deleteWhere removes matching entries in one delta; pids and maps are keys', () => {
    const a = new AWLWWMap<unknown, string>('a');
    a.set(new Pid('n1', 1, 1), 'on n1');
    a.set(new Pid('n2', 1, 1), 'on n2');
    a.set(new Map([['k', 1]]), 'a map');
    const b = new AWLWWMap<unknown, string>('b');
    b.join(AWLWWMap.fromWire(decode(encode(a.toWire())), 'b'));
    expect(b.get(new Map([['k', 1]]))).toBe('a map');
    const d = b.deleteWhere((k) => k instanceof Pid && k.node === 'n1');
    a.join(AWLWWMap.fromWire(decode(encode(d.toWire())), 'a'));
    expect(a.has(new Pid('n1', 1, 1))).toBe(false);
    expect(a.get(new Pid('n2', 1, 1))).toBe('on n2');
    expect(canon(a)).toBe(canon(b));
  });

  test('a join bringing a write stamped over maxOffsetMs ahead is refused with ClockOffsetError and changes nothing', () => {
    const ahead = new AWLWWMap<string, number>('ahead', { clock: new ManualClock(1_000_000) });
    const here = new AWLWWMap<string, number>('here', { clock: new ManualClock(1000), maxOffsetMs: 5000 });
    here.set('mine', 1);
    const before = canon(here);
    const clockBefore = here.hlc.peek();
    const far = ahead.set('far', 2);
    expect(() => here.join(far)).toThrow(ClockOffsetError);
    expect(canon(here)).toBe(before);
    expect(here.hlc.peek()).toEqual(clockBefore);
    expect(() => AWLWWMap.fromWire(decode(encode(far.toWire())), 'here', { clock: new ManualClock(1000), maxOffsetMs: 5000 })).toThrow(
      ClockOffsetError,
    );
    // Within the offset, it joins and the clock moves past it.
    const near = new AWLWWMap<string, number>('near', { clock: new ManualClock(4000) });
    here.join(near.set('near', 3));
    expect(here.get('near')).toBe(3);
    expect(here.hlc.peek().ms).toBe(4000);
  });

  test('a join whose later key brings a write over maxOffsetMs ahead changes none of its keys, not even the ones before it', () => {
    const clock = new ManualClock(1000);
    const remote = new AWLWWMap<string, number>('remote', { clock });
    remote.set('a', 1);
    clock.t = 1_000_000;
    remote.set('b', 2); // 'b' comes after 'a' in the state
    const here = new AWLWWMap<string, number>('here', { clock: new ManualClock(1000), maxOffsetMs: 5000 });
    const before = canon(here);
    expect(() => here.join(remote)).toThrow(ClockOffsetError);
    expect(canon(here)).toBe(before);
    expect(here.has('a')).toBe(false);
  });

  test('concurrent of an absent key is empty; keys lists the keys present', () => {
    const m = new AWLWWMap<string, number>('a');
    m.set('k', 1);
    m.set('j', 2);
    m.delete('j');
    expect(m.concurrent('missing')).toEqual([]);
    expect(m.keys()).toEqual(['k']);
  });

  test('fromWire refuses a register that is not { v, t }, naming where it is', () => {
    for (const reg of [null, 5, { t: { ms: 1, c: 0, r: 'a' } }]) {
      const bad = { kind: 'awlwwmap', context: { vv: [['a', 1]], cloud: [] }, entries: [['k', [['a', 1, reg]]]] };
      let err: unknown;
      try {
        AWLWWMap.fromWire(bad, 'b');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(reg)).toBeInstanceOf(InvalidWireError);
      expect(err, JSON.stringify(reg)).toMatchObject({ path: 'awlwwmap.entries[0][1][0][2]', expected: '{ v, t }' });
    }
  });

  test('fromWire refuses a register without a timestamp', () => {
    const bad = { kind: 'awlwwmap', context: { vv: [['a', 1]], cloud: [] }, entries: [['k', [['a', 1, { v: 1 }]]]] };
    expect(() => AWLWWMap.fromWire(bad, 'b')).toThrow(/timestamp|\.t must be/);
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
        return canon(a!) === before;
      }),
    );
  });

  test('property: delta-state equivalence (the deltas, shuffled and duplicated, = the state)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat(4), fc.nat(9)), { maxLength: 40, size: 'max' }),
        fc.func(fc.integer()),
        (ops, order) => {
          const a = new AWLWWMap<number, number>('a');
          const deltas = ops.map(([set, k, v]) => (set ? a.set(k, v) : a.delete(k)));
          const b = new AWLWWMap<number, number>('b');
          const perm = deltas.map((d, i) => [order(i), d] as const).sort((x, y) => x[0] - y[0]);
          for (const [, d] of [...perm, ...perm.slice(0, 5)]) b.join(d);
          return canon(b) === canon(a) && read(b) === read(a);
        },
      ),
    );
  });

  test("property: LWW picks the same winner on every replica, the sequential model's: the greatest timestamp (ms, counter, replica) among the writes no delete or later set had seen", () => {
    fc.assert(
      // Wall clocks that disagree and move, or one frozen clock where timestamps tie but for the replica.
      fc.property(fc.array(mapStep(4, 3), { maxLength: 60, size: 'max' }), fc.boolean(), (steps, frozen) => {
        const model = new ObservedRemoveModel();
        const rs = playMaps(4, steps, model, frozen);
        for (const x of rs) for (const y of rs) x.join(y);
        const views = rs.map(read);
        expect(views.every((v) => v === views[0])).toBe(true);
        for (const x of rs) {
          for (const k of model.keys()) {
            expect(x.has(k), `${x.replica} has ${k}`).toBe(model.winner(k) !== undefined);
            expect(x.get(k), `${x.replica} reads ${k}`).toBe(model.winner(k)?.v);
            expect(x.concurrent(k).length, `${x.replica}: concurrent writes of ${k}`).toBe(model.live(k).length);
          }
        }
      }),
    );
  });

  test('property: a delete takes out only the writes it had seen — a set it missed survives, also on a replica that held both sets when the delete came', () => {
    fc.assert(
      fc.property(fc.array(mapStep(3), { maxLength: 40, size: 'max' }), fc.nat(4), (steps, k) => {
        const model = new ObservedRemoveModel();
        const [a, b, c] = playMaps(3, steps, model) as [AWLWWMap<number, number>, AWLWWMap<number, number>, AWLWWMap<number, number>];
        const fromA = model.apply(a, k, false, () => a.set(k, 1000));
        const fromC = model.apply(c, k, false, () => c.set(k, 2000));
        b.join(fromA);
        const del = model.apply(b, k, true, () => b.delete(k)); // b saw a's set, not c's
        a.join(fromC);
        a.join(del);
        for (const x of [a, b, c]) for (const y of [a, b, c]) x.join(y);
        expect(model.winner(k)?.v, "the model keeps c's set").toBe(2000);
        for (const x of [a, b, c])
          for (const key of model.keys()) expect(x.get(key), `${x.replica} reads ${key}`).toBe(model.winner(key)?.v);
      }),
    );
  });

  test('property: removal leaves no residue beyond the causal context (memory stays bounded)', () => {
    fc.assert(
      fc.property(fc.array(mapStep(3, 4), { minLength: 50, maxLength: 300 }), (steps) => {
        const rs = playMaps(3, steps);
        for (const x of rs) for (const y of rs) x.join(y);
        const d = rs[1]!.deleteWhere(() => true);
        for (const x of rs) x.join(d);
        return rs.every((x) => {
          const s = x.stateSize();
          return s.keys === 0 && s.dots === 0 && s.contextCloud === 0 && s.contextReplicas <= 3;
        });
      }),
    );
  });
});
