import fc from 'fast-check';
import { AWLWWMap, AWORSet, keyOf } from '@foundation/crdt';
import type { ObservedRemoveModel } from './model.js';

/** Waits, one event-loop turn at a time, until `cond()` holds (no fixed sleep). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** A canonical string of a CRDT's whole state (context, keys, dots and payloads). */
export const canon = (x: { toWire(): unknown }): string => keyOf(x.toWire());

/** A clock each replica can be given, set by the test. */
export class ManualClock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
}

/** One step of a history of several replicas: a write at one, or a one-way full sync. */
export type SetStep =
  { t: 'add'; at: number; v: number } | { t: 'remove'; at: number; v: number } | { t: 'sync'; from: number; to: number };

export const setStep = (replicas: number, values = 6): fc.Arbitrary<SetStep> =>
  fc.oneof(
    fc.record({ t: fc.constant('add' as const), at: fc.nat(replicas - 1), v: fc.nat(values - 1) }),
    fc.record({ t: fc.constant('remove' as const), at: fc.nat(replicas - 1), v: fc.nat(values - 1) }),
    fc.record({ t: fc.constant('sync' as const), from: fc.nat(replicas - 1), to: fc.nat(replicas - 1) }),
  );

/** Plays a history on `replicas` fresh AWORSets (recording each add and remove in `model`, if given); returns them. */
export function playSets(replicas: number, steps: SetStep[], model?: ObservedRemoveModel): AWORSet<number>[] {
  const rs = Array.from({ length: replicas }, (_, i) => new AWORSet<number>(`r${i}`));
  for (const s of steps) {
    if (s.t === 'sync') rs[s.to]!.join(rs[s.from]!);
    else {
      const r = rs[s.at]!;
      const op = () => (s.t === 'add' ? r.add(s.v) : r.remove(s.v));
      if (model) model.apply(r, s.v, s.t === 'remove', op);
      else op();
    }
  }
  return rs;
}

/** One step of a history of several map replicas; `tick` moves one replica's wall clock. */
export type MapStep =
  | { t: 'set'; at: number; k: number; v: number }
  | { t: 'delete'; at: number; k: number }
  | { t: 'sync'; from: number; to: number }
  | { t: 'tick'; at: number; ms: number };

export const mapStep = (replicas: number, keys = 5): fc.Arbitrary<MapStep> =>
  fc.oneof(
    fc.record({ t: fc.constant('set' as const), at: fc.nat(replicas - 1), k: fc.nat(keys - 1), v: fc.nat(99) }),
    fc.record({ t: fc.constant('delete' as const), at: fc.nat(replicas - 1), k: fc.nat(keys - 1) }),
    fc.record({ t: fc.constant('sync' as const), from: fc.nat(replicas - 1), to: fc.nat(replicas - 1) }),
    fc.record({ t: fc.constant('tick' as const), at: fc.nat(replicas - 1), ms: fc.integer({ min: -50, max: 50 }) }),
  );

/**
 * Plays a history on `replicas` fresh AWLWWMaps whose wall clocks disagree (each its own
 * ManualClock, moved back and forth by `tick`), recording each set and delete in `model` if
 * given; returns them. With `frozen`, every wall clock reads the same and never moves: the
 * timestamps differ by counter alone, and concurrent writes tie on it (the replica id decides).
 */
export function playMaps(replicas: number, steps: MapStep[], model?: ObservedRemoveModel, frozen = false): AWLWWMap<number, number>[] {
  const clocks = Array.from({ length: replicas }, (_, i) => new ManualClock(frozen ? 1000 : 1000 + i * 7));
  const rs = clocks.map((clock, i) => new AWLWWMap<number, number>(`r${i}`, { clock }));
  for (const s of steps) {
    if (s.t === 'set' || s.t === 'delete') {
      const r = rs[s.at]!;
      const op = () => (s.t === 'set' ? r.set(s.k, s.v) : r.delete(s.k));
      if (model) model.apply(r, s.k, s.t === 'delete', op);
      else op();
    } else if (s.t === 'tick') {
      if (!frozen) clocks[s.at]!.t = Math.max(0, clocks[s.at]!.t + s.ms);
    } else rs[s.to]!.join(rs[s.from]!);
  }
  return rs;
}
