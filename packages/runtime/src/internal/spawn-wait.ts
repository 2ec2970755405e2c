import type { Pid } from '../pid.js';
import { CallExitError, InitError, NoProcessError } from '../errors.js';
import type { Kernel } from './kernel.js';
import { call } from './calls.js';
import { spawnOn } from './remote-spawn.js';
import { spawn, type SpawnOptions } from './spawn.js';

/** The call every actor answers by itself once its init has run (queued behind it, like any message). */
export const INIT_PROBE = Object.freeze({ $foundation: 'initialized?' });

/** True for the init probe (also after it crossed a thread or node). */
export function isInitProbe(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && (msg as { $foundation?: unknown }).$foundation === 'initialized?';
}

/**
 * Spawns like `spawn` (on this scheduler, another one, or another node) and resolves with the
 * pid once init has succeeded — OTP's start_link without the implied link (`link: true` for
 * that). Rejects with InitError: its `reason` is the error init threw, or the exit reason of a
 * process that died before its init ended.
 */
export async function spawnAndWait(k: Kernel, parent: Pid, cls: unknown, args: unknown, opts?: SpawnOptions): Promise<Pid> {
  const caller = k.local(parent);
  if (caller === null) throw new NoProcessError(parent.toString());
  const elsewhere = opts?.node !== undefined && opts.node !== k.name;
  const pid = elsewhere ? await spawnOn(caller, cls as never, args, opts) : spawn(k, parent, cls, args, opts);
  const p = k.local(pid);
  if (p !== null) {
    // Here: the actor itself says when its init ends.
    return new Promise((resolve, reject) => {
      p.$x().initWaiter = {
        resolve: () => resolve(pid),
        reject: (reason) => reject(new InitError(pid.toString(), reason)),
      };
    });
  }
  // Another scheduler or node: a call queues behind init and is answered once it succeeded.
  try {
    await call(caller, pid, INIT_PROBE, Infinity);
    return pid;
  } catch (e) {
    throw CallExitError.is(e) ? new InitError(pid.toString(), (e as CallExitError).reason) : e;
  }
}
