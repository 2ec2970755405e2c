/**
 * Type tests of typed child starts (checked by `tsc`, `pnpm typecheck`): `startChild([Cls,
 * args])` checks args against Cls's init and gives a `Pid<Cls>`. The function is never called.
 */
import { expectTypeOf, test } from 'vitest';
import { Actor, type Pid } from '@foundation/runtime';
import type { DynamicSupervisorHandle, SupervisorHandle } from '../src/index.js';

class Counter extends Actor<'get', number, number> {
  n = 0;
  override init(start: number) {
    this.n = start;
  }
  override handleCall() {
    return this.n;
  }
}
class Plain extends Actor {}

export async function typedChildren(sup: SupervisorHandle, pool: DynamicSupervisorHandle): Promise<void> {
  expectTypeOf(await pool.startChild([Counter, 0])).toEqualTypeOf<Pid<Counter>>();
  expectTypeOf(await pool.startChild({ start: [Counter, 1], restart: 'transient' })).toEqualTypeOf<Pid<Counter>>();
  expectTypeOf(await pool.startChild([Plain])).toEqualTypeOf<Pid<Plain>>();
  expectTypeOf(await pool.startChild(['Counter', 'anything'])).toEqualTypeOf<Pid>();
  // @ts-expect-error — Counter's init takes a number
  await pool.startChild([Counter, '0']);
  // @ts-expect-error — and needs one
  await pool.startChild([Counter]);
  expectTypeOf(await sup.startChild({ id: 'c', start: [Counter, 0] })).toEqualTypeOf<Pid<Counter>>();
  // @ts-expect-error — a spec's start is checked too
  await sup.startChild({ id: 'c', start: [Counter, 'x'] });
}

test('typed child starts are checked by tsc (pnpm typecheck)', () => {
  expectTypeOf(typedChildren).toBeFunction();
});
