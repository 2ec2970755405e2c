import { InvalidArgumentError, ReceiveTimeoutError, StoppedError } from './errors.js';
import { Pid } from './pid.js';
import { Flag, ProcessCore } from './internal/process.js';
import type { Kernel } from './internal/kernel.js';
import { checkTimeout } from './internal/calls.js';
import { guarded } from './internal/warn.js';
import { die, handleSignals } from './internal/signals.js';
import { BaseProcess } from './process-api.js';

interface Waiter {
  predicate: ((msg: unknown) => boolean) | undefined;
  resolve(msg: unknown): void;
  reject(e: Error): void;
  timer: unknown;
}

/** Whether a waiting receive takes `msg`: true, false, or the error its predicate threw. */
function matches(w: Waiter, msg: unknown): boolean | Error {
  if (w.predicate === undefined) return true;
  try {
    return Boolean(w.predicate(msg));
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * A process for the world outside actors — a test, a script, a request handler. It has a pid,
 * sends, calls, links and monitors like any process, and `receive`s with a predicate:
 * messages that do not match stay queued for a later receive. It traps exits by default, so
 * a linked crash arrives as `{ from, reason }` (give `{ trapExit: false }` to die with it).
 *
 * What it receives: sends and DOWN / EXIT messages as they are; casts as their payload;
 * calls as `{ msg, from }` (answer with `reply(from, value)`).
 */
export class Inbox extends BaseProcess {
  /** @internal */ declare $p: InboxProcess;
  /** Why the inbox ended, once it has. */
  exitReason: unknown = undefined;

  /** Number of messages queued and not yet received. */
  get pending(): number {
    return this.$p.queue.length;
  }

  /** True once closed or killed. */
  get closed(): boolean {
    return (this.$p.$flags & Flag.Dead) !== 0;
  }

  /**
   * The oldest queued message that matches `predicate` (any message without one), waiting for
   * it up to `timeoutMs` (Infinity by default: no timer; at most MAX_DURATION_MS otherwise).
   * Rejects with ReceiveTimeoutError; a predicate that throws rejects this receive with its
   * error (the message it was looking at stays for other receives), never the sender.
   */
  receive<T = unknown>(predicate?: (msg: unknown) => msg is T, timeoutMs?: number): Promise<T>;
  receive<T = unknown>(predicate?: (msg: unknown) => boolean, timeoutMs?: number): Promise<T>;
  receive(predicate?: (msg: unknown) => boolean, timeoutMs = Infinity): Promise<unknown> {
    const p = this.$p;
    const q = p.queue;
    try {
      if (predicate !== undefined && typeof predicate !== 'function') {
        throw new InvalidArgumentError('predicate', 'a function of the message (or undefined)', predicate);
      }
      checkTimeout('timeoutMs', timeoutMs);
      for (let i = 0; i < q.length; i++) {
        if (!predicate || predicate(q[i])) return Promise.resolve(q.splice(i, 1)[0]);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    if (p.$flags & Flag.Dead) return Promise.reject(new StoppedError(`inbox ${p.$pid}`));
    return new Promise((resolve, reject) => {
      const w: Waiter = { predicate, resolve, reject, timer: null };
      if (timeoutMs !== Infinity) {
        const expire = () => {
          p.removeWaiter(w);
          reject(new ReceiveTimeoutError(timeoutMs));
        };
        w.timer = p.$k.clock.setTimeout(guarded(`the receive timeout of ${p.$pid}`, expire), timeoutMs);
      }
      p.waiters.push(w);
    });
  }

  /** Ends the inbox: its links see `'normal'`; pending receives and calls reject with StoppedError. */
  close(): void {
    die(this.$p, 'normal');
  }
}

/** An inbox's process: what it has received and who waits in `receive`. */
export class InboxProcess extends ProcessCore {
  queue: unknown[] = [];
  waiters: Waiter[] = [];

  constructor(readonly box: Inbox) {
    super();
  }

  removeWaiter(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  $object(): object {
    return this.box;
  }

  $accept(_kind: number, payload: unknown): void {
    if (this.$flags & Flag.Dead) {
      this.$k.deadLetters++;
      return;
    }
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      const match = matches(w, payload);
      if (match === false) continue;
      this.waiters.splice(i, 1);
      if (w.timer !== null) this.$k.clock.clearTimeout(w.timer);
      if (match === true) {
        w.resolve(payload);
        return;
      }
      // The predicate threw: its receive fails with the error, in this receiver, not in the sender.
      w.reject(match);
      i--;
    }
    this.queue.push(payload);
  }

  /** Inboxes are not scheduled: signals are handled as they arrive. */
  $wake(): void {
    if (this.$ext?.signals && !(this.$flags & Flag.Dead)) handleSignals(this);
  }

  $runTurn(): number {
    this.$wake();
    return 1;
  }

  $onDead(reason: unknown): void {
    this.box.exitReason = reason;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.timer !== null) this.$k.clock.clearTimeout(w.timer);
      w.reject(new StoppedError(`inbox ${this.$pid} (exited: ${String(reason)})`));
    }
  }
}

/**
 * A new inbox of `k`, added to its processes: with a fresh pid, or (`id`) the one another
 * scheduler allocated. `trapExit` as `Node.inbox` takes it.
 */
export function createInbox(k: Kernel, parent: Pid | null, trapExit: boolean, id: number | null = null): Inbox {
  const box = new Inbox();
  const p = new InboxProcess(box);
  box.$p = p;
  p.$k = k;
  p.$pid = id === null ? k.newPid(p) : new Pid(k.name, id, k.incarnation, p);
  p.$parent = parent;
  p.$flags = Flag.Inbox | (trapExit ? Flag.Trap : 0);
  k.add(p);
  if (k.inspect !== null) k.inspect.spawned(p);
  return box;
}
