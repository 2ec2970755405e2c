import type { Pid, Ref } from './pid.js';
import type { Target } from './target.js';
import { Flag } from './internal/process.js';
import { afterTurn } from './internal/invoker.js';
import type { From } from './internal/calls.js';
import type { ActorProcess } from './internal/actor-process.js';
import { startTimer } from './internal/send-after.js';
import { BaseProcess } from './process-api.js';
import type { InfoOf, ReplyValue } from './protocol.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/**
 * A process's behaviour. Subclass it, override the callbacks you need, and spawn the class;
 * the runtime creates the instance and runs the callbacks one message at a time.
 *
 * `Msg` is what it is sent (call and cast), `Reply` what its calls answer, `Args` what `init`
 * takes. These are defaults for the handlers' parameters: what a typed pid (`spawn(Cls, args)`
 * gives `Pid<Cls>`) accepts is read from the handlers the subclass declares (see protocol.ts).
 * An actor whose calls answer different requests with different types lists them as
 * `Answer<Request, Reply>` pairs: `Actor<Req, Answer<'get', number> | Answer<{ put: V }, void>>`.
 */
export abstract class Actor<Msg = unknown, Reply = unknown, Args = void> extends BaseProcess {
  /**
   * A Standard Schema (zod, valibot, arktype...) for the messages this actor takes from other
   * nodes and threads: sends, casts and calls decoded there are validated before they reach
   * the mailbox, and the schema's output is what the handler gets. A message that fails it
   * crashes nothing: a send or cast is a dead letter (counted in `node.stats().deadLetters`), a
   * call fails its caller with InvalidMessageError. Messages sent on the same thread are typed
   * by the compiler and are not checked again. Write it `static override schema = ...`.
   */
  declare static schema?: StandardSchemaV1;

  /** Types only, never set: the Reply type argument, which gives a call its per-request reply type. */
  declare readonly '~reply'?: Reply;

  /** @internal */ declare $p: ActorProcess;

  /** Runs first, with the spawn argument; messages queue until it ends. May be async. */
  init(_args: Args): void | Promise<void> {}

  /** Answers a call: the return value (or its promise) is the reply; return `noReply` to reply later. */
  handleCall(msg: Msg, _from: From): ReplyValue<Reply> | symbol | Promise<ReplyValue<Reply> | symbol> {
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
    const p = this.$p;
    p.$x().stopReason = reason;
    p.$flags |= Flag.Stopping;
    if ((p.$flags & (Flag.Running | Flag.Suspended)) === 0) afterTurn(p);
  }

  /**
   * Sends `msg` to `to` (default: this actor) after `ms` (at most MAX_DURATION_MS); the timer
   * dies with this actor. Checks the target and the message at this call, as `send` does; a
   * send that fails when the timer fires is counted as a dead letter. A typed `to` takes what
   * its handleInfo takes.
   */
  sendAfter<To extends Target = Pid>(msg: InfoOf<To>, ms: number, to?: To): Ref {
    const p = this.$p;
    return startTimer(p, msg, ms, to === undefined ? p.$pid : to);
  }

  /** Cancels a timer from `sendAfter`; false when it already fired or was cancelled. */
  cancelTimer(ref: Ref): boolean {
    const p = this.$p;
    const timers = p.$ext?.timers;
    const t = timers?.get(ref.id);
    if (t === undefined || ref.node !== p.$k.name) return false;
    timers!.delete(ref.id);
    p.$k.clock.clearTimeout(t);
    return true;
  }
}

/** A class that extends Actor, as spawn takes it. */
// `any` on purpose: a class of any protocol is an ActorClass (its handlers' message types vary).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActorClass<A = any> = new () => Actor<any, any, A>;
