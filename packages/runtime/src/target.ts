import { Pid } from './pid.js';

/** A process registered under `name` on another (or this) node. */
export interface RemoteName {
  readonly name: string;
  readonly node: string;
}

/** Anything that can resolve a key to a pid: a registry, for via-names. */
export interface NameResolver {
  whereis(key: unknown): Pid | undefined;
}

/** A name held in a registry of the user's choice: `{ via: registry, key }`. */
export interface ViaName {
  readonly via: NameResolver;
  readonly key: unknown;
}

/** What send, cast, call, link and monitor accept: a pid, a local name, a remote name or a via-name. */
export type Target = Pid | string | RemoteName | ViaName;

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
