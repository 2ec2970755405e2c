import type { Ref } from './pid.js';
import type { Target } from './target.js';
import { MailboxFullError, UnknownNameError } from './errors.js';
import { Kind, Mailbox } from './internal/mailbox.js';
import { Flag } from './internal/process.js';
import { afterTurn, runTurn, type Behaviour } from './internal/invoker.js';
import { checkTimeout, type From } from './internal/calls.js';
import { die } from './internal/signals.js';
import { BaseProcess } from './process-api.js';

/**
 * A process's behaviour. Subclass it, override the callbacks you need, and spawn the class;
 * the runtime creates the instance and runs the callbacks one message at a time.
 *
 * `Msg` is what it is sent (call and cast), `Reply` what its calls answer, `Args` what `init`
 * takes.
 */
export abstract class Actor<Msg = unknown, Reply = unknown, Args = void> extends BaseProcess {
  /** @internal The init argument, until init has run. */
  $args: unknown = undefined;

  /** Runs first, with the spawn argument; messages queue until it ends. May be async. */
  init(_args: Args): void | Promise<void> {}

  /** Answers a call: the return value (or its promise) is the reply; return `noReply` to reply later. */
  handleCall(msg: Msg, _from: From): Reply | Promise<Reply> | symbol {
    throw new Error(`${this.constructor.name} has no handleCall, and was called with ${String(msg)}`);
  }

  /** Handles a cast. */
  handleCast(_msg: Msg): void | Promise<void> {}

  /** Handles a plain send, a DOWN, an EXIT (when trapping) or a timer's message. */
  handleInfo(_msg: unknown): void | Promise<void> {}

  /** Runs when the actor stops (stop, crash of a handler, or exit signal from its parent while trapping). */
  terminate(_reason: unknown): void | Promise<void> {}

  /** Stops this actor after the current message: `terminate(reason)` runs, then it exits. */
  stop(reason: unknown = 'normal'): void {
    this.$x().stopReason = reason;
    this.$flags |= Flag.Stopping;
    if ((this.$flags & (Flag.Running | Flag.Suspended)) === 0) afterTurn(this as unknown as Behaviour);
  }

  /** Sends `msg` to `to` (default: this actor) after `ms`; the timer dies with this actor. */
  sendAfter(msg: unknown, ms: number, to: Target = this.$pid): Ref {
    checkTimeout('ms', ms);
    const k = this.$k;
    const ref = k.makeRef();
    const timers = (this.$x().timers ??= new Map());
    timers.set(
      ref.id,
      k.clock.setTimeout(() => {
        timers.delete(ref.id);
        try {
          k.sendTo(to, Kind.Info, msg);
        } catch (e) {
          if (!UnknownNameError.is(e) && !MailboxFullError.is(e)) throw e;
        }
      }, ms),
    );
    return ref;
  }

  /** Cancels a timer from `sendAfter`; false when it already fired or was cancelled. */
  cancelTimer(ref: Ref): boolean {
    const timers = this.$ext?.timers;
    const t = timers?.get(ref.id);
    if (t === undefined || ref.node !== this.$k.name) return false;
    timers!.delete(ref.id);
    this.$k.clock.clearTimeout(t);
    return true;
  }

  /** @internal */
  $runTurn(): number {
    return runTurn(this as unknown as Behaviour);
  }

  /** @internal */
  $accept(kind: number, payload: unknown): void {
    if (this.$flags & Flag.Dead) {
      this.$k.deadLetters++;
      return;
    }
    const mb = this.$mbox ?? this.$newMailbox();
    const ext = this.$ext;
    if (ext !== null && mb.length - mb.system >= ext.capacity && kind < Kind.Exit) {
      // A call is never dropped in silence: its caller would wait out the timeout for nothing.
      if (ext.overflow === 'reject' || (kind === Kind.Call && ext.overflow === 'drop_newest')) {
        throw new MailboxFullError(this.$pid.toString(), ext.capacity);
      }
      ext.dropped++;
      // drop_oldest evicts the oldest user message, never a queued DOWN or EXIT; with none, the new one goes.
      if (ext.overflow === 'drop_newest' || !mb.dropOldestUser()) return;
    }
    mb.push(kind, payload);
    if (!this.$queued && (this.$flags & (Flag.Running | Flag.Suspended)) === 0) this.$k.dispatcher.enqueue(this);
  }

  /** @internal */
  $wake(): void {
    if (!this.$queued && (this.$flags & (Flag.Running | Flag.Dead)) === 0) this.$k.dispatcher.enqueue(this);
  }

  /** @internal */
  $onDead(): void {}

  /** @internal Ends this actor at once (no terminate): used by node stop. */
  $kill(reason: unknown): void {
    die(this, reason);
  }

  private $newMailbox() {
    return (this.$mbox = new Mailbox());
  }
}

/** A class that extends Actor, as spawn takes it. */
export type ActorClass<A = any> = new () => Actor<any, any, A>;
