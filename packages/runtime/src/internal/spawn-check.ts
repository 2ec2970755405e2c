import type { ActorClass } from '../actor.js';
import { ProcessHandle } from './process.js';

/** True when `cls` is a class that extends Actor. */
export function isActorClass(cls: unknown): cls is ActorClass {
  // Checked by shape, not `instanceof Actor`: this module must not import actor.ts (a cycle).
  return (
    typeof cls === 'function' &&
    cls.prototype instanceof ProcessHandle &&
    typeof (cls.prototype as { handleCall?: unknown }).handleCall === 'function'
  );
}
