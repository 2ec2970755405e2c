import { describeValue } from '../errors.js';

/**
 * Reports something the runtime survived but an operator should see, as a Node process
 * warning (`process.on('warning')` observes it, `--no-warnings` silences it): the runtime has
 * no logger of its own and must never write through one it was not given.
 */
export function warn(code: string, message: string): void {
  process.emitWarning(message, { type: 'FoundationWarning', code });
}

/**
 * Wraps the callback of a timer: a throw ends that one callback and is reported, instead of
 * becoming the process's uncaught exception.
 */
export function guarded(what: string, fn: () => void): () => void {
  return () => {
    try {
      fn();
    } catch (e) {
      warn('FOUNDATION_TIMER_THREW', `${what} threw and was dropped: ${describeValue(e)}`);
    }
  };
}
