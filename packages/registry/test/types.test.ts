/**
 * Type tests of typed keys (checked by `tsc`, `pnpm typecheck`): a key made with `name<A>()`
 * types `via`, `whereis` and `register`. The function is never called.
 */
import { expectTypeOf, test } from 'vitest';
import { Actor, name, type Node, type Pid, type ViaName } from '@foundation/runtime';
import type { DistributedRegistry, Registry } from '../src/index.js';

class Db extends Actor<{ query: string }, string[]> {
  override handleCall(msg: { query: string }) {
    return [msg.query];
  }
}

export async function typedKeys(node: Node, reg: Registry, global: DistributedRegistry, db: Pid<Db>, untyped: Pid): Promise<void> {
  const key = name<Db>('db');
  await reg.register(key, db);
  await global.register(key, db);
  // @ts-expect-error — a typed key holds only a Pid<Db>
  await reg.register(key, untyped);
  await reg.register('plain', untyped);
  expectTypeOf(reg.via(key)).toEqualTypeOf<ViaName<Db>>();
  expectTypeOf(global.via(key)).toEqualTypeOf<ViaName<Db>>();
  expectTypeOf(reg.via('plain')).toEqualTypeOf<ViaName>();
  expectTypeOf(reg.whereis(key)).toEqualTypeOf<Pid<Db> | undefined>();
  expectTypeOf(await node.call(reg.via(key), { query: 'x' })).toEqualTypeOf<string[]>();
  // @ts-expect-error — Db takes { query }
  void node.call(global.via(key), { qeury: 'x' });
  expectTypeOf(await node.call(reg.via('plain'), 'anything')).toEqualTypeOf<unknown>();
}

test('typed registry keys are checked by tsc (pnpm typecheck)', () => {
  expectTypeOf(typedKeys).toBeFunction();
});
