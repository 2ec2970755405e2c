import { Actor, actorClass, durationExpected, isDuration, type ActorClass, type SpawnArgOf } from '@foundation/runtime';
import { ChildSpecError, DuplicateChildIdError } from './errors.js';

/** When a child that exited is restarted: always, only after a crash, or never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** How a child is stopped: `'shutdown'` then `'kill'` after that many ms, `'kill'` at once, or wait forever. */
export type Shutdown = number | 'brutal_kill' | 'infinity';

/** A worker, or a supervisor (which then gets `shutdown: 'infinity'` by default). */
export type ChildType = 'worker' | 'supervisor';

/** `[ActorClass, args]`, or `[name, args]` with a name given to defineActor. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a spec of any init argument type (see ActorClass)
export type ChildStart<A = any> = readonly [ActorClass<A> | string, A] | readonly [ActorClass<A>];

/**
 * `[Cls, args]` with `args` checked against Cls's init (a class name is untyped): what a typed
 * `startChild` takes, and from which it gives a `Pid<Cls>`.
 */
export type TypedChildStart<C> = readonly [C, SpawnArgOf<C>] | (SpawnArgOf<C> extends void ? readonly [C] : never);

/** A child spec whose `start` is checked against its class (see TypedChildStart). */
export type TypedChildSpec<C> = Omit<ChildSpec, 'start'> & { readonly start: TypedChildStart<C> };

/** A child spec as given: plain data; everything but `id` and `start` has a default. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ChildStart
export interface ChildSpec<A = any> {
  readonly id: string;
  readonly start: ChildStart<A>;
  /** Default `'permanent'`. */
  readonly restart?: RestartType;
  /** Default 5000 for workers, `'infinity'` for supervisors. */
  readonly shutdown?: Shutdown;
  /** Default `'worker'`. */
  readonly type?: ChildType;
}

/** A child spec with its defaults applied and every field checked. */
export interface NormalizedChildSpec {
  readonly id: string;
  readonly start: readonly [ActorClass, unknown];
  readonly restart: RestartType;
  readonly shutdown: Shutdown;
  readonly type: ChildType;
}

const FIELDS = new Set(['id', 'start', 'restart', 'shutdown', 'type']);
const RESTARTS: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
const TYPES: readonly ChildType[] = ['worker', 'supervisor'];

/** The default shutdown of a child of `type` (OTP's: 5000 ms for workers, infinity for supervisors). */
export function defaultShutdown(type: ChildType): Shutdown {
  return type === 'supervisor' ? 'infinity' : 5000;
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new ChildSpecError(undefined, 'id', 'a non-empty string', id);
  return id;
}

/** The class defined under `name` with defineActor, or undefined. */
function definedClass(name: string): ActorClass | undefined {
  try {
    return actorClass(name);
  } catch {
    return undefined;
  }
}

/** Checks `start` (the `[ActorClass | definedName, args]` pair); `idForErrors` names the child in the error. */
export function checkStart(idForErrors: string | undefined, start: unknown): readonly [ActorClass, unknown] {
  if (!Array.isArray(start) || start.length < 1 || start.length > 2) {
    throw new ChildSpecError(idForErrors, 'start', '[ActorClass, args]', start);
  }
  const cls: unknown = start[0];
  const resolved = typeof cls === 'string' ? definedClass(cls) : cls;
  if (!isActorClass(resolved)) {
    throw new ChildSpecError(idForErrors, 'start[0]', 'a class that extends Actor, or the name of one given to defineActor', cls);
  }
  return [resolved, start[1]];
}

function checkRestart(id: string, restart: unknown): RestartType {
  if (restart === undefined) return 'permanent';
  if (!RESTARTS.includes(restart as RestartType)) {
    throw new ChildSpecError(id, 'restart', "'permanent', 'transient' or 'temporary'", restart);
  }
  return restart as RestartType;
}

function checkType(id: string, type: unknown): ChildType {
  if (type === undefined) return 'worker';
  if (!TYPES.includes(type as ChildType)) throw new ChildSpecError(id, 'type', "'worker' or 'supervisor'", type);
  return type as ChildType;
}

const SHUTDOWN_MS = { integer: true } as const;

/** Checks a shutdown value (ms, `'brutal_kill'` or `'infinity'`). */
export function checkShutdown(id: string | undefined, shutdown: unknown, type: ChildType): Shutdown {
  if (shutdown === undefined) return defaultShutdown(type);
  if (shutdown === 'brutal_kill' || shutdown === 'infinity') return shutdown;
  // The kill after `shutdown` ms is a timer: a longer delay would fire at once (MAX_DURATION_MS).
  if (isDuration(shutdown, SHUTDOWN_MS)) return shutdown;
  throw new ChildSpecError(id, 'shutdown', `${durationExpected(SHUTDOWN_MS)}, 'brutal_kill' or 'infinity'`, shutdown);
}

/** True when `cls` is a class that extends Actor. */
export function isActorClass(cls: unknown): cls is ActorClass {
  return typeof cls === 'function' && cls.prototype instanceof Actor;
}

/**
 * Applies the defaults to a child spec and checks it field by field (OTP's check_childspec):
 * the first wrong field throws ChildSpecError naming it.
 */
export function checkChildSpec(spec: unknown): NormalizedChildSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ChildSpecError(undefined, 'child spec', 'an object { id, start, restart?, shutdown?, type? }', spec);
  }
  const s = spec as Record<string, unknown>;
  const id = checkId(s.id);
  for (const key of Object.keys(s)) {
    if (!FIELDS.has(key)) throw new ChildSpecError(id, `field '${key}'`, `one of ${[...FIELDS].join(', ')}`, s[key]);
  }
  const start = checkStart(id, s.start);
  const restart = checkRestart(id, s.restart);
  const type = checkType(id, s.type);
  const shutdown = checkShutdown(id, s.shutdown, type);
  return { id, start, restart, shutdown, type };
}

/** Checks a list of child specs: each one, then that no two share an id (DuplicateChildIdError). */
export function checkChildSpecs(specs: readonly unknown[]): NormalizedChildSpec[] {
  const out = specs.map(checkChildSpec);
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.id)) throw new DuplicateChildIdError(s.id);
    seen.add(s.id);
  }
  return out;
}
