import { Pid } from '../pid.js';
import { InvalidArgumentError, UnknownNameError } from '../errors.js';
import type { RemoteName, Target } from '../target.js';
import type { Kernel } from './kernel.js';

/** Resolves a target that must be a process now: a pid, or a name held on this node. */
export function resolvePid(k: Kernel, target: Target): Pid;
/** Same, but `{ name, node }` for another node is kept as a name (monitors accept it). */
export function resolvePid(k: Kernel, target: Target, allowRemoteName: true): Pid | RemoteName;
export function resolvePid(k: Kernel, target: Target, allowRemoteName = false): Pid | RemoteName {
  const to = k.resolve(target);
  if (to === undefined) throw new UnknownNameError(k.describe(target));
  if (!(to instanceof Pid) && !allowRemoteName) {
    throw new InvalidArgumentError('target', 'a Pid or a name registered on this node', target);
  }
  return to;
}
