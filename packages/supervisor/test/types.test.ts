/**
 * Type tests of typed child starts (checked by `tsc`, `pnpm typecheck`): `startChild([Cls,
 * args])` checks args against Cls's init and gives a `Pid<Cls>`. The function is never called.
 */
import { expectTypeOf, test } from 'vitest';
import { Actor, type Pid, type ProcessContext } from '@foundation/runtime';
import { Supervisor, type ChildSpec, type DynamicSupervisorHandle, type SupervisorHandle, type SupervisorOptions } from '../src/index.js';

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

export async function typedSupervisorChildren(ctx: ProcessContext, specs: ChildSpec[], opts: SupervisorOptions): Promise<void> {
  await Supervisor.start(ctx, {
    strategy: 'one_for_one',
    children: [
      { id: 'a', start: [Counter, 0] },
      { id: 'b', start: [Plain] },
      { id: 'c', start: ['Counter', 'untyped'], restart: 'temporary' },
      { id: 'sup', start: [Supervisor, { children: [{ id: 'x', start: [Counter, 1] }] }], type: 'supervisor' },
    ],
  });
  await Supervisor.start(ctx, {
    children: [
      { id: 'a', start: [Plain] },
      // @ts-expect-error — each child's args are checked against its class's init
      { id: 'b', start: [Counter, '1'] },
    ],
  });
  // Specs and options built elsewhere (untyped arrays) still go in.
  await Supervisor.start(ctx, { children: specs });
  await Supervisor.start(ctx, opts);
}

test('typed child starts are checked by tsc (pnpm typecheck)', () => {
  expectTypeOf(typedChildren).toBeFunction();
  expectTypeOf(typedSupervisorChildren).toBeFunction();
});
