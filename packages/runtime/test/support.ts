import { isDown, isExit, type DownMessage, type ExitMessage, type Pid, type Ref } from '@foundation/runtime';

/** A receive predicate for the DOWN of the monitor `ref`. */
export const downFor =
  (ref: Ref) =>
  (m: unknown): m is DownMessage =>
    isDown(m) && m.ref.equals(ref);

/** A receive predicate for the EXIT message from `pid`. */
export const exitFrom =
  (pid: Pid) =>
  (m: unknown): m is ExitMessage =>
    isExit(m) && m.from.equals(pid);

/** Waits, one event-loop turn at a time, until `cond()` holds (no fixed sleep). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** The error `x` rejects with (a promise) or throws or rejects with (a function); fails the test when there is none. */
export async function failure(x: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof x === 'function' ? x() : x);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure, got none');
}
