import type { ActorClass } from '@foundation/runtime';
import { checkChildSpec, type ChildSpec, type NormalizedChildSpec, type TypedChildSpec, type TypedChildStart } from './child-spec.js';
import { ChildSpecError } from './errors.js';

/** What a DynamicSupervisor starts: a child spec (its `id` optional) or `[ActorClass, args]`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ChildStart
export type DynamicChild<A = any> =
  (Omit<ChildSpec<A>, 'id'> & { readonly id?: string }) | readonly [ActorClass<A>, A] | readonly [ActorClass<A>];

/** A DynamicChild whose args are checked against its class's init (see TypedChildStart). */
export type TypedDynamicChild<C> = (Omit<TypedChildSpec<C>, 'id'> & { readonly id?: string }) | TypedChildStart<C>;

/** Checks what `startChild` was given; returns the spec and the id to show (null when none). */
export function checkDynamicChild(input: unknown): { spec: NormalizedChildSpec; label: string | null } {
  if (Array.isArray(input)) return { spec: checkChildSpec({ id: 'dynamic', start: input }), label: null };
  if (typeof input !== 'object' || input === null) {
    throw new ChildSpecError(undefined, 'child', 'a child spec or [ActorClass, args]', input);
  }
  const given = input as { id?: unknown };
  const spec = checkChildSpec({ ...input, id: given.id ?? 'dynamic' });
  return { spec, label: given.id === undefined ? null : spec.id };
}
