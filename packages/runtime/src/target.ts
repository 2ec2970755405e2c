import { Pid } from './pid.js';
import { InvalidArgumentError } from './errors.js';
import type { Typed } from './protocol.js';

/**
 * A registered name that carries its actor's type: `const counter = name<Counter>('counter')`.
 * At run time it is the string itself, so it goes wherever a name does; `send`, `cast`, `call`,
 * `register` and `whereis` type-check against `A`.
 */
export type Name<A> = string & { readonly '~actor'?: A; readonly '~name': true };

/** Makes a typed name: the string `value`, typed as the name of an actor of class `A`. */
export function name<A>(value: string): Name<A> {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgumentError('name', 'a non-empty string', value);
  return value as Name<A>;
}

/** A process registered under `name` on another (or this) node; `RemoteName<A>` when `name` is a `Name<A>`. */
export interface RemoteName<A = unknown> extends Typed<A> {
  readonly name: string;
  readonly node: string;
}

/** Anything that can resolve a key to a pid: a registry, for via-names. */
export interface NameResolver {
  whereis(key: unknown): Pid | undefined;
}

/** A name held in a registry of the user's choice: `{ via: registry, key }`; `ViaName<A>` names an actor of class A. */
export interface ViaName<A = unknown> extends Typed<A> {
  readonly via: NameResolver;
  readonly key: unknown;
}

/**
 * What send, cast, call, link and monitor accept: a pid, a local name, a remote name or a
 * via-name. `Target<A>` is one that names an actor of class `A` (typed messages and replies).
 */
export type Target<A = unknown> = Pid<A> | Name<A> | RemoteName<A> | ViaName<A> | (unknown extends A ? string : never);

/** True for `{ name, node }`. */
export function isRemoteName(x: unknown): x is RemoteName {
  return (
    typeof x === 'object' &&
    x !== null &&
    !(x instanceof Pid) &&
    typeof (x as RemoteName).name === 'string' &&
    typeof (x as RemoteName).node === 'string'
  );
}

/** True for `{ via, key }`. */
export function isVia(x: unknown): x is ViaName {
  return typeof x === 'object' && x !== null && 'via' in x && 'key' in x && typeof (x as ViaName).via?.whereis === 'function';
}
