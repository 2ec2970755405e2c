import type { ActorClass } from './actor.js';
import { AlreadyRegisteredError, InvalidArgumentError, NotAnActorError } from './errors.js';
import { isActorClass } from './internal/spawn-check.js';

const byName = new Map<string, ActorClass>();
const byClass = new Map<ActorClass, string>();

/**
 * Names an actor class so it can be spawned by name: on another scheduler thread or another
 * node (which load the same modules, as OTP nodes load the same code). Returns the class.
 * Defining the same class under the same name again is a no-op.
 */
export function defineActor<C extends ActorClass>(name: string, cls: C): C {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('actor name', 'a non-empty string', name);
  if (!isActorClass(cls)) throw new NotAnActorError(cls);
  const held = byName.get(name);
  if (held === cls) return cls;
  if (held) throw new AlreadyRegisteredError(name, `actor class ${held.name}`);
  const other = byClass.get(cls);
  if (other !== undefined) throw new AlreadyRegisteredError(other, `${cls.name} (a class has one actor name)`);
  byName.set(name, cls);
  byClass.set(cls, name);
  return cls;
}

/** The class defined under `name`; throws NotAnActorError naming what was asked for. */
export function actorClass(name: string): ActorClass {
  const cls = byName.get(name);
  if (!cls) throw new NotAnActorError(`'${name}' (no actor class is defined under that name: use defineActor)`);
  return cls;
}

/** The name a class was defined under, if any. */
export function actorName(cls: ActorClass): string | undefined {
  return byClass.get(cls);
}

/** Names of all defined actor classes. */
export function definedActors(): string[] {
  return [...byName.keys()];
}
